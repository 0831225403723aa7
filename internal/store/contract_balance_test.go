package store_test

import (
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
)

// Contract: balance settings (low-balance notice, automatic top-up) and
// the price list of numbers in further currencies.
func init() {
	i64 := func(v int64) *int64 { return &v }
	adjust := func(t *testing.T, q *store.Q, id string, amount int64) {
		t.Helper()
		must(t, q.Post(ctx, market.LedgerTx{ID: id, CustomerID: "cus_1", Kind: "adjustment", Description: "d", Currency: "CHF",
			CreatedAt: tµ, Postings: []market.Posting{{Account: market.BalanceAccount("cus_1"), Amount: amount},
				{Account: market.SystemAccount("adjustments", "CHF"), Amount: -amount}}}))
	}
	lows := func(t *testing.T, q *store.Q) int {
		t.Helper()
		ns, err := q.Notifications(ctx, "cus_1", store.Page{})
		must(t, err)
		n := 0
		for _, x := range ns {
			if x.Type == "balance_low" {
				n++
			}
		}
		return n
	}
	addContract(map[string]contractCase{
		"Q.BalanceSettings": func(t *testing.T, st *store.Store) {
			t.Run("NeverSet", func(t *testing.T) {
				q := txQ(t, st)
				b, err := q.BalanceSettings(ctx, "cus_none")
				must(t, err)
				eq(t, "never set", b, market.BalanceSettings{CustomerID: "cus_none"})
			})
			t.Run("LowBalanceOncePerCrossing", func(t *testing.T) { lowOncePerCrossing(t, st, adjust, lows) })
		},
		"Q.SetBalanceSettings": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			adjust(t, q, "ltx_0", 10000)
			want := market.BalanceSettings{CustomerID: "cus_1", LowThreshold: i64(5000), AutoAmount: i64(2000), AutoBelow: i64(1000), AutoPM: "pm_1"}
			must(t, q.SetBalanceSettings(ctx, want))
			got, err := q.BalanceSettings(ctx, "cus_1")
			must(t, err)
			eq(t, "read back", got, want)
			must(t, q.SetBalanceSettings(ctx, market.BalanceSettings{CustomerID: "cus_1"}))
			got, err = q.BalanceSettings(ctx, "cus_1")
			must(t, err)
			eq(t, "cleared", got, market.BalanceSettings{CustomerID: "cus_1"})
			// A threshold set above the balance is not armed: no notice
			// until the balance has been above it.
			must(t, q.SetBalanceSettings(ctx, market.BalanceSettings{CustomerID: "cus_1", LowThreshold: i64(20000)}))
			adjust(t, q, "ltx_1", -100)
			eq(t, "notices below an unarmed threshold", lows(t, q), 0)
		},
	})
}

// lowOncePerCrossing: Post sends one balance_low notice per crossing of
// the threshold, re-armed at the threshold or above.
func lowOncePerCrossing(t *testing.T, st *store.Store, adjust func(*testing.T, *store.Q, string, int64), lows func(*testing.T, *store.Q) int) {
	i64 := func(v int64) *int64 { return &v }
	{
		{
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			adjust(t, q, "ltx_0", 10000)
			must(t, q.SetBalanceSettings(ctx, market.BalanceSettings{CustomerID: "cus_1", LowThreshold: i64(5000)}))
			adjust(t, q, "ltx_1", -4000) // 6000
			eq(t, "above", lows(t, q), 0)
			adjust(t, q, "ltx_2", -2000) // 4000: crossing
			adjust(t, q, "ltx_3", -1000) // 3000
			eq(t, "one crossing", lows(t, q), 1)
			adjust(t, q, "ltx_4", 2000) // 5000: at the threshold, re-armed
			adjust(t, q, "ltx_5", -1)   // 4999: second crossing
			eq(t, "two crossings", lows(t, q), 2)
		}
	}
}

