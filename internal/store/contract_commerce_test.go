package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
	"github.com/dialtone/dialtone/internal/store"
)

func fxAddress(t *testing.T, q *store.Q, customerID, id string) market.BillingAddress {
	t.Helper()
	a := market.BillingAddress{ID: id, CustomerID: customerID, CreatedAt: tµ, Address: market.Address{Name: "Ann", Line1: "Main 1",
		City: "Bern", PostalCode: "3000", Country: "CH", VATID: "CHE-1"}}
	must(t, q.InsertBillingAddress(ctx, a))
	a.CreatedAt = µs(tµ)
	return a
}

func fxCard(t *testing.T, q *store.Q, customerID, id string) market.PaymentMethod {
	t.Helper()
	p, err := q.InsertPaymentMethod(ctx, market.PaymentMethod{ID: id, CustomerID: customerID, Gateway: "sandbox", Token: "tok_" + id,
		Brand: "visa", Last4: "4242", ExpMonth: 12, ExpYear: 2030, CreatedAt: tµ})
	must(t, err)
	p.CreatedAt = µs(tµ)
	return p
}

func fxPromo(t *testing.T, q *store.Q, code string, max int) market.Promo {
	t.Helper()
	p := market.Promo{Code: code, PercentOff: money.MustRate("10"), HasPercent: true, Currency: "CHF", Plans: []string{"a", "b"},
		Terms: []int{1, 12}, ValidFrom: ptr(tµ), MaxRedemptions: max, MaxPerCustomer: 1, MinQuantity: 1, Active: true}
	must(t, q.InsertPromo(ctx, p, tµ))
	p.ValidFrom, p.CreatedAt = ptr(µs(tµ)), µs(tµ)
	return p
}

