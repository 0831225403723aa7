package server_test

import (
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/internal/store/storetest"
)

// portalPosts are every form the portal accepts (ids of things that do not
// exist, or are the logged-in customer's where {sub} stands).
var portalPosts = []string{"/users", "/users/usr_x/delete", "/payment-methods", "/payment-methods/pm_x/default",
	"/payment-methods/pm_x/delete", "/addresses", "/addresses/adr_x/edit", "/addresses/adr_x/delete", "/settings/password",
	"/marketplace/billing/refill", "/buy", "/cart/items/cit_x/remove", "/cart/promo", "/cart/address", "/cart/payment",
	"/checkout", "/marketplace/numbers/num_x/assign", "/marketplace/numbers/num_x/release", "/marketplace/plans/business/buy",
	"/marketplace/plans/nope/buy", "/marketplace/subscriptions/{sub}/licenses", "/subscriptions/{sub}/auto-renew",
	"/subscriptions/{sub}/extend", "/subscriptions/sub_x/extend", "/signup", "/login"}

// junk are values no form expects.
var junk = []string{"", "0", "-1", "abc", "1e9", "99999999999999999999", "12.345", "%00", "\x00", "<script>", "../../etc",
	"adr_x", "pm_x", "new", "balance", "on", strings.Repeat("9", 300), "  ", "😀", "2026-13-45"}

// formKeys are the fields the portal's forms read.
var formKeys = []string{"quantity", "term", "amount", "promo", "address", "pay", "card_number", "exp_month", "exp_year", "cvc",
	"save", "name", "email", "subscription", "line1", "postal_code", "city", "country", "state", "vat_id", "sip_account",
	"confirm", "on", "key", "quote_token", "action", "plan", "type", "i_type", "i_plan", "i_quantity", "i_term",
	"i_subscription", "i_number", "i_country", "i_area", "i_amount", "return", "next", "current_password", "new_password",
	"repeat_password", "password", "company", "currency", "trial", "months"}

// TestPortalNeverFails posts random junk to every form of the portal: no
// answer is a 5xx (the browser helper fails the test on one), and the
// ledger still balances to the account's balance afterwards.
func TestPortalNeverFails(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	b := newBrowser(t, a)
	b.signup("junk@acme.test", "CHF")
	tok := b.token("junk@acme.test")
	adr := a.do("POST", "/v1/billing_addresses", tok, map[string]any{"name": "Acme AG", "line1": "Bahnhofstrasse 1", "city": "Zürich", "postal_code": "8001", "country": "CH"})
	cust := a.do("GET", "/v1/account", tok, nil).body["id"].(string)
	a.do("POST", "/v1/admin/customers/"+cust+"/balance_adjustments", adminToken, map[string]any{"amount": 100000, "reason": "credit"})
	r := a.do("POST", "/v1/orders", tok, map[string]any{"items": []any{map[string]any{"type": "subscription", "plan": "business", "quantity": 2, "term_months": 1}},
		"billing_address": adr.body["id"], "payment": map[string]any{"method": "balance"}})
	sub := r.body["items"].([]any)[0].(map[string]any)["subscription"].(string)

	rng := rand.New(rand.NewPCG(7, 8))
	for i := 0; i < 600; i++ {
		path := strings.ReplaceAll(portalPosts[rng.IntN(len(portalPosts))], "{sub}", sub)
		form := url.Values{}
		for n := rng.IntN(8); n >= 0; n-- {
			form.Set(formKeys[rng.IntN(len(formKeys))], junk[rng.IntN(len(junk))])
		}
		p := b.post(path, form)
		if p.status >= 500 {
			t.Fatalf("POST %s %v: %d", path, form, p.status)
		}
	}
	acct := a.do("GET", "/v1/account", tok, nil).body
	entries := a.do("GET", "/v1/balance/entries?limit=100", tok, nil).body["data"].([]any)
	if len(entries) > 0 {
		if last := entries[0].(map[string]any)["balance_after"]; last != acct["balance"] {
			t.Errorf("balance %v, the latest entry says %v", acct["balance"], last)
		}
	}
}
