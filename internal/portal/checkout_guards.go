package portal

import (
	"context"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
)

// A customer who already holds a product and buys a new subscription of
// it (Buy on Start while holding Enterprise) gets a second, separate
// subscription: often a mistake for Upgrade or BUY MORE LICENSES. The
// checkout warns and asks for a confirmation (a tick, not a block); the
// cart shows the warning on the line, before Confirm order.

// heldWarning returns the warning for a new subscription item of a product
// the customer holds a live subscription of (trialing, active, past due),
// or "".
func (s *Handler) heldWarning(ctx context.Context, p billing.Principal, it billing.ItemInput) string {
	if market.ItemType(it.Type) != market.ItemSubscription || it.Plan == "" {
		return ""
	}
	pl, err := s.svc.Plan(ctx, it.Plan)
	if err != nil {
		return ""
	}
	subs, err := s.svc.Subscriptions(ctx, p, billing.Page{Limit: 1000})
	if err != nil {
		return ""
	}
	for _, sub := range subs {
		if sub.Product != pl.Product || sub.Status == market.StatusExpired || sub.Status == market.StatusCanceled {
			continue
		}
		held := sub.Plan
		if hp, err := s.svc.Plan(ctx, sub.Plan); err == nil {
			held = hp.DisplayName()
		}
		return "You already have " + held + " (" + licensesLabel(sub.Quantity(s.svc.Now())) + ", until " +
			sub.ExpiresAt.UTC().Format("2 Jan 2006") + "). This order buys a second, separate subscription of " + pl.ProductName +
			" next to it. To change the plan you have, use Upgrade; to add licenses to it, use BUY MORE LICENSES on Plans."
	}
	return ""
}

// forgetCard empties the typed card number and CVC once the card went to
// the gateway and was declined: the page asks for a card anew. Otherwise
// (the address was verified, a field was wrong) the page shows them again
// in this one response, so the customer need not type them twice; they
// are never stored or logged.
func forgetCard(f *form, err error) {
	if market.ErrorCode(err) == market.CodeCardDeclined {
		f.Values.Del("card_number")
		f.Values.Del("cvc")
	}
}
