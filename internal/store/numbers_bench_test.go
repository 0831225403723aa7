package store_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/inventory"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// benchNumbersEnv sets the inventory size of BenchmarkNumberSearch
// (default 100,000; the figures in docs/BENCHMARKS.md use 1,000,000).
const benchNumbersEnv = "DIALTONE_BENCH_NUMBERS"

// soldSuffix marks the numbers loadNumbers sells: those ending in 7, a
// tenth of the inventory, scattered over every range of the index.
const soldSuffix = "7"

// loadNumbers fills st with n numbers from inventory.Generate in one
// transaction of multi-row INSERTs, sells a tenth of them to one customer,
// and returns the rows.
func loadNumbers(tb testing.TB, st *store.Store, n int) []inventory.Row {
	tb.Helper()
	rows := inventory.Generate(n, 7)
	if st.Dialect() == store.SQLite {
		// The writer's connection with a page cache that holds the
		// indexes while they grow: with the default 2 MB, a million random
		// inserts spill and re-read pages for minutes. Back to the default
		// afterwards, so that searches are measured as the server runs
		// them.
		if err := store.WriterExec(ctx, st, `PRAGMA cache_size = -1000000`); err != nil {
			tb.Fatal(err)
		}
		defer store.WriterExec(ctx, st, `PRAGMA cache_size = -2000`)
	}
	err := st.Tx(ctx, func(q *store.Q) error {
		if err := q.InsertCustomer(ctx, market.Customer{ID: "cus_holder", Company: "Holder", Country: "CH", Currency: "CHF",
			Email: "holder@x.test", CreatedAt: t0}); err != nil {
			return err
		}
		const chunk = 20_000
		ns := make([]market.Number, 0, chunk)
		for start := 0; start < len(rows); start += chunk {
			ns = ns[:0]
			for i, r := range rows[start:min(start+chunk, len(rows))] {
				ns = append(ns, market.Number{ID: "num_" + strconv.Itoa(start+i), Number: r.Number, Country: r.Country, State: r.State,
					Area: r.Area, Type: r.Type, SetupAmount: r.SetupAmount, MonthlyAmount: r.MonthlyAmount, Currency: r.Currency, CreatedAt: t0})
			}
			added, err := q.InsertNumbers(ctx, ns)
			if err != nil {
				return err
			}
			if len(added) != len(ns) {
				return fmt.Errorf("added %d of %d numbers", len(added), len(ns))
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("load %d numbers: %v", n, err)
	}
	// Sell a tenth in one statement, then recount the stock it bypassed.
	_, err = st.DB().ExecContext(ctx, `UPDATE numbers SET status = 'active', customer_id = 'cus_holder',
		purchased_at = $1, renews_at = $2 WHERE number LIKE '%`+soldSuffix+`'`, t0.UnixMicro(), t0.AddDate(1, 0, 0).UnixMicro())
	if err == nil {
		err = st.Tx(ctx, func(q *store.Q) error { return q.RebuildNumberStock(ctx) })
	}
	// Measure the steady state, not the load's aftermath: on PostgreSQL
	// what autovacuum does after a bulk load (statistics, and the
	// visibility map that lets index-only scans skip the heap) and the
	// checkpoint that writes the load out; on SQLite the WAL folded back
	// into the database file.
	if err == nil && st.Dialect() == store.Postgres {
		// Every table: number_grams, rebuilt above, most of all; the
		// server relies on autovacuum for the same.
		_, err = st.DB().ExecContext(ctx, `VACUUM ANALYZE`)
		if err == nil {
			_, err = st.DB().ExecContext(ctx, `CHECKPOINT`)
		}
	}
	if err == nil && st.Dialect() == store.SQLite {
		_, err = st.DB().ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	}
	if err != nil {
		tb.Fatalf("sell numbers: %v", err)
	}
	return rows
}

// searchShape is one kind of question the number pickers ask.
type searchShape struct {
	name string
	run  func(q *store.Q, r *rand.Rand) (int, error)
}

// searchShapes are every supported shape of AvailableNumbers, NumberCountries,
// NumberStates and NumberAreas. Values vary per call (countries, states,
// areas and digits drawn from the inventory), so no shape is measured on a
// single cached answer.
func searchShapes(rows []inventory.Row) []searchShape {
	type area struct{ country, state, area, typ string }
	seen := map[area]bool{}
	var areas []area
	// Customers search in their account's currency: each country's (the
	// generator prices a country in one currency).
	currencyOf := map[string]string{}
	var currencies []string
	for _, r := range rows {
		if _, ok := currencyOf[r.Country]; !ok {
			currencyOf[r.Country] = r.Currency
			if !slices.Contains(currencies, r.Currency) {
				currencies = append(currencies, r.Currency)
			}
		}
		a := area{r.Country, r.State, r.Area, r.Type}
		if !seen[a] {
			seen[a] = true
			areas = append(areas, a)
		}
	}
	var stated []area
	for _, a := range areas {
		if a.state != "" {
			stated = append(stated, a)
		}
	}
	types := []string{inventory.TypeLocal, inventory.TypeMobile, inventory.TypeTollFree}
	pick := func(r *rand.Rand, as []area) area { return as[r.IntN(len(as))] }
	digits := func(r *rand.Rand, n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('0' + r.IntN(10))
		}
		return string(b)
	}
	avail := func(f func(r *rand.Rand) store.NumberSearch) func(q *store.Q, r *rand.Rand) (int, error) {
		return func(q *store.Q, r *rand.Rand) (int, error) {
			s := f(r)
			if s.Currency == "" {
				s.Currency = currencyOf[s.Country]
			}
			ns, err := q.AvailableNumbers(ctx, s)
			return len(ns), err
		}
	}
	facets := func(f func(q *store.Q, r *rand.Rand) ([]market.Facet, error)) func(q *store.Q, r *rand.Rand) (int, error) {
		return func(q *store.Q, r *rand.Rand) (int, error) {
			fs, err := f(q, r)
			return len(fs), err
		}
	}
	return []searchShape{
		{"countries", facets(func(q *store.Q, r *rand.Rand) ([]market.Facet, error) {
			return q.NumberCountries(ctx, currencies[r.IntN(len(currencies))])
		})},
		{"states", facets(func(q *store.Q, r *rand.Rand) ([]market.Facet, error) {
			cc := pick(r, stated).country
			return q.NumberStates(ctx, cc, currencyOf[cc])
		})},
		{"areas/country", facets(func(q *store.Q, r *rand.Rand) ([]market.Facet, error) {
			cc := pick(r, areas).country
			return q.NumberAreas(ctx, cc, "", currencyOf[cc])
		})},
		{"areas/state", facets(func(q *store.Q, r *rand.Rand) ([]market.Facet, error) {
			a := pick(r, stated)
			return q.NumberAreas(ctx, a.country, a.state, currencyOf[a.country])
		})},
		{"available/country", avail(func(r *rand.Rand) store.NumberSearch {
			return store.NumberSearch{Country: pick(r, areas).country}
		})},
		{"available/US", avail(func(r *rand.Rand) store.NumberSearch { return store.NumberSearch{Country: "US"} })},
		{"available/state", avail(func(r *rand.Rand) store.NumberSearch {
			a := pick(r, stated)
			return store.NumberSearch{Country: a.country, State: a.state}
		})},
		{"available/area", avail(func(r *rand.Rand) store.NumberSearch {
			a := pick(r, areas)
			return store.NumberSearch{Country: a.country, State: a.state, Area: a.area}
		})},
		{"available/area-any-state", avail(func(r *rand.Rand) store.NumberSearch {
			a := pick(r, areas)
			return store.NumberSearch{Country: a.country, Area: a.area}
		})},
		{"available/type", avail(func(r *rand.Rand) store.NumberSearch {
			return store.NumberSearch{Country: pick(r, areas).country, Type: types[r.IntN(3)]}
		})},
		{"available/state+type", avail(func(r *rand.Rand) store.NumberSearch {
			a := pick(r, stated)
			return store.NumberSearch{Country: a.country, State: a.state, Type: types[r.IntN(3)]}
		})},
		{"available/area+type", avail(func(r *rand.Rand) store.NumberSearch {
			a := pick(r, areas)
			return store.NumberSearch{Country: a.country, State: a.state, Area: a.area, Type: types[r.IntN(3)]}
		})},
		{"available/limit100", avail(func(r *rand.Rand) store.NumberSearch {
			return store.NumberSearch{Country: pick(r, areas).country, Limit: 100}
		})},
		{"available/none", avail(func(r *rand.Rand) store.NumberSearch { return store.NumberSearch{Country: "FR"} })},
		{"contains3/country", avail(func(r *rand.Rand) store.NumberSearch {
			return store.NumberSearch{Country: pick(r, areas).country, Contains: digits(r, 3)}
		})},
		{"contains4/area", avail(func(r *rand.Rand) store.NumberSearch {
			a := pick(r, areas)
			return store.NumberSearch{Country: a.country, State: a.state, Area: a.area, Contains: digits(r, 4)}
		})},
		{"contains8/area", avail(func(r *rand.Rand) store.NumberSearch {
			a := pick(r, areas)
			return store.NumberSearch{Country: a.country, State: a.state, Area: a.area, Contains: digits(r, 8)}
		})},
		{"contains8/US", avail(func(r *rand.Rand) store.NumberSearch {
			return store.NumberSearch{Country: "US", Contains: digits(r, 8)}
		})},
		{"contains2/country", avail(func(r *rand.Rand) store.NumberSearch {
			return store.NumberSearch{Country: pick(r, areas).country, Contains: digits(r, 2)}
		})},
		{"contains6/country-rare", avail(func(r *rand.Rand) store.NumberSearch {
			// Six digits of a number of the inventory: a pattern that
			// exists, in a handful of numbers anywhere in the country.
			row := rows[r.IntN(len(rows))]
			at := 1 + r.IntN(len(row.Number)-6)
			return store.NumberSearch{Country: row.Country, Contains: row.Number[at : at+6]}
		})},
		{"contains5/state+type", avail(func(r *rand.Rand) store.NumberSearch {
			a := pick(r, stated)
			return store.NumberSearch{Country: a.country, State: a.state, Type: types[r.IntN(3)], Contains: digits(r, 5)}
		})},
	}
}

// BenchmarkNumberSearch measures every search shape of the number pickers
// on an inventory of DIALTONE_BENCH_NUMBERS numbers (a tenth of them sold),
// on each store, and reports the median and 99th percentile per call:
//
//	DIALTONE_BENCH_NUMBERS=1000000 go test -run '^$' -bench NumberSearch -benchtime 1000x ./internal/store/
func BenchmarkNumberSearch(b *testing.B) {
	if testing.Short() {
		b.Skip("loads a large inventory")
	}
	n := 100_000
	if v := os.Getenv(benchNumbersEnv); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			b.Fatalf("%s=%q: want a positive count", benchNumbersEnv, v)
		}
	}
	for _, kind := range storetest.Kinds(b) {
		b.Run(kind, func(b *testing.B) {
			start := time.Now()
			st := storetest.Open(b, kind)
			shapes := searchShapes(loadNumbers(b, st, n))
			b.Logf("%s: loaded %d numbers in %s", kind, n, time.Since(start).Round(time.Millisecond))
			for _, sh := range shapes {
				b.Run(sh.name, func(b *testing.B) { benchShape(b, st, sh) })
			}
		})
	}
}

