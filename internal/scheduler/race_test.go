package scheduler_test

import (
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/payment"
	"github.com/dialtone/dialtone/internal/scheduler"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestTwoSchedulersRenewOnce: two dialtone processes (two services, two
// connection pools, one database) run the due work at once: every
// subscription is renewed and notified exactly once.
func TestTwoSchedulersRenewOnce(t *testing.T) {
	t.Parallel()
	for _, kind := range storetest.Kinds(t) {
		t.Run(kind, func(t *testing.T) {
			url := storetest.URL(t, kind)
			st1, err := store.Open(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer st1.Close()
			if err := st1.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			w, _, _ := newWorld(t, st1)
			const n = 30
			var subs []string
			if _, err := w.svc.AdjustBalance(ctx, w.p.CustomerID, billing.AdjustmentInput{Amount: 100000, Reason: "credit"}); err != nil {
				t.Fatal(err)
			}
			for range n {
				subs = append(subs, w.buy(t, billing.ItemInput{Type: "subscription", Plan: "ivr", Quantity: 1, TermMonths: 1, AutoRenew: true}))
			}
			st2, err := store.Open(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer st2.Close()
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			svc2 := billing.New(st2, w.clk, payment.NewSandbox(), log, billing.Config{Argon2: cheapParams()})
			w.clk.Advance(31*24*time.Hour + time.Minute) // past every expiry, nothing run yet
			var wg sync.WaitGroup
			for _, s := range []*scheduler.Scheduler{w.sched, scheduler.New(svc2, log)} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := s.RunDue(ctx); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			renewals := 0
			pays, _ := w.svc.Transactions(ctx, w.p, store.PaymentFilter{Page: store.Page{Limit: 1000}})
			for _, p := range pays {
				if p.Purpose == market.PurposeRenewal {
					renewals++
				}
			}
			// 30 auto IVRs plus the world's own auto IVR.
			if renewals != n+1 {
				t.Errorf("%d renewal payments, want %d", renewals, n+1)
			}
			for _, id := range subs {
				s, _ := w.svc.Subscription(ctx, w.p, id)
				if len(s.Periods) != 2 || s.Status != market.StatusActive {
					t.Errorf("%s: %d periods, %s; want 2, active", id, len(s.Periods), s.Status)
				}
			}
			out := w.outcome(t)
			if c := count(out, "renewal_succeeded"); c != n+1 {
				t.Errorf("%d renewal_succeeded notifications, want %d", c, n+1)
			}
			total, unbalanced, _ := st1.Read().LedgerImbalance(ctx)
			bal, _ := st1.Read().AccountSum(ctx, market.BalanceAccount(w.p.CustomerID))
			c, _ := w.svc.Customer(ctx, w.p.CustomerID)
			if total != 0 || unbalanced != 0 || bal != c.Balance {
				t.Errorf("ledger: total %d, unbalanced %d, balance %d vs postings %d", total, unbalanced, c.Balance, bal)
			}
		})
	}
}
