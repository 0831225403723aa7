package api

import (
	"context"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
)

// The operator's customers: the list with its search, and a customer with
// its balance, subscriptions, numbers and recent orders (API.md,
// Operator).

type customersIn struct {
	PageParams
	Q string `query:"q" maxLength:"200" doc:"Search: a customer ID (exactly), or part of the company name, of an e-mail address of the account or one of its logins, or of one of its phone numbers."`
}

func (s *Handler) AdminListCustomers(ctx context.Context, _ billing.Principal, in *customersIn) (*out[List[CustomerResponse]], error) {
	if err := knownCursor(in.StartingAfter, func() error { _, err := s.svc.Customer(ctx, in.StartingAfter); return err }); err != nil {
		return nil, err
	}
	cs, err := s.svc.SearchCustomers(ctx, in.Q, in.page())
	if err != nil {
		return nil, err
	}
	return reply(listOf(cs, in.Limit, customerResponse)), nil
}

// CustomerDetail is a customer as the operator sees it (API.md,
// Operator): the account with its balance, its subscriptions, its numbers
// and its recent orders, each list newest first and bounded (has_more says
// there are more: the admin lists filtered by customer give them all).
type CustomerDetail struct {
	CustomerResponse
	Subscriptions List[SubscriptionResponse] `json:"subscriptions" doc:"The customer's subscriptions, newest first, at most 100."`
	Numbers       List[NumberResponse]       `json:"numbers" doc:"The customer's phone numbers, at most 100."`
	RecentOrders  List[OrderResponse]        `json:"recent_orders" doc:"The customer's 10 most recent orders, newest first."`
}

// The bounds of a customer's lists in CustomerDetail.
const (
	detailSubscriptions = 100
	detailNumbers       = 100
	detailOrders        = 10
)

func (s *Handler) AdminGetCustomer(ctx context.Context, _ billing.Principal, in *idPath) (*out[CustomerDetail], error) {
	c, err := s.svc.Customer(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	p := billing.Principal{CustomerID: c.ID}
	subs, err := s.svc.Subscriptions(ctx, p, billing.Page{Limit: detailSubscriptions})
	if err != nil {
		return nil, err
	}
	ns, err := s.svc.Numbers(ctx, p)
	if err != nil {
		return nil, err
	}
	orders, err := s.svc.Orders(ctx, p, billing.Page{Limit: detailOrders})
	if err != nil {
		return nil, err
	}
	recent, err := s.ordersOut(ctx, orders, detailOrders)
	if err != nil {
		return nil, err
	}
	now := s.svc.Now()
	return reply(CustomerDetail{
		CustomerResponse: customerResponse(c),
		Subscriptions:    listOf(subs, detailSubscriptions, func(x market.Subscription) SubscriptionResponse { return subscriptionResponse(x, now) }),
		Numbers:          listOf(ns, detailNumbers, func(n market.Number) NumberResponse { return numberResponse(n, true) }),
		RecentOrders:     recent,
	}), nil
}