// Contract: catalog, billing addresses, payment methods, tax rates, promo
// codes and carts.
func init() {
	addContract(map[string]contractCase{
		"Q.UpsertProduct": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			must(t, q.UpsertProduct(ctx, "prod_x", "", "Fallback"))
			must(t, q.InsertPlan(ctx, market.Plan{Code: "p", Product: "prod_x", Terms: []int{1}}, tµ))
			name := func() string {
				p, err := q.Plan(ctx, "p")
				must(t, err)
				return p.ProductName
			}
			eq(t, "new product without a name", name(), "Fallback")
			must(t, q.UpsertProduct(ctx, "prod_x", "", "Other"))
			eq(t, "no name keeps the name", name(), "Fallback")
			must(t, q.UpsertProduct(ctx, "prod_x", "Renamed", "Other"))
			eq(t, "renamed", name(), "Renamed")
		},
		"Q.InsertPlan": func(t *testing.T, st *store.Store) {
			t.Run("ReadsBack", func(t *testing.T) {
				q := txQ(t, st)
				want := fxPlan(t, q, "pln")
				got, err := q.Plan(ctx, "pln")
				must(t, err)
				eq(t, "plan", got, want)
			})
			t.Run("Conflict", func(t *testing.T) {
				q := txQ(t, st)
				p := fxPlan(t, q, "pln")
				wantCode(t, q.InsertPlan(ctx, p, tµ), market.CodeConflict, "code")
			})
			t.Run("UnknownProduct", func(t *testing.T) {
				q := txQ(t, st)
				if err := q.InsertPlan(ctx, market.Plan{Code: "p", Product: "prod_none"}, tµ); err == nil {
					t.Error("a plan of no product was stored")
				}
			})
			t.Run("NegativePrice", func(t *testing.T) { // CHECK (unit_amount >= 0)
				q := txQ(t, st)
				must(t, q.UpsertProduct(ctx, "prod", "P", ""))
				err := q.InsertPlan(ctx, market.Plan{Code: "p", Product: "prod", Prices: []market.Price{{Currency: "CHF", TermMonths: 1, UnitAmount: -1}}}, tµ)
				if err == nil {
					t.Error("a negative price was stored")
				}
			})
		},
		"Q.UpdatePlan": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			p := fxPlan(t, q, "pln")
			p.Name, p.Rank, p.Terms, p.Active = "Renamed", 2, []int{12}, false
			p.Prices = []market.Price{{Currency: "EUR", TermMonths: 12, UnitAmount: 9000}}
			must(t, q.UpdatePlan(ctx, p, tµ))
			got, err := q.Plan(ctx, "pln")
			must(t, err)
			eq(t, "plan", got, p)
			wantNotFound(t, q.UpdatePlan(ctx, market.Plan{Code: "none", Product: p.Product}, tµ))
		},
		"Q.Plan": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			_, err := q.Plan(ctx, "none")
			wantNotFound(t, err)
		},
		"Q.Plans": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			must(t, q.UpsertProduct(ctx, "b", "B", ""))
			must(t, q.UpsertProduct(ctx, "a", "A", ""))
			for _, p := range []market.Plan{{Code: "b2", Product: "b", Rank: 2, Active: true}, {Code: "b1", Product: "b", Rank: 1},
				{Code: "a9", Product: "a", Rank: 9, Active: true}, {Code: "a0", Product: "a", Rank: 9, Active: true}} {
				must(t, q.InsertPlan(ctx, p, tµ))
			}
			codes := func(active bool) string {
				ps, err := q.Plans(ctx, active)
				must(t, err)
				s := ""
				for _, p := range ps {
					s += p.Code + " "
				}
				return s
			}
			eq(t, "by product, rank, code", codes(false), "a0 a9 b1 b2 ")
			eq(t, "active only", codes(true), "a0 a9 b2 ")
		},
		"Q.InsertBillingAddress": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			want := fxAddress(t, q, "cus_1", "adr_1")
			got, err := q.BillingAddress(ctx, "cus_1", "adr_1")
			must(t, err)
			eq(t, "address", got, want)
			if err := q.InsertBillingAddress(ctx, market.BillingAddress{ID: "adr_2", CustomerID: "cus_none", CreatedAt: tµ}); err == nil {
				t.Error("an address of no customer was stored")
			}
		},
		"Q.UpdateBillingAddress": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			a := fxAddress(t, q, "cus_1", "adr_1")
			a.City, a.State, a.Line2 = "Zürich", "ZH", "c/o"
			must(t, q.UpdateBillingAddress(ctx, a))
			got, err := q.BillingAddress(ctx, "cus_1", "adr_1")
			must(t, err)
			eq(t, "address", got, a)
			b := a
			b.CustomerID = "cus_2"
			wantNotFound(t, q.UpdateBillingAddress(ctx, b))
			must(t, q.DeleteBillingAddress(ctx, "cus_1", "adr_1", tµ))
			wantNotFound(t, q.UpdateBillingAddress(ctx, a)) // deleted
		},
		"Q.DeleteBillingAddress": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxAddress(t, q, "cus_1", "adr_1")
			wantNotFound(t, q.DeleteBillingAddress(ctx, "cus_2", "adr_1", tµ))
			must(t, q.DeleteBillingAddress(ctx, "cus_1", "adr_1", tµ))
			wantNotFound(t, q.DeleteBillingAddress(ctx, "cus_1", "adr_1", tµ))
			_, err := q.BillingAddress(ctx, "cus_1", "adr_1")
			wantNotFound(t, err)
		},
		"Q.BillingAddress": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxAddress(t, q, "cus_1", "adr_1")
			_, err := q.BillingAddress(ctx, "cus_2", "adr_1")
			wantNotFound(t, err)
			_, err = q.BillingAddress(ctx, "cus_1", "adr_none")
			wantNotFound(t, err)
		},
		"Q.AnyBillingAddress": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			want := fxAddress(t, q, "cus_1", "adr_1")
			must(t, q.DeleteBillingAddress(ctx, "cus_1", "adr_1", tµ))
			got, err := q.AnyBillingAddress(ctx, "adr_1")
			must(t, err)
			eq(t, "deleted address", got, want)
			_, err = q.AnyBillingAddress(ctx, "adr_none")
			wantNotFound(t, err)
		},
		"Q.BillingAddresses": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			c := fxAddress(t, q, "cus_1", "adr_c")
			a := fxAddress(t, q, "cus_1", "adr_a")
			fxAddress(t, q, "cus_1", "adr_b")
			must(t, q.DeleteBillingAddress(ctx, "cus_1", "adr_b", tµ))
			as, err := q.BillingAddresses(ctx, "cus_1")
			must(t, err)
			eq(t, "live addresses by ID", as, []market.BillingAddress{a, c})
		},
		"Q.InsertPaymentMethod": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			first := fxCard(t, q, "cus_1", "pm_1")
			second := fxCard(t, q, "cus_1", "pm_2")
			eq(t, "defaults", words(first.Default, second.Default), "true false")
			got, err := q.PaymentMethod(ctx, "cus_1", "pm_1")
			must(t, err)
			eq(t, "card", got, first)
		},
		"Q.PaymentMethod": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxCard(t, q, "cus_1", "pm_1")
			_, err := q.PaymentMethod(ctx, "cus_2", "pm_1")
			wantNotFound(t, err)
			must(t, q.DeletePaymentMethod(ctx, "cus_1", "pm_1", tµ))
			_, err = q.PaymentMethod(ctx, "cus_1", "pm_1")
			wantNotFound(t, err)
		},
		"Q.DefaultPaymentMethod": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			_, err := q.DefaultPaymentMethod(ctx, "cus_1")
			wantNotFound(t, err)
			want := fxCard(t, q, "cus_1", "pm_1")
			fxCard(t, q, "cus_1", "pm_2")
			got, err := q.DefaultPaymentMethod(ctx, "cus_1")
			must(t, err)
			eq(t, "default", got, want)
		},
		"Q.PaymentMethods": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			b := fxCard(t, q, "cus_1", "pm_b")
			a := fxCard(t, q, "cus_1", "pm_a")
			fxCard(t, q, "cus_1", "pm_c")
			must(t, q.DeletePaymentMethod(ctx, "cus_1", "pm_c", tµ))
			ps, err := q.PaymentMethods(ctx, "cus_1")
			must(t, err)
			eq(t, "live cards by ID", ps, []market.PaymentMethod{a, b})
		},
		"Q.SetDefaultPaymentMethod": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxCard(t, q, "cus_1", "pm_1")
			fxCard(t, q, "cus_1", "pm_2")
			must(t, q.SetDefaultPaymentMethod(ctx, "cus_1", "pm_2"))
			ps, err := q.PaymentMethods(ctx, "cus_1")
			must(t, err)
			eq(t, "defaults", words(ps[0].Default, ps[1].Default), "false true")
			wantNotFound(t, q.SetDefaultPaymentMethod(ctx, "cus_1", "pm_none"))
			wantNotFound(t, q.SetDefaultPaymentMethod(ctx, "cus_2", "pm_1"))
		},
		"Q.DeletePaymentMethod": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			for _, id := range []string{"pm_1", "pm_2", "pm_3"} {
				fxCard(t, q, "cus_1", id)
			}
			must(t, q.DeletePaymentMethod(ctx, "cus_1", "pm_1", tµ)) // the default: the newest left takes over
			d, err := q.DefaultPaymentMethod(ctx, "cus_1")
			must(t, err)
			eq(t, "new default", d.ID, "pm_3")
			must(t, q.DeletePaymentMethod(ctx, "cus_1", "pm_2", tµ)) // not the default: it stays
			d, err = q.DefaultPaymentMethod(ctx, "cus_1")
			must(t, err)
			eq(t, "default", d.ID, "pm_3")
			wantNotFound(t, q.DeletePaymentMethod(ctx, "cus_1", "pm_1", tµ))
			wantNotFound(t, q.DeletePaymentMethod(ctx, "cus_2", "pm_3", tµ))
		},
		"Q.PutTaxRate": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			must(t, q.PutTaxRate(ctx, "CH", money.MustRate("7.7"), tµ))
			must(t, q.PutTaxRate(ctx, "CH", money.MustRate("8.1"), tµ.Add(time.Hour)))
			rs, err := q.TaxRates(ctx)
			must(t, err)
			eq(t, "rates", rs, []market.TaxRate{{Country: "CH", Rate: money.MustRate("8.1"), UpdatedAt: µs(tµ.Add(time.Hour))}})
		},
		"Q.TaxRateFor": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			must(t, q.PutTaxRate(ctx, "DE", money.MustRate("19"), tµ))
			r, err := q.TaxRateFor(ctx, "DE")
			must(t, err)
			eq(t, "rate", r, money.MustRate("19"))
			r, err = q.TaxRateFor(ctx, "US") // documented: no rate set is a zero rate, not an error
			must(t, err)
			eq(t, "unset rate", r, money.Rate{})
		},
		"Q.TaxRates": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			for _, c := range []string{"DE", "AT", "CH"} {
				must(t, q.PutTaxRate(ctx, c, money.MustRate("1"), tµ))
			}
			rs, err := q.TaxRates(ctx)
			must(t, err)
			eq(t, "by country", words(rs[0].Country, rs[1].Country, rs[2].Country), "AT CH DE")
		},
		"Q.InsertPromo": func(t *testing.T, st *store.Store) {
			t.Run("ReadsBack", func(t *testing.T) {
				q := txQ(t, st)
				want := fxPromo(t, q, "SAVE10", 5)
				got, err := q.Promo(ctx, "SAVE10", false)
				must(t, err)
				eq(t, "promo", got, want)
				// An amount-off promo: NULL percent reads as HasPercent false;
				// no plans and no dates as nil.
				must(t, q.InsertPromo(ctx, market.Promo{Code: "FLAT", AmountOff: 500, Currency: "CHF", Active: true}, tµ))
				got, err = q.Promo(ctx, "FLAT", false)
				must(t, err)
				eq(t, "amount-off promo", got, market.Promo{Code: "FLAT", AmountOff: 500, Currency: "CHF", Active: true, CreatedAt: µs(tµ)})
			})
			t.Run("Conflict", func(t *testing.T) {
				q := txQ(t, st)
				p := fxPromo(t, q, "SAVE10", 5)
				wantCode(t, q.InsertPromo(ctx, p, tµ), market.CodeConflict, "code")
			})
		},
		"Q.UpdatePromo": func(t *testing.T, st *store.Store) {
			t.Run("Saves", func(t *testing.T) {
				q := txQ(t, st)
				p := fxPromo(t, q, "SAVE10", 5)
				p.HasPercent, p.PercentOff, p.AmountOff, p.Plans, p.ValidFrom, p.ValidUntil = false, money.Rate{}, 300, nil, nil, ptr(µs(tµ.Add(time.Hour)))
				must(t, q.UpdatePromo(ctx, p))
				got, err := q.Promo(ctx, "SAVE10", false)
				must(t, err)
				eq(t, "promo", got, p)
				wantNotFound(t, q.UpdatePromo(ctx, market.Promo{Code: "NONE"}))
			})
			t.Run("MaxBelowRedemptions", func(t *testing.T) { // CHECK (redemptions <= max_redemptions)
				q := txQ(t, st)
				fxCustomer(t, q, "cus_1")
				p := fxPromo(t, q, "SAVE10", 5)
				must(t, q.Redeem(ctx, "SAVE10", "ord_1", "cus_1", tµ))
				must(t, q.Redeem(ctx, "SAVE10", "ord_2", "cus_1", tµ))
				p.MaxRedemptions = 1
				wantCode(t, q.UpdatePromo(ctx, p), market.CodeInvalidRequest, "max_redemptions")
			})
		},
		"Q.Promo": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxPromo(t, q, "SAVE10", 5)
			p, err := q.Promo(ctx, "SAVE10", true) // locked
			must(t, err)
			eq(t, "code", p.Code, "SAVE10")
			_, err = q.Promo(ctx, "NONE", true)
			wantNotFound(t, err)
			_, err = q.Promo(ctx, "NONE", false)
			wantNotFound(t, err)
		},
		"Q.Promos": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			must(t, q.InsertPromo(ctx, market.Promo{Code: "OLD"}, tµ))
			must(t, q.InsertPromo(ctx, market.Promo{Code: "NEWB"}, tµ.Add(time.Microsecond)))
			must(t, q.InsertPromo(ctx, market.Promo{Code: "NEWA"}, tµ.Add(time.Microsecond)))
			ps, err := q.Promos(ctx)
			must(t, err)
			eq(t, "newest first, then by code", words(ps[0].Code, ps[1].Code, ps[2].Code), "NEWA NEWB OLD")
		},
		"Q.CustomerRedemptions": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxCustomer(t, q, "cus_2")
			fxPromo(t, q, "SAVE10", 0)
			must(t, q.Redeem(ctx, "SAVE10", "ord_1", "cus_1", tµ))
			must(t, q.Redeem(ctx, "SAVE10", "ord_2", "cus_1", tµ))
			must(t, q.Redeem(ctx, "SAVE10", "ord_3", "cus_2", tµ))
			n, err := q.CustomerRedemptions(ctx, "SAVE10", "cus_1")
			must(t, err)
			eq(t, "redemptions", n, 2)
			n, err = q.CustomerRedemptions(ctx, "NONE", "cus_1")
			must(t, err)
			eq(t, "redemptions of no code", n, 0)
		},
		"Q.Redeem": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxPromo(t, q, "ONCE", 1)
			must(t, q.Redeem(ctx, "ONCE", "ord_1", "cus_1", tµ))
			wantCode(t, q.Redeem(ctx, "ONCE", "ord_2", "cus_1", tµ), market.CodePromoExhausted, "promo_code")
			p, err := q.Promo(ctx, "ONCE", false)
			must(t, err)
			eq(t, "redemptions", p.Redemptions, 1)
			wantCode(t, q.Redeem(ctx, "NONE", "ord_3", "cus_1", tµ), market.CodePromoExhausted, "promo_code")
		},
		"Q.Cart": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			items, promo, err := q.Cart(ctx, "cus_1") // no cart yet: empty, not an error
			must(t, err)
			eq(t, "empty cart", words(len(items), promo), "0 ")
			must(t, q.AddCartItem(ctx, "cus_1", market.CartItem{ID: "ci_b", Item: `{"b":1}`, CreatedAt: tµ}))
			must(t, q.AddCartItem(ctx, "cus_1", market.CartItem{ID: "ci_a", Item: `{"a":1}`, CreatedAt: tµ}))
			must(t, q.SetCartPromo(ctx, "cus_1", "SAVE10", tµ))
			items, promo, err = q.Cart(ctx, "cus_1")
			must(t, err)
			eq(t, "items by ID", items, []market.CartItem{{ID: "ci_a", Item: `{"a":1}`, CreatedAt: µs(tµ)}, {ID: "ci_b", Item: `{"b":1}`, CreatedAt: µs(tµ)}})
			eq(t, "promo", promo, "SAVE10")
		},
		"Q.AddCartItem": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			for i := range 50 {
				must(t, q.AddCartItem(ctx, "cus_1", market.CartItem{ID: fmt.Sprintf("ci_%02d", i), Item: "{}", CreatedAt: tµ}))
			}
			wantCode(t, q.AddCartItem(ctx, "cus_1", market.CartItem{ID: "ci_50", Item: "{}", CreatedAt: tµ}), market.CodeInvalidRequest, "items")
			n, err := q.CartCount(ctx, "cus_1")
			must(t, err)
			eq(t, "count", n, 50)
		},
		"Q.RemoveCartItem": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxCustomer(t, q, "cus_2")
			must(t, q.AddCartItem(ctx, "cus_1", market.CartItem{ID: "ci_1", Item: "{}", CreatedAt: tµ}))
			wantNotFound(t, q.RemoveCartItem(ctx, "cus_2", "ci_1"))
			must(t, q.RemoveCartItem(ctx, "cus_1", "ci_1"))
			wantNotFound(t, q.RemoveCartItem(ctx, "cus_1", "ci_1"))
		},
		"Q.UpdateCartItem": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxCustomer(t, q, "cus_2")
			must(t, q.AddCartItem(ctx, "cus_1", market.CartItem{ID: "ci_1", Item: `{"quantity":2}`, CreatedAt: tµ}))
			must(t, q.AddCartItem(ctx, "cus_1", market.CartItem{ID: "ci_2", Item: `{"quantity":9}`, CreatedAt: tµ}))
			wantNotFound(t, q.UpdateCartItem(ctx, "cus_2", "ci_1", `{"quantity":5}`))
			wantNotFound(t, q.UpdateCartItem(ctx, "cus_1", "ci_x", `{"quantity":5}`))
			must(t, q.UpdateCartItem(ctx, "cus_1", "ci_1", `{"quantity":5}`))
			items, _, err := q.Cart(ctx, "cus_1")
			must(t, err)
			eq(t, "items", items, []market.CartItem{{ID: "ci_1", Item: `{"quantity":5}`, CreatedAt: µs(tµ)}, {ID: "ci_2", Item: `{"quantity":9}`, CreatedAt: µs(tµ)}})
		},
		"Q.SetCartPromo": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			must(t, q.SetCartShown(ctx, "cus_1", map[string]string{"x": "1"}, tµ))
			must(t, q.SetCartPromo(ctx, "cus_1", "SAVE10", tµ))
			must(t, q.SetCartPromo(ctx, "cus_1", "", tµ)) // clears
			_, promo, err := q.Cart(ctx, "cus_1")
			must(t, err)
			eq(t, "promo", promo, "")
			shown, err := q.CartShown(ctx, "cus_1")
			must(t, err)
			eq(t, "shown prices kept", shown, map[string]string{"x": "1"})
		},
		"Q.CartShown": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			shown, err := q.CartShown(ctx, "cus_1") // documented: nil when none were shown
			must(t, err)
			eq(t, "no cart", shown, map[string]string(nil))
			must(t, q.SetCartPromo(ctx, "cus_1", "X", tµ))
			shown, err = q.CartShown(ctx, "cus_1")
			must(t, err)
			eq(t, "cart without shown prices", shown, map[string]string(nil))
		},
		"Q.SetCartShown": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			must(t, q.SetCartPromo(ctx, "cus_1", "SAVE10", tµ))
			must(t, q.SetCartShown(ctx, "cus_1", map[string]string{"ci_1": "CHF 10.00"}, tµ))
			shown, err := q.CartShown(ctx, "cus_1")
			must(t, err)
			eq(t, "shown", shown, map[string]string{"ci_1": "CHF 10.00"})
			must(t, q.SetCartShown(ctx, "cus_1", nil, tµ)) // forgets
			shown, err = q.CartShown(ctx, "cus_1")
			must(t, err)
			eq(t, "forgotten", shown, map[string]string(nil))
			_, promo, err := q.Cart(ctx, "cus_1")
			must(t, err)
			eq(t, "promo kept", promo, "SAVE10")
		},
		"Q.CartCount": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			n, err := q.CartCount(ctx, "cus_1")
			must(t, err)
			eq(t, "empty", n, 0)
			must(t, q.AddCartItem(ctx, "cus_1", market.CartItem{ID: "ci_1", Item: "{}", CreatedAt: tµ}))
			n, err = q.CartCount(ctx, "cus_1")
			must(t, err)
			eq(t, "count", n, 1)
		},
	})
}