func init() {
	i64 := func(v int64) *int64 { return &v }
	adjust := func(t *testing.T, q *store.Q, id string, amount int64) {
		t.Helper()
		must(t, q.Post(ctx, market.LedgerTx{ID: id, CustomerID: "cus_1", Kind: "adjustment", Description: "d", Currency: "CHF",
			CreatedAt: tµ, Postings: []market.Posting{{Account: market.BalanceAccount("cus_1"), Amount: amount},
				{Account: market.SystemAccount("adjustments", "CHF"), Amount: -amount}}}))
	}
	addContract(map[string]contractCase{
		"Q.DueTopUps": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			adjust(t, q, "ltx_0", 10000)
			must(t, q.SetBalanceSettings(ctx, market.BalanceSettings{CustomerID: "cus_1", AutoAmount: i64(5000), AutoBelow: i64(2000)}))
			due, err := q.DueTopUps(ctx, tµ, 10)
			must(t, err)
			eq(t, "none due above the mark", len(due), 0)
			adjust(t, q, "ltx_1", -8500) // 1500: below
			adjust(t, q, "ltx_2", -500)  // 1000: still the same crossing
			due, err = q.DueTopUps(ctx, tµ, 10)
			must(t, err)
			if len(due) != 1 || due[0].Seq != 1 || due[0].DueOrder == "" || due[0].DueAt == nil {
				t.Fatalf("due: %+v, want crossing 1 with its order ID", due)
			}
			due, err = q.DueTopUps(ctx, tµ.Add(-time.Microsecond), 10)
			must(t, err)
			eq(t, "not due before the debit", len(due), 0)
		},
		"Q.ClearTopUp": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			adjust(t, q, "ltx_0", 10000)
			must(t, q.SetBalanceSettings(ctx, market.BalanceSettings{CustomerID: "cus_1", AutoAmount: i64(5000), AutoBelow: i64(2000)}))
			adjust(t, q, "ltx_1", -9000)
			ok, err := q.ClearTopUp(ctx, "cus_1", 2)
			must(t, err)
			eq(t, "another crossing's", ok, false)
			ok, err = q.ClearTopUp(ctx, "cus_1", 1)
			must(t, err)
			eq(t, "cleared", ok, true)
			ok, err = q.ClearTopUp(ctx, "cus_1", 1)
			must(t, err)
			eq(t, "cleared twice", ok, false)
		},
		"Q.RetireTopUpOrder": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			adjust(t, q, "ltx_0", 10000)
			must(t, q.SetBalanceSettings(ctx, market.BalanceSettings{CustomerID: "cus_1", AutoAmount: i64(5000), AutoBelow: i64(2000)}))
			adjust(t, q, "ltx_1", -9000)
			b, err := q.BalanceSettings(ctx, "cus_1")
			must(t, err)
			ok, err := q.RetireTopUpOrder(ctx, "cus_1", b.DueOrder, "ord_new")
			must(t, err)
			eq(t, "retired", ok, true)
			b, err = q.BalanceSettings(ctx, "cus_1")
			must(t, err)
			eq(t, "order ID", b.DueOrder, "ord_new")
			ok, err = q.RetireTopUpOrder(ctx, "cus_1", "ord_old", "ord_other") // not its ID (any more): nothing
			must(t, err)
			eq(t, "another ID", ok, false)
			ok, err = q.RetireTopUpOrder(ctx, "cus_2", "ord_new", "ord_other")
			must(t, err)
			eq(t, "another customer", ok, false)
			b, err = q.BalanceSettings(ctx, "cus_1")
			must(t, err)
			eq(t, "order ID kept", b.DueOrder, "ord_new")
		},
		"Q.PutNumberPrice": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			p := market.NumberPrice{Country: "US", Currency: "CHF", SetupAmount: 100, MonthlyAmount: 200, UpdatedAt: tµ}
			must(t, q.PutNumberPrice(ctx, p))
			p.MonthlyAmount = 300
			must(t, q.PutNumberPrice(ctx, p)) // replaces the row of the same scope
			ps, err := q.NumberPrices(ctx, "CHF")
			must(t, err)
			p.UpdatedAt = µs(tµ)
			eq(t, "rows", ps, []market.NumberPrice{p})
		},
		"Q.NumberPrices": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			for _, p := range []market.NumberPrice{{Country: "US", Currency: "EUR"}, {Country: "US", State: "NY", Currency: "CHF"}, {Country: "DE", Currency: "CHF"}} {
				p.UpdatedAt = tµ
				must(t, q.PutNumberPrice(ctx, p))
			}
			all, err := q.NumberPrices(ctx, "")
			must(t, err)
			eq(t, "all", len(all), 3)
			chf, err := q.NumberPrices(ctx, "CHF")
			must(t, err)
			if len(chf) != 2 || chf[0].Country != "DE" || chf[1].State != "NY" {
				t.Errorf("CHF rows: %+v, want DE then US/NY", chf)
			}
		},
		"Q.NumberPriceFor": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			n := fxNumber(t, q, "num_1", "+12125550100", "New York") // US, NY, local, USD 100+200
			s, m, ok, err := q.NumberPriceFor(ctx, n, "USD")
			must(t, err)
			eq(t, "own currency", []any{s, m, ok}, []any{int64(100), int64(200), true})
			_, _, ok, err = q.NumberPriceFor(ctx, n, "CHF")
			must(t, err)
			eq(t, "no row", ok, false)
			for _, p := range []market.NumberPrice{
				{Country: "US", Currency: "CHF", SetupAmount: 1, MonthlyAmount: 1},
				{Country: "US", Type: "local", Currency: "CHF", SetupAmount: 2, MonthlyAmount: 2},
				{Country: "US", State: "NY", Currency: "CHF", SetupAmount: 3, MonthlyAmount: 3},
				{Country: "US", Area: "Boston", Currency: "CHF", SetupAmount: 9, MonthlyAmount: 9}, // another area
			} {
				p.UpdatedAt = tµ
				must(t, q.PutNumberPrice(ctx, p))
			}
			s, m, ok, err = q.NumberPriceFor(ctx, n, "CHF")
			must(t, err)
			eq(t, "the state's row beats the type's and the country's", []any{s, m, ok}, []any{int64(3), int64(3), true})
			must(t, q.PutNumberPrice(ctx, market.NumberPrice{Country: "US", Area: "New York", Currency: "CHF", SetupAmount: 4, MonthlyAmount: 4, UpdatedAt: tµ}))
			s, _, _, err = q.NumberPriceFor(ctx, n, "CHF")
			must(t, err)
			eq(t, "the area's row beats the state's", s, int64(4))
		},
	})
}
