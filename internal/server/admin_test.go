package server_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestCatalogPriceChangeAndSeats: the operator changes a price; new
// purchases pay the new price, the periods already paid keep theirs. Users
// are created up to the licenses; SIP credentials show only to the admin.
func TestCatalogPriceChangeAndSeats(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st)
		tok := a.signup("cat@acme.test", "CHF")
		adr := a.address(tok)
		a.do("POST", "/v1/orders", tok, topUp(500000))
		buy := map[string]any{"items": []any{map[string]any{"type": "subscription", "plan": "start", "quantity": 2, "term_months": 1}},
			"billing_address": adr, "payment": map[string]any{"method": "balance"}}
		first := a.do("POST", "/v1/orders", tok, buy)
		subID := first.body["items"].([]any)[0].(map[string]any)["subscription"].(string)

		// The operator raises Start's 1-month CHF price from 25.00 to 30.00.
		plan := a.do("GET", "/v1/admin/plans", adminToken, nil).body["data"].([]any)
		var prices []any
		for _, p := range plan {
			if pm := p.(map[string]any); pm["code"] == "start" {
				for _, pr := range pm["prices"].([]any) {
					pr := pr.(map[string]any)
					if pr["currency"] == "CHF" && num(pr["term_months"]) == 1 {
						pr["unit_amount"] = 3000
					}
					prices = append(prices, pr)
				}
			}
		}
		r := a.do("PATCH", "/v1/admin/plans/start", adminToken, map[string]any{"prices": prices})
		if r.status != 200 {
			t.Fatalf("patch plan: %d %s", r.status, r.raw)
		}
		second := a.do("POST", "/v1/orders", tok, buy)
		if num(second.body["subtotal"]) != 6000 || num(first.body["subtotal"]) != 5000 {
			t.Errorf("subtotals %v then %v, want 5000 then 6000", first.body["subtotal"], second.body["subtotal"])
		}
		sub := a.do("GET", "/v1/subscriptions/"+subID, tok, nil)
		if p := sub.body["periods"].([]any)[0].(map[string]any); num(p["unit_amount"]) != 2500 {
			t.Errorf("paid period unit_amount = %v, want 2500 (what was paid)", p["unit_amount"])
		}
		// A new plan from the operator is sold at once; a bad one is refused.
		np := map[string]any{"code": "start-plus", "name": "Start Plus", "product": "contact-center", "rank": 4, "min_licenses": 2,
			"max_licenses": 50, "terms": []int{1}, "prices": []any{map[string]any{"currency": "CHF", "term_months": 1, "unit_amount": 9900}}}
		if r := a.do("POST", "/v1/admin/plans", adminToken, np); r.status != 201 || r.body["product_name"] != "Cloud Contact Center" {
			t.Errorf("create plan: %d %s", r.status, r.raw)
		}
		np["code"], np["terms"] = "bad", []int{}
		if r := a.do("POST", "/v1/admin/plans", adminToken, np); r.status != 400 || r.errParam() != "terms" {
			t.Errorf("bad plan: %d %s", r.status, r.raw)
		}

		// Seats: two licenses, two users, the third is refused.
		for i, want := range []int{201, 201, 409} {
			r := a.do("POST", "/v1/users", tok, map[string]any{"name": "Agent", "email": fmt.Sprintf("agent%d@acme.test", i), "subscription": subID})
			if r.status != want {
				t.Errorf("user %d: %d %s", i, r.status, r.raw)
			}
			if want == 409 && r.errCode() != "license_limit_reached" {
				t.Errorf("user %d: %s", i, r.errCode())
			}
		}
		users := a.do("GET", "/v1/users", tok, nil).body["data"].([]any)
		if len(users) != 3 { // the owner and two agents
			t.Errorf("%d users, want 3", len(users))
		}
		// Auto-renew switch.
		if r := a.do("PATCH", "/v1/subscriptions/"+subID, tok, map[string]any{"auto_renew": true}); r.body["auto_renew"] != true {
			t.Errorf("auto_renew: %s", r.raw)
		}
		// SIP: a trunk plus one account per user; the admin sees passwords.
		accts := a.do("GET", "/v1/sip_accounts", tok, nil).body["data"].([]any)
		if len(accts) != 3 || accts[0].(map[string]any)["kind"] != "trunk" || accts[0].(map[string]any)["password"] != nil {
			t.Errorf("sip accounts: %v", accts)
		}
		one := a.do("GET", "/v1/sip_accounts/"+accts[0].(map[string]any)["id"].(string), tok, nil)
		if pw, _ := one.body["password"].(string); len(pw) < 12 {
			t.Errorf("admin sees no SIP password: %s", one.raw)
		}
		// Another customer reaches none of it.
		other := a.signup("cat2@acme.test", "CHF")
		for _, p := range []string{"/v1/subscriptions/" + subID, "/v1/orders/" + first.body["id"].(string), "/v1/sip_accounts/" + accts[0].(map[string]any)["id"].(string),
			"/v1/invoices/" + first.body["invoice"].(string)} {
			if r := a.do("GET", p, other, nil); r.status != 404 {
				t.Errorf("other customer GET %s: %d", p, r.status)
			}
		}
		if r := a.do("PATCH", "/v1/subscriptions/"+subID, other, map[string]any{"auto_renew": false}); r.status != 404 {
			t.Errorf("other customer PATCH: %d", r.status)
		}
	})
}

