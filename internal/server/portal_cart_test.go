package server_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestPortalBuyOrderTrial is peoplefone's "Buy peoplefone HOSTED": the
// products in order, wrong entries refused next to their fields, Hosted
// PBX with "Activate now and test free of charge for 30 days" -> cart
// (total 0) -> Confirm order -> a new address verified -> Pay; the API
// shows a trialing subscription and an order of 0, and a second trial is
// refused next to the checkbox.
func TestPortalBuyOrderTrial(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	acc := newAccount(t, a, "hosted@acme.test", 0)
	b := acc.b

	p := b.get("/buy")
	p.has(t, "<h1>Buy/Order</h1>", "Hosted PBX (vPBX)", "Activate now and test free of charge for 30 days", "Term in months",
		"Number of users", `id="quantity-hosted-pbx"`, `id="trial-hosted-pbx"`, "Add to cart")
	p.hasNot(t, `value="sip-trunk"`, `id="trial-ivr"`)
	h, i, c := strings.Index(p.body, "Hosted PBX"), strings.Index(p.body, "IVR add-on"), strings.Index(p.body, "Cloud Contact Center")
	if !(h < i && i < c) {
		t.Errorf("products at %d, %d, %d: want Hosted PBX, then IVR, then Cloud Contact Center", h, i, c)
	}

	t.Run("ErrMinLicenses", func(t *testing.T) {
		p := b.post("/buy", url.Values{"plan": {"business"}, "quantity": {"1"}, "term": {"12"}})
		if p.status != 422 {
			t.Errorf("1 license: %d", p.status)
		}
		p.has(t, `id="quantity-business-error"`, `aria-describedby="quantity-business-error"`, "at least 2")
		p.hasNot(t, `id="quantity-hosted-pbx-error"`)
	})
	t.Run("ErrInvalidTerm", func(t *testing.T) {
		p := b.post("/buy", url.Values{"plan": {"ivr"}, "quantity": {"1"}, "term": {"6"}})
		if p.status != 422 {
			t.Errorf("6 months of IVR: %d", p.status)
		}
		p.has(t, `id="term-ivr-error"`)
	})
	if n := len(a.do("GET", "/v1/cart", acc.tok, nil).body["items"].([]any)); n != 0 {
		t.Fatalf("refused items are in the cart: %d", n)
	}

	p = b.post("/buy", url.Values{"plan": {"hosted-pbx"}, "quantity": {"3"}, "term": {"12"}, "trial": {"on"}})
	if p.url != "/cart" {
		t.Fatalf("Add to cart: %d at %s", p.status, p.url)
	}
	p.has(t, "30-day free trial", "3 licenses", "Free trial", `data-testid="total">CHF 0.00<`, "Confirm order")

	t.Run("ErrSecondTrialInCart", func(t *testing.T) {
		p := b.post("/buy", url.Values{"plan": {"hosted-pbx"}, "quantity": {"1"}, "term": {"1"}, "trial": {"on"}})
		if p.status != 422 {
			t.Errorf("second trial in the cart: %d", p.status)
		}
		p.has(t, `id="trial-hosted-pbx-error"`)
	})

	p = b.get("/cart/address")
	p.has(t, `value="new" checked`, "Verify address")
	addr := url.Values{"address": {"new"}, "name": {"Acme AG"}, "line1": {"Bahnhofstrasse 1"}, "postal_code": {"80"}, "city": {"Zürich"}, "country": {"CH"}}
	p = b.post("/cart/address", addr)
	if p.status != 400 {
		t.Errorf("bad postal code: %d", p.status)
	}
	p.has(t, `id="postal_code-error"`, `value="Bahnhofstrasse 1"`)
	addr.Set("postal_code", "8001")
	p = b.post("/cart/address", addr)
	if !strings.HasPrefix(p.url, "/cart/payment?address=adr_") {
		t.Fatalf("Verify address: %d at %s", p.status, p.url)
	}
	p.has(t, "Address verified", "Bahnhofstrasse 1", `value="balance" checked`, "pay CHF 0.00")
	form := url.Values{"address": {p.find(t, `name="address" value="([^"]+)"`)}, "pay": {"balance"},
		"key": {p.find(t, `name="key" value="([^"]+)"`)}, "quote_token": {p.find(t, `name="quote_token" value="([^"]+)"`)}}
	p = b.post("/cart/payment", form)
	if !strings.HasPrefix(p.url, "/orders/ord_") {
		t.Fatalf("Pay: %d at %s\n%s", p.status, p.url, p.body)
	}
	p.has(t, "Payment completed", "CHF 0.00", `data-testid="home"`)

	subs := dataOf(a.do("GET", "/v1/subscriptions", acc.tok, nil))
	if len(subs) != 1 || subs[0]["plan"] != "hosted-pbx" || subs[0]["status"] != "trialing" || num(subs[0]["quantity"]) != 3 || subs[0]["trial_ends_at"] == nil {
		t.Errorf("subscriptions: %v, want one Hosted PBX x3 trialing", subs)
	}
	if o := dataOf(a.do("GET", "/v1/orders", acc.tok, nil)); len(o) != 1 || num(o[0]["total"]) != 0 {
		t.Errorf("orders: %v, want one of 0", o)
	}
	b.get("/subscriptions").has(t, `class="status-trialing"`, "Trial ends")

	p = b.post("/buy", url.Values{"plan": {"hosted-pbx"}, "quantity": {"1"}, "term": {"1"}, "trial": {"on"}})
	if p.status != 422 {
		t.Errorf("second trial: %d, want 422", p.status)
	}
	p.has(t, `id="trial-hosted-pbx-error"`, "already been used", `aria-describedby="trial-hosted-pbx-error"`)
}

