package contracttest

import (
	"strings"
	"testing"
)

// TestBadInputs: bad input is a 4xx with the contract's code, a message in
// words naming the field, and nothing changes; nothing is a 500.
func TestBadInputs(t *testing.T) {
	each(t, func(t *testing.T, s *server) {
		tok := s.customer("bad", "EUR")
		adr := s.address(tok)
		s.topUp(tok, 100000)
		balance := func() int64 { return num(s.must(200, "GET", "/v1/account", tok, nil).body["balance"]) }
		before := balance()
		// words checks a 400 names its field in words, not in Go's.
		words := func(r resp, field string) {
			t.Helper()
			msg := str(obj(r.body["error"])["message"])
			if !strings.Contains(r.param(), field) || strings.Contains(msg, "Go struct") || strings.Contains(msg, "json: ") {
				t.Errorf("want param naming %q and a message in words: %s", field, r.raw)
			}
		}

		s.fails(400, "invalid_request", "", "POST", "/v1/orders", tok, `{"items": [`)
		s.fails(400, "invalid_request", "", "POST", "/v1/orders", tok, "{\"items\":[],\"promo_code\":\"A\u0000B\"}")
		for _, q := range []any{0, -1, "two", nil} {
			it := map[string]any{"type": "subscription", "plan": "start", "term_months": 1}
			if q != nil {
				it["quantity"] = q
			}
			r := s.fails(400, "invalid_request", "", "POST", "/v1/orders", tok, order(adr, it))
			words(r, "quantity")
		}
		s.fails(422, "min_licenses", "", "POST", "/v1/orders", tok, order(adr, sub("start", 1, 1)))
		r := s.fails(400, "invalid_request", "", "POST", "/v1/orders", tok,
			`{"items":[{"type":"balance_top_up","amount":12345678901234567890}],"payment":{"method":"card","card":{"number":"4242424242424242","exp_month":12,"exp_year":2040,"cvc":"123"}}}`)
		words(r, "amount")
		r = s.fails(400, "invalid_request", "", "POST", "/v1/orders", tok,
			`{"items":[{"type":"subscription","plan":"start","quantity":12345678901234567890,"term_months":1}],"payment":{"method":"balance"},"billing_address":"`+adr+`"}`)
		words(r, "quantity")
		s.fails(400, "invalid_request", "", "POST", "/v1/orders", tok, order(adr, map[string]any{"type": "teleporter"}))
		s.fails(400, "invalid_request", "", "POST", "/v1/orders", tok, map[string]any{"items": []any{sub("start", 2, 1)}, "billing_address": adr, "payment": map[string]any{"method": "cheque"}})
		if b := balance(); b != before {
			t.Errorf("bad orders moved the balance: %d, want %d", b, before)
		}
		if n := len(s.must(200, "GET", "/v1/subscriptions", tok, nil).data()); n != 0 {
			t.Errorf("bad orders made %d subscriptions", n)
		}

		// Signup and addresses name their fields.
		s.fails(400, "invalid_request", "email", "POST", "/v1/signup", "", map[string]any{"email": "not-an-address", "password": "correct horse battery", "company": "X", "country": "DE", "currency": "EUR"})
		s.fails(400, "invalid_request", "currency", "POST", "/v1/signup", "", map[string]any{"email": "cur@bad.test", "password": "correct horse battery", "company": "X", "country": "DE", "currency": "EURO"})
		s.fails(400, "invalid_request", "city", "POST", "/v1/billing_addresses", tok, map[string]any{"name": "A", "line1": "B 1", "postal_code": "10117", "country": "DE"})

		// An unknown promo code is promo_invalid, whatever the cart holds.
		s.fails(422, "promo_invalid", "", "PUT", "/v1/cart/promo_code", tok, map[string]any{"code": "NO-SUCH-CODE"})

		// Users: names and e-mails have limits; an e-mail is unique per account.
		o := s.must(201, "POST", "/v1/orders", tok, order(adr, sub("business", 3, 1)))
		subID := str(obj(arr(o.body["items"])[0])["subscription"])
		r = s.do("POST", "/v1/users", tok, map[string]any{"name": strings.Repeat("n", 10000), "email": "long@bad.test", "subscription": subID})
		if r.status != 400 || r.param() != "name" {
			t.Errorf("10,000-character name: %d %.300s", r.status, r.raw)
		}
		s.must(201, "POST", "/v1/users", tok, map[string]any{"name": "Ada", "email": "ada@bad.test", "subscription": subID})
		if r := s.do("POST", "/v1/users", tok, map[string]any{"name": "Ada 2", "email": "ADA@bad.test", "subscription": subID}); r.status < 400 || r.status >= 500 || r.param() != "email" {
			t.Errorf("a second user with one e-mail: %d %.300s", r.status, r.raw)
		}

		// The operator's import: when nothing is imported it is a 400 with reasons.
		for _, rows := range []string{
			`[{"number": 5}]`,
			`[{"number":"+4933170000201","country":"DE","area":"Potsdam","type":"local","setup_amount":-100,"monthly_amount":200,"currency":"EUR"}]`,
			`[{"number":"+4933170000202","country":"DE","area":"Potsdam","type":"local","setup_amount":100,"monthly_amount":2.5,"currency":"EUR"}]`,
		} {
			s.fails(400, "invalid_request", "", "POST", "/v1/admin/numbers", adminToken, rows)
		}

		// Who is calling is checked before the body is read.
		s.fails(401, "unauthenticated", "", "POST", "/v1/admin/promo_codes", "", map[string]any{"percent_off": 5})
		s.fails(403, "forbidden", "", "POST", "/v1/admin/promo_codes", tok, map[string]any{"percent_off": 5})
		s.fails(401, "unauthenticated", "", "POST", "/v1/orders", "", `{"items": [`)
		s.fails(403, "forbidden", "", "POST", "/v1/orders", adminToken, `{"items": [`)
	})
}
