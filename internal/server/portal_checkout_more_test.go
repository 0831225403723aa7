package server_test

import (
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/money"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// chf formats minor units of CHF as the portal does.
func chf(minor int64) string { return money.Format(money.New(minor, "CHF")) }

// quoteOf asks the API what items cost (with the address's tax and the
// promo code, if given).
func quoteOf(t *testing.T, a *api, tok, adr, promo string, items ...map[string]any) map[string]any {
	t.Helper()
	body := map[string]any{"items": items}
	if adr != "" {
		body["billing_address"] = adr
	}
	if promo != "" {
		body["promo_code"] = promo
	}
	r := a.do("POST", "/v1/quotes", tok, body)
	if r.status != 200 && r.status != 201 {
		t.Fatalf("quote: %d %s", r.status, r.raw)
	}
	return r.body
}

// lastOrder is the customer's latest order as the API shows it.
func lastOrder(t *testing.T, a *api, tok string) map[string]any {
	t.Helper()
	orders := a.do("GET", "/v1/orders", tok, nil).body["data"].([]any)
	if len(orders) == 0 {
		t.Fatal("no orders")
	}
	return orders[0].(map[string]any)
}

func orderCount(a *api, tok string) int {
	return len(a.do("GET", "/v1/orders", tok, nil).body["data"].([]any))
}

func balanceOf(a *api, tok string) int64 {
	return num(a.do("GET", "/v1/account", tok, nil).body["balance"])
}

// checkoutSetup is a CHF customer with credit, an address and a monthly
// Business subscription of 2 licenses.
func checkoutSetup(t *testing.T, st *store.Store, email string) (*api, account, string, string) {
	t.Helper()
	a := newAPI(t, st)
	acc := newAccount(t, a, email, 500000)
	adr := a.address(acc.tok)
	o := buy(t, a, acc, adr, map[string]any{"type": "subscription", "plan": "business", "quantity": 2, "term_months": 1})
	sub := o["items"].([]any)[0].(map[string]any)["subscription"].(string)
	return a, acc, adr, sub
}

func regexpAll(s, re string) [][]string { return regexp.MustCompile(re).FindAllStringSubmatch(s, -1) }

func htmlUnescape(s string) string { return html.UnescapeString(s) }

// payForm is the checkout form's hidden fields as the page sends them.
func payForm(t *testing.T, p page) url.Values {
	t.Helper()
	v := url.Values{}
	for _, m := range regexpAll(p.body, `<input type="hidden" name="(i_[a-z_]+|quote_token|key)" value="([^"]*)">`) {
		v.Set(m[1], htmlUnescape(m[2]))
	}
	if v.Get("quote_token") == "" {
		t.Fatalf("%s: no pay form\n%s", p.url, p.body)
	}
	return v
}

// TestPortalCheckoutBadPromoKeepsCheckout: a refused promo code (unknown,
// or already used by the customer) is shown next to its field with the
// API's 422, and the rest of the checkout (quote, address, payment, Pay)
// stays; paying then charges the price without the code.
func TestPortalCheckoutBadPromoKeepsCheckout(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a, acc, adr, sub := checkoutSetup(t, st, "promo@acme.test")
		if r := a.do("POST", "/v1/admin/promo_codes", adminToken, map[string]any{"code": "ONCE20", "percent_off": "20"}); r.status != 201 {
			t.Fatalf("promo: %d %s", r.status, r.raw)
		}
		full := []string{`data-testid="quote"`, `data-testid="address-choice"`, `data-testid="payment-choice"`, `data-testid="pay"`, `id="promo-error"`, `aria-describedby="promo-error"`}

		t.Run("ErrPromoInvalid", func(t *testing.T) {
			p := acc.b.post("/checkout", url.Values{"i_type": {"renewal"}, "i_subscription": {sub}, "address": {adr}, "promo": {"BOGUS"}, "action": {"apply"}})
			if p.status != 422 {
				t.Errorf("status %d, want 422", p.status)
			}
			p.has(t, full...)
			p.has(t, `value="BOGUS"`)
		})

		// The code is used once on a new subscription...
		r := a.do("POST", "/v1/orders", acc.tok, map[string]any{"items": []any{map[string]any{"type": "subscription", "plan": "ivr", "quantity": 1, "term_months": 1}},
			"billing_address": adr, "promo_code": "once20", "payment": map[string]any{"method": "balance"}})
		if r.status != 201 {
			t.Fatalf("order with ONCE20: %d %s", r.status, r.raw)
		}
		// ...and a Buy link carries it again.
		item := map[string]any{"type": "subscription", "plan": "start", "quantity": 2, "term_months": 1}
		p := acc.b.get("/checkout?type=subscription&plan=start&quantity=2&term=1&promo=once20")
		if p.status != 422 {
			t.Errorf("used code: status %d, want 422", p.status)
		}
		p.has(t, full...)
		want := quoteOf(t, a, acc.tok, adr, "", item)
		if got := p.find(t, `data-testid="total">([^<]+)<`); got != chf(num(want["total"])) {
			t.Errorf("total %s, want %s (without the code)", got, chf(num(want["total"])))
		}
		// Paying with the field emptied charges the price without the code.
		form := payForm(t, p)
		if form.Get("i_promo") != "" {
			t.Errorf("the refused code travels with the pay form: %q", form.Get("i_promo"))
		}
		form.Set("promo", "")
		form.Set("address", adr)
		form.Set("pay", "balance")
		before := balanceOf(a, acc.tok)
		if p := acc.b.post("/checkout", form); !strings.HasPrefix(p.url, "/orders/") {
			t.Fatalf("pay: %d at %s", p.status, p.url)
		}
		o := lastOrder(t, a, acc.tok)
		if num(o["total"]) != num(want["total"]) || before-balanceOf(a, acc.tok) != num(want["total"]) {
			t.Errorf("paid %v (balance -%d), want %v", o["total"], before-balanceOf(a, acc.tok), want["total"])
		}
	})
}

