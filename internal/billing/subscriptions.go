package billing

import (
	"context"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
)

// Subscriptions lists the customer's subscriptions with their status at
// now.
func (s *Service) Subscriptions(ctx context.Context, p Principal, page store.Page) ([]market.Subscription, error) {
	subs, err := s.store.Read().Subscriptions(ctx, p.CustomerID, page)
	now := s.now()
	for i := range subs {
		subs[i].Status = subs[i].StatusAt(now)
	}
	return subs, err
}

// Subscription returns one subscription. Error: not_found.
func (s *Service) Subscription(ctx context.Context, p Principal, subID string) (market.Subscription, error) {
	sub, err := s.store.Read().Subscription(ctx, p.scope(), subID)
	sub.Status = sub.StatusAt(s.now())
	return sub, err
}

// SetAutoRenew switches automatic renewal of a subscription. Error:
// not_found.
func (s *Service) SetAutoRenew(ctx context.Context, p Principal, subID string, on bool) (market.Subscription, error) {
	return s.changeSubscription(ctx, p, subID, func(q *store.Q, sub market.Subscription) error {
		sub.AutoRenew = on
		if err := q.UpdateSubscription(ctx, sub, s.now()); err != nil {
			return err
		}
		return s.emitSubscription(ctx, q, EventSubscriptionUpdated, p.CustomerID, subID)
	})
}

// changeSubscription is a manager's change of one of the customer's
// subscriptions: change runs on the subscription in a transaction that
// holds the customer's lock, and the subscription is read again after.
// Errors: forbidden, not_found, change's.
func (s *Service) changeSubscription(ctx context.Context, p Principal, subID string, change func(q *store.Q, sub market.Subscription) error) (market.Subscription, error) {
	if err := p.mayManage(); err != nil {
		return market.Subscription{}, err
	}
	err := s.store.Tx(ctx, func(q *store.Q) error {
		if _, err := q.LockCustomer(ctx, p.CustomerID); err != nil {
			return err
		}
		sub, err := q.Subscription(ctx, p.CustomerID, subID)
		if err != nil {
			return err
		}
		return change(q, sub)
	})
	if err != nil {
		return market.Subscription{}, err
	}
	return s.Subscription(ctx, p, subID)
}

// SetCancelAtPeriodEnd cancels a subscription at the end of its period
// (on) or undoes that (off), PRODUCT.md "Cancelling and refunds": a
// canceled subscription stays in force until expires_at, does not renew
// (whatever auto_renew says), and the scheduler makes it canceled then. A
// past-due subscription is already out of force: canceling it ends its
// dunning and makes it canceled now. Errors: not_found; invalid_request
// naming cancel_at_period_end when the subscription has already ended
// (expired or canceled), for either direction.
func (s *Service) SetCancelAtPeriodEnd(ctx context.Context, p Principal, subID string, on bool) (market.Subscription, error) {
	return s.changeSubscription(ctx, p, subID, func(q *store.Q, sub market.Subscription) error {
		now := s.now()
		switch st := sub.StatusAt(now); {
		case st == market.StatusCanceled || st == market.StatusExpired:
			if sub.CancelAtPeriodEnd == on {
				return nil // nothing to change
			}
			return market.Invalid("cancel_at_period_end", "subscription %s has already ended (%s on %s): there is nothing to %s",
				sub.ID, st, sub.ExpiresAt.Format(time.DateOnly), map[bool]string{true: "cancel", false: "undo"}[on])
		case sub.CancelAtPeriodEnd == on:
			return nil
		case on && st == market.StatusPastDue:
			sub.CancelAtPeriodEnd, sub.Status, sub.NextAttemptAt = true, market.StatusCanceled, nil
			if err := q.UpdateSubscription(ctx, sub, now); err != nil {
				return err
			}
			return s.emitSubscription(ctx, q, EventSubscriptionCanceled, p.CustomerID, subID)
		}
		sub.CancelAtPeriodEnd = on
		if err := q.UpdateSubscription(ctx, sub, now); err != nil {
			return err
		}
		return s.emitSubscription(ctx, q, EventSubscriptionUpdated, p.CustomerID, subID)
	})
}

// subProductName names a subscription's product ("IVR add-on"), or its
// code when the plan cannot be read.
func (s *Service) subProductName(ctx context.Context, q *store.Q, sub market.Subscription) string {
	if pl, err := q.Plan(ctx, sub.Plan); err == nil && pl.ProductName != "" {
		return pl.ProductName
	}
	return sub.Product
}
