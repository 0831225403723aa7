package contracttest

import (
	"net/http"
	"testing"
)

// Regression tests from the issue 12 audit (a new integrator's first hour,
// written from API.md only).

// TestAuditNULNamesItsField: a NUL character (\u0000, valid JSON) in one field
// of a JSON body is a wrong field: 400 invalid_request whose param names it
// (API.md, Conventions: "missing or wrong field; param names it"), not a
// body-wide "text must be UTF-8 without NUL characters" with no param.
func TestAuditNULNamesItsField(t *testing.T) {
	each(t, func(t *testing.T, s *server) {
		tok := s.customer("nul", "EUR")
		s.fails(400, "invalid_request", "name", "POST", "/v1/billing_addresses", tok,
			"{\"name\":\"Acme\\u0000GmbH\",\"line1\":\"Unter den Linden 1\",\"city\":\"Berlin\",\"postal_code\":\"10117\",\"country\":\"DE\"}")
		s.fails(400, "invalid_request", "city", "POST", "/v1/billing_addresses", tok,
			"{\"name\":\"Acme GmbH\",\"line1\":\"Unter den Linden 1\",\"city\":\"Ber\\u0000lin\",\"postal_code\":\"10117\",\"country\":\"DE\"}")
		s.fails(400, "invalid_request", "company", "POST", "/v1/signup", "",
			"{\"email\":\"nul-company@contract.test\",\"password\":\"correct horse battery\",\"company\":\"A\\u0000B\",\"country\":\"DE\",\"currency\":\"EUR\"}")
		if n := len(s.must(200, "GET", "/v1/billing_addresses", tok, nil).data()); n != 0 {
			t.Errorf("%d addresses made from bad input", n)
		}
	})
}

// TestAuditBearerSchemeAnyCase: the authentication scheme is
// case-insensitive (RFC 9110 §11.1), so "bearer <token>" is the same
// credential as "Bearer <token>"; some HTTP clients send it in lower case.
func TestAuditBearerSchemeAnyCase(t *testing.T) {
	each(t, func(t *testing.T, s *server) {
		tok := s.customer("scheme", "EUR")
		for _, scheme := range []string{"Bearer", "bearer", "BEARER"} {
			req, _ := http.NewRequest("GET", s.base+"/v1/account", nil)
			req.Header.Set("Authorization", scheme+" "+tok)
			res, err := s.c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 200 {
				t.Errorf("Authorization: %s <token>: %d, want 200", scheme, res.StatusCode)
			}
			req, _ = http.NewRequest("GET", s.base+"/v1/admin/clock", nil)
			req.Header.Set("Authorization", scheme+" "+adminToken)
			res, err = s.c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 200 {
				t.Errorf("Authorization: %s <admin token>: %d, want 200", scheme, res.StatusCode)
			}
		}
	})
}

// TestAuditPromoCodeBadInputRefused: a promo code is `percent_off |
// amount_off + currency` (API.md), restricted to plans and terms that exist;
// an operator's request that gives both kinds of discount, an unknown plan
// or a term no plan has is bad input (400 naming the field) and creates
// nothing, instead of a 201 that silently drops the percentage or makes a
// code nobody can ever redeem.
func TestAuditPromoCodeBadInputRefused(t *testing.T) {
	each(t, func(t *testing.T, s *server) {
		s.fails(400, "invalid_request", "", "POST", "/v1/admin/promo_codes", adminToken,
			map[string]any{"code": "AUDIT-BOTH", "percent_off": "10", "amount_off": 500, "currency": "EUR"})
		s.fails(400, "invalid_request", "plans", "POST", "/v1/admin/promo_codes", adminToken,
			map[string]any{"code": "AUDIT-NOPLAN", "percent_off": "10", "plans": []any{"no-such-plan"}})
		s.fails(400, "invalid_request", "terms", "POST", "/v1/admin/promo_codes", adminToken,
			map[string]any{"code": "AUDIT-NOTERM", "percent_off": "10", "plans": []any{"start"}, "terms": []any{7}})
		s.must(201, "POST", "/v1/admin/promo_codes", adminToken, map[string]any{"code": "AUDIT-PCT", "percent_off": "10"})
		s.fails(400, "invalid_request", "", "PATCH", "/v1/admin/promo_codes/AUDIT-PCT", adminToken,
			map[string]any{"percent_off": "10", "amount_off": 500, "currency": "EUR"})
		for _, p := range s.must(200, "GET", "/v1/admin/promo_codes", adminToken, nil).data() {
			switch p["code"] {
			case "AUDIT-BOTH", "AUDIT-NOPLAN", "AUDIT-NOTERM":
				t.Errorf("refused promo code was created: %v", p)
			case "AUDIT-PCT":
				if p["percent_off"] != "10" || p["amount_off"] != nil {
					t.Errorf("a refused PATCH changed the code: %v", p)
				}
			}
		}
	})
}

// TestAuditAddressThrottleSparesCorrectPasswords: "successful log-ins are
// never throttled" (PRODUCT.md): after colleagues behind one office address
// mistyped their e-mails or passwords many times, a colleague who gives
// the right password is let in (201), not told 429 to wait; the per-e-mail
// count still guards each account.
func TestAuditAddressThrottleSparesCorrectPasswords(t *testing.T) {
	each(t, func(t *testing.T, s *server) {
		tok := s.customer("office", "EUR")
		s.mu.Lock()
		email := s.who[tok]
		s.mu.Unlock()
		limited := false
		for i := 0; i < 60 && !limited; i++ {
			r := s.do("POST", "/v1/sessions", "", map[string]any{"email": "typo" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + "@contract.test", "password": "wrong password"})
			limited = r.status == 429
		}
		if !limited {
			t.Skip("no per-address limit within 60 failed log-ins")
		}
		r := s.do("POST", "/v1/sessions", "", map[string]any{"email": email, "password": "correct horse battery"})
		if r.status != 201 {
			t.Errorf("a correct password from an address that others mistyped from: %d %s, want 201", r.status, r.raw)
		}
	})
}

// TestAuditAdminCustomerDetail: "GET /v1/admin/customers/{id} includes the
// customer's balance, subscriptions, numbers and recent orders" (API.md,
// Operator); today it answers only the account's own fields.
func TestAuditAdminCustomerDetail(t *testing.T) {
	each(t, func(t *testing.T, s *server) {
		tok := s.customer("detail", "EUR")
		adr := s.address(tok)
		s.topUp(tok, 100000)
		s.must(201, "POST", "/v1/orders", tok, order(adr, sub("ivr", 1, 1)))
		s.must(201, "POST", "/v1/orders", tok, order(adr, map[string]any{"type": "phone_number", "country": "DE", "area": "Berlin"}))
		id := str(s.must(200, "GET", "/v1/account", tok, nil).body["id"])
		c := s.must(200, "GET", "/v1/admin/customers/"+id, adminToken, nil)
		if c.body["balance"] == nil {
			t.Errorf("no balance: %.600s", c.raw)
		}
		lists := map[string]bool{}
		for k, v := range c.body {
			if a, ok := v.([]any); ok && len(a) > 0 {
				lists[k] = true
			}
			if o := obj(v); o != nil && len(arr(o["data"])) > 0 {
				lists[k] = true
			}
		}
		if len(lists) < 3 {
			t.Errorf("want the customer's subscriptions, numbers and recent orders, got lists %v: %.600s", lists, c.raw)
		}
	})
}
