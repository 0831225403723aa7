package server_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// setPrice sets a plan's list price for one term in CHF, as the operator
// does (PATCH /v1/admin/plans/{code} with the plan's prices).
func setPrice(t *testing.T, a *api, code string, term, unit int64) {
	t.Helper()
	var prices []any
	for _, p := range dataOf(a.do("GET", "/v1/admin/plans", adminToken, nil)) {
		if p["code"] != code {
			continue
		}
		for _, pr := range p["prices"].([]any) {
			pr := pr.(map[string]any)
			if pr["currency"] == "CHF" && num(pr["term_months"]) == term {
				pr["unit_amount"] = unit
			}
			prices = append(prices, pr)
		}
	}
	if r := a.do("PATCH", "/v1/admin/plans/"+code, adminToken, map[string]any{"prices": prices}); r.status != 200 {
		t.Fatalf("patch plan: %d %s", r.status, r.raw)
	}
}

// holdings is what a customer has paid for: the balance and the orders.
func holdings(t *testing.T, a *api, tok string) (int64, int) {
	t.Helper()
	return num(a.do("GET", "/v1/account", tok, nil).body["balance"]), len(dataOf(a.do("GET", "/v1/orders", tok, nil)))
}

// TestCartCheckoutPriceChanged: the customer reads the cart (GET
// /v1/cart shows Start x2 for 12 months at 480.00 net); the operator
// raises the price, a promo code's percent or the tax rate; checkout is
// 409 price_changed with the fresh quote and charges nothing; a second
// checkout pays the new total. Changes the customer made (adding an
// item, another address) are no price change.
func TestCartCheckoutPriceChanged(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st)
		tok := a.signup("cart-price@acme.test", "CHF")
		adr := a.address(tok)
		a.do("POST", "/v1/orders", tok, topUp(1_000_000))
		item := map[string]any{"type": "subscription", "plan": "start", "quantity": 2, "term_months": 12}
		checkout := map[string]any{"billing_address": adr, "payment": map[string]any{"method": "balance"}}

		if r := a.do("POST", "/v1/cart/items", tok, item); r.status != 201 {
			t.Fatalf("add: %d %s", r.status, r.raw)
		}
		cart := a.do("GET", "/v1/cart", tok, nil)
		if q := cart.body["quote"].(map[string]any); num(q["subtotal"]) != 48000 {
			t.Fatalf("cart quote: %s", cart.raw)
		}
		setPrice(t, a, "start", 12, 26400)
		bal, orders := holdings(t, a, tok)
		r := a.do("POST", "/v1/cart/checkout", tok, checkout)
		e, _ := r.body["error"].(map[string]any)
		if r.status != 409 || r.errCode() != "price_changed" || e["quote"] == nil {
			t.Fatalf("checkout after a price rise: %d %s, want 409 price_changed", r.status, r.raw)
		}
		if q := e["quote"].(map[string]any); num(q["subtotal"]) != 52800 {
			t.Errorf("fresh quote: %v, want subtotal 52800", q)
		}
		if b, n := holdings(t, a, tok); b != bal || n != orders {
			t.Errorf("after 409: balance %d, %d orders; want %d, %d", b, n, bal, orders)
		}
		if n := len(a.do("GET", "/v1/cart", tok, nil).body["items"].([]any)); n != 1 {
			t.Errorf("cart holds %d items after 409, want 1", n)
		}
		r = a.do("POST", "/v1/cart/checkout", tok, checkout)
		if r.status != 201 || num(r.body["subtotal"]) != 52800 {
			t.Fatalf("second checkout: %d %s, want 201 at 528.00", r.status, r.raw)
		}

		t.Run("ErrPromoChanged", func(t *testing.T) {
			if r := a.do("POST", "/v1/admin/promo_codes", adminToken, map[string]any{"code": "CARTTEN", "percent_off": "10", "max_per_customer": 0}); r.status != 201 {
				t.Fatalf("promo: %d %s", r.status, r.raw)
			}
			a.do("POST", "/v1/cart/items", tok, map[string]any{"type": "subscription", "plan": "ivr", "quantity": 1, "term_months": 1})
			if r := a.do("PUT", "/v1/cart/promo_code", tok, map[string]any{"code": "CARTTEN"}); r.status != 200 {
				t.Fatalf("apply promo: %d %s", r.status, r.raw)
			}
			if r := a.do("PATCH", "/v1/admin/promo_codes/CARTTEN", adminToken, map[string]any{"percent_off": "5"}); r.status != 200 {
				t.Fatalf("patch promo: %d %s", r.status, r.raw)
			}
			r := a.do("POST", "/v1/cart/checkout", tok, checkout)
			if r.status != 409 || r.errCode() != "price_changed" {
				t.Errorf("checkout after the promo changed: %d %s", r.status, r.raw)
			}
			if r := a.do("POST", "/v1/cart/checkout", tok, checkout); r.status != 201 {
				t.Errorf("second checkout: %d %s", r.status, r.raw)
			}
		})
		t.Run("ErrTaxChanged", func(t *testing.T) {
			a.do("POST", "/v1/cart/items", tok, map[string]any{"type": "subscription", "plan": "ivr", "quantity": 1, "term_months": 1})
			a.do("GET", "/v1/cart", tok, nil)
			if r := a.do("PUT", "/v1/admin/tax_rates/CH", adminToken, map[string]any{"percent": "9"}); r.status != 200 {
				t.Fatalf("tax: %d %s", r.status, r.raw)
			}
			r := a.do("POST", "/v1/cart/checkout", tok, checkout)
			if r.status != 409 || r.errCode() != "price_changed" {
				t.Errorf("checkout after the tax rate changed: %d %s", r.status, r.raw)
			}
			r = a.do("POST", "/v1/cart/checkout", tok, checkout)
			if r.status != 201 || num(r.body["tax"]) != 81 { // 9 % of 9.00
				t.Errorf("second checkout: %d %s, want tax 0.81", r.status, r.raw)
			}
		})
		t.Run("OKCustomersOwnChanges", func(t *testing.T) {
			a.do("POST", "/v1/cart/items", tok, map[string]any{"type": "subscription", "plan": "ivr", "quantity": 1, "term_months": 1})
			a.do("GET", "/v1/cart", tok, nil)
			a.do("POST", "/v1/cart/items", tok, map[string]any{"type": "subscription", "plan": "ivr", "quantity": 2, "term_months": 3})
			de := a.do("POST", "/v1/billing_addresses", tok, map[string]any{"name": "Acme GmbH", "line1": "Unter den Linden 1", "city": "Berlin", "postal_code": "10117", "country": "DE"})
			c := map[string]any{"billing_address": de.body["id"], "payment": map[string]any{"method": "balance"}}
			if r := a.do("POST", "/v1/cart/checkout", tok, c); r.status != 201 {
				t.Errorf("checkout after adding an item, with another address: %d %s", r.status, r.raw)
			}
		})
		t.Run("ErrStaleQuoteToken", func(t *testing.T) {
			a.do("POST", "/v1/cart/items", tok, map[string]any{"type": "subscription", "plan": "ivr", "quantity": 1, "term_months": 1})
			c := map[string]any{"billing_address": adr, "payment": map[string]any{"method": "balance"}, "quote_token": "qt_stale"}
			if r := a.do("POST", "/v1/cart/checkout", tok, c); r.status != 409 || r.errCode() != "price_changed" {
				t.Errorf("stale token: %d %s", r.status, r.raw)
			}
		})
	})
}