// TestPortalCheckoutPromoAfterNewAddress: once a new address is verified
// the promo field still shows the applied code, and Apply keeps it.
func TestPortalCheckoutPromoAfterNewAddress(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	acc := newAccount(t, a, "keep@acme.test", 500000)
	if r := a.do("POST", "/v1/admin/promo_codes", adminToken, map[string]any{"code": "KEEP10", "percent_off": "10"}); r.status != 201 {
		t.Fatalf("promo: %d %s", r.status, r.raw)
	}
	p := acc.b.get("/checkout?type=subscription&plan=business&quantity=2&term=1&promo=KEEP10")
	p.has(t, `data-testid="discount"`)
	form := payForm(t, p)
	newAdr := url.Values{"address": {"new"}, "name": {"Acme GmbH"}, "line1": {"Unter den Linden 1"}, "postal_code": {"10117"}, "city": {"Berlin"}, "country": {"DE"}, "pay": {"balance"}}
	for k, v := range newAdr {
		form[k] = v
	}
	p = acc.b.post("/checkout", form) // the hidden i_promo only, as an older page sent it
	if p.status != 200 {
		t.Fatalf("verify address: %d", p.status)
	}
	p.has(t, `data-testid="notice"`, `data-testid="discount"`, `name="promo" value="KEEP10"`)
	form = payForm(t, p)
	form.Set("promo", p.find(t, `name="promo" value="([^"]*)"`))
	form.Set("address", p.find(t, `name="address" value="(adr_[^"]+)" checked`))
	form.Set("action", "apply")
	p = acc.b.post("/checkout", form)
	p.has(t, `data-testid="discount"`, "KEEP10")
}

