package billing

// Refunds that end what they bought (issue 17; PRODUCT.md "Cancelling and
// refunds"): POST /v1/admin/orders/{id}/refunds with revoke. The rules,
// as built here, for each refunded item (items by position; default all):
//
//   - A renewal: its period is removed and expires_at moves back to where
//     the period began. Only the subscription's last period can be removed
//     (a later renewal would leave a hole): otherwise the refund is refused
//     with invalid_request naming items. If the removed period is the one in
//     force now (or the move puts expires_at at or before now), the
//     subscription ends now: status canceled (it does not renew or dun),
//     expires_at is where the paid periods end, its users are suspended.
//     Otherwise it stays active until the new expires_at.
//   - A new subscription: it ends now: status canceled, expires_at now, its
//     periods cut at now; its users are suspended.
//   - A phone number: released into quarantine as if the customer had
//     released it (if the customer still holds it).
//   - Licenses, an upgrade and a balance top-up are money only: revoke does
//     not take back licenses or a plan, and a top-up's credit already
//     leaves the balance with a card refund.
//   - Something already ended (a period removed, a subscription canceled
//     or expired, a number released) is left as it is.
//
// Events, in the same transaction: subscription.updated (a period
// removed, still in force), subscription.canceled (ended now),
// number.released.

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
)

// refundLines returns the seqs (positions from 1) of the order's lines
// named by items, or of all of them. Error: invalid_request naming items.
func refundLines(o market.Order, items []int) ([]int, error) {
	if len(items) == 0 {
		out := make([]int, len(o.Lines))
		for i := range out {
			out[i] = i + 1
		}
		return out, nil
	}
	seen := map[int]bool{}
	var out []int
	for i, n := range items {
		if n < 1 || n > len(o.Lines) {
			return nil, market.Invalid(fmt.Sprintf("items[%d]", i), "order %s has items 1 to %d: there is no item %d", o.ID, len(o.Lines), n)
		}
		if seen[n] {
			return nil, market.Invalid(fmt.Sprintf("items[%d]", i), "item %d is named twice", n)
		}
		seen[n] = true
		out = append(out, n)
	}
	return out, nil
}

// itemList names item seqs in words: "1, 3 and 4".
func itemList(seqs []int) string {
	parts := make([]string, len(seqs))
	for i, n := range seqs {
		parts[i] = strconv.Itoa(n)
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// revoke ends what lines of order o bought (the rules at the top).
func (s *Service) revoke(ctx context.Context, q *store.Q, customerID string, o market.Order, lines []market.Line, now time.Time) error {
	for _, l := range lines {
		if k := kindOf(l.Type); k != nil {
			if err := k.revoke(ctx, s, q, customerID, o, l, now); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Service) revokeRenewal(ctx context.Context, q *store.Q, customerID string, o market.Order, l market.Line, now time.Time) error {
	sub, err := q.Subscription(ctx, customerID, l.SubscriptionID)
	if err != nil {
		return err
	}
	idx := -1
	for i, p := range sub.Periods {
		if p.OrderID == o.ID {
			idx = i
		}
	}
	if idx < 0 {
		return nil // removed already
	}
	if idx != len(sub.Periods)-1 || idx == 0 {
		return market.Invalid("items", "the renewal of %s by order %s is followed by a later period: refund and revoke that first", sub.ID, o.ID)
	}
	p := sub.Periods[idx]
	if err := q.DeletePeriod(ctx, sub.ID, p.Seq); err != nil {
		return err
	}
	sub.ExpiresAt = sub.Periods[idx-1].End
	ev := EventSubscriptionUpdated
	if !sub.ExpiresAt.After(now) && sub.Status != market.StatusExpired && sub.Status != market.StatusCanceled {
		sub.Status, sub.NextAttemptAt, sub.RenewAttempts = market.StatusCanceled, nil, 0
		ev = EventSubscriptionCanceled
	}
	if err := q.UpdateSubscription(ctx, sub, now); err != nil {
		return err
	}
	return s.emitSubscription(ctx, q, ev, customerID, sub.ID)
}

func (s *Service) revokeSubscription(ctx context.Context, q *store.Q, customerID, subID string, now time.Time) error {
	sub, err := q.Subscription(ctx, customerID, subID)
	if err != nil {
		return err
	}
	if sub.Status == market.StatusCanceled || sub.Status == market.StatusExpired {
		return nil
	}
	if err := q.EndPeriodsAt(ctx, sub.ID, now); err != nil {
		return err
	}
	sub.Status, sub.NextAttemptAt, sub.RenewAttempts = market.StatusCanceled, nil, 0
	if sub.ExpiresAt.After(now) {
		sub.ExpiresAt = now
	}
	if sub.TrialEndsAt != nil && sub.TrialEndsAt.After(now) {
		sub.TrialEndsAt = &now
	}
	if err := q.UpdateSubscription(ctx, sub, now); err != nil {
		return err
	}
	return s.emitSubscription(ctx, q, EventSubscriptionCanceled, customerID, sub.ID)
}

func (s *Service) revokeNumber(ctx context.Context, q *store.Q, customerID string, l market.Line, now time.Time) error {
	if l.NumberID == "" {
		return nil
	}
	n, err := q.LockNumber(ctx, customerID, l.NumberID)
	if market.IsCode(err, market.CodeNotFound) {
		return nil // released already
	}
	if err != nil {
		return err
	}
	rel := quarantined(n, now)
	if err := q.UpdateNumberLifecycle(ctx, rel); err != nil {
		return err
	}
	return s.emitNumberReleased(ctx, q, n, rel)
}
