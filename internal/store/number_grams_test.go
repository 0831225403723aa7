package store_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestContainsFindsRarePatterns: a pattern that only a few numbers deep in
// a large country contain is found at every scope, in number order; a
// number that is sold or in quarantine is not, and one whose quarantine
// ended is again. (The search used to read only the first 8,000 free
// numbers of the scope.)
func TestContainsFindsRarePatterns(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		loadNumbers(t, st, 0) // the holder customer
		var ns []market.Number
		add := func(num, area, typ string) {
			ns = append(ns, market.Number{ID: "num_" + num[1:], Number: num, Country: "DE", Area: area, Type: typ,
				SetupAmount: 100, MonthlyAmount: 200, Currency: "EUR", CreatedAt: t0})
		}
		for i := 0; i < 20_000; i++ {
			add(fmt.Sprintf("+49302%06d", i), "Berlin", "local") // +49302000000 ... +49302019999
		}
		add("+49303098765", "Berlin", "local")
		add("+49401198765", "Hamburg", "local")
		add("+49891298765", "München", "mobile")
		add("+49892298765", "München", "local")
		err := st.Tx(ctx, func(q *store.Q) error {
			_, err := q.InsertNumbers(ctx, ns)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		search := func(s store.NumberSearch) []string {
			t.Helper()
			got, err := st.Read().AvailableNumbers(ctx, s)
			if err != nil {
				t.Fatalf("%+v: %v", s, err)
			}
			var out []string
			for _, n := range got {
				out = append(out, n.Number)
			}
			return out
		}
		check := func(name string, s store.NumberSearch, want ...string) {
			t.Helper()
			if got := search(s); !slices.Equal(got, want) {
				t.Errorf("%s %+v:\n got %v\nwant %v", name, s, got, want)
			}
		}
		check("country", store.NumberSearch{Country: "DE", Contains: "98765"}, "+49303098765", "+49401198765", "+49891298765", "+49892298765")
		check("area", store.NumberSearch{Country: "DE", Area: "München", Contains: "98765"}, "+49891298765", "+49892298765")
		check("type", store.NumberSearch{Country: "DE", Type: "mobile", Contains: "98765"}, "+49891298765")
		check("area and type", store.NumberSearch{Country: "DE", Area: "München", Type: "local", Contains: "298765"}, "+49892298765")
		check("limit", store.NumberSearch{Country: "DE", Contains: "98765", Limit: 2}, "+49303098765", "+49401198765")
		check("absent", store.NumberSearch{Country: "DE", Contains: "55555"})
		check("other country", store.NumberSearch{Country: "AT", Contains: "98765"})
		check("deep common run", store.NumberSearch{Country: "DE", Contains: "19999"}, "+49302019999")

		// Sell one, quarantine another, and end the quarantine.
		err = st.Tx(ctx, func(q *store.Q) error {
			if err := q.ClaimNumber(ctx, "num_49401198765", "cus_holder", "", t0, t0.AddDate(0, 1, 0)); err != nil {
				return err
			}
			if err := q.ClaimNumber(ctx, "num_49891298765", "cus_holder", "", t0, t0.AddDate(0, 1, 0)); err != nil {
				return err
			}
			until := t0.Add(time.Hour)
			return q.UpdateNumberLifecycle(ctx, market.Number{ID: "num_49891298765", Status: market.NumberQuarantine, QuarantineUntil: &until})
		})
		if err != nil {
			t.Fatal(err)
		}
		check("after sales", store.NumberSearch{Country: "DE", Contains: "98765"}, "+49303098765", "+49892298765")
		err = st.Tx(ctx, func(q *store.Q) error { _, err := q.EndQuarantines(ctx, t0.Add(2*time.Hour), 10); return err })
		if err != nil {
			t.Fatal(err)
		}
		check("after the quarantine", store.NumberSearch{Country: "DE", Contains: "98765"}, "+49303098765", "+49891298765", "+49892298765")

		// Importing numbers again (two of them already there) counts only
		// the new one's runs.
		err = st.Tx(ctx, func(q *store.Q) error {
			_, err := q.InsertNumbers(ctx, []market.Number{ns[0], ns[len(ns)-1], {ID: "num_new", Number: "+49301198765",
				Country: "DE", Area: "Berlin", Type: "local", SetupAmount: 100, MonthlyAmount: 200, Currency: "EUR", CreatedAt: t0}})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		check("after an import", store.NumberSearch{Country: "DE", Contains: "98765"}, "+49301198765", "+49303098765", "+49891298765", "+49892298765")

		// The index and the counts, kept in step with each change, equal
		// what a rebuild makes of the numbers table.
		dump := func() string {
			t.Helper()
			var sb strings.Builder
			for _, query := range []string{
				`SELECT gram || ' ' || country || ' ' || number || ' ' || state || ' ' || area || ' ' || type FROM number_grams ORDER BY 1`,
				`SELECT country || ' ' || gram || ' ' || CAST(numbers AS TEXT) FROM number_gram_counts ORDER BY 1`,
			} {
				rows, err := st.DB().QueryContext(ctx, query)
				if err != nil {
					t.Fatal(err)
				}
				for rows.Next() {
					var line string
					if err := rows.Scan(&line); err != nil {
						t.Fatal(err)
					}
					sb.WriteString(line + "\n")
				}
				rows.Close()
			}
			return sb.String()
		}
		kept := dump()
		if !strings.Contains(kept, "DE 9876 7\n") || !strings.Contains(kept, "DE 3020 20000\n") {
			t.Errorf("run counts: want 9876 in 7 numbers (sold ones too) and 3020 in 20,000")
		}
		err = st.Tx(ctx, func(q *store.Q) error { return q.RebuildNumberStock(ctx) })
		if err != nil {
			t.Fatal(err)
		}
		if rebuilt := dump(); rebuilt != kept {
			t.Errorf("the index kept in step (%d bytes) differs from a rebuild (%d bytes)", len(kept), len(rebuilt))
		}
		check("after a rebuild", store.NumberSearch{Country: "DE", Contains: "98765"}, "+49301198765", "+49303098765", "+49891298765", "+49892298765")
	})
}

// TestContainsMatchesScan compares contains searches of random patterns of
// one to six digits, at random scopes, with a plain filter of the
// inventory.
func TestContainsMatchesScan(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		rows := loadNumbers(t, st, 3_000)
		r := rand.New(rand.NewPCG(3, 4))
		for i := 0; i < 150; i++ {
			base := rows[r.IntN(len(rows))]
			n := 1 + r.IntN(6)
			digits := base.Number[1:]
			at := r.IntN(len(digits) - n + 1)
			pattern := digits[at : at+n]
			if i%5 == 0 {
				pattern = fmt.Sprintf("%0*d", n, r.IntN(1_000_000)%pow10(n)) // maybe nowhere
			}
			s := store.NumberSearch{Country: base.Country, Contains: pattern, Limit: 1 + r.IntN(40)}
			switch r.IntN(4) {
			case 1:
				s.Area, s.State = base.Area, base.State
			case 2:
				s.Type = base.Type
			case 3:
				s.State = base.State
			}
			var want []string
			for _, x := range rows {
				if !strings.HasSuffix(x.Number, soldSuffix) && x.Country == s.Country && (s.State == "" || x.State == s.State) &&
					(s.Area == "" || x.Area == s.Area) && (s.Type == "" || x.Type == s.Type) && strings.Contains(x.Number, s.Contains) {
					want = append(want, x.Number)
				}
			}
			slices.Sort(want)
			want = want[:min(len(want), s.Limit)]
			got, err := st.Read().AvailableNumbers(ctx, s)
			if err != nil {
				t.Fatalf("%+v: %v", s, err)
			}
			var nums []string
			for _, x := range got {
				nums = append(nums, x.Number)
			}
			if !slices.Equal(nums, want) {
				t.Errorf("%+v:\n got %v\nwant %v", s, nums, want)
			}
		}
	})
}

func pow10(n int) int {
	p := 1
	for range n {
		p *= 10
	}
	return p
}
