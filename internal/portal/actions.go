package portal

import (
	"fmt"
	"time"

	"github.com/dialtone/dialtone/internal/market"
)

// Home -> "Needs action" (issue 17 "Balance"): at the top of Home, what the
// customer must act on, each with the button that fixes it:
//
//   - a past-due subscription (its automatic renewal failed; its users are
//     suspended): Renew;
//   - an expired subscription that still has users (they are suspended),
//     or that expired within the last 30 days: Renew (a canceled one ended
//     as the customer asked and is not listed);
//   - a number in grace (its monthly rental is unpaid): Top up;
//   - a low balance: its own alert above the list (_balance.html).

// homeAction is one row of "Needs action".
type homeAction struct {
	Kind   string // past_due, expired, number_grace
	What   string // "Cloud Contact Center Enterprise × 3"
	Why    string // "Expired on 1 Mar 2027: its 3 users are suspended."
	Button string // "Renew", "Top up"
	Href   string
	// ID names the object (a subscription or number ID) for tests.
	ID string
}

// recentlyExpired is how long an expired subscription without users stays
// in "Needs action".
const recentlyExpired = 30 * 24 * time.Hour

// homeActions lists what needs action, most urgent first: subscriptions
// out of force, then numbers in grace.
func homeActions(rows []subRow, numbers []market.Number, now time.Time) []homeAction {
	var out []homeAction
	users := func(n int) string {
		if n == 1 {
			return "its user is suspended"
		}
		return fmt.Sprintf("its %d users are suspended", n)
	}
	for _, r := range rows {
		what := fmt.Sprintf("%s × %d", r.Name(), r.Quantity)
		href := "/subscriptions/" + r.ID + "?extend=1"
		switch {
		case r.Status == market.StatusPastDue:
			why := "Past due since " + r.ExpiresAt.UTC().Format("2 Jan 2006") + ": the automatic renewal failed"
			if r.NextAttemptAt != nil {
				why += " (next try " + r.NextAttemptAt.UTC().Format("2 Jan 2006") + ")"
			}
			if r.Users > 0 {
				why += "; " + users(r.Users)
			}
			out = append(out, homeAction{Kind: "past_due", What: what, Why: why + ".", Button: "Renew", Href: href, ID: r.ID})
		case r.Status == market.StatusExpired && (r.Users > 0 || now.Sub(r.ExpiresAt) < recentlyExpired):
			why := "Expired on " + r.ExpiresAt.UTC().Format("2 Jan 2006")
			if r.Users > 0 {
				why += ": " + users(r.Users)
			}
			out = append(out, homeAction{Kind: "expired", What: what, Why: why + ".", Button: "Renew", Href: href, ID: r.ID})
		}
	}
	for _, n := range numbers {
		if n.GraceUntil == nil {
			continue
		}
		out = append(out, homeAction{Kind: "number_grace", What: "Number " + n.Number,
			Why:    "The monthly rental is unpaid: top up your balance before " + n.GraceUntil.UTC().Format("2 Jan 2006") + ", or the number is released.",
			Button: "Top up", Href: "/marketplace/billing#refill", ID: n.ID})
	}
	// A low balance is not an item here: Home shows it as its own alert,
	// with its Top up button, above this list (_balance.html,
	// home_balance_alert).
	return out
}
