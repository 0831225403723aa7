package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
)

// numbersOf joins the E.164 numbers of ns.
func numbersOf(ns []market.Number) string {
	var s []string
	for _, n := range ns {
		s = append(s, n.Number)
	}
	return strings.Join(s, " ")
}

func facetsOf(fs []market.Facet) string {
	var s []string
	for _, f := range fs {
		s = append(s, words(f.Value, f.Available))
	}
	return strings.Join(s, ", ")
}

// fxInventory stores five numbers: three in 212 (one toll-free), one in 718,
// one in CA priced in CAD.
func fxInventory(t *testing.T, q *store.Q) {
	t.Helper()
	fxNumber(t, q, "num_3", "+12125550103", "212")
	fxNumber(t, q, "num_1", "+12125550101", "212")
	fxNumber(t, q, "num_7", "+17185550107", "718")
	_, err := q.InsertNumbers(ctx, []market.Number{
		{ID: "num_8", Number: "+18005550108", Country: "US", State: "NY", Area: "212", Type: "toll_free", Currency: "USD", CreatedAt: tµ},
		{ID: "num_9", Number: "+14165550109", Country: "CA", State: "ON", Area: "416", Type: "local", Currency: "CAD", CreatedAt: tµ}})
	must(t, err)
}

// Contract: the number inventory, its cascade and search, holdings and
// monthly rentals.
func init() {
	addContract(map[string]contractCase{
		"Q.InsertNumber": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			want := fxNumber(t, q, "num_1", "+12125550101", "212")
			got, err := q.Number(ctx, "num_1")
			must(t, err)
			eq(t, "number (NULL holder and dates as zero values)", got, want)
			err = q.InsertNumber(ctx, market.Number{ID: "num_2", Number: "+12125550101", Country: "US", Area: "212", Type: "local", Currency: "USD", CreatedAt: tµ})
			wantCode(t, err, market.CodeConflict, "number")
			// ON CONFLICT DO NOTHING: the transaction goes on, on PostgreSQL too.
			_, err = q.Number(ctx, "num_1")
			must(t, err)
		},
		"Q.InsertNumbers": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxNumber(t, q, "num_1", "+12125550101", "212")
			added, err := q.InsertNumbers(ctx, []market.Number{
				{ID: "num_1b", Number: "+12125550101", Country: "US", State: "NY", Area: "212", Type: "local", Currency: "USD", CreatedAt: tµ},
				{ID: "num_2", Number: "+12125550102", Country: "US", State: "NY", Area: "212", Type: "local", Currency: "USD", CreatedAt: tµ}})
			must(t, err)
			eq(t, "added", strings.Join(added, " "), "+12125550102")
			fs, err := q.NumberAreas(ctx, "US", "", "")
			must(t, err)
			eq(t, "stock counts the added only", facetsOf(fs), "212 2")
			added, err = q.InsertNumbers(ctx, nil)
			must(t, err)
			eq(t, "none", len(added), 0)
		},
		"Q.RebuildNumberStock": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxInventory(t, q)
			fxCustomer(t, q, "cus_1")
			must(t, q.ClaimNumber(ctx, "num_1", "cus_1", "", tµ, tµ.AddDate(0, 1, 0)))
			before, err := q.NumberCountries(ctx, "")
			must(t, err)
			must(t, q.RebuildNumberStock(ctx))
			after, err := q.NumberCountries(ctx, "")
			must(t, err)
			eq(t, "counts", facetsOf(after), facetsOf(before))
			ns, err := q.AvailableNumbers(ctx, store.NumberSearch{Country: "US", Contains: "5550103"})
			must(t, err)
			eq(t, "contains index rebuilt", numbersOf(ns), "+12125550103")
		},
		"Q.Number": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			_, err := q.Number(ctx, "num_none")
			wantNotFound(t, err)
		},
		"Q.NumberByE164": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			want := fxNumber(t, q, "num_1", "+12125550101", "212")
			got, err := q.NumberByE164(ctx, "+12125550101")
			must(t, err)
			eq(t, "number", got, want)
			_, err = q.NumberByE164(ctx, "+10000000000")
			wantNotFound(t, err)
		},
		"Q.ClaimNumber": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxInventory(t, q)
			must(t, q.InsertSIPAccount(ctx, market.SIPAccount{ID: "sip_1", CustomerID: "cus_1", Kind: "trunk", Username: "t", CreatedAt: tµ}))
			must(t, q.ClaimNumber(ctx, "num_1", "cus_1", "sip_1", tµ, tµ.AddDate(0, 1, 0)))
			n, err := q.CustomerNumber(ctx, "cus_1", "num_1")
			must(t, err)
			eq(t, "held", words(n.Status, n.CustomerID, n.SIPAccountID), "active cus_1 sip_1")
			eq(t, "dates", []*time.Time{n.PurchasedAt, n.RenewsAt, n.GraceUntil, n.QuarantineUntil},
				[]*time.Time{ptr(µs(tµ)), ptr(µs(tµ.AddDate(0, 1, 0))), nil, nil})
			fs, err := q.NumberAreas(ctx, "US", "NY", "USD")
			must(t, err)
			eq(t, "stock", facetsOf(fs), "212 2, 718 1")
			ns, err := q.AvailableNumbers(ctx, store.NumberSearch{Country: "US", Contains: "5550101"})
			must(t, err)
			eq(t, "claimed number not found by contains", numbersOf(ns), "")
			wantCode(t, q.ClaimNumber(ctx, "num_1", "cus_1", "", tµ, tµ), market.CodeNumberUnavailable, "number")
			wantCode(t, q.ClaimNumber(ctx, "num_none", "cus_1", "", tµ, tµ), market.CodeNumberUnavailable, "number")
		},
		"Q.CustomerNumber": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxNumber(t, q, "num_1", "+12125550101", "212")
			_, err := q.CustomerNumber(ctx, "cus_1", "num_1") // available: nobody's
			wantNotFound(t, err)
			must(t, q.ClaimNumber(ctx, "num_1", "cus_1", "", tµ, tµ.AddDate(0, 1, 0)))
			_, err = q.CustomerNumber(ctx, "cus_2", "num_1")
			wantNotFound(t, err)
		},
		"Q.CustomerNumbers": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxInventory(t, q)
			must(t, q.ClaimNumber(ctx, "num_1", "cus_1", "", tµ, tµ.AddDate(0, 1, 0)))
			must(t, q.ClaimNumber(ctx, "num_3", "cus_1", "", tµ.Add(time.Hour), tµ.AddDate(0, 1, 0)))
			must(t, q.ClaimNumber(ctx, "num_7", "cus_1", "", tµ, tµ.AddDate(0, 1, 0)))
			// Held without a purchase date (given by the operator): NULL
			// sorts last on both databases.
			must(t, q.UpdateNumberLifecycle(ctx, market.Number{ID: "num_8", Status: market.NumberActive, CustomerID: "cus_1"}))
			ns, err := q.CustomerNumbers(ctx, "cus_1")
			must(t, err)
			eq(t, "newest purchase first, then by ID", numbersOf(ns), "+12125550103 +12125550101 +17185550107 +18005550108")
			ns, err = q.CustomerNumbers(ctx, "cus_none")
			must(t, err)
			eq(t, "none", len(ns), 0)
		},
		"Q.NewestCustomerNumbers": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxInventory(t, q)
			must(t, q.ClaimNumber(ctx, "num_1", "cus_1", "", tµ, tµ.AddDate(0, 1, 0)))
			must(t, q.ClaimNumber(ctx, "num_3", "cus_1", "", tµ.Add(time.Hour), tµ.AddDate(0, 1, 0)))
			must(t, q.UpdateNumberLifecycle(ctx, market.Number{ID: "num_8", Status: market.NumberActive, CustomerID: "cus_1"}))
			ns, err := q.NewestCustomerNumbers(ctx, "cus_1", 2)
			must(t, err)
			eq(t, "the first two of CustomerNumbers' order", numbersOf(ns), "+12125550103 +12125550101")
			ns, err = q.NewestCustomerNumbers(ctx, "cus_1", 10)
			must(t, err)
			eq(t, "all three, undated last", numbersOf(ns), "+12125550103 +12125550101 +18005550108")
		},
		"Q.LockNumber": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxNumber(t, q, "num_1", "+12125550101", "212")
			must(t, q.ClaimNumber(ctx, "num_1", "cus_1", "", tµ, tµ.AddDate(0, 1, 0)))
			n, err := q.LockNumber(ctx, "cus_1", "num_1")
			must(t, err)
			eq(t, "number", n.ID, "num_1")
			_, err = q.LockNumber(ctx, "cus_2", "num_1")
			wantNotFound(t, err)
		},
		"Q.AvailableNumbers": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxInventory(t, q)
			for _, c := range []struct {
				name string
				s    store.NumberSearch
				want string
			}{
				{"country, in number order", store.NumberSearch{Country: "US"}, "+12125550101 +12125550103 +17185550107 +18005550108"},
				{"state and type", store.NumberSearch{Country: "US", State: "NY", Type: "local"}, "+12125550101 +12125550103 +17185550107"},
				{"area (merged groups)", store.NumberSearch{Country: "US", Area: "212"}, "+12125550101 +12125550103 +18005550108"},
				{"currency", store.NumberSearch{Country: "CA", Currency: "CAD"}, "+14165550109"},
				{"other currency", store.NumberSearch{Country: "CA", Currency: "USD"}, ""},
				{"short contains", store.NumberSearch{Country: "US", Contains: "03"}, "+12125550103"},
				{"long contains (index)", store.NumberSearch{Country: "US", Contains: "5550107"}, "+17185550107"},
				{"contains in an area", store.NumberSearch{Country: "US", Area: "212", Contains: "03"}, "+12125550103"},
				{"long contains in an area", store.NumberSearch{Country: "US", Area: "212", Contains: "0101"}, "+12125550101"},
				{"after", store.NumberSearch{Country: "US", After: "+12125550103"}, "+17185550107 +18005550108"},
				{"after in an area", store.NumberSearch{Country: "US", Area: "212", After: "+12125550101"}, "+12125550103 +18005550108"},
				{"limit", store.NumberSearch{Country: "US", Limit: 2}, "+12125550101 +12125550103"},
				{"no such area", store.NumberSearch{Country: "US", Area: "999"}, ""},
				{"no such country", store.NumberSearch{Country: "ZZ"}, ""},
			} {
				ns, err := q.AvailableNumbers(ctx, c.s)
				must(t, err)
				eq(t, c.name, numbersOf(ns), c.want)
			}
		},
		"Q.PickAvailableNumbers": func(t *testing.T, st *store.Store) {
			q := txQ(t, st) // in a transaction: on PostgreSQL it locks, skipping locked numbers
			fxInventory(t, q)
			ns, err := q.PickAvailableNumbers(ctx, store.NumberSearch{Country: "US", Area: "212", Limit: 2})
			must(t, err)
			eq(t, "first of the area", numbersOf(ns), "+12125550101 +12125550103")
			ns, err = q.PickAvailableNumbers(ctx, store.NumberSearch{Country: "US", State: "NY", Type: "local", Contains: "07"})
			must(t, err)
			eq(t, "contains", numbersOf(ns), "+17185550107")
			ns, err = q.PickAvailableNumbers(ctx, store.NumberSearch{Country: "US", Area: "212", After: "+12125550101"})
			must(t, err)
			eq(t, "after", numbersOf(ns), "+12125550103 +18005550108")
			ns, err = q.PickAvailableNumbers(ctx, store.NumberSearch{Country: "US", Type: "toll_free"})
			must(t, err)
			eq(t, "type", numbersOf(ns), "+18005550108")
			ns, err = q.PickAvailableNumbers(ctx, store.NumberSearch{Country: "US", Area: "999"})
			must(t, err)
			eq(t, "none", len(ns), 0)
		},
		"Q.SetNumberSIPAccount": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxNumber(t, q, "num_1", "+12125550101", "212")
			must(t, q.ClaimNumber(ctx, "num_1", "cus_1", "", tµ, tµ.AddDate(0, 1, 0)))
			must(t, q.SetNumberSIPAccount(ctx, "cus_1", "num_1", "sip_1"))
			n, err := q.Number(ctx, "num_1")
			must(t, err)
			eq(t, "assigned", n.SIPAccountID, "sip_1")
			must(t, q.SetNumberSIPAccount(ctx, "cus_1", "num_1", ""))
			n, err = q.Number(ctx, "num_1")
			must(t, err)
			eq(t, "cleared", n.SIPAccountID, "")
			wantNotFound(t, q.SetNumberSIPAccount(ctx, "cus_2", "num_1", "sip_1"))
		},
		"Q.UpdateNumberLifecycle": func(t *testing.T, st *store.Store) {
			t.Run("MovesStock", func(t *testing.T) {
				q := txQ(t, st)
				fxCustomer(t, q, "cus_1")
				fxNumber(t, q, "num_1", "+12125550101", "212")
				must(t, q.ClaimNumber(ctx, "num_1", "cus_1", "", tµ, tµ.AddDate(0, 1, 0)))
				grace := market.Number{ID: "num_1", Status: market.NumberGrace, CustomerID: "cus_1", RenewsAt: ptr(tµ.AddDate(0, 1, 0)), GraceUntil: ptr(tµ.AddDate(0, 1, 7))}
				must(t, q.UpdateNumberLifecycle(ctx, grace))
				n, err := q.Number(ctx, "num_1")
				must(t, err)
				eq(t, "grace", words(n.Status, n.CustomerID, *n.GraceUntil, n.PurchasedAt != nil), words("grace cus_1", µs(tµ.AddDate(0, 1, 7)), true))
				must(t, q.UpdateNumberLifecycle(ctx, market.Number{ID: "num_1", Status: market.NumberAvailable}))
				fs, err := q.NumberAreas(ctx, "US", "", "")
				must(t, err)
				eq(t, "back in stock", facetsOf(fs), "212 1")
				ns, err := q.AvailableNumbers(ctx, store.NumberSearch{Country: "US", Contains: "5550101"})
				must(t, err)
				eq(t, "back in the contains index", numbersOf(ns), "+12125550101")
				wantNotFound(t, q.UpdateNumberLifecycle(ctx, market.Number{ID: "num_none", Status: market.NumberAvailable}))
			})
			t.Run("HeldWithoutHolder", func(t *testing.T) { // CHECK: active or grace exactly when held
				q := txQ(t, st)
				fxNumber(t, q, "num_1", "+12125550101", "212")
				if err := q.UpdateNumberLifecycle(ctx, market.Number{ID: "num_1", Status: market.NumberActive}); err == nil {
					t.Error("an active number without a holder was stored")
				}
			})
		},
		"Q.RecordNumberRental": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxNumber(t, q, "num_1", "+12125550101", "212")
			r := market.NumberRental{NumberID: "num_1", CustomerID: "cus_1", PeriodStart: tµ, PaymentID: "pay_1", CreatedAt: tµ}
			ok, err := q.RecordNumberRental(ctx, r)
			must(t, err)
			eq(t, "recorded", ok, true)
			ok, err = q.RecordNumberRental(ctx, r)
			must(t, err)
			eq(t, "recorded twice", ok, false)
			rs, err := q.NumberRentals(ctx, "num_1") // the transaction goes on
			must(t, err)
			r.PeriodStart, r.CreatedAt = µs(tµ), µs(tµ)
			eq(t, "rentals", rs, []market.NumberRental{r})
		},
		"Q.InsertNumberRental": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxNumber(t, q, "num_1", "+12125550101", "212")
			must(t, q.InsertNumberRental(ctx, "num_1", "cus_1", tµ))
			wantCode(t, q.InsertNumberRental(ctx, "num_1", "cus_1", tµ), market.CodeConflict, "")
		},
		"Q.NumberRentals": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxNumber(t, q, "num_1", "+12125550101", "212")
			for _, m := range []int{2, 0, 1} {
				must(t, q.InsertNumberRental(ctx, "num_1", "cus_1", tµ.AddDate(0, m, 0)))
			}
			rs, err := q.NumberRentals(ctx, "num_1")
			must(t, err)
			eq(t, "oldest first", len(rs) == 3 && rs[0].PeriodStart.Equal(µs(tµ)) && rs[2].PeriodStart.Equal(µs(tµ.AddDate(0, 2, 0))), true)
			rs, err = q.NumberRentals(ctx, "num_none")
			must(t, err)
			eq(t, "none", len(rs), 0)
		},
		"Q.DueNumbers": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxInventory(t, q)
			must(t, q.ClaimNumber(ctx, "num_3", "cus_1", "", tµ, tµ))
			must(t, q.ClaimNumber(ctx, "num_1", "cus_1", "", tµ, tµ))
			must(t, q.ClaimNumber(ctx, "num_7", "cus_1", "", tµ, tµ.Add(-time.Microsecond)))
			must(t, q.ClaimNumber(ctx, "num_8", "cus_1", "", tµ, tµ.Add(time.Microsecond))) // not due yet
			ds, err := q.DueNumbers(ctx, tµ, store.DueNumber{}, 10)
			must(t, err)
			eq(t, "due, by date then ID", ds, []store.DueNumber{{ID: "num_7", RenewsAt: µs(tµ.Add(-time.Microsecond))},
				{ID: "num_1", RenewsAt: µs(tµ)}, {ID: "num_3", RenewsAt: µs(tµ)}})
			ds, err = q.DueNumbers(ctx, tµ, ds[1], 1)
			must(t, err)
			eq(t, "after the cursor", ds, []store.DueNumber{{ID: "num_3", RenewsAt: µs(tµ)}})
		},
		"Q.NextNumberEvent": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			_, ok, err := q.NextNumberEvent(ctx, tµ)
			must(t, err)
			eq(t, "no event", ok, false)
			fxCustomer(t, q, "cus_1")
			fxInventory(t, q)
			must(t, q.ClaimNumber(ctx, "num_1", "cus_1", "", tµ, tµ.Add(3*time.Hour)))
			must(t, q.UpdateNumberLifecycle(ctx, market.Number{ID: "num_3", Status: market.NumberQuarantine, QuarantineUntil: ptr(tµ.Add(2 * time.Hour))}))
			must(t, q.ClaimNumber(ctx, "num_7", "cus_1", "", tµ, tµ.Add(-time.Hour))) // past: not next
			at, ok, err := q.NextNumberEvent(ctx, tµ)
			must(t, err)
			eq(t, "next", words(at, ok), words(µs(tµ.Add(2*time.Hour)), true))
		},
		"Q.EndQuarantines": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxInventory(t, q)
			for _, c := range []struct {
				id    string
				until time.Duration
			}{{"num_1", -time.Hour}, {"num_3", 0}, {"num_7", time.Microsecond}} {
				must(t, q.UpdateNumberLifecycle(ctx, market.Number{ID: c.id, Status: market.NumberQuarantine, QuarantineUntil: ptr(tµ.Add(c.until))}))
			}
			n, err := q.EndQuarantines(ctx, tµ, 1)
			must(t, err)
			eq(t, "freed (limit 1)", n, 1)
			n, err = q.EndQuarantines(ctx, tµ, 10)
			must(t, err)
			eq(t, "freed", n, 1)
			ns, err := q.AvailableNumbers(ctx, store.NumberSearch{Country: "US", State: "NY", Type: "local"})
			must(t, err)
			eq(t, "available again", numbersOf(ns), "+12125550101 +12125550103")
			num, err := q.Number(ctx, "num_1")
			must(t, err)
			eq(t, "quarantine date cleared", num.QuarantineUntil, (*time.Time)(nil))
		},
		"Q.NumberCountries": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxInventory(t, q)
			must(t, q.ClaimNumber(ctx, "num_9", "cus_1", "", tµ, tµ))
			fs, err := q.NumberCountries(ctx, "")
			must(t, err)
			eq(t, "countries (all taken listed with 0)", facetsOf(fs), "CA 0, US 4")
			fs, err = q.NumberCountries(ctx, "CAD")
			must(t, err)
			eq(t, "in CAD", facetsOf(fs), "CA 0")
		},
		"Q.NumberStates": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxInventory(t, q)
			must(t, q.ClaimNumber(ctx, "num_9", "cus_1", "", tµ, tµ))
			fs, err := q.NumberStates(ctx, "US", "")
			must(t, err)
			eq(t, "states", facetsOf(fs), "NY 4")
			fs, err = q.NumberStates(ctx, "CA", "")
			must(t, err)
			eq(t, "all taken: hidden", facetsOf(fs), "")
		},
		"Q.NumberAreas": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxInventory(t, q)
			fs, err := q.NumberAreas(ctx, "US", "NY", "")
			must(t, err)
			eq(t, "areas", facetsOf(fs), "212 3, 718 1")
			fs, err = q.NumberAreas(ctx, "US", "", "CAD")
			must(t, err)
			eq(t, "other currency", facetsOf(fs), "")
		},
		"Q.AdminNumbers": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxInventory(t, q)
			must(t, q.ClaimNumber(ctx, "num_7", "cus_1", "", tµ, tµ))
			for _, c := range []struct {
				status string
				p      store.Page
				want   string
			}{
				{"", store.Page{}, "+12125550101 +12125550103 +14165550109 +17185550107 +18005550108"},
				{market.NumberAvailable, store.Page{}, "+12125550101 +12125550103 +14165550109 +18005550108"},
				{market.NumberActive, store.Page{}, "+17185550107"},
				{market.NumberGrace, store.Page{}, ""},
				{"", store.Page{After: "+14165550109", Limit: 1}, "+17185550107 +18005550108"}, // Limit+1 rows
			} {
				ns, err := q.AdminNumbers(ctx, c.status, c.p)
				must(t, err)
				eq(t, words("status", c.status, c.p), numbersOf(ns), c.want)
			}
		},
	})
}
