package store_test

import (
	"testing"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
)

// Contract: the period changes of a refund with revoke (issue 17).
func init() {
	addContract(map[string]contractCase{
		"Q.DeletePeriod": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxPlan(t, q, "pln")
			s := fxSub(t, q, "cus_1", "sub_1", "pln", tµ)
			p := market.Period{Seq: 2, Start: tµ, End: tµ.AddDate(0, 3, 0), Plan: "pln", Quantity: 2, UnitAmount: 2700, TermMonths: 3, OrderID: "ord_2"}
			must(t, q.InsertPeriod(ctx, "sub_1", p))
			must(t, q.DeletePeriod(ctx, "sub_1", 2))
			got, err := q.Subscription(ctx, "cus_1", "sub_1")
			must(t, err)
			eq(t, "periods after the delete", got.Periods, µsSub(s).Periods)
			wantNotFound(t, q.DeletePeriod(ctx, "sub_1", 2))
			wantNotFound(t, q.DeletePeriod(ctx, "sub_none", 1))
		},
		"Q.EndPeriodsAt": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxPlan(t, q, "pln")
			s := fxSub(t, q, "cus_1", "sub_1", "pln", tµ) // one period: tµ - 1 month .. tµ
			must(t, q.InsertPeriod(ctx, "sub_1", market.Period{Seq: 2, Start: tµ, End: tµ.AddDate(0, 1, 0), Plan: "pln", Quantity: 2, TermMonths: 1}))
			fxSub(t, q, "cus_1", "sub_2", "pln", tµ) // another subscription: untouched
			cut := tµ.AddDate(0, 0, -10)
			must(t, q.EndPeriodsAt(ctx, "sub_1", cut))
			got, err := q.Subscription(ctx, "cus_1", "sub_1")
			must(t, err)
			want := µsSub(s).Periods
			want[0].End = µs(cut)
			eq(t, "the period in force cut at the moment, the later one gone", got.Periods, want)
			other, err := q.Subscription(ctx, "cus_1", "sub_2")
			must(t, err)
			eq(t, "other subscription's end", other.Periods[0].End, µs(tµ))
			// At the first period's start: no period is left.
			must(t, q.EndPeriodsAt(ctx, "sub_2", other.Periods[0].Start))
			other, err = q.Subscription(ctx, "cus_1", "sub_2")
			must(t, err)
			eq(t, "periods of one ended when it began", len(other.Periods), 0)
		},
	})
}
