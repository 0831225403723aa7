package server_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestPortalExtendIVR is peoplefone's "extend the IVR's subscription for
// another month": Subscriptions -> Renew/Change -> Extend 1 month -> Add
// to Cart -> cart -> Confirm order -> address -> current credit -> Finish
// -> confirmation -> Home. The API then shows expires_at one calendar
// month later, the balance lower by exactly the order's total, and an
// empty cart.
func TestPortalExtendIVR(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	acc := newAccount(t, a, "ivr@acme.test", 100000)
	b := acc.b
	adr := a.address(acc.tok)
	o := buy(t, a, acc, adr, map[string]any{"type": "subscription", "plan": "ivr", "quantity": 1, "term_months": 1})
	sub := o["items"].([]any)[0].(map[string]any)["subscription"].(string)
	before := a.do("GET", "/v1/subscriptions/"+sub, acc.tok, nil).body
	balance := num(a.do("GET", "/v1/account", acc.tok, nil).body["balance"])

	p := b.get("/subscriptions")
	p.has(t, "<h1>Subscriptions</h1>", "IVR add-on", `class="status-active"`, "Renew/Change", `href="/subscriptions/`+sub+`"`,
		"not</strong> renewed automatically", "default card", `action="/subscriptions/`+sub+`/auto-renew"`)

	p = b.get("/subscriptions/" + sub)
	p.has(t, "Renew/Change IVR add-on (IVR)", "<td>IVR</td>", `data-testid="periods"`, `data-testid="extend"`, `class="folded"`,
		`href="/marketplace/subscriptions/`+sub+`/licenses"`)
	p = b.get("/subscriptions/" + sub + "?extend=1")
	p.has(t, "Number of months", `<option value="1" selected>`, `value="3"`, `value="12"`, "Add to Cart", `data-testid="extend-price"`)
	p.hasNot(t, `class="folded"`)

	t.Run("ErrInvalidTerm", func(t *testing.T) {
		p := b.post("/subscriptions/"+sub+"/extend", url.Values{"term": {"2"}, "quantity": {"1"}})
		if p.status != 422 {
			t.Errorf("2 months: %d, want 422", p.status)
		}
		p.has(t, `id="term-error"`, `aria-describedby="term-error"`)
	})
	t.Run("ErrZeroLicenses", func(t *testing.T) {
		p := b.post("/subscriptions/"+sub+"/extend", url.Values{"term": {"1"}, "quantity": {"0"}})
		if p.status != 400 {
			t.Errorf("0 licenses: %d, want 400", p.status)
		}
		p.has(t, `id="quantity-error"`)
	})

	p = b.post("/subscriptions/"+sub+"/extend", url.Values{"term": {"1"}, "quantity": {"1"}})
	if p.url != "/cart" {
		t.Fatalf("Add to Cart goes to %s (%d)", p.url, p.status)
	}
	p.has(t, `data-testid="flash"`, "Renewal: IVR", "1 month", `data-testid="quote"`, `href="/cart/address"`, "Confirm order")

	p = b.get("/cart/address")
	p.has(t, "Billing address", `value="`+adr+`" checked`, "Verify address")
	p = b.post("/cart/address", url.Values{"address": {adr}})
	if p.url != "/cart/payment?address="+adr {
		t.Fatalf("Verify address goes to %s (%d)", p.url, p.status)
	}
	p.has(t, "Current credit", `value="balance" checked`, "Tax (CH)", "Finish", "Save this payment information for future payments")
	total := p.find(t, `data-testid="total">([^<]+)<`)
	form := url.Values{"address": {adr}, "pay": {"balance"}, "key": {p.find(t, `name="key" value="([^"]+)"`)},
		"quote_token": {p.find(t, `name="quote_token" value="([^"]+)"`)}}
	p = b.post("/cart/payment", form)
	if !strings.HasPrefix(p.url, "/orders/ord_") {
		t.Fatalf("Finish: %d at %s\n%s", p.status, p.url, p.body)
	}
	p.has(t, "Payment completed", total, `data-testid="home"`, `href="/"`)
	if again := b.post("/cart/payment", form); again.url != p.url {
		t.Errorf("Finish twice went to %s, want %s", again.url, p.url)
	}
	b.get("/").has(t, "<h1>Home</h1>")

	after := a.do("GET", "/v1/subscriptions/"+sub, acc.tok, nil).body
	was, _ := time.Parse(time.RFC3339, before["expires_at"].(string))
	now, _ := time.Parse(time.RFC3339, after["expires_at"].(string))
	if want := market.AddMonths(was, 1); !now.Equal(want) {
		t.Errorf("expires_at %s -> %s, want %s (one calendar month)", was, now, want)
	}
	if n := len(after["periods"].([]any)); n != 2 {
		t.Errorf("periods: %d, want 2", n)
	}
	orders := dataOf(a.do("GET", "/v1/orders", acc.tok, nil))
	if len(orders) != 2 {
		t.Fatalf("orders: %d, want 2", len(orders))
	}
	paid := num(orders[0]["total"])
	if got := balance - num(a.do("GET", "/v1/account", acc.tok, nil).body["balance"]); got != paid || chfs(paid) != total {
		t.Errorf("balance fell by %d; the order cost %d (%s), the page said %s", got, paid, chfs(paid), total)
	}
	cart := a.do("GET", "/v1/cart", acc.tok, nil).body
	if n := len(cart["items"].([]any)); n != 0 {
		t.Errorf("cart after checkout: %d items, want 0", n)
	}
}