// TestPortalCartPriceChanged: the payment step shows the total; the
// operator raises the price; Finish shows the new total and asks to
// confirm again (409), nothing is charged; Finish again pays it.
func TestPortalCartPriceChanged(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st)
		acc := newAccount(t, a, "portal-price@acme.test", 1_000_000)
		b := acc.b
		adr := a.address(acc.tok)
		p := b.post("/buy", url.Values{"plan": {"start"}, "quantity": {"2"}, "term": {"12"}})
		p.has(t, chfs(48000))
		p = b.get("/cart/payment?address=" + adr)
		p.has(t, "pay "+chfs(51888)) // 480.00 + 8.1 %
		form := url.Values{"address": {adr}, "pay": {"balance"}, "key": {p.find(t, `name="key" value="([^"]+)"`)},
			"quote_token": {p.find(t, `name="quote_token" value="([^"]+)"`)}}
		setPrice(t, a, "start", 12, 26400)
		bal, orders := holdings(t, a, acc.tok)
		p = b.post("/cart/payment", form)
		if p.status != 409 || strings.HasPrefix(p.url, "/orders/") {
			t.Fatalf("Finish after a price rise: %d at %s", p.status, p.url)
		}
		p.has(t, "Prices changed since you saw this order", "pay "+chfs(57077)) // 528.00 + 8.1 % (42.77)
		if b2, n := holdings(t, a, acc.tok); b2 != bal || n != orders {
			t.Errorf("after 409: balance %d, %d orders; want %d, %d", b2, n, bal, orders)
		}
		form.Set("key", p.find(t, `name="key" value="([^"]+)"`))
		form.Set("quote_token", p.find(t, `name="quote_token" value="([^"]+)"`))
		p = b.post("/cart/payment", form)
		if !strings.HasPrefix(p.url, "/orders/ord_") {
			t.Fatalf("Finish again: %d at %s", p.status, p.url)
		}
		if b2, _ := holdings(t, a, acc.tok); b2 != bal-57077 {
			t.Errorf("balance %d, want %d", b2, bal-57077)
		}

		// A form without the token (the cart page seen at the old price).
		b.post("/buy", url.Values{"plan": {"ivr"}, "quantity": {"1"}, "term": {"1"}})
		b.get("/cart/payment?address=" + adr)
		setPrice(t, a, "ivr", 1, 1000)
		p = b.post("/cart/payment", url.Values{"address": {adr}, "pay": {"balance"}})
		if p.status != 409 {
			t.Errorf("Finish without a token after a price rise: %d at %s", p.status, p.url)
		}
	})
}
