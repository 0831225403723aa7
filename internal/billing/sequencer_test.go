package billing_test

import (
	"fmt"
	"log/slog"
	"sync"
	"testing"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/payment"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestInvoiceSequencer orders from two services on one database (two
// processes) at once, with an invoice left queued as a crash between an
// order's commit and its numbering would leave it: every invoice is
// numbered (readable with its number as soon as its order is answered), the numbers are gapless and
// unique, and nothing is left queued.
func TestInvoiceSequencer(t *testing.T) {
	for _, kind := range storetest.Kinds(t) {
		t.Run(kind, func(t *testing.T) {
			u := storetest.URL(t, kind)
			open := func() *store.Store {
				st, err := store.Open(ctx, u)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() })
				if err := st.Migrate(ctx); err != nil {
					t.Fatal(err)
				}
				return st
			}
			a := newEnv(t, open())
			b := &env{svc: billing.New(open(), a.clk, payment.NewSandbox(), slog.New(slog.DiscardHandler), billing.Config{Argon2: cheap}), clk: a.clk}
			if kind == "sqlite" {
				b = a // one process: one writer
			}
			b.st = a.st
			it := billing.ItemInput{Type: "subscription", Plan: "ivr", Quantity: 1, TermMonths: 1}
			type cust struct {
				p    billing.Principal
				addr string
			}
			var custs []cust
			for i := range 4 {
				p := a.mustSignup(t, fmt.Sprintf("seq%d@acme.test", i), "DE", "EUR")
				custs = append(custs, cust{p, a.mustAddress(t, p, "DE", "10115")})
				a.mustTopUp(t, p, 10_000_000)
			}
			if kind == "postgres" {
				// A crash's leftover: committed, never numbered.
				if _, err := a.st.DB().ExecContext(ctx, `INSERT INTO invoice_queue (id, customer_id, kind, currency,
					subtotal, discount, tax, total, document, issued_at) VALUES ('inv_left', $1, 'invoice', 'EUR', 1, 0, 0, 1,
					'{"kind":"invoice","number":""}', 0)`, custs[0].p.CustomerID); err != nil {
					t.Fatal(err)
				}
			}
			var wg sync.WaitGroup
			errs := make(chan error, 64)
			for w := range 8 {
				e, c := a, custs[w%4]
				if w%2 == 1 {
					e = b
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range 8 {
						o, err := e.order(c.p, c.addr, it)
						if err != nil {
							errs <- err
							return
						}
						v, _, err := e.svc.Invoice(ctx, c.p, o.InvoiceID)
						if err != nil || v.Number == "" {
							errs <- fmt.Errorf("order %s: invoice %+v, %v", o.ID, v, err)
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			// Orders are answered before their invoice is numbered; a
			// pass started now numbers every one of them.
			if err := a.svc.NumberInvoices(ctx); err != nil {
				t.Fatal(err)
			}
			var queued int
			if err := a.st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM invoice_queue`).Scan(&queued); err != nil {
				t.Fatal(err)
			}
			ns, err := a.st.Read().InvoiceNumbers(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if queued != 0 {
				t.Errorf("%d invoices left queued", queued)
			}
			byYear := map[int]int{}
			for _, n := range ns {
				byYear[n[0]]++
				if n[1] != byYear[n[0]] {
					t.Fatalf("invoice numbers not gapless: %v", ns)
				}
			}
		})
	}
}
