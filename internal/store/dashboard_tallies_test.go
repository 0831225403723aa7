package store_test

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// Contract: the dashboard's tallies (tallies.go).
func init() {
	sale := func(t *testing.T, q *store.Q, id, number string) {
		must(t, q.InsertNumber(ctx, market.Number{ID: id, Number: number, Country: "US", State: "S", Area: "A", Type: "local",
			Currency: "USD", CreatedAt: tµ}))
		must(t, q.ClaimNumber(ctx, id, "cus_1", "", tµ, tµ.AddDate(0, 1, 0)))
	}
	addContract(map[string]contractCase{
		// Two transactions that lock two customers in opposite orders: on
		// PostgreSQL one is chosen as the deadlock's victim and Tx runs it
		// again, counted; both commit. SQLite retries nothing.
		"Store.Retries": func(t *testing.T, st *store.Store) {
			before := st.Retries()
			if st.Dialect() != store.Postgres {
				_ = st.Tx(ctx, func(q *store.Q) error { return errRollback })
				eq(t, "retries", st.Retries()-before, int64(0))
				return
			}
			must(t, st.Tx(ctx, func(q *store.Q) error {
				fxCustomer(t, q, "cus_retry1")
				fxCustomer(t, q, "cus_retry2")
				return nil
			}))
			first := [2]chan struct{}{make(chan struct{}), make(chan struct{})}
			var once [2]sync.Once
			errs := make(chan error, 2)
			for i, ids := range [2][2]string{{"cus_retry1", "cus_retry2"}, {"cus_retry2", "cus_retry1"}} {
				go func() {
					errs <- st.Tx(ctx, func(q *store.Q) error {
						if _, err := q.LockCustomer(ctx, ids[0]); err != nil {
							return err
						}
						// The first attempts wait for each other's first lock.
						once[i].Do(func() {
							close(first[i])
							<-first[1-i]
						})
						_, err := q.LockCustomer(ctx, ids[1])
						return err
					})
				}()
			}
			must(t, <-errs)
			must(t, <-errs)
			if st.Retries()-before < 1 {
				t.Errorf("retries: %d, want at least 1", st.Retries()-before)
			}
		},
		"Q.LooseTallies": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			base, err := q.LooseTallies(ctx)
			must(t, err)
			sale(t, q, "num_1", "+12120000001")
			sale(t, q, "num_2", "+12120000002")
			loose, err := q.LooseTallies(ctx)
			must(t, err)
			eq(t, "two sales of a country: a row each, one key", loose-base, 1)
		},
		"Q.CompactTallies": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxPlan(t, q, "p1")
			for i, num := range []string{"+12120000001", "+12120000002", "+12120000003"} {
				sale(t, q, fmt.Sprintf("num_%d", i), num)
			}
			s := fxSub(t, q, "cus_1", "sub_1", "p1", tµ)
			for seq := 2; seq <= 3; seq++ {
				start := tµ.AddDate(0, seq-2, 0)
				must(t, q.InsertPeriod(ctx, s.ID, market.Period{Seq: seq, Start: start, End: start.AddDate(0, 1, 0), Plan: "p1",
					Quantity: 1, UnitAmount: 1000, TermMonths: 1}))
			}
			must(t, q.DeletePeriod(ctx, s.ID, 3)) // its day's rows sum to zero
			counts, err := q.NumberCounts(ctx)
			must(t, err)
			months := []time.Time{time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)}
			moves, err := q.SubscriptionMovements(ctx, months)
			must(t, err)
			eq(t, "renewed in May", moves[0].Renewed, 1)
			loose, err := q.LooseTallies(ctx)
			must(t, err)
			removed, err := q.CompactTallies(ctx)
			must(t, err)
			eq(t, "removed", removed, loose+1) // and the day that sums to zero
			again, err := q.NumberCounts(ctx)
			must(t, err)
			eq(t, "counts after", again, counts)
			removed, err = q.CompactTallies(ctx)
			must(t, err)
			eq(t, "removed again", removed, 0)
			movesAfter, err := q.SubscriptionMovements(ctx, months)
			must(t, err)
			eq(t, "movements after", movesAfter, moves)
		},
	})
}