// TestPortalCheckoutTypedPromoOnPay: a promo code typed but not applied
// is not ignored by Pay: a bad one is refused in words and nothing is
// paid; a good one is applied and shown, and the next Pay charges the
// discounted total.
func TestPortalCheckoutTypedPromoOnPay(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a, acc, adr, sub := checkoutSetup(t, st, "typed@acme.test")
		if r := a.do("POST", "/v1/admin/promo_codes", adminToken, map[string]any{"code": "REN10", "percent_off": "10", "renewals": true}); r.status != 201 {
			t.Fatalf("promo: %d %s", r.status, r.raw)
		}
		p := acc.b.get("/checkout?type=renewal&subscription=" + sub)
		p.has(t, `data-testid="pay"`)
		form := payForm(t, p)
		form.Set("address", adr)
		form.Set("pay", "balance")
		orders, before := orderCount(a, acc.tok), balanceOf(a, acc.tok)

		form.Set("promo", "BOGUS")
		p = acc.b.post("/checkout", form)
		if p.status != 422 {
			t.Errorf("bad typed code: %d, want 422", p.status)
		}
		p.has(t, `id="promo-error"`, `data-testid="pay"`)
		if orderCount(a, acc.tok) != orders || balanceOf(a, acc.tok) != before {
			t.Fatalf("a refused code paid the order anyway")
		}

		form.Set("promo", "ren10")
		p = acc.b.post("/checkout", form)
		if p.status != 200 {
			t.Errorf("good typed code: %d", p.status)
		}
		p.has(t, `data-testid="notice"`, "REN10", `data-testid="discount"`)
		if orderCount(a, acc.tok) != orders {
			t.Fatalf("Pay with a new code paid before the customer saw the discounted total")
		}
		want := quoteOf(t, a, acc.tok, adr, "REN10", map[string]any{"type": "renewal", "subscription": sub})
		if got := p.find(t, `data-testid="total">([^<]+)<`); got != chf(num(want["total"])) {
			t.Errorf("shown total %s, want %s", got, chf(num(want["total"])))
		}
		form = payForm(t, p)
		form.Set("promo", "ren10")
		form.Set("address", adr)
		form.Set("pay", "balance")
		if p := acc.b.post("/checkout", form); !strings.HasPrefix(p.url, "/orders/") {
			t.Fatalf("pay: %d at %s", p.status, p.url)
		}
		o := lastOrder(t, a, acc.tok)
		if num(o["total"]) != num(want["total"]) || num(o["discount"]) != num(want["discount"]) || num(want["discount"]) == 0 {
			t.Errorf("order total %v discount %v, want %v and %v", o["total"], o["discount"], want["total"], want["discount"])
		}
		if got := before - balanceOf(a, acc.tok); got != num(want["total"]) {
			t.Errorf("balance fell by %d, want %v", got, want["total"])
		}
	})
}