func benchShape(b *testing.B, st *store.Store, sh searchShape) {
	r := rand.New(rand.NewPCG(1, 2))
	q := st.Read()
	for range 20 { // warm the caches and the prepared statements
		if _, err := sh.run(q, r); err != nil {
			b.Fatal(err)
		}
	}
	times := make([]time.Duration, 0, b.N)
	found := 0
	b.ResetTimer()
	for b.Loop() {
		t := time.Now()
		k, err := sh.run(q, r)
		times = append(times, time.Since(t))
		if err != nil {
			b.Fatal(err)
		}
		found += k
	}
	b.StopTimer()
	slices.Sort(times)
	pct := func(p float64) float64 {
		return float64(times[min(len(times)-1, int(float64(len(times))*p))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(found)/float64(len(times)), "rows/op")
}

// TestNumberSearchMatchesScan checks the searches and facets against a
// plain scan of a small inventory, on both stores, after sales, releases
// and the end of quarantines moved numbers between statuses.
func TestNumberSearchMatchesScan(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		rows := loadNumbers(t, st, 2_000)
		// Move some numbers through the lifecycle with the store's own
		// statements, so number_stock follows them.
		err := st.Tx(ctx, func(q *store.Q) error {
			for i := 0; i < 300; i += 3 {
				id := "num_" + strconv.Itoa(i)
				if strings.HasSuffix(rows[i].Number, soldSuffix) {
					continue
				}
				if err := q.ClaimNumber(ctx, id, "cus_holder", "", t0, t0.AddDate(0, 1, 0)); err != nil {
					return err
				}
				if i%2 == 0 {
					until := t0.Add(time.Duration(i) * time.Hour)
					if err := q.UpdateNumberLifecycle(ctx, market.Number{ID: id, Status: market.NumberQuarantine, QuarantineUntil: &until}); err != nil {
						return err
					}
				}
			}
			_, err := q.EndQuarantines(ctx, t0.Add(100*time.Hour), 1000)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		free := map[string]bool{}
		all, err := st.Read().AdminNumbers(ctx, market.NumberAvailable, store.Page{Limit: 1000})
		for len(all) > 0 && err == nil {
			for _, n := range all {
				free[n.Number] = true
			}
			all, err = st.Read().AdminNumbers(ctx, market.NumberAvailable, store.Page{Limit: 1000, After: all[len(all)-1].Number})
		}
		if err != nil {
			t.Fatal(err)
		}
		checkSearches(t, st, rows, free)
		checkFacets(t, st, rows, free)
	})
}

func checkSearches(t *testing.T, st *store.Store, rows []inventory.Row, free map[string]bool) {
	t.Helper()
	searches := []store.NumberSearch{
		{Country: "US"}, {Country: "DE", Limit: 100}, {Country: "US", State: "NY"}, {Country: "US", Area: "Mobile", Limit: 50},
		{Country: "US", State: "TX", Area: "Mobile"}, {Country: "DE", Area: "Berlin"}, {Country: "CA", Type: "toll_free"},
		{Country: "AU", State: "VIC", Type: "local", Limit: 7}, {Country: "DE", Area: "Berlin", Type: "mobile"}, {Country: "FR"},
		{Country: "US", Contains: "55"}, {Country: "GB", Area: "London", Contains: "3"}, {Country: "CH", Contains: "99999999"},
		{Country: "DE", Limit: 1000},
	}
	for _, s := range searches {
		var want []string
		for _, r := range rows {
			if free[r.Number] && r.Country == s.Country && (s.State == "" || r.State == s.State) && (s.Area == "" || r.Area == s.Area) &&
				(s.Type == "" || r.Type == s.Type) && strings.Contains(r.Number, s.Contains) {
				want = append(want, r.Number)
			}
		}
		slices.Sort(want)
		limit := s.Limit
		if limit == 0 {
			limit = 20
		}
		want = want[:min(len(want), limit, 200)]
		got, err := st.Read().AvailableNumbers(ctx, s)
		if err != nil {
			t.Fatalf("%+v: %v", s, err)
		}
		var nums []string
		for _, n := range got {
			nums = append(nums, n.Number)
			if n.Status != market.NumberAvailable {
				t.Errorf("%+v: %s is %s", s, n.Number, n.Status)
			}
		}
		if !slices.Equal(nums, want) {
			t.Errorf("%+v:\n got %v\nwant %v", s, nums, want)
		}
		// An order's pick inside a transaction sees the same numbers.
		err = st.Tx(ctx, func(q *store.Q) error {
			picked, err := q.PickAvailableNumbers(ctx, s)
			if err != nil {
				return err
			}
			if len(picked) != len(got) || (len(got) > 0 && picked[0].Number != got[0].Number) {
				t.Errorf("%+v: picked %d numbers, searched %d", s, len(picked), len(got))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func checkFacets(t *testing.T, st *store.Store, rows []inventory.Row, free map[string]bool) {
	t.Helper()
	countries, states, areasUS, areasNY := map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	for _, r := range rows {
		k := 0
		if free[r.Number] {
			k = 1
		}
		countries[r.Country] += k
		if r.Country == "US" && k == 1 {
			states[r.State]++
			areasUS[r.Area]++
			if r.State == "NY" {
				areasNY[r.Area]++
			}
		}
	}
	q := st.Read()
	for _, c := range []struct {
		name string
		f    func() ([]market.Facet, error)
		want map[string]int
	}{
		{"countries", func() ([]market.Facet, error) { return q.NumberCountries(ctx, "") }, countries},
		{"US states", func() ([]market.Facet, error) { return q.NumberStates(ctx, "US", "") }, states},
		{"US areas", func() ([]market.Facet, error) { return q.NumberAreas(ctx, "US", "", "") }, areasUS},
		{"NY areas", func() ([]market.Facet, error) { return q.NumberAreas(ctx, "US", "NY", "") }, areasNY},
	} {
		fs, err := c.f()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, f := range fs {
			got[f.Value] = f.Available
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}