// TestPortalCartPromo: Apply puts a promo code on the cart (the discount
// shows), a wrong code is refused next to the field, Remove takes it off,
// and a code for new subscriptions does not apply to an extension.
func TestPortalCartPromo(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	acc := newAccount(t, a, "promo@acme.test", 0)
	b := acc.b
	p := b.post("/buy", url.Values{"plan": {"ivr"}, "quantity": {"2"}, "term": {"12"}})
	p.has(t, "Tax is added", "Confirm order") // no address yet: priced without tax
	p.hasNot(t, `data-testid="quote-error"`)
	a.address(acc.tok)
	if r := a.do("POST", "/v1/admin/promo_codes", adminToken, map[string]any{"code": "SHOP10", "percent_off": "10"}); r.status != 201 {
		t.Fatalf("promo: %d %s", r.status, r.raw)
	}
	t.Run("ErrUnknownCode", func(t *testing.T) {
		p := b.post("/cart/promo", url.Values{"promo": {"NOSUCH"}, "action": {"apply"}})
		if p.status != 422 {
			t.Errorf("unknown code: %d", p.status)
		}
		p.has(t, `id="promo-error"`, "does not exist", `value="NOSUCH"`)
	})

	p = b.post("/cart/promo", url.Values{"promo": {"shop10"}, "action": {"apply"}})
	if p.url != "/cart" {
		t.Fatalf("Apply: %s", p.url)
	}
	p.has(t, "Promo code SHOP10 applied", `data-testid="discount"`, "Discount (SHOP10)", `data-testid="remove-promo"`)
	cart := a.do("GET", "/v1/cart", acc.tok, nil).body
	if cart["promo_code"] != "SHOP10" {
		t.Errorf("cart promo_code %v", cart["promo_code"])
	}
	q := cart["quote"].(map[string]any)
	if num(q["discount"]) == 0 || num(q["discount"]) != num(q["subtotal"])/10 {
		t.Errorf("discount %v of %v, want 10 %%", q["discount"], q["subtotal"])
	}

	p = b.post("/cart/promo", url.Values{"promo": {"SHOP10"}, "action": {"remove"}})
	p.has(t, "The promo code was removed")
	p.hasNot(t, `data-testid="discount"`)
	if c := a.do("GET", "/v1/cart", acc.tok, nil).body["promo_code"]; c != nil && c != "" {
		t.Errorf("promo code still on the cart: %v", c)
	}

	t.Run("ErrRenewalOnly", func(t *testing.T) {
		other := newAccount(t, a, "renewer@acme.test", 100000)
		adr := a.address(other.tok)
		o := buy(t, a, other, adr, map[string]any{"type": "subscription", "plan": "ivr", "quantity": 1, "term_months": 1})
		sub := o["items"].([]any)[0].(map[string]any)["subscription"].(string)
		other.b.post("/subscriptions/"+sub+"/extend", url.Values{"term": {"1"}, "quantity": {"1"}})
		p := other.b.post("/cart/promo", url.Values{"promo": {"SHOP10"}, "action": {"apply"}})
		if p.status != 422 {
			t.Errorf("new-subscription code on an extension: %d", p.status)
		}
		p.has(t, `id="promo-error"`)
	})

	// Remove the item: the cart is empty.
	item := a.do("GET", "/v1/cart", acc.tok, nil).body["items"].([]any)[0].(map[string]any)["id"].(string)
	p = b.post("/cart/items/"+item+"/remove", nil)
	p.has(t, "The item was removed", `data-testid="cart-empty"`)
	if p := b.get("/cart/address"); p.url != "/cart" {
		t.Errorf("address step of an empty cart: %s", p.url)
	}
}

