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
	const n = 20
	ceiling := map[string]float64{"sqlite": 30, "postgres": 30}
	for _, kind := range storetest.Kinds(t) {
		t.Run(kind, func(t *testing.T) {
			st := storetest.Open(t, kind)
			e := newEnv(t, st)
			for i := range n {
				p := e.mustSignup(t, fmt.Sprintf("batch%d@acme.test", i), "DE", "EUR")
				addr := e.mustAddress(t, p, "DE", "10115")
				e.mustTopUp(t, p, 10_000_000)
				e.mustOrder(t, p, addr, billing.ItemInput{Type: "subscription", Plan: "ivr", Quantity: 1, TermMonths: 1, AutoRenew: true})
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
			b, err := e.svc.RenewBatch(ctx, store.DueItem{}, n)
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
			t.Logf("%s: %d statements for %d renewals, %.1f a renewal", kind, got, n, per)
			if per > ceiling[kind] {
				t.Errorf("%.1f statements a renewal, more than %.1f", per, ceiling[kind])
			}
		})
	}
}