// TestNumberCountsEqualRecount: after a random history of sales, grace,
// quarantine, releases, reservations and retirements (each through the
// store's writes, in transactions of their own or several together, some
// rolled back) and compactions of the tallies (between the writes of a
// transaction too), the dashboard's counts per country and status
// (number_tally and number_stock, kept on write) equal a full count of
// the numbers table.
func TestNumberCountsEqualRecount(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		rng := rand.New(rand.NewPCG(15, 29))
		countries := []string{"US", "CA", "GB"}
		var ids []string
		must(t, st.Tx(ctx, func(q *store.Q) error {
			fxCustomer(t, q, "cus_1")
			var ns []market.Number
			for i := range 60 {
				c := countries[i%len(countries)]
				id := fmt.Sprintf("num_%02d", i)
				ids = append(ids, id)
				ns = append(ns, market.Number{ID: id, Number: fmt.Sprintf("+1%09d", 212000000+i), Country: c, State: "S", Area: "A",
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
			switch rng.IntN(8) {
			case 7: // the tallies folded
				_, err := q.CompactTallies(ctx)
				return err
			case 0, 1: // a sale
				if n.Status == market.NumberAvailable {
					return q.ClaimNumber(ctx, id, "cus_1", "", now, now.AddDate(0, 1, 0))
				}
			case 2: // unpaid: grace, then quarantine
				switch n.Status {
				case market.NumberActive:
					g := now.Add(72 * time.Hour)
					n.Status, n.GraceUntil = market.NumberGrace, &g
					return q.UpdateNumberLifecycle(ctx, n)
				case market.NumberGrace:
					qu := now.Add(time.Duration(rng.IntN(48)) * time.Hour)
					n.Status, n.CustomerID, n.GraceUntil, n.QuarantineUntil = market.NumberQuarantine, "", nil, &qu
					return q.UpdateNumberLifecycle(ctx, n)
				}
			case 3: // paid in grace, or released at once
				switch n.Status {
				case market.NumberGrace:
					n.Status, n.GraceUntil = market.NumberActive, nil
					return q.UpdateNumberLifecycle(ctx, n)
				case market.NumberActive:
					qu := now.Add(24 * time.Hour)
					n.Status, n.CustomerID, n.QuarantineUntil = market.NumberQuarantine, "", &qu
					return q.UpdateNumberLifecycle(ctx, n)
				}
			case 4: // quarantines end
				now = now.Add(12 * time.Hour)
				_, err := q.EndQuarantines(ctx, now, 1+rng.IntN(5))
				return err
			case 5: // the operator reserves or frees
				switch n.Status {
				case market.NumberAvailable, market.NumberQuarantine:
					_, err := q.SetNumberStatus(ctx, id, []string{n.Status}, market.NumberReserved)
					return err
				case market.NumberReserved:
					_, err := q.SetNumberStatus(ctx, id, []string{n.Status}, market.NumberAvailable)
					return err
				}
			case 6: // retires, rarely
				if n.Status == market.NumberAvailable && rng.IntN(4) == 0 {
					_, err := q.SetNumberStatus(ctx, id, []string{n.Status}, market.NumberRetired)
					return err
				}
			}
			return nil
		}
		seen := map[string]bool{}
		check := func(when string) []market.NumberCount {
			t.Helper()
			got, err := st.Read().NumberCounts(ctx)
			must(t, err)
			var want []market.NumberCount
			rows, err := st.DB().QueryContext(ctx, `SELECT country, status, COUNT(*) FROM numbers GROUP BY country, status ORDER BY 1, 2`)
			must(t, err)
			for rows.Next() {
				var c market.NumberCount
				must(t, rows.Scan(&c.Country, &c.Status, &c.Count))
				want = append(want, c)
				seen[c.Status] = true
			}
			rows.Close()
			eq(t, "kept counts = a recount, "+when, got, want)
			return got
		}
		randomHistory(t, st, rng, 150, 4, step, func(i int) {
			if i%10 == 0 {
				check(fmt.Sprintf("after %d transactions", i))
			}
		})
		got := check("at the end")
		for _, s := range []string{market.NumberActive, market.NumberGrace, market.NumberQuarantine, market.NumberReserved, market.NumberAvailable} {
			if !seen[s] {
				t.Errorf("the history never left a number %s", s)
			}
		}
		// A compaction, then a rebuild make the same counts; the first
		// leaves a row per key, a second one nothing to do.
		before, err := st.Read().LooseTallies(ctx)
		must(t, err)
		var removed int
		must(t, st.Tx(ctx, func(q *store.Q) (err error) { removed, err = q.CompactTallies(ctx); return err }))
		eq(t, "rows removed = loose rows", removed, before)
		folded, err := st.Read().NumberCounts(ctx)
		must(t, err)
		eq(t, "compacted", folded, got)
		loose, err := st.Read().LooseTallies(ctx)
		must(t, err)
		eq(t, "loose rows after a compaction", loose, 0)
		must(t, st.Tx(ctx, func(q *store.Q) error { return q.RebuildNumberStock(ctx) }))
		again, err := st.Read().NumberCounts(ctx)
		must(t, err)
		eq(t, "rebuilt", again, got)
	})
}

// TestRenewalDaysEqualRecount: after a random history of renewals (each a
// period inserted), revoked renewals (a period deleted, periods cut at a
// moment), expiries, cancellations and compactions of the tallies, some
// transactions rolled back, the dashboard's subscriptions per month
// (renewals from renewal_tally, kept on write) equal a count of the
// tables.
func TestRenewalDaysEqualRecount(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		rng := rand.New(rand.NewPCG(15, 36))
		start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		bounds := make([]time.Time, 13)
		for i := range bounds {
			bounds[i] = start.AddDate(0, i, 0)
		}
		type sub struct {
			id  string
			seq int
			end time.Time
		}
		var subs []*sub
		must(t, st.Tx(ctx, func(q *store.Q) error {
			fxCustomer(t, q, "cus_1")
			fxPlan(t, q, "p1")
			for i := range 12 {
				s := &sub{id: fmt.Sprintf("sub_%02d", i), seq: 1,
					end: start.Add(time.Duration(rng.IntN(60*24)) * time.Hour).Add(time.Duration(rng.IntN(3600)) * time.Second)}
				fxSub(t, q, "cus_1", s.id, "p1", s.end)
				subs = append(subs, s)
			}
			return nil
		}))
		step := func(q *store.Q) error {
			s := subs[rng.IntN(len(subs))]
			switch rng.IntN(7) {
			case 6: // the tallies folded
				_, err := q.CompactTallies(ctx)
				return err
			case 0, 1, 2: // a renewal: 1 to 40 days
				next := s.end.Add(time.Duration(24+rng.IntN(40*24)) * time.Hour)
				if err := q.InsertPeriod(ctx, s.id, market.Period{Seq: s.seq + 1, Start: s.end, End: next, Plan: "p1", Quantity: 1,
					UnitAmount: 1000, TermMonths: 1}); err != nil {
					return err
				}
				s.seq, s.end = s.seq+1, next
			case 3: // the last renewal revoked
				if s.seq > 1 {
					return q.DeletePeriod(ctx, s.id, s.seq)
				}
			case 4: // ended at a moment: later periods go
				if s.seq > 2 {
					return q.EndPeriodsAt(ctx, s.id, s.end.Add(-time.Duration(rng.IntN(60*24))*time.Hour))
				}
			case 5: // expires or is canceled
				m, err := q.Subscription(ctx, "cus_1", s.id)
				if err != nil {
					return err
				}
				m.Status = market.Status([]string{"expired", "canceled"}[rng.IntN(2)])
				return q.UpdateSubscription(ctx, m, s.end)
			}
			return nil
		}
		resync := func() {
			// A revoked period changes what comes next: read each
			// subscription's last period again.
			for _, s := range subs {
				row := st.DB().QueryRowContext(ctx, `SELECT seq, end_at FROM periods WHERE subscription_id = $1 ORDER BY seq DESC LIMIT 1`, s.id)
				var end int64
				if err := row.Scan(&s.seq, &end); err != nil {
					s.seq, end = 1, 0
				}
				if end != 0 {
					s.end = time.UnixMicro(end).UTC()
				}
			}
		}
		check := func(when string) {
			t.Helper()
			got, err := st.Read().SubscriptionMovements(ctx, bounds)
			must(t, err)
			want := make([]market.SubscriptionMonth, len(bounds)-1)
			for i := range want {
				from, to := bounds[i].UnixMicro(), bounds[i+1].UnixMicro()
				for _, c := range []struct {
					query string
					dst   *int
				}{
					{`SELECT COUNT(*) FROM subscriptions WHERE created_at >= $1 AND created_at < $2`, &want[i].New},
					{`SELECT COUNT(*) FROM periods WHERE seq > 1 AND start_at >= $1 AND start_at < $2`, &want[i].Renewed},
					{`SELECT COUNT(*) FROM subscriptions WHERE status = 'expired' AND expires_at >= $1 AND expires_at < $2`, &want[i].Expired},
					{`SELECT COUNT(*) FROM subscriptions WHERE status = 'canceled' AND updated_at >= $1 AND updated_at < $2`, &want[i].Canceled},
				} {
					must(t, st.DB().QueryRowContext(ctx, c.query, from, to).Scan(c.dst))
				}
			}
			eq(t, "kept counts = a recount, "+when, got, want)
			// Bounds off midnight count the periods themselves.
			off := make([]time.Time, len(bounds))
			for i, b := range bounds {
				off[i] = b.Add(time.Second)
			}
			_, err = st.Read().SubscriptionMovements(ctx, off)
			must(t, err)
		}
		renewed := 0
		randomHistory(t, st, rng, 120, 3, step, func(i int) {
			resync()
			if i%15 == 0 {
				check(fmt.Sprintf("after %d transactions", i))
			}
		})
		check("at the end")
		must(t, st.Tx(ctx, func(q *store.Q) error { _, err := q.CompactTallies(ctx); return err }))
		check("compacted")
		got, err := st.Read().SubscriptionMovements(ctx, bounds)
		must(t, err)
		for _, m := range got {
			renewed += m.Renewed
		}
		if renewed < 20 {
			t.Errorf("only %d renewals in the year", renewed)
		}
	})
}

// randomHistory runs n transactions of 1 to most steps each, one in six
// rolled back, calling before(i) before the i-th.
func randomHistory(t *testing.T, st *store.Store, rng *rand.Rand, n, most int, step func(*store.Q) error, before func(i int)) {
	t.Helper()
	for i := range n {
		before(i)
		k, rollback := 1+rng.IntN(most), rng.IntN(6) == 0
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
}
