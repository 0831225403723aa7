package billing_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// checkNumberStock asserts that number_stock holds, for every group of the
// cascade, the count of available numbers of the numbers table, and that
// number_grams indexes exactly the available numbers (with their group).
func checkNumberStock(t *testing.T, st *store.Store, step string) {
	t.Helper()
	lines := func(query string) []string { t.Helper(); return storetest.Column(t, st, query) }
	kept := lines(`SELECT country || '|' || state || '|' || area || '|' || type || '|' || currency || '|' || CAST(available AS TEXT)
		FROM number_stock WHERE available <> 0 ORDER BY 1`)
	counted := lines(`SELECT country || '|' || state || '|' || area || '|' || type || '|' || currency || '|' || CAST(COUNT(*) AS TEXT)
		FROM numbers WHERE status = 'available' GROUP BY country, state, area, type, currency ORDER BY 1`)
	if !slices.Equal(kept, counted) {
		t.Errorf("%s: number_stock\n  %s\nwant the count of available numbers\n  %s", step, strings.Join(kept, "\n  "), strings.Join(counted, "\n  "))
	}
	indexed := lines(`SELECT DISTINCT g.number FROM number_grams g WHERE NOT EXISTS (SELECT 1 FROM numbers n WHERE n.number = g.number
		AND n.status = 'available' AND n.country = g.country AND n.state = g.state AND n.area = g.area AND n.type = g.type) ORDER BY 1`)
	missing := lines(`SELECT n.number FROM numbers n WHERE n.status = 'available'
		AND NOT EXISTS (SELECT 1 FROM number_grams g WHERE g.number = n.number) ORDER BY 1`)
	if len(indexed) > 0 || len(missing) > 0 {
		t.Errorf("%s: number_grams indexes %v that are not available, and misses available %v", step, indexed, missing)
	}
}

// TestNumberStockEveryStep: number_stock and number_grams equal the count
// of available numbers after every step of a number's life — import,
// order, monthly rental, release, quarantine, its end, ordered again, a
// rental that lapses through the grace into release, and the end of that
// quarantine. (The end of a quarantine used to count the number in a group
// without its currency, so the number's own group was never restored and
// ordering it again broke CHECK (available >= 0).)
func TestNumberStockEveryStep(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newRentalWorld(t, st, 1)
		checkNumberStock(t, st, "imported and ordered")
		w.mustImport(t, "Berlin", "+493020000001", "+493020000002")
		checkNumberStock(t, st, "imported more")
		w.runAt(t, at(2, 28))
		w.check(t, "first month", market.NumberActive, at(3, 31), 100)
		checkNumberStock(t, st, "first month")

		if err := w.svc.ReleaseNumber(ctx, w.p, w.num); err != nil {
			t.Fatal(err)
		}
		checkNumberStock(t, st, "released")
		free := at(2, 28).Add(billing.NumberQuarantine)
		w.runAt(t, free.Add(-time.Minute))
		checkNumberStock(t, st, "in quarantine")
		w.runAt(t, free)
		w.check(t, "for sale again", market.NumberAvailable, time.Time{}, 100)
		checkNumberStock(t, st, "quarantine over")

		// Ordered again, by the number (the other two are free too).
		if _, err := w.svc.AdjustBalance(ctx, w.p.CustomerID, billing.AdjustmentInput{Amount: raceTotal, Reason: "credit"}); err != nil {
			t.Fatal(err)
		}
		addr := w.mustAddress(t, w.p, "DE", "10115")
		o := w.mustOrder(t, w.p, addr, billing.ItemInput{Type: "phone_number", Number: "+493020000000"})
		if o.Lines[0].NumberID != w.num {
			t.Fatalf("ordered %s, want %s again", o.Lines[0].NumberID, w.num)
		}
		checkNumberStock(t, st, "ordered again")

		// Its next month is not covered: grace, then release, then free.
		renews := market.AddMonths(free, 1)
		w.check(t, "held again", market.NumberActive, renews, 100)
		w.runAt(t, renews)
		w.check(t, "grace", market.NumberGrace, renews, 100)
		checkNumberStock(t, st, "grace")
		w.runAt(t, renews.Add(billing.NumberGrace))
		checkNumberStock(t, st, "released after the grace")
		w.runAt(t, renews.Add(billing.NumberGrace).Add(billing.NumberQuarantine))
		w.check(t, "for sale once more", market.NumberAvailable, time.Time{}, 100)
		checkNumberStock(t, st, "second quarantine over")
		if cs, err := st.Read().NumberCountries(ctx, "EUR"); err != nil || len(cs) != 1 || cs[0].Available != 3 {
			t.Errorf("EUR countries = %+v, %v; want DE with 3 free", cs, err)
		}
	})
}
