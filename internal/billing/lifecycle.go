package billing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dialtone/dialtone/internal/id"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
)

// retryAfter are the dunning retries after a failed automatic renewal,
// counted from the end of the period.
var retryAfter = []time.Duration{24 * time.Hour, 3 * 24 * time.Hour, 7 * 24 * time.Hour}

// ProcessSubscription does what is due for one subscription now: an
// automatic renewal (or its retry), or expiry. It re-reads the subscription
// under the customer's lock, so running it twice does nothing twice.
func (s *Service) ProcessSubscription(ctx context.Context, subID string) error {
	sub, err := s.store.Read().Subscription(ctx, "", subID)
	if err != nil {
		return err
	}
	now := s.now()
	due := (sub.Status == market.StatusActive || sub.Status == market.StatusTrialing) && !now.Before(sub.ExpiresAt) ||
		sub.Status == market.StatusPastDue && sub.NextAttemptAt != nil && !now.Before(*sub.NextAttemptAt)
	if !due {
		return nil
	}
	if sub.AutoRenew {
		err := s.autoRenew(ctx, sub)
		if errors.Is(err, errAlreadyRenewed) || err == nil {
			return nil // renewed, here or by another process
		}
		if market.ErrorCode(err) == market.CodeInternal {
			return err
		}
		return s.renewalFailed(ctx, sub, err)
	}
	return s.expire(ctx, sub)
}

// autoRenew renews for the same term and quantity at today's price: from
// the balance if it covers the total, else the default card.
func (s *Service) autoRenew(ctx context.Context, sub market.Subscription) error {
	p := Principal{CustomerID: sub.CustomerID, Role: "owner"}
	in := OrderInput{Items: []ItemInput{{Type: string(market.ItemRenewal), Subscription: sub.ID, ifExpiresAt: sub.ExpiresAt}},
		Payment: PaymentInput{Method: "balance"}}
	if addrs, err := s.store.Read().BillingAddresses(ctx, sub.CustomerID); err == nil && len(addrs) > 0 {
		in.BillingAddress = addrs[len(addrs)-1].ID
	}
	q, err := s.Quote(ctx, p, in)
	if err != nil {
		return err
	}
	cust, err := s.store.Read().Customer(ctx, sub.CustomerID)
	if err != nil {
		return err
	}
	if cust.Balance < q.Totals.Total {
		pm, err := s.store.Read().DefaultPaymentMethod(ctx, sub.CustomerID)
		if err != nil {
			return &market.Error{Code: market.CodeInsufficientFunds, Message: "the balance does not cover the renewal and no card is saved"}
		}
		in.Payment = PaymentInput{Method: "card", PaymentMethod: pm.ID}
	}
	// The success notice commits with the renewal: a crash cannot keep one
	// without the other.
	_, err = s.placeOrder(ctx, p, in, "auto_renewal", func(q *store.Q) error {
		return s.notifyTx(ctx, q, sub.CustomerID, "renewal_succeeded", "Your subscription was renewed",
			fmt.Sprintf("Subscription %s (%s) was renewed automatically.", sub.ID, sub.Plan), "subscription", sub.ID,
			fmt.Sprintf("renewal_succeeded:%s:%d", sub.ID, sub.ExpiresAt.Unix()))
	})
	return err
}

func (s *Service) renewalFailed(ctx context.Context, sub market.Subscription, cause error) error {
	return s.store.Tx(ctx, func(q *store.Q) error {
		if _, err := q.LockCustomer(ctx, sub.CustomerID); err != nil {
			return err
		}
		cur, err := q.Subscription(ctx, sub.CustomerID, sub.ID)
		if err != nil {
			return err
		}
		if cur.ExpiresAt.After(s.now()) || cur.Status != sub.Status || cur.RenewAttempts != sub.RenewAttempts {
			return nil // renewed, or this failure counted, by someone else meanwhile
		}
		if cur.RenewAttempts >= len(retryAfter) {
			cur.Status, cur.NextAttemptAt = market.StatusExpired, nil
			if err := q.UpdateSubscription(ctx, cur, s.now()); err != nil {
				return err
			}
			return s.notifyExpiredTx(ctx, q, sub)
		}
		next := cur.ExpiresAt.Add(retryAfter[cur.RenewAttempts])
		cur.Status, cur.NextAttemptAt = market.StatusPastDue, &next
		cur.RenewAttempts++
		if err := q.UpdateSubscription(ctx, cur, s.now()); err != nil {
			return err
		}
		return s.notifyTx(ctx, q, sub.CustomerID, "renewal_failed", "Your subscription could not be renewed",
			fmt.Sprintf("The automatic renewal of subscription %s failed: %s. Top up your balance or update your card; we will try again on %s.",
				sub.ID, market.ErrorCode(cause), next.Format(time.DateOnly)), "subscription", sub.ID,
			fmt.Sprintf("renewal_failed:%s:%d:%d", sub.ID, sub.ExpiresAt.Unix(), sub.RenewAttempts))
	})
}

func (s *Service) expire(ctx context.Context, sub market.Subscription) error {
	return s.store.Tx(ctx, func(q *store.Q) error {
		if _, err := q.LockCustomer(ctx, sub.CustomerID); err != nil {
			return err
		}
		cur, err := q.Subscription(ctx, sub.CustomerID, sub.ID)
		if err != nil || cur.ExpiresAt.After(s.now()) || cur.Status == market.StatusExpired {
			return err
		}
		cur.Status, cur.NextAttemptAt = market.StatusExpired, nil
		if err := q.UpdateSubscription(ctx, cur, s.now()); err != nil {
			return err
		}
		return s.notifyExpiredTx(ctx, q, cur)
	})
}

func (s *Service) notifyExpiredTx(ctx context.Context, q *store.Q, sub market.Subscription) error {
	return s.notifyTx(ctx, q, sub.CustomerID, "subscription_expired", "Your subscription has expired",
		fmt.Sprintf("Subscription %s (%s) expired on %s. Its users are suspended until you renew it.", sub.ID, sub.Plan,
			sub.ExpiresAt.Format(time.DateOnly)), "subscription", sub.ID, fmt.Sprintf("subscription_expired:%s:%d", sub.ID, sub.ExpiresAt.Unix()))
}

// notify stores a notification in a transaction of its own.
func (s *Service) notify(ctx context.Context, customerID, typ, subject, body, objType, objID, dedupe string) error {
	return s.store.Tx(ctx, func(q *store.Q) error {
		return s.notifyTx(ctx, q, customerID, typ, subject, body, objType, objID, dedupe)
	})
}

// notifyTx stores a notification once per dedupe key and queues its
// e-mail, inside the caller's transaction, so that the notice commits (or
// not) with the change it reports.
func (s *Service) notifyTx(ctx context.Context, q *store.Q, customerID, typ, subject, body, objType, objID, dedupe string) error {
	now := s.now()
	n := store.Notification{ID: id.New("ntf"), CustomerID: customerID, Type: typ, Subject: subject,
		Body: body, ObjectType: objType, ObjectID: objID, DedupeKey: dedupe, CreatedAt: now}
	fresh, err := q.InsertNotification(ctx, n)
	if err != nil || !fresh {
		return err
	}
	c, err := q.Customer(ctx, customerID)
	if err != nil {
		return err
	}
	return q.InsertOutbox(ctx, id.New("out"), n.ID, c.Email, now)
}
