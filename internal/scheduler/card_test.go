package scheduler_test

import (
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestAutoRenewCardFallback: when the balance does not cover an automatic
// renewal the default card pays it; a card that declines every charge
// sends the subscription into dunning. Trials get their ending notices.
func TestAutoRenewCardFallback(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w, _, auto := newWorld(t, st)
		c, _ := w.svc.Customer(ctx, w.p.CustomerID)
		if _, err := w.svc.AdjustBalance(ctx, w.p.CustomerID, billing.AdjustmentInput{Amount: -(c.Balance - 100), Reason: "drain"}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.AddCard(ctx, w.p, billing.CardInput{Number: "5555555555554444", ExpMonth: 12, ExpYear: 2031, CVC: "123"}); err != nil {
			t.Fatal(err)
		}
		trial := w.buy(t, billing.ItemInput{Type: "subscription", Plan: "hosted-pbx", Quantity: 1, TermMonths: 1, Trial: true})
		if err := w.sched.Advance(ctx, w.clk, 31*24*time.Hour+time.Hour); err != nil {
			t.Fatal(err)
		}
		s, _ := w.svc.Subscription(ctx, w.p, auto)
		pays, _ := w.svc.Transactions(ctx, w.p, store.PaymentFilter{Purpose: "renewal"})
		if s.Status != market.StatusActive || len(pays) != 1 || pays[0].Method != "card" || pays[0].CardLast4 != "4444" || pays[0].Amount != 973 {
			t.Fatalf("card renewal: %s, %+v", s.Status, pays)
		}
		if c, _ := w.svc.Customer(ctx, w.p.CustomerID); c.Balance != 100 {
			t.Errorf("balance %d, want 100 (untouched)", c.Balance)
		}
		out := w.outcome(t)
		// The trial (30 days from Mar 1) got notices 7 and 1 days ahead, then
		// expired (no automatic renewal).
		if count(out, "trial_ending") != 2 || !strings.Contains(out, "renewal_upcoming") {
			t.Errorf("notices:\n%s", out)
		}
		if ts, _ := w.svc.Subscription(ctx, w.p, trial); ts.Status != market.StatusExpired {
			t.Errorf("trial without renewal is %s, want expired", ts.Status)
		}
		// The renewal notice 7 days ahead said how it would be paid.
		ns, _ := w.st.Read().Notifications(ctx, w.p.CustomerID, store.Page{Limit: 100})
		for _, n := range ns {
			if n.Type == "renewal_upcoming" && (!strings.Contains(n.Body, "CHF 9.73") || !strings.Contains(n.Body, "4444")) {
				t.Errorf("renewal notice: %q", n.Body)
			}
		}
		// A card that declines every charge: the next renewal fails.
		pm, _ := w.svc.AddCard(ctx, w.p, billing.CardInput{Number: "4000000000000341", ExpMonth: 12, ExpYear: 2031, CVC: "123"})
		if _, err := w.svc.SetDefaultCard(ctx, w.p, pm.ID); err != nil {
			t.Fatal(err)
		}
		if err := w.sched.Advance(ctx, w.clk, 30*24*time.Hour); err != nil {
			t.Fatal(err)
		}
		s, _ = w.svc.Subscription(ctx, w.p, auto)
		if s.Status != market.StatusPastDue {
			t.Errorf("after a declined renewal: %s, want past_due", s.Status)
		}
	})
}
