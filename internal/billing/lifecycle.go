package billing

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
	"github.com/dialtone/dialtone/internal/payment"
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
	if sub.CancelAtPeriodEnd {
		return s.endCanceled(ctx, sub)
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

// renewalDue is where the period of an automatic renewal of sub starts:
// the moment the renewal fell due, whenever the scheduler runs it. A
// subscription in force (active, or a trial converting to paid) renews at
// its expires_at, so the periods follow one another without a gap and
// expires_at keeps its time of day. A past-due one was suspended since
// expires_at: a dunning retry that succeeds starts the period at the
// retry's due time (expires_at + 1, 3 or 7 days), when service resumes.
func renewalDue(sub market.Subscription) time.Time {
	if sub.Status == market.StatusPastDue && sub.NextAttemptAt != nil {
		return *sub.NextAttemptAt
	}
	return sub.ExpiresAt
}

// autoRenew renews for the same term and quantity at today's price: from
// the balance if it covers the total, else the default card. A failure it
// can explain is a *renewalFailure, which says why in words.
func (s *Service) autoRenew(ctx context.Context, sub market.Subscription) error {
	p := Principal{CustomerID: sub.CustomerID, Role: "owner"}
	in := OrderInput{Items: []ItemInput{{Type: string(market.ItemRenewal), Subscription: sub.ID, ifExpiresAt: sub.ExpiresAt,
		renewFrom: renewalDue(sub)}}, Payment: PaymentInput{Method: "balance"}}
	if addrs, err := s.store.Read().BillingAddresses(ctx, sub.CustomerID); err == nil && len(addrs) > 0 {
		in.BillingAddress = addrs[len(addrs)-1].ID
	}
	q, err := s.Quote(ctx, p, in)
	if err != nil {
		return err
	}
	total := money.New(q.Totals.Total, q.Currency)
	cust, err := s.store.Read().Customer(ctx, sub.CustomerID)
	if err != nil {
		return err
	}
	how := "from your prepaid balance"
	var card *market.PaymentMethod
	if cust.Balance < q.Totals.Total {
		pm, err := s.store.Read().DefaultPaymentMethod(ctx, sub.CustomerID)
		if market.IsCode(err, market.CodeNotFound) {
			short := money.New(q.Totals.Total-cust.Balance, q.Currency)
			return &renewalFailure{total: total, why: "your balance was short by " + money.Format(short) + " and no card is saved",
				err: &market.Error{Code: market.CodeInsufficientFunds, Message: "the balance does not cover the renewal and no card is saved",
					Extra: map[string]any{"missing": short.Minor, "currency": short.Currency}}}
		}
		if err != nil {
			return err
		}
		card = &pm
		in.Payment = PaymentInput{Method: "card", PaymentMethod: pm.ID}
		how = "by your card " + cardWords(pm)
	}
	name := s.subName(ctx, s.store.Read(), sub)
	until := ""
	if n := len(q.Lines); n > 0 && !q.Lines[n-1].End.IsZero() {
		until = " until " + q.Lines[n-1].End.Format(time.DateOnly)
	}
	// The success notice commits with the renewal: a crash cannot keep one
	// without the other.
	_, err = s.placeOrder(ctx, p, in, "auto_renewal", func(q *store.Q) error {
		return s.notifyTx(ctx, q, sub.CustomerID, "renewal_succeeded", "Your subscription was renewed",
			fmt.Sprintf("%s was renewed automatically%s. We charged %s %s.", name, until, money.Format(total), how),
			"subscription", sub.ID, fmt.Sprintf("renewal_succeeded:%s:%d", sub.ID, sub.ExpiresAt.Unix()))
	})
	if err != nil && card != nil && market.IsCode(err, market.CodeCardDeclined) {
		why := declineWords(*card, err)
		var me *market.Error
		if errors.As(err, &me) && me.Extra["decline_code"] == "authentication_required" {
			why += " (renew it yourself at " + strings.TrimRight(s.cfg.PublicURL, "/") + "/subscriptions/" + sub.ID + ", where your bank can ask you)"
		}
		return &renewalFailure{err: err, total: total, why: why}
	}
	return err
}

// renewalFailure is a failed automatic renewal with what its notice says:
// the amount it was for and why it failed, in words.
type renewalFailure struct {
	err   error
	total money.Amount
	why   string // "your balance was short by €12.00 and no card is saved"
}

func (e *renewalFailure) Error() string { return e.err.Error() }
func (e *renewalFailure) Unwrap() error { return e.err }

// cardWords names a saved card: "Visa •••• 4242".
func cardWords(pm market.PaymentMethod) string {
	return payment.BrandName(pm.Brand) + " •••• " + pm.Last4
}

// declineWords says why a card was declined, by the gateway's reason.
func declineWords(pm market.PaymentMethod, err error) string {
	var me *market.Error
	reason := ""
	if errors.As(err, &me) {
		reason, _ = me.Extra["decline_code"].(string)
	}
	card := "your card " + cardWords(pm)
	switch reason {
	case "insufficient_funds":
		return card + " was declined for insufficient funds"
	case "expired_card":
		return card + " has expired"
	case "authentication_required":
		// Off-session, the bank cannot ask the customer (Strong Customer
		// Authentication): renewing by hand lets it.
		return card + " needs you to confirm the payment with your bank"
	}
	return card + " was declined"
}

// failureWords says why an automatic renewal failed, for its notice.
func failureWords(cause error) string {
	var rf *renewalFailure
	if errors.As(cause, &rf) {
		return rf.why
	}
	var me *market.Error
	switch {
	case market.IsCode(cause, market.CodeInsufficientFunds):
		return "your balance did not cover it"
	case market.IsCode(cause, market.CodeCardDeclined):
		return "your card was declined"
	case errors.As(cause, &me) && me.Message != "":
		return "it could not be priced as it is: " + me.Message
	}
	return "of an error on our side"
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
		was := cur.Status
		cur.Status, cur.NextAttemptAt = market.StatusPastDue, &next
		cur.RenewAttempts++
		if err := q.UpdateSubscription(ctx, cur, s.now()); err != nil {
			return err
		}
		if was != market.StatusPastDue {
			if err := s.emitSubscription(ctx, q, EventSubscriptionPastDue, sub.CustomerID, sub.ID); err != nil {
				return err
			}
		}
		what := s.subName(ctx, q, sub)
		var rf *renewalFailure
		if errors.As(cause, &rf) {
			what += " for " + money.Format(rf.total)
		}
		return s.notifyTx(ctx, q, sub.CustomerID, "renewal_failed", "Your subscription could not be renewed",
			fmt.Sprintf("The automatic renewal of %s failed because %s. Top up your balance or save a card under Payment methods: "+
				"we will try again on %s. Until it is paid, the subscription is past due.",
				what, failureWords(cause), next.Format(time.DateOnly)), "subscription", sub.ID,
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

// endCanceled makes a subscription the customer canceled canceled at its
// expires_at: no renewal; its users are suspended (UserStatus).
func (s *Service) endCanceled(ctx context.Context, sub market.Subscription) error {
	return s.store.Tx(ctx, func(q *store.Q) error {
		if _, err := q.LockCustomer(ctx, sub.CustomerID); err != nil {
			return err
		}
		cur, err := q.Subscription(ctx, sub.CustomerID, sub.ID)
		if err != nil || cur.ExpiresAt.After(s.now()) || !cur.CancelAtPeriodEnd ||
			cur.Status == market.StatusExpired || cur.Status == market.StatusCanceled {
			return err
		}
		cur.Status, cur.NextAttemptAt = market.StatusCanceled, nil
		if err := q.UpdateSubscription(ctx, cur, s.now()); err != nil {
			return err
		}
		if err := s.emitSubscription(ctx, q, EventSubscriptionCanceled, cur.CustomerID, cur.ID); err != nil {
			return err
		}
		return s.notifyTx(ctx, q, cur.CustomerID, "subscription_canceled", "Your subscription has ended",
			fmt.Sprintf("%s ended on %s, as you canceled it. Its users are suspended.",
				s.subName(ctx, q, cur), cur.ExpiresAt.Format(time.DateOnly)),
			"subscription", cur.ID, fmt.Sprintf("subscription_canceled:%s:%d", cur.ID, cur.ExpiresAt.Unix()))
	})
}

// notifyExpiredTx tells the customer (and the operator's systems) that sub
// has expired, in the transaction that expired it.
func (s *Service) notifyExpiredTx(ctx context.Context, q *store.Q, sub market.Subscription) error {
	if err := s.emitSubscription(ctx, q, EventSubscriptionExpired, sub.CustomerID, sub.ID); err != nil {
		return err
	}
	return s.notifyTx(ctx, q, sub.CustomerID, "subscription_expired", "Your subscription has expired",
		fmt.Sprintf("%s expired on %s. Its users are suspended until you renew it under Subscriptions → Renew/Change.",
			s.subName(ctx, q, sub), sub.ExpiresAt.Format(time.DateOnly)),
		"subscription", sub.ID, fmt.Sprintf("subscription_expired:%s:%d", sub.ID, sub.ExpiresAt.Unix()))
}

// subName names a subscription in a notice: its product and plan and its
// licenses, "Cloud Contact Center Business (5 licenses)". A plan that
// cannot be read is named by its code.
func (s *Service) subName(ctx context.Context, q *store.Q, sub market.Subscription) string {
	pl, err := q.Plan(ctx, sub.Plan)
	if err != nil {
		pl = market.Plan{Code: sub.Plan}
	}
	return subWords(pl, sub.Quantity(s.now()))
}

// subWords is a plan and a number of licenses in words: "Hosted PBX
// (1 license)"; without licenses, the plan alone.
func subWords(pl market.Plan, licenses int) string {
	if licenses <= 0 {
		return pl.DisplayName()
	}
	return fmt.Sprintf("%s (%s)", pl.DisplayName(), plural(licenses, "license", "licenses"))
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
	return s.notifyToTx(ctx, q, customerID, "", typ, subject, body, objType, objID, dedupe)
}

// notifyToTx is notifyTx with the mail's recipient ("": the owner's
// e-mail).
func (s *Service) notifyToTx(ctx context.Context, q *store.Q, customerID, to, typ, subject, body, objType, objID, dedupe string) error {
	now := s.now()
	n := market.Notification{ID: s.ids.New("ntf"), CustomerID: customerID, Type: typ, Subject: subject,
		Body: body, ObjectType: objType, ObjectID: objID, DedupeKey: dedupe, CreatedAt: now}
	fresh, err := q.InsertNotification(ctx, n)
	if err != nil || !fresh {
		return err
	}
	if to == "" {
		c, err := q.Customer(ctx, customerID)
		if err != nil {
			return err
		}
		to = c.Email
	}
	return q.InsertOutbox(ctx, s.ids.New("out"), n.ID, to, now)
}