// TestPortalCartPaymentErrors: an insufficient balance says what is
// missing and links to a top-up that comes back to the payment step; a
// declined card is said in words; a price change shows the fresh quote;
// then a new card, saved, pays.
func TestPortalCartPaymentErrors(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	acc := newAccount(t, a, "pay@acme.test", 500)
	b := acc.b
	adr := a.address(acc.tok)
	if p := b.post("/buy", url.Values{"plan": {"hosted-pbx"}, "quantity": {"2"}, "term": {"1"}}); p.url != "/cart" {
		t.Fatalf("Add to cart: %s", p.url)
	}
	p := b.post("/cart/address", url.Values{"address": {adr}})
	back := p.url
	form := url.Values{"address": {adr}, "pay": {"balance"}, "key": {p.find(t, `name="key" value="([^"]+)"`)},
		"quote_token": {p.find(t, `name="quote_token" value="([^"]+)"`)}}

	p = b.post("/cart/payment", form)
	if p.status != 402 {
		t.Errorf("short balance: %d", p.status)
	}
	// The top-up link comes back to this step.
	p.has(t, `data-code="insufficient_funds"`, "is missing", `data-testid="topup-link"`, "return="+strings.ToLower(url.QueryEscape(back)))

	form.Set("key", p.find(t, `name="key" value="([^"]+)"`))
	form.Set("pay", "new")
	for k, v := range map[string]string{"card_number": "4000 0000 0000 0002", "exp_month": "12", "exp_year": "2030", "cvc": "123", "save": "on"} {
		form.Set(k, v)
	}
	p = b.post("/cart/payment", form)
	if p.status != 402 {
		t.Errorf("declined card: %d", p.status)
	}
	p.has(t, `data-code="card_declined"`, "The card was declined")

	// The operator raises the price while the customer looks at the total.
	plans := dataOf(a.do("GET", "/v1/admin/plans", adminToken, nil))
	var prices []any
	for _, pl := range plans {
		if pl["code"] != "hosted-pbx" {
			continue
		}
		for _, pr := range pl["prices"].([]any) {
			pr := pr.(map[string]any)
			if pr["currency"] == "CHF" && num(pr["term_months"]) == 1 {
				pr["unit_amount"] = 2000
			}
			prices = append(prices, pr)
		}
	}
	if r := a.do("PATCH", "/v1/admin/plans/hosted-pbx", adminToken, map[string]any{"prices": prices}); r.status != 200 {
		t.Fatalf("price change: %d %s", r.status, r.raw)
	}
	form.Set("key", p.find(t, `name="key" value="([^"]+)"`))
	form.Set("card_number", "4242 4242 4242 4242")
	p = b.post("/cart/payment", form)
	if p.status != 409 {
		t.Errorf("price changed: %d", p.status)
	}
	p.has(t, `data-code="price_changed"`, "Prices changed", "CHF 40.00")
	if n := len(dataOf(a.do("GET", "/v1/orders", acc.tok, nil))); n != 0 {
		t.Fatalf("orders after failures: %d", n)
	}

	total := p.find(t, `data-testid="total">([^<]+)<`)
	form.Set("key", p.find(t, `name="key" value="([^"]+)"`))
	form.Set("quote_token", p.find(t, `name="quote_token" value="([^"]+)"`))
	p = b.post("/cart/payment", form)
	if !strings.HasPrefix(p.url, "/orders/ord_") {
		t.Fatalf("Pay: %d at %s", p.status, p.url)
	}
	p.has(t, total)
	o := dataOf(a.do("GET", "/v1/orders", acc.tok, nil))
	if len(o) != 1 || num(o[0]["subtotal"]) != 4000 || chfs(num(o[0]["total"])) != total {
		t.Errorf("order %v, want a subtotal of 4000 and a total of %s", o, total)
	}
	if n := len(dataOf(a.do("GET", "/v1/payment_methods", acc.tok, nil))); n != 1 {
		t.Errorf("saved cards: %d, want 1", n)
	}
	if bal := num(a.do("GET", "/v1/account", acc.tok, nil).body["balance"]); bal != 500 {
		t.Errorf("balance %d, want 500 untouched (paid by card)", bal)
	}
}