// TestPortalExtendUsers: the licenses of an extension may not fall below
// the users assigned; the service's words appear next to the field.
func TestPortalExtendUsers(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	acc := newAccount(t, a, "seats@acme.test", 100000)
	adr := a.address(acc.tok)
	o := buy(t, a, acc, adr, map[string]any{"type": "subscription", "plan": "hosted-pbx", "quantity": 2, "term_months": 1})
	sub := o["items"].([]any)[0].(map[string]any)["subscription"].(string)
	for _, e := range []string{"anna@acme.test", "ben@acme.test"} {
		if r := a.do("POST", "/v1/users", acc.tok, map[string]any{"name": e, "email": e, "subscription": sub}); r.status != 201 {
			t.Fatalf("user: %d %s", r.status, r.raw)
		}
	}
	p := acc.b.get("/subscriptions/" + sub)
	p.has(t, "at least 2", `value="2"`)
	p = acc.b.post("/subscriptions/"+sub+"/extend", url.Values{"term": {"3"}, "quantity": {"1"}})
	if p.status != 422 {
		t.Errorf("1 license for 2 users: %d, want 422", p.status)
	}
	p.has(t, `id="quantity-error"`, "2 users are assigned")
	if n := len(a.do("GET", "/v1/cart", acc.tok, nil).body["items"].([]any)); n != 0 {
		t.Errorf("cart: %d items after a refused extension", n)
	}
	p = acc.b.post("/subscriptions/"+sub+"/extend", url.Values{"term": {"3"}, "quantity": {"2"}})
	if p.url != "/cart" {
		t.Fatalf("extension for 3 months: %s", p.url)
	}
	p.has(t, "2 licenses × 3 months")
}

// TestPortalAutoRenew: the switch works without JavaScript (a plain form
// post) and the API agrees.
func TestPortalAutoRenew(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	acc := newAccount(t, a, "auto@acme.test", 100000)
	adr := a.address(acc.tok)
	o := buy(t, a, acc, adr, map[string]any{"type": "subscription", "plan": "ivr", "quantity": 1, "term_months": 3})
	sub := o["items"].([]any)[0].(map[string]any)["subscription"].(string)
	if a.do("GET", "/v1/subscriptions/"+sub, acc.tok, nil).body["auto_renew"] != false {
		t.Fatal("auto-renew is on by default")
	}
	// Checked: the hidden "off" and the checkbox's "on".
	p := acc.b.post("/subscriptions/"+sub+"/auto-renew", url.Values{"auto_renew": {"off", "on"}})
	if p.url != "/subscriptions" {
		t.Errorf("after the switch: %s", p.url)
	}
	p.has(t, "Automatic renewal is on", `value="on" checked`)
	if v := a.do("GET", "/v1/subscriptions/"+sub, acc.tok, nil).body["auto_renew"]; v != true {
		t.Errorf("auto_renew after switching on: %v", v)
	}
	p = acc.b.post("/subscriptions/"+sub+"/auto-renew", url.Values{"auto_renew": {"off"}})
	p.has(t, "Automatic renewal is off")
	if v := a.do("GET", "/v1/subscriptions/"+sub, acc.tok, nil).body["auto_renew"]; v != false {
		t.Errorf("auto_renew after switching off: %v", v)
	}
}

// TestPortalSubscriptionOtherCustomer: another customer's subscription is
// not found, whatever the page or form.
func TestPortalSubscriptionOtherCustomer(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	acc := newAccount(t, a, "mine@acme.test", 100000)
	adr := a.address(acc.tok)
	o := buy(t, a, acc, adr, map[string]any{"type": "subscription", "plan": "ivr", "quantity": 1, "term_months": 1})
	sub := o["items"].([]any)[0].(map[string]any)["subscription"].(string)
	if r := a.do("POST", "/v1/cart/items", acc.tok, map[string]any{"type": "renewal", "subscription": sub}); r.status >= 300 {
		t.Fatalf("cart item: %d %s", r.status, r.raw)
	}
	item := a.do("GET", "/v1/cart", acc.tok, nil).body["items"].([]any)[0].(map[string]any)["id"].(string)

	other := newAccount(t, a, "other@acme.test", 100000)
	if p := other.b.get("/subscriptions/" + sub); p.status != 404 {
		t.Errorf("GET another's subscription: %d", p.status)
	}
	if p := other.b.post("/subscriptions/"+sub+"/extend", url.Values{"term": {"1"}}); p.status != 404 {
		t.Errorf("extend another's subscription: %d", p.status)
	}
	if p := other.b.post("/subscriptions/"+sub+"/auto-renew", url.Values{"auto_renew": {"on"}}); p.status != 404 {
		t.Errorf("switch another's subscription: %d", p.status)
	}
	other.b.post("/cart/items/"+item+"/remove", nil)
	if n := len(a.do("GET", "/v1/cart", acc.tok, nil).body["items"].([]any)); n != 1 {
		t.Errorf("another customer removed an item from this cart: %d left", n)
	}
	if v := a.do("GET", "/v1/subscriptions/"+sub, acc.tok, nil).body["auto_renew"]; v != false {
		t.Errorf("another customer switched auto-renew: %v", v)
	}
	other.b.get("/subscriptions").hasNot(t, sub)
}
