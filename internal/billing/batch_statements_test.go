package billing_test

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestRenewalBatchStatements counts the statements a batched renewal run
// sends per renewal (RenewBatch over n customers, each with one automatic
// renewal the balance covers) and holds it to a ceiling, as
// TestOrderStatements does for an order. DIALTONE_LOG_STATEMENTS=1 logs
// each.
func TestRenewalBatchStatements(t *testing.T) {
	batchStatements(t, "subscription", map[string]float64{"sqlite": 2, "postgres": 2})
}

// TestRentalBatchStatements is the same for number rentals (RentBatch).
func TestRentalBatchStatements(t *testing.T) {
	batchStatements(t, "phone_number", map[string]float64{"sqlite": 2, "postgres": 2})
}

func batchStatements(t *testing.T, kind string, ceiling map[string]float64) {
	const n = 20
	for _, sk := range storetest.Kinds(t) {
		t.Run(sk, func(t *testing.T) {
			st := storetest.Open(t, sk)
			e := newEnv(t, st)
			if kind == "phone_number" {
				nums := make([]string, n)
				for i := range nums {
					nums[i] = fmt.Sprintf("+4930200000%02d", i)
				}
				e.mustImport(t, "Berlin", nums...)
			}
			for i := range n {
				p := e.mustSignup(t, fmt.Sprintf("batch%d@acme.test", i), "DE", "EUR")
				addr := e.mustAddress(t, p, "DE", "10115")
				e.mustTopUp(t, p, 10_000_000)
				it := billing.ItemInput{Type: "subscription", Plan: "ivr", Quantity: 1, TermMonths: 1, AutoRenew: true}
				if kind == "phone_number" {
					it = billing.ItemInput{Type: "phone_number", Country: "DE", Area: "Berlin"}
				}
				e.mustOrder(t, p, addr, it)
			}
			if err := e.svc.NumberInvoices(ctx); err != nil {
				t.Fatal(err)
			}
			e.clk.Advance(start.AddDate(0, 1, 1).Sub(start))
			var mu sync.Mutex
			var seen []string
			st.OnStatement(func(q string) {
				mu.Lock()
				seen = append(seen, strings.Join(strings.Fields(q), " "))
				mu.Unlock()
			})
			before := st.Statements()
			run := e.svc.RenewBatch
			if kind == "phone_number" {
				run = e.svc.RentBatch
			}
			b, err := run(ctx, store.DueItem{}, n)
			if err != nil {
				t.Fatal(err)
			}
			got := st.Statements() - before
			st.OnStatement(nil)
			if b.Done != n {
				t.Fatalf("batch renewed %d of %d (left %v)", b.Done, n, b.Rest)
			}
			if os.Getenv("DIALTONE_LOG_STATEMENTS") != "" {
				for i, q := range seen {
					if len(q) > 110 {
						q = q[:110] + "…"
					}
					t.Logf("%3d %s", i+1, q)
				}
			}
			per := float64(got) / n
			t.Logf("%s: %d statements for %d renewals, %.1f a renewal", sk, got, n, per)
			if per > ceiling[sk] {
				t.Errorf("%.1f statements a renewal, more than %.1f", per, ceiling[sk])
			}
		})
	}
}
