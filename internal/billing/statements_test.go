package billing_test

import (
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestOrderStatements counts the statements of one balance-paid order
// (the second of its customer, as in ../shared/perf/orders), per store,
// and holds the count to a ceiling so that the order path does not grow
// again unseen. DIALTONE_LOG_STATEMENTS=1 logs each.
func TestOrderStatements(t *testing.T) {
	ceiling := map[string]int64{"sqlite": 21, "postgres": 24} // 28 and 28 before issue 18; PostgreSQL's counts the numbering pass of its invoice
	for _, kind := range storetest.Kinds(t) {
		t.Run(kind, func(t *testing.T) {
			st := storetest.Open(t, kind)
			e := newEnv(t, st)
			p := e.mustSignup(t, "count@acme.test", "DE", "EUR")
			addr := e.mustAddress(t, p, "DE", "10115")
			e.mustTopUp(t, p, 10_000_000)
			it := billing.ItemInput{Type: "subscription", Plan: "ivr", Quantity: 1, TermMonths: 1}
			e.mustOrder(t, p, addr, it)
			// The first order's invoice may still be numbered behind its
			// answer (PostgreSQL's sequencer): let that pass end first.
			if err := e.svc.NumberInvoices(ctx); err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			var seen []string
			st.OnStatement(func(q string) {
				mu.Lock()
				seen = append(seen, strings.Join(strings.Fields(q), " "))
				mu.Unlock()
			})
			before := st.Statements()
			e.mustOrder(t, p, addr, it)
			// And this one's pass, counted with it: the order's work is its
			// transaction and the numbering of its invoice.
			if err := e.svc.NumberInvoices(ctx); err != nil {
				t.Fatal(err)
			}
			n := st.Statements() - before
			st.OnStatement(nil)
			if os.Getenv("DIALTONE_LOG_STATEMENTS") != "" {
				for i, q := range seen {
					if len(q) > 110 {
						q = q[:110] + "…"
					}
					t.Logf("%2d %s", i+1, q)
				}
			}
			t.Logf("%s: %d statements per balance-paid order", kind, n)
			if n > ceiling[kind] {
				t.Errorf("%d statements per order, more than %d", n, ceiling[kind])
			}
		})
	}
}