// TestPortalCheckoutErrorStatus: a checkout page that shows an error has
// the API's status for it, GET or POST.
func TestPortalCheckoutErrorStatus(t *testing.T) {
	t.Parallel()
	_, acc, adr, sub := checkoutSetup(t, storetest.Open(t, "sqlite"), "status@acme.test")
	for _, c := range []struct {
		name, path string
		status     int
		want       string
	}{
		{"ErrDowngrade", "/checkout?type=upgrade&subscription=" + sub + "&plan=start", 422, `data-testid="quote-error"`},
		{"ErrUnknownSubscription", "/checkout?type=renewal&subscription=sub_nosuch", 404, `data-testid="quote-error"`},
		{"ErrPromo", "/checkout?type=renewal&subscription=" + sub + "&promo=BOGUS", 422, `id="promo-error"`},
		{"OK", "/checkout?type=renewal&subscription=" + sub, 200, `data-testid="pay"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := acc.b.get(c.path)
			if p.status != c.status {
				t.Errorf("GET: %d, want %d", p.status, c.status)
			}
			p.has(t, c.want)
			q, _ := url.ParseQuery(c.path[strings.Index(c.path, "?")+1:])
			form := url.Values{"address": {adr}, "pay": {"balance"}, "action": {"apply"}}
			for k, v := range q {
				if k == "promo" {
					form["promo"] = v
				} else {
					form["i_"+k] = v
				}
			}
			if p := acc.b.post("/checkout", form); p.status != c.status {
				t.Errorf("POST: %d, want %d", p.status, c.status)
			}
		})
	}
}

// TestPortalCheckoutBadItemFields: a wrong number of licenses or term in
// a checkout link is shown next to its field (not as "term_months is
// required"), and Buy without a payment period asks for one.
func TestPortalCheckoutBadItemFields(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	acc := newAccount(t, a, "fields@acme.test", 0)
	for _, c := range []struct {
		name, query, field string
		status             int
	}{
		{"ErrNegativeQuantity", "quantity=-1&term=1", "quantity", 400},
		{"ErrHugeQuantity", "quantity=99999999999&term=1", "quantity", 422}, // above the plan's max_licenses
		{"ErrTermNotANumber", "quantity=2&term=abc", "term", 400},
		{"ErrNoTerm", "quantity=2", "term", 400},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := acc.b.get("/checkout?type=subscription&plan=business&" + c.query)
			if p.status != c.status {
				t.Errorf("status %d, want %d", p.status, c.status)
			}
			p.has(t, `id="`+c.field+`-error"`, `aria-describedby="`+c.field+`-error"`, `data-testid="item-fix"`)
			p.hasNot(t, "Term_months is required", `data-testid="pay"`)
		})
	}
	t.Run("ErrBelowMinimum", func(t *testing.T) {
		p := acc.b.get("/checkout?type=subscription&plan=business&quantity=1&term=1")
		if p.status != 422 {
			t.Errorf("status %d, want 422", p.status)
		}
		p.has(t, `id="quantity-error"`, `<option value="12"`)
	})
	t.Run("ErrBuyWithoutTerm", func(t *testing.T) {
		p := acc.b.post("/marketplace/plans/business/buy", url.Values{"quantity": {"2"}, "action": {"checkout"}})
		if p.status != 400 {
			t.Errorf("status %d, want 400", p.status)
		}
		p.has(t, `id="term-error"`, "Choose a payment period")
		p.hasNot(t, "Term_months is required")
	})
}

// TestPortalBuyPlanTrialUsed: on Marketplace → Buy a used trial is
// refused next to the trial checkbox.
func TestPortalBuyPlanTrialUsed(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	acc := newAccount(t, a, "trialused@acme.test", 0)
	adr := a.address(acc.tok)
	buy(t, a, acc, adr, map[string]any{"type": "subscription", "plan": "hosted-pbx", "quantity": 1, "term_months": 1, "trial": true})
	p := acc.b.post("/marketplace/plans/hosted-pbx/buy", url.Values{"quantity": {"1"}, "term": {"1"}, "trial": {"on"}, "action": {"checkout"}})
	if p.status != 422 {
		t.Errorf("status %d, want 422", p.status)
	}
	p.has(t, `id="trial"`, `id="trial-error"`, `aria-describedby="trial-error"`, "already been used")
	if i, j := strings.Index(p.body, `id="trial"`), strings.Index(p.body, `id="trial-error"`); i < 0 || j < i {
		t.Errorf("the error is not next to the checkbox")
	}
}

// TestPortalCheckoutUpgradeLine: a prorated upgrade line does not show a
// list price that, times the licenses, is not its amount; saved cards
// show their brand in words.
func TestPortalCheckoutUpgradeLine(t *testing.T) {
	t.Parallel()
	a, acc, adr, sub := checkoutSetup(t, storetest.Open(t, "sqlite"), "line@acme.test")
	if r := a.do("POST", "/v1/payment_methods", acc.tok, map[string]any{"card": card}); r.status != 201 {
		t.Fatalf("card: %d %s", r.status, r.raw)
	}
	a.clk.Advance(10 * 24 * time.Hour)
	p := acc.b.get("/checkout?type=upgrade&subscription=" + sub + "&plan=enterprise")
	if p.status != 200 {
		t.Fatalf("upgrade: %d", p.status)
	}
	if got := p.find(t, `data-testid="unit-price">([^<]*<span[^>]*>[^<]+|[^<]+)<`); !strings.Contains(got, "prorated") {
		t.Errorf("unit price %q, want prorated", got)
	}
	want := quoteOf(t, a, acc.tok, adr, "", map[string]any{"type": "upgrade", "subscription": sub, "plan": "enterprise"})
	if got := p.find(t, `data-testid="total">([^<]+)<`); got != chf(num(want["total"])) {
		t.Errorf("total %s, want %s", got, chf(num(want["total"])))
	}
	p.has(t, "Visa •••• 4242")
	p.hasNot(t, "visa •••• 4242")
}

// TestPortalCheckoutTrialEnd: the checkout of a trial says what happens
// at its end: the price of the term and how it is paid with auto-renew,
// that it ends without. Paying it costs nothing.
func TestPortalCheckoutTrialEnd(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st)
		acc := newAccount(t, a, "trialend@acme.test", 0)
		adr := a.address(acc.tok)
		price := num(quoteOf(t, a, acc.tok, adr, "", map[string]any{"type": "subscription", "plan": "hosted-pbx", "quantity": 2, "term_months": 1})["subtotal"])

		p := acc.b.get("/checkout?type=subscription&plan=hosted-pbx&quantity=2&term=1&trial=on")
		p.has(t, `data-testid="after-trial"`, "until 9 Apr 2026", "ends unless you renew")

		p = acc.b.get("/checkout?type=subscription&plan=hosted-pbx&quantity=2&term=1&trial=on&auto_renew=on")
		if p.status != 200 {
			t.Fatalf("trial checkout: %d", p.status)
		}
		note := htmlUnescape(p.find(t, `data-testid="after-trial">([^<]+)<`))
		for _, want := range []string{"After the trial (until 9 Apr 2026): " + chf(price) + " + tax per 1 month", "balance", "default card"} {
			if !strings.Contains(note, want) {
				t.Errorf("after the trial: %q, want %q", note, want)
			}
		}
		form := payForm(t, p)
		form.Set("address", adr)
		form.Set("pay", "balance")
		if p := acc.b.post("/checkout", form); !strings.HasPrefix(p.url, "/orders/") {
			t.Fatalf("pay: %d at %s", p.status, p.url)
		}
		if o := lastOrder(t, a, acc.tok); num(o["total"]) != 0 {
			t.Errorf("trial order total %v, want 0", o["total"])
		}
		subs := a.do("GET", "/v1/subscriptions", acc.tok, nil).body["data"].([]any)
		s := subs[0].(map[string]any)
		if s["status"] != "trialing" || s["auto_renew"] != true {
			t.Errorf("subscription %v auto_renew %v, want trialing and true", s["status"], s["auto_renew"])
		}
	})
}

// TestPortalCartSecondTrial: a second trial of a product whose trial is
// only in the cart is refused for that reason.
func TestPortalCartSecondTrial(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st)
		acc := newAccount(t, a, "twotrials@acme.test", 0)
		if p := acc.b.post("/buy", url.Values{"plan": {"hosted-pbx"}, "quantity": {"1"}, "term": {"1"}, "trial": {"on"}}); p.url != "/cart" {
			t.Fatalf("Add to cart: %d at %s", p.status, p.url)
		}
		p := acc.b.post("/buy", url.Values{"plan": {"hosted-pbx"}, "quantity": {"2"}, "term": {"1"}, "trial": {"on"}})
		if p.status != 422 {
			t.Errorf("status %d, want 422", p.status)
		}
		p.has(t, `id="trial-hosted-pbx-error"`, "cart already holds a free trial")
		p.hasNot(t, "already been used")
		if n := len(a.do("GET", "/v1/cart", acc.tok, nil).body["items"].([]any)); n != 1 {
			t.Errorf("cart items %d, want 1", n)
		}
	})
}

// TestPortalCheckoutQuantityNamesPlanMinimum: a checkout link or form for a
// new subscription with no or zero licenses asks for the plan's minimum
// (Start: 2), in the words of the plan's Buy form, not "at least 1".
func TestPortalCheckoutQuantityNamesPlanMinimum(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	acc := newAccount(t, a, "least@acme.test", 0)
	for _, q := range []string{"quantity=0&", "quantity=&", ""} {
		p := acc.b.get("/checkout?type=subscription&plan=start&" + q + "term=1")
		if p.status != 400 {
			t.Errorf("%q: status %d, want 400", q, p.status)
		}
		p.has(t, `id="quantity-error"`, "at least 2")
		p.hasNot(t, "at least 1")
	}
	p := acc.b.post("/checkout", url.Values{"type": {"subscription"}, "plan": {"start"}, "quantity": {"0"}, "term": {"1"}})
	p.has(t, "at least 2")
	p.hasNot(t, "at least 1")
	// Added licenses take one or more.
	p = acc.b.get("/checkout?type=licenses&subscription=sub_x&quantity=0")
	p.hasNot(t, "at least 2")
}