// TestPortalCartStaleItem: an item that can no longer be bought (its
// trial was used by another order since) is marked in words in the cart,
// which cannot be confirmed until it is removed.
func TestPortalCartStaleItem(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	acc := newAccount(t, a, "stale@acme.test", 0)
	adr := a.address(acc.tok)
	if p := acc.b.post("/buy", url.Values{"plan": {"hosted-pbx"}, "quantity": {"1"}, "term": {"1"}, "trial": {"on"}}); p.url != "/cart" {
		t.Fatalf("Add to cart: %s", p.url)
	}
	buy(t, a, acc, adr, map[string]any{"type": "subscription", "plan": "hosted-pbx", "quantity": 1, "term_months": 1, "trial": true})

	p := acc.b.get("/cart")
	p.has(t, `data-testid="quote-error"`, `data-code="trial_already_used"`, `data-testid="item-error"`, "already been used")
	p.hasNot(t, `data-testid="confirm-order"`)
	if p := acc.b.get("/cart/payment?address=" + adr); strings.Contains(p.body, `data-testid="payment-form"`) {
		t.Errorf("the payment step offers to pay a cart that cannot be bought")
	}
	item := a.do("GET", "/v1/cart", acc.tok, nil).body["items"].([]any)[0].(map[string]any)["id"].(string)
	acc.b.post("/cart/items/"+item+"/remove", nil).has(t, `data-testid="cart-empty"`)
}

// TestPortalBuyUnknownPlan: a plan that is not (or no longer) sold is
// refused in words at the top of Buy/Order.
func TestPortalBuyUnknownPlan(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	acc := newAccount(t, a, "gone@acme.test", 0)
	for _, code := range []string{"no-such-plan", "sip-trunk"} {
		p := acc.b.post("/buy", url.Values{"plan": {code}, "quantity": {"1"}, "term": {"1"}})
		if p.status < 400 || p.status >= 500 {
			t.Errorf("%s: %d", code, p.status)
		}
		p.has(t, `data-testid="form-error"`)
	}
}
