package api

import (
	"context"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
)

// The operator's lists across customers (API.md, Operator): orders and
// subscriptions, filtered, with limit and starting_after.

type adminOrdersIn struct {
	PageParams
	Customer string `query:"customer" maxLength:"100" doc:"Only this customer's orders (cus_…)."`
	Status   string `query:"status" maxLength:"40" doc:"Only orders of this status: paid, partially_refunded, refunded."`
	Purpose  string `query:"purpose" maxLength:"40" doc:"Only orders whose payment has this purpose: subscription_purchase, renewal, upgrade, licenses, phone_number, balance_refill, order (several kinds)."`
	From     string `query:"from" maxLength:"40" doc:"Created at or after this time (RFC 3339) or date (YYYY-MM-DD), business time."`
	To       string `query:"to" maxLength:"40" doc:"Created before this time (RFC 3339), or up to and including this date (YYYY-MM-DD)."`
}

func (s *Handler) AdminListOrders(ctx context.Context, _ billing.Principal, in *adminOrdersIn) (*out[List[OrderResponse]], error) {
	f, err := billing.NewOrderFilter(in.Customer, in.Status, in.Purpose, in.From, in.To)
	if err != nil {
		return nil, err
	}
	f.Page = in.page()
	orders, err := s.svc.AllOrders(ctx, f)
	if err != nil {
		return nil, err
	}
	list, err := s.ordersOut(ctx, orders, in.Limit)
	if err != nil {
		return nil, err
	}
	return reply(list), nil
}

type adminSubscriptionsIn struct {
	PageParams
	Customer      string `query:"customer" maxLength:"100" doc:"Only this customer's subscriptions (cus_…)."`
	Status        string `query:"status" maxLength:"40" doc:"Only subscriptions of this status now: trialing, active, past_due, canceled, expired."`
	Plan          string `query:"plan" maxLength:"40" doc:"Only subscriptions of this plan (its code)."`
	ExpiresBefore string `query:"expires_before" maxLength:"40" doc:"Only subscriptions whose expires_at is before this time (RFC 3339) or date (YYYY-MM-DD, the day excluded)."`
}

func (s *Handler) AdminListSubscriptions(ctx context.Context, _ billing.Principal, in *adminSubscriptionsIn) (*out[List[SubscriptionResponse]], error) {
	f := billing.SubscriptionFilter{Page: in.page(), CustomerID: in.Customer, Status: in.Status, Plan: in.Plan}
	if in.ExpiresBefore != "" {
		t, err := time.Parse(time.RFC3339, in.ExpiresBefore)
		if err != nil {
			d, derr := time.Parse("2006-01-02", in.ExpiresBefore)
			if derr != nil {
				return nil, market.Invalid("expires_before", "expires_before must be an RFC 3339 time or a date like 2027-02-10")
			}
			t = d
		}
		f.ExpiresBefore = t.UTC()
	}
	subs, err := s.svc.AllSubscriptions(ctx, f)
	if err != nil {
		return nil, err
	}
	now := s.svc.Now()
	return reply(listOf(subs, in.Limit, func(x market.Subscription) SubscriptionResponse { return subscriptionResponse(x, now) })), nil
}
