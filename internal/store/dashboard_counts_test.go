package store_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestNumberCountsEqualRecount: after a random history of sales, grace,
// quarantine, releases, reservations and retirements (each through the
// store's writes, in transactions of their own or several together, some
// rolled back), the dashboard's counts per country and status
// (number_counts and number_stock, kept on write) equal a full count of
// the numbers table.
func TestNumberCountsEqualRecount(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		rng := rand.New(rand.NewPCG(15, 29))
		countries := []string{"US", "CA", "GB"}
		var ids []string
		must(t, st.Tx(ctx, func(q *store.Q) error {
			fxCustomer(t, q, "cus_1")
			var ns []store.Number
			for i := range 60 {
				c := countries[i%len(countries)]
				id := fmt.Sprintf("num_%02d", i)
				ids = append(ids, id)
				ns = append(ns, store.Number{ID: id, Number: fmt.Sprintf("+1%09d", 212000000+i), Country: c, State: "S", Area: "A",
					Type: "local", Currency: "USD", CreatedAt: tµ})
			}
			_, err := q.InsertNumbers(ctx, ns)
			return err
		}))
		now := tµ
		step := func(q *store.Q) error {
			id := ids[rng.IntN(len(ids))]
			n, err := q.Number(ctx, id)
			if err != nil {
				return err
			}
			switch rng.IntN(7) {
			case 0, 1: // a sale
				if n.Status == store.NumberAvailable {
					return q.ClaimNumber(ctx, id, "cus_1", "", now, now.AddDate(0, 1, 0))
				}
			case 2: // unpaid: grace, then quarantine
				switch n.Status {
				case store.NumberActive:
					g := now.Add(72 * time.Hour)
					n.Status, n.GraceUntil = store.NumberGrace, &g
					return q.UpdateNumberLifecycle(ctx, n)
				case store.NumberGrace:
					qu := now.Add(time.Duration(rng.IntN(48)) * time.Hour)
					n.Status, n.CustomerID, n.GraceUntil, n.QuarantineUntil = store.NumberQuarantine, "", nil, &qu
					return q.UpdateNumberLifecycle(ctx, n)
				}
			case 3: // paid in grace, or released at once
				switch n.Status {
				case store.NumberGrace:
					n.Status, n.GraceUntil = store.NumberActive, nil
					return q.UpdateNumberLifecycle(ctx, n)
				case store.NumberActive:
					qu := now.Add(24 * time.Hour)
					n.Status, n.CustomerID, n.QuarantineUntil = store.NumberQuarantine, "", &qu
					return q.UpdateNumberLifecycle(ctx, n)
				}
			case 4: // quarantines end
				now = now.Add(12 * time.Hour)
				_, err := q.EndQuarantines(ctx, now, 1+rng.IntN(5))
				return err
			case 5: // the operator reserves or frees
				switch n.Status {
				case store.NumberAvailable, store.NumberQuarantine:
					_, err := q.SetNumberStatus(ctx, id, []string{n.Status}, store.NumberReserved)
					return err
				case store.NumberReserved:
					_, err := q.SetNumberStatus(ctx, id, []string{n.Status}, store.NumberAvailable)
					return err
				}
			case 6: // retires, rarely
				if n.Status == store.NumberAvailable && rng.IntN(4) == 0 {
					_, err := q.SetNumberStatus(ctx, id, []string{n.Status}, store.NumberRetired)
					return err
				}
			}
			return nil
		}
		seen := map[string]bool{}
		check := func(when string) []store.NumberCount {
			t.Helper()
			got, err := st.Read().NumberCounts(ctx)
			must(t, err)
			var want []store.NumberCount
			rows, err := st.DB().QueryContext(ctx, `SELECT country, status, COUNT(*) FROM numbers GROUP BY country, status ORDER BY 1, 2`)
			must(t, err)
			for rows.Next() {
				var c store.NumberCount
				must(t, rows.Scan(&c.Country, &c.Status, &c.Count))
				want = append(want, c)
				seen[c.Status] = true
			}
			rows.Close()
			eq(t, "kept counts = a recount, "+when, got, want)
			return got
		}
		for i := range 150 {
			if i%10 == 0 {
				check(fmt.Sprintf("after %d transactions", i))
			}
			k, rollback := 1+rng.IntN(4), rng.IntN(6) == 0
			err := st.Tx(ctx, func(q *store.Q) error {
				for range k {
					if err := step(q); err != nil {
						return err
					}
				}
				if rollback {
					return errRollback
				}
				return nil
			})
			if err != nil && err != errRollback {
				t.Fatal(err)
			}
		}
		got := check("at the end")
		for _, s := range []string{store.NumberActive, store.NumberGrace, store.NumberQuarantine, store.NumberReserved, store.NumberAvailable} {
			if !seen[s] {
				t.Errorf("the history never left a number %s", s)
			}
		}
		// A rebuild makes the same counts.
		must(t, st.Tx(ctx, func(q *store.Q) error { return q.RebuildNumberStock(ctx) }))
		again, err := st.Read().NumberCounts(ctx)
		must(t, err)
		eq(t, "rebuilt", again, got)
	})
}
