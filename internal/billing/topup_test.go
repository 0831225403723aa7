package billing_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/clock"
	"github.com/dialtone/dialtone/internal/payment"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// countingGateway records the charges made.
type countingGateway struct {
	*payment.Sandbox
	mu      sync.Mutex
	charges map[string]bool // charge IDs made
}

func (g *countingGateway) Charge(ctx context.Context, in payment.ChargeInput) (payment.Charge, error) {
	ch, err := g.Sandbox.Charge(ctx, in)
	g.mu.Lock()
	defer g.mu.Unlock()
	if err == nil {
		g.charges[ch.ID] = true
	}
	return ch, err
}

// TestAutoTopUpOncePerCrossing: a top-up whose process died after the card
// was charged is placed again on the rerun with the same charge (the order
// ID is its idempotency key), and reruns and a second scheduler place
// nothing more.
func TestAutoTopUpOncePerCrossing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		gw := &countingGateway{Sandbox: payment.NewSandbox(), charges: map[string]bool{}}
		svc := billing.New(st, clock.NewFrozen(start), gw, slog.New(slog.NewTextHandler(io.Discard, nil)), billing.Config{Argon2: cheap})
		if _, err := svc.SeedDemo(ctx); err != nil {
			t.Fatal(err)
		}
		e := &env{svc: svc, st: st}
		p := e.mustSignup(t, "topup@acme.test", "CH", "CHF")
		if _, err := svc.AddCard(ctx, p, *visa); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AdjustBalance(ctx, p.CustomerID, billing.AdjustmentInput{Amount: 10000, Reason: "credit"}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SetBalanceSettings(ctx, p, billing.BalanceSettingsInput{AutoTopUp: &billing.AutoTopUpInput{Amount: 5000, Below: 2000}}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AdjustBalance(ctx, p.CustomerID, billing.AdjustmentInput{Amount: -9000, Reason: "debit"}); err != nil {
			t.Fatal(err)
		}
		// The process died after the gateway charged the card for the
		// crossing's order and before the order committed: the charge is
		// at the gateway under the order's ID, nothing is in the database.
		due, err := st.Read().DueTopUps(ctx, start, 10)
		if err != nil || len(due) != 1 || due[0].DueOrder == "" {
			t.Fatalf("due top-ups: %+v %v", due, err)
		}
		pm, err := st.Read().DefaultPaymentMethod(ctx, p.CustomerID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := gw.Charge(ctx, payment.ChargeInput{Token: pm.Token, Amount: 5000, Currency: "CHF", IdempotencyKey: due[0].DueOrder}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for range 3 {
			wg.Add(1)
			go func() { defer wg.Done(); _, _ = svc.RunTopUps(ctx) }()
		}
		wg.Wait()
		_, _ = svc.RunTopUps(ctx)
		if b := e.balance(t, p); b != 6000 {
			t.Errorf("balance after the reruns: %d, want 6000 (one top-up)", b)
		}
		if len(gw.charges) != 1 {
			t.Errorf("card charges: %d, want 1 (the rerun got the first charge back)", len(gw.charges))
		}
		orders, err := svc.Orders(ctx, p, store.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if len(orders) != 1 || orders[0].Totals.Total != 5000 {
			t.Errorf("orders: %+v, want one top-up of 5000", orders)
		}
		e.checkLedger(t, p)
	})
}
