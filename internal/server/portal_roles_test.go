package server_test

import (
	"net/url"
	"testing"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// loginAs logs a new browser in through the portal's log-in form.
func loginAs(t *testing.T, a *api, email, password string) *browser {
	t.Helper()
	b := newBrowser(t, a)
	if p := b.post("/login", url.Values{"email": {email}, "password": {password}}); p.url != "/" {
		t.Fatalf("log in as %s: %d at %s", email, p.status, p.url)
	}
	return b
}

// TestPortalRolesHideButtons (issue 17 "Colleagues"): the portal shows a
// viewer no button it may not use (Buy, Upgrade, Renew, Add to cart,
// Cancel, the automatic-renewal switch, ORDER PHONE, Pay, top-up, the
// balance settings, Invite), a billing login only what it may do (top up),
// and the server still refuses their posts with 403.
func TestPortalRolesHideButtons(t *testing.T) {
	t.Parallel()
	a := newLoginsAPI(t, storetest.Open(t, "sqlite"), billing.Config{})
	owner := newBrowser(t, a.api)
	owner.signup("owner@roles.test", "CHF")
	tok := owner.token("owner@roles.test")
	acc := account{b: owner, tok: tok, id: a.do("GET", "/v1/account", tok, nil).body["id"].(string)}
	a.do("POST", "/v1/admin/customers/"+acc.id+"/balance_adjustments", adminToken, map[string]any{"amount": 100000, "reason": "test"})
	adr := a.address(tok)
	o := buy(t, a.api, acc, adr, map[string]any{"type": "subscription", "plan": "business", "quantity": 2, "term_months": 1})
	sub := o["items"].([]any)[0].(map[string]any)["subscription"].(string)
	if r := a.do("POST", "/v1/cart/items", tok, map[string]any{"type": "subscription", "plan": "ivr", "quantity": 1, "term_months": 1}); r.status != 201 {
		t.Fatalf("cart: %d %s", r.status, r.raw)
	}
	a.invite(tok, "vera@roles.test", "viewer")
	a.invite(tok, "bill@roles.test", "billing")
	vera := loginAs(t, a.api, "vera@roles.test", "colleague pw 1")
	bill := loginAs(t, a.api, "bill@roles.test", "colleague pw 1")

	buttons := []struct{ path, css string }{
		{"/marketplace/plans", `data-testid="buy-start"`},
		{"/marketplace/plans", `data-testid="renew-` + sub + `"`},
		{"/marketplace/plans", `data-testid="more-sub-` + sub + `"`},
		{"/subscriptions", `data-testid="cancel-` + sub + `"`},
		{"/subscriptions", `data-testid="auto-renew-form"`},
		{"/subscriptions/" + sub, `data-testid="extend-form"`},
		{"/buy", `data-testid="add-business"`},
		{"/cart", `data-testid="confirm-order"`},
		{"/cart", `action="/cart/items/`},
		{"/checkout?type=subscription&plan=start&quantity=2&term=1", `data-testid="pay"`},
		{"/settings", `data-testid="invite-form"`},
		{"/settings", `data-testid="balance-form"`},
		{"/users", `data-testid="user-form"`},
		{"/marketplace/billing", `data-testid="refill-form"`},
		{"/marketplace/billing/refill?amount=10.00", `data-testid="refill-pay-form"`},
	}
	for _, c := range buttons {
		owner.get(c.path).has(t, c.css)
		p := vera.get(c.path)
		if p.status != 200 {
			t.Errorf("viewer GET %s: %d", c.path, p.status)
		}
		p.hasNot(t, c.css)
	}
	for _, c := range buttons[:len(buttons)-2] {
		bill.get(c.path).hasNot(t, c.css)
	}
	bill.get("/marketplace/billing").has(t, `data-testid="refill-form"`)
	bill.get("/marketplace/billing/refill?amount=10.00").has(t, `data-testid="refill-pay-form"`)
	vera.get("/marketplace/plans").has(t, `data-testid="read-only"`)

	// The server refuses what the page does not offer.
	for _, c := range []struct {
		path string
		form url.Values
	}{
		{"/buy", url.Values{"plan": {"start"}, "quantity": {"2"}, "term": {"1"}}},
		{"/subscriptions/" + sub + "/cancel", url.Values{}},
		{"/subscriptions/" + sub + "/auto-renew", url.Values{"auto_renew": {"on"}}},
		{"/settings/logins", url.Values{"invite_email": {"x@roles.test"}, "role": {"admin"}}},
		{"/checkout", url.Values{"i_type": {"subscription"}, "i_plan": {"start"}, "i_quantity": {"2"}, "i_term": {"1"}, "address": {adr}, "pay": {"balance"}}},
	} {
		for name, b := range map[string]*browser{"viewer": vera, "billing": bill} {
			if p := b.post(c.path, c.form); p.status != 403 {
				t.Errorf("%s POST %s: %d, want 403", name, c.path, p.status)
			}
		}
	}
	if n := len(dataOf(a.do("GET", "/v1/subscriptions", tok, nil))); n != 1 {
		t.Errorf("%d subscriptions after the refused posts, want 1", n)
	}
}