// TestCookieSession: the session cookie from POST /v1/sessions
// authenticates the API like the bearer token; it is Secure behind TLS;
// logging out ends it.
func TestCookieSession(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	a.signup("cookie@acme.test", "EUR")
	r := a.do("POST", "/v1/sessions", "", map[string]any{"email": "cookie@acme.test", "password": "correct horse"}, "X-Forwarded-Proto", "https")
	raw := r.header.Get("Set-Cookie")
	if !strings.Contains(raw, "Secure") || !strings.Contains(raw, "HttpOnly") {
		t.Errorf("cookie over TLS: %q", raw)
	}
	cookie := strings.SplitN(raw, ";", 2)[0]
	if acct := a.do("GET", "/v1/account", "", nil, "Cookie", cookie); acct.status != 200 || acct.body["email"] != "cookie@acme.test" {
		t.Errorf("cookie auth: %d %s", acct.status, acct.raw)
	}
	if out := a.do("DELETE", "/v1/sessions/current", "", nil, "Cookie", cookie); out.status != 200 {
		t.Errorf("logout: %d %s", out.status, out.raw)
	}
	if acct := a.do("GET", "/v1/account", "", nil, "Cookie", cookie); acct.status != 401 {
		t.Errorf("after logout: %d", acct.status)
	}
}

// TestLoginRateLimit: after a burst of failed log-ins for one e-mail the
// server answers 429 rate_limited (auth_test.go has the rest).
func TestLoginRateLimit(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	codes := map[int]int{}
	for range 13 {
		r := a.do("POST", "/v1/sessions", "", map[string]any{"email": "nobody@acme.test", "password": "guess"})
		codes[r.status]++
		if r.status == 429 && r.errCode() != "rate_limited" {
			t.Errorf("429 with code %q", r.errCode())
		}
	}
	if codes[401] != 10 || codes[429] != 3 {
		t.Errorf("statuses %v, want 10 x 401 then 3 x 429", codes)
	}
}

// TestImportNumbersFormats: an import is read by its Content-Type, or
// sniffed (a byte order mark and white space skipped) when it names
// neither; an empty body is refused in words; numbers already in the
// inventory are reported with their line; the OpenAPI document describes
// both forms.
func TestImportNumbersFormats(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st)
		row := `{"number":"+493099000001","country":"DE","area":"Berlin","type":"local","setup_amount":100,"monthly_amount":200,"currency":"EUR"}`
		csv := "number,country,state,area,type,setup_amount,monthly_amount,currency\n+493099000002,DE,,Berlin,local,100,200,EUR\n"
		for _, c := range []struct {
			name, contentType, body string
			status                  int
			imported                int64
		}{
			{"Blank", "application/json", "   \n", 400, 0},
			{"BlankUnnamed", "application/octet-stream", "   ", 400, 0},
			{"JSONWithBOM", "application/json", "\ufeff[" + row + "]", 201, 1},
			{"JSONObjectIsNoList", "application/json", row, 400, 0},
			{"CSVByType", "text/csv; charset=utf-8", csv, 201, 1},
			{"JSONSniffed", "application/octet-stream", "\ufeff \n[" + strings.Replace(row, "000001", "000003", 1) + "]", 201, 1},
		} {
			t.Run(c.name, func(t *testing.T) {
				r := a.do("POST", "/v1/admin/numbers", adminToken, c.body, "Content-Type", c.contentType)
				if r.status != c.status || num(r.body["imported"]) != c.imported {
					t.Errorf("%d %s, want %d with %d imported", r.status, r.raw, c.status, c.imported)
				}
				if r.status == 400 && (r.errCode() != "invalid_request" || strings.Contains(string(r.raw), "csv")) {
					t.Errorf("%s: want invalid_request in words, not a CSV parser's complaint", r.raw)
				}
			})
		}
		// The same file again: both numbers are duplicates, each with its line.
		r := a.do("POST", "/v1/admin/numbers", adminToken, csv+"+493099000004,DE,,Berlin,local,100,200,EUR\n", "Content-Type", "text/csv")
		rej, _ := r.body["rejected"].([]any)
		if r.status != 201 || num(r.body["imported"]) != 1 || len(rej) != 1 ||
			num(rej[0].(map[string]any)["line"]) != 2 || rej[0].(map[string]any)["message"] != "already in the inventory" {
			t.Errorf("re-import: %d %s, want one imported and line 2 already in the inventory", r.status, r.raw)
		}
		spec := a.do("GET", "/v1/openapi.json", "", nil)
		body := spec.body["paths"].(map[string]any)["/v1/admin/numbers"].(map[string]any)["post"].(map[string]any)["requestBody"].(map[string]any)["content"].(map[string]any)
		if body["text/csv"] == nil || body["application/json"] == nil {
			t.Errorf("import request body in OpenAPI: %v, want text/csv and application/json", body)
		}
	})
}
