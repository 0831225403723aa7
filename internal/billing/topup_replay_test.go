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

// keepingGateway is the sandbox with a ledger of its own, as a real
// gateway keeps one: what each charge took and what was refunded of it.
// Like Stripe, a charge replayed by its idempotency key is the first one
// again, refunded or not.
type keepingGateway struct {
	*payment.Sandbox
	mu       sync.Mutex
	charged  map[string]int64 // by charge ID
	refunded map[string]int64 // by charge ID
	byKey    map[string]string
	refunds  map[string]bool // refund idempotency keys seen: a replay refunds nothing more
}

func newKeepingGateway() *keepingGateway {
	return &keepingGateway{Sandbox: payment.NewSandbox(), charged: map[string]int64{}, refunded: map[string]int64{}, byKey: map[string]string{},
		refunds: map[string]bool{}}
}

func (g *keepingGateway) Charge(ctx context.Context, in payment.ChargeInput) (payment.Charge, error) {
	ch, err := g.Sandbox.Charge(ctx, in)
	if err == nil {
		g.mu.Lock()
		g.charged[ch.ID], g.byKey[in.IdempotencyKey] = in.Amount, ch.ID
		g.mu.Unlock()
	}
	return ch, err
}

func (g *keepingGateway) Refund(ctx context.Context, in payment.RefundInput) (payment.Refund, error) {
	r, err := g.Sandbox.Refund(ctx, in)
	if err == nil {
		g.mu.Lock()
		if !g.refunds[in.IdempotencyKey] {
			g.refunds[in.IdempotencyKey] = true
			g.refunded[in.ChargeID] += in.Amount
		}
		g.mu.Unlock()
	}
	return r, err
}

// kept is what the gateway kept of the charges: charged less refunded.
func (g *keepingGateway) kept() int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	var sum int64
	for id, a := range g.charged {
		sum += a - g.refunded[id]
	}
	return sum
}

// failUpdates makes every UPDATE of balance_settings fail (the database
// refusing the top-up's last step and the new order ID alike) until the
// returned func is called.
func failUpdates(t *testing.T, st *store.Store) func() {
	t.Helper()
	stmts := []string{`CREATE TRIGGER fail_topup BEFORE UPDATE ON balance_settings BEGIN SELECT RAISE(ABORT, 'injected failure'); END`}
	undo := []string{`DROP TRIGGER fail_topup`}
	if st.Dialect() == store.Postgres {
		stmts = []string{`CREATE FUNCTION fail_topup() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$`,
			`CREATE TRIGGER fail_topup BEFORE UPDATE ON balance_settings FOR EACH ROW EXECUTE FUNCTION fail_topup()`}
		undo = []string{`DROP TRIGGER fail_topup ON balance_settings`, `DROP FUNCTION fail_topup()`}
	}
	for _, s := range stmts {
		if _, err := st.DB().ExecContext(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	return func() {
		for _, s := range undo {
			if _, err := st.DB().ExecContext(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestAutoTopUpNeverCreditsARefundedCharge: the automatic top-up's order
// ID is its charge's idempotency key, so a rerun after a crash gets the
// first charge back. A charge given back must never credit the balance
// on a rerun, and one charge never credits twice: (a) the process died
// after the charge, the gateway's payment_intent.succeeded event of the
// orphan refunded it, then the scan ran again; (b) the order's transaction
// failed after the charge and so did the new order ID's write, then the
// scan ran again. Each time the balance is credited once, by a charge the
// gateway kept: what the gateway kept equals what the balance got.
func TestAutoTopUpNeverCreditsARefundedCharge(t *testing.T) {
	for _, c := range []string{"OrphanRefundedThenRerun", "OrderAndNewIDFailedThenRerun"} {
		t.Run(c, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, st *store.Store) {
				gw := newKeepingGateway()
				svc := billing.New(st, clock.NewFrozen(start), gw, slog.New(slog.NewTextHandler(io.Discard, nil)), billing.Config{Argon2: cheap})
				if _, err := svc.SeedDemo(ctx); err != nil {
					t.Fatal(err)
				}
				e := &env{svc: svc, st: st}
				p := e.mustSignup(t, "replay@acme.test", "CH", "CHF")
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
				due, err := st.Read().DueTopUps(ctx, start, 10)
				if err != nil || len(due) != 1 || due[0].DueOrder == "" {
					t.Fatalf("due top-ups: %+v %v", due, err)
				}
				key := due[0].DueOrder
				switch c {
				case "OrphanRefundedThenRerun":
					// The process died after the charge; the gateway's event
					// of the charge without its order refunds it.
					pm, err := st.Read().DefaultPaymentMethod(ctx, p.CustomerID)
					if err != nil {
						t.Fatal(err)
					}
					ch, err := gw.Charge(ctx, payment.ChargeInput{Token: pm.Token, Amount: 5000, Currency: "CHF", IdempotencyKey: key})
					if err != nil {
						t.Fatal(err)
					}
					if err := svc.ApplyGatewayEvent(ctx, payment.Event{ID: "evt_orphan", Type: "payment_intent.succeeded", Ref: ch.ID,
						Amount: 5000, Currency: "CHF", Key: key, AccountID: p.CustomerID}); err != nil {
						t.Fatal(err)
					}
					if gw.refunded[ch.ID] != 5000 {
						t.Fatalf("the orphan charge was not refunded: %+v", gw.refunded)
					}
				case "OrderAndNewIDFailedThenRerun":
					restore := failUpdates(t, st)
					_, _ = svc.RunTopUps(ctx)
					restore()
				}
				if b := e.balance(t, p); b != 1000 {
					t.Fatalf("balance before the rerun: %d, want 1000", b)
				}
				_, _ = svc.RunTopUps(ctx)
				_, _ = svc.RunTopUps(ctx)
				if b := e.balance(t, p); b != 6000 {
					t.Errorf("balance after the reruns: %d, want 6000 (one top-up)", b)
				}
				if k := gw.kept(); k != 5000 {
					t.Errorf("the gateway kept %d of the card's money, the balance got 5000 (charged %v, refunded %v)", k, gw.charged, gw.refunded)
				}
				orders, err := svc.Orders(ctx, p, store.Page{})
				if err != nil {
					t.Fatal(err)
				}
				if len(orders) != 1 {
					t.Fatalf("orders: %+v, want one top-up", orders)
				}
				pay, err := st.Read().PaymentByID(ctx, orders[0].PaymentID)
				if err != nil {
					t.Fatal(err)
				}
				if gw.refunded[pay.GatewayRef] != 0 {
					t.Errorf("the top-up was paid by charge %s, which the gateway refunded", pay.GatewayRef)
				}
				e.checkLedger(t, p)
			})
		})
	}
}
