package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
	"github.com/dialtone/dialtone/internal/store"
)

// Contract: the operator's dashboard (reports.go) and the operator's side
// of the inventory and promo codes (number_admin.go).
func init() {
	bounds := []time.Time{time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)}
	addContract(map[string]contractCase{
		"Q.MRR": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxPlan(t, q, "p1")
			fxSub(t, q, "cus_1", "sub_1", "p1", tµ.Add(10*24*time.Hour)) // 2 × 10.00 a month, running
			fxSub(t, q, "cus_1", "sub_2", "p1", tµ.Add(-24*time.Hour))   // its period is over
			rows, err := q.MRR(ctx, tµ)
			must(t, err)
			eq(t, "mrr", rows, []market.MRRRow{{Product: "prod_p1", Currency: "CHF", Monthly: 2000, Count: 1}})
			rows, err = q.MRR(ctx, tµ.AddDate(1, 0, 0))
			must(t, err)
			eq(t, "mrr a year on", len(rows), 0)
		},
		"Q.RevenueByMonth": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			post := func(id, kind string, amount int64, at time.Time) {
				must(t, q.Post(ctx, market.LedgerTx{ID: id, Kind: kind, Description: id, Currency: "CHF", CreatedAt: at,
					Postings: []market.Posting{{Account: market.SystemAccount("revenue", "CHF"), Amount: amount},
						{Account: market.SystemAccount("gateway", "CHF"), Amount: -amount}}}))
			}
			post("ltx_1", "order", 500, tµ)
			post("ltx_2", "order", 300, tµ.Add(time.Hour))
			post("ltx_3", "refund", -100, tµ)
			post("ltx_4", "order", 900, bounds[0].Add(time.Hour))
			post("ltx_5", "order", 700, bounds[2]) // after the last month
			rows, err := q.RevenueByMonth(ctx, bounds)
			must(t, err)
			eq(t, "revenue", rows, []market.RevenueRow{{Month: 0, Kind: "order", Currency: "CHF", Amount: 900, Entries: 1},
				{Month: 1, Kind: "order", Currency: "CHF", Amount: 800, Entries: 2}, {Month: 1, Kind: "refund", Currency: "CHF", Amount: -100, Entries: 1}})
		},
		"Q.CompactRevenue": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			post := func(id, kind string, amount int64, at time.Time) {
				must(t, q.Post(ctx, market.LedgerTx{ID: id, Kind: kind, Description: id, Currency: "CHF", CreatedAt: at,
					Postings: []market.Posting{{Account: market.SystemAccount("revenue", "CHF"), Amount: amount},
						{Account: market.SystemAccount("gateway", "CHF"), Amount: -amount}}}))
			}
			post("ltx_1", "order", 500, bounds[0].Add(time.Hour))
			post("ltx_2", "order", 300, bounds[0].Add(48*time.Hour))
			post("ltx_3", "refund", -100, bounds[0].Add(72*time.Hour))
			post("ltx_4", "order", 900, bounds[1].Add(time.Hour))
			post("ltx_5", "order", 100, bounds[1].Add(2*time.Hour))
			want := []market.RevenueRow{{Month: 0, Kind: "order", Currency: "CHF", Amount: 800, Entries: 1},
				{Month: 0, Kind: "refund", Currency: "CHF", Amount: -100, Entries: 1}, {Month: 1, Kind: "order", Currency: "CHF", Amount: 1000, Entries: 2}}
			// The first month only (the second starts at to).
			removed, err := q.CompactRevenue(ctx, bounds[0], bounds[1])
			must(t, err)
			eq(t, "removed", removed, 1)
			rows, err := q.RevenueByMonth(ctx, bounds)
			must(t, err)
			eq(t, "compacted", rows, want)
			// Again: nothing to do; a posting after it is added to the sum.
			removed, err = q.CompactRevenue(ctx, bounds[0].Add(-time.Hour), bounds[1])
			must(t, err)
			eq(t, "removed again", removed, 0)
			post("ltx_6", "order", 50, bounds[0].Add(96*time.Hour))
			removed, err = q.CompactRevenue(ctx, bounds[0], bounds[2])
			must(t, err)
			eq(t, "removed with the second month", removed, 2)
			rows, err = q.RevenueByMonth(ctx, bounds)
			must(t, err)
			want[0].Amount, want[2].Entries = 850, 1
			eq(t, "compacted both", rows, want)
			// The rollup still sums to the revenue account's postings.
			sum, err := q.AccountSum(ctx, market.SystemAccount("revenue", "CHF"))
			must(t, err)
			eq(t, "account sum", sum, int64(1750))
		},
		"Q.SubscriptionMovements": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxPlan(t, q, "p1")
			s := fxSub(t, q, "cus_1", "sub_1", "p1", tµ.Add(10*24*time.Hour))
			must(t, q.InsertPeriod(ctx, s.ID, market.Period{Seq: 2, Start: s.ExpiresAt, End: s.ExpiresAt.AddDate(0, 1, 0), Plan: "p1",
				Quantity: 2, UnitAmount: 1000, TermMonths: 1}))
			s2 := fxSub(t, q, "cus_1", "sub_2", "p1", bounds[0].Add(48*time.Hour))
			s2.Status = market.StatusExpired
			must(t, q.UpdateSubscription(ctx, s2, tµ))
			got, err := q.SubscriptionMovements(ctx, bounds)
			must(t, err)
			eq(t, "movements", got, []market.SubscriptionMonth{{Expired: 1}, {New: 2, Renewed: 1}})
		},
		"Q.DueRenewals": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxPlan(t, q, "p1")
			fund(t, q, "cus_1", "ltx_1", 700)
			fxSub(t, q, "cus_1", "sub_1", "p1", tµ.Add(10*24*time.Hour))
			fxSub(t, q, "cus_1", "sub_2", "p1", tµ.Add(40*24*time.Hour)) // later than the window
			got, err := q.DueRenewals(ctx, tµ, tµ.Add(30*24*time.Hour), 10)
			must(t, err)
			eq(t, "due", got, []market.DueRenewal{{SubscriptionID: "sub_1", CustomerID: "cus_1", Company: "Company cus_1", Plan: "p1",
				TermMonths: 1, Quantity: 2, Currency: "CHF", TaxCountry: "CH", ExpiresAt: µs(tµ.Add(10 * 24 * time.Hour)), Balance: 700}})
		},
		"Q.BalanceTotals": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxCustomer(t, q, "cus_2")
			fund(t, q, "cus_1", "ltx_1", 700)
			fund(t, q, "cus_2", "ltx_2", 50)
			got, err := q.BalanceTotals(ctx)
			must(t, err)
			eq(t, "totals", got, []market.CurrencyTotal{{Currency: "CHF", Amount: 750, Count: 2}})
			sum, err := q.AccountSum(ctx, market.BalanceAccount("cus_1"))
			must(t, err)
			eq(t, "the ledger agrees", sum, int64(700))
		},
		"Q.NumberCounts": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxInventory(t, q)
			fxCustomer(t, q, "cus_1")
			must(t, q.ClaimNumber(ctx, "num_1", "cus_1", "", tµ, tµ.AddDate(0, 1, 0)))
			got, err := q.NumberCounts(ctx)
			must(t, err)
			eq(t, "counts", got, []market.NumberCount{{Country: "CA", Status: "available", Count: 1},
				{Country: "US", Status: "active", Count: 1}, {Country: "US", Status: "available", Count: 3}})
		},
		"Q.SearchNumbers": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxInventory(t, q)
			fxCustomer(t, q, "cus_1")
			must(t, q.ClaimNumber(ctx, "num_3", "cus_1", "", tµ, tµ.AddDate(0, 1, 0)))
			of := func(f store.NumberFilter, p store.Page) string {
				t.Helper()
				ns, err := q.SearchNumbers(ctx, f, p)
				must(t, err)
				var s []string
				for _, n := range ns {
					s = append(s, n.Number.Number+"/"+n.Status+"/"+n.Holder.Company)
				}
				return strings.Join(s, " ")
			}
			eq(t, "prefix", of(store.NumberFilter{Number: "+1212"}, store.Page{}), "+12125550101/available/ +12125550103/active/Company cus_1")
			eq(t, "country", of(store.NumberFilter{Country: "CA"}, store.Page{}), "+14165550109/available/")
			eq(t, "area and status", of(store.NumberFilter{Area: "212", Status: "available"}, store.Page{}), "+12125550101/available/ +18005550108/available/")
			eq(t, "held", of(store.NumberFilter{Status: "active"}, store.Page{}), "+12125550103/active/Company cus_1")
			eq(t, "a page: limit+1 rows", of(store.NumberFilter{}, store.Page{Limit: 1}), "+12125550101/available/ +12125550103/active/Company cus_1")
			eq(t, "after", of(store.NumberFilter{}, store.Page{Limit: 1, After: "+12125550103"}), "+14165550109/available/ +17185550107/available/")
			eq(t, "none", of(store.NumberFilter{Country: "FR"}, store.Page{}), "")
		},
		"Q.SetNumberStatus": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxInventory(t, q)
			before, err := q.SetNumberStatus(ctx, "num_1", []string{market.NumberAvailable}, market.NumberReserved)
			must(t, err)
			eq(t, "before", before.Status, market.NumberAvailable)
			n, err := q.Number(ctx, "num_1")
			must(t, err)
			eq(t, "after", n.Status, market.NumberReserved)
			free, err := q.AvailableNumbers(ctx, store.NumberSearch{Country: "US", Area: "212", Limit: 10})
			must(t, err)
			eq(t, "a reserved number is not offered", numbersOf(free), "+12125550103 +18005550108")
			counts, err := q.NumberCounts(ctx)
			must(t, err)
			eq(t, "stock", counts[len(counts)-2:], []market.NumberCount{{Country: "US", Status: "available", Count: 3}, {Country: "US", Status: "reserved", Count: 1}})
			_, err = q.SetNumberStatus(ctx, "num_1", []string{market.NumberReserved}, market.NumberAvailable)
			must(t, err)
			free, err = q.AvailableNumbers(ctx, store.NumberSearch{Country: "US", Area: "212", Limit: 10})
			must(t, err)
			eq(t, "on sale again", numbersOf(free), "+12125550101 +12125550103 +18005550108")
			_, err = q.SetNumberStatus(ctx, "num_404", []string{market.NumberAvailable}, market.NumberRetired)
			wantNotFound(t, err)
			must(t, q.ClaimNumber(ctx, "num_7", fxCustomer(t, q, "cus_1").ID, "", tµ, tµ.AddDate(0, 1, 0)))
			_, err = q.SetNumberStatus(ctx, "num_7", []string{market.NumberAvailable}, market.NumberRetired)
			wantCode(t, err, market.CodeConflict, "")
		},
		"Q.PromoRedemptions": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			must(t, q.InsertPromo(ctx, market.Promo{Code: "TEN", HasPercent: true, PercentOff: money.MustRate("10"), Active: true}, tµ))
			must(t, q.Redeem(ctx, "TEN", "ord_1", "cus_1", tµ))
			must(t, q.Redeem(ctx, "TEN", "ord_2", "cus_1", tµ.Add(time.Hour)))
			got, err := q.PromoRedemptions(ctx, "TEN", store.Page{Limit: 1})
			must(t, err)
			eq(t, "newest first, limit+1", got, []market.Redemption{{Code: "TEN", OrderID: "ord_2", CustomerID: "cus_1", Company: "Company cus_1", At: µs(tµ.Add(time.Hour))},
				{Code: "TEN", OrderID: "ord_1", CustomerID: "cus_1", Company: "Company cus_1", At: µs(tµ)}})
			got, err = q.PromoRedemptions(ctx, "TEN", store.Page{After: "ord_2"})
			must(t, err)
			eq(t, "after", len(got), 1)
			got, err = q.PromoRedemptions(ctx, "NONE", store.Page{})
			must(t, err)
			eq(t, "none", len(got), 0)
		},
	})
}
