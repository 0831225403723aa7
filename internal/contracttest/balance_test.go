package contracttest

import (
	"testing"
	"time"
)

// TestBalanceSettingsAndNumberPrices: GET and PATCH /v1/account's balance
// fields (forecast, threshold, automatic top-up run by the scheduler) and
// the operator's price list of numbers, black-box.
func TestBalanceSettingsAndNumberPrices(t *testing.T) {
	each(t, func(t *testing.T, s *server) {
		tok := s.customer("balance", "CHF")
		acc := s.must(200, "GET", "/v1/account", tok, nil)
		for _, f := range []string{"balance_covers_until", "low_balance_threshold", "auto_top_up"} {
			if v, ok := acc.body[f]; !ok || v != nil {
				t.Errorf("new account's %s: %v, want null", f, v)
			}
		}
		s.fails(400, "invalid_request", "low_balance_threshold", "PATCH", "/v1/account", tok, map[string]any{"low_balance_threshold": -5})
		s.fails(400, "invalid_request", "auto_top_up.payment_method", "PATCH", "/v1/account", tok,
			map[string]any{"auto_top_up": map[string]any{"amount": 5000, "below": 1000}})
		s.must(201, "POST", "/v1/payment_methods", tok, map[string]any{"card": goodCard})
		r := s.must(200, "PATCH", "/v1/account", tok, map[string]any{"low_balance_threshold": 3000,
			"auto_top_up": map[string]any{"amount": 5000, "below": 1000}})
		if num(r.body["low_balance_threshold"]) != 3000 || num(obj(r.body["auto_top_up"])["amount"]) != 5000 {
			t.Errorf("PATCH /v1/account: %s", r.raw)
		}

		// The operator prices German numbers in CHF: a CHF account buys one.
		s.fails(400, "invalid_request", "currency", "PUT", "/v1/admin/number_prices", adminToken,
			map[string]any{"country": "DE", "currency": "C", "setup_amount": 100, "monthly_amount": 200})
		s.must(200, "PUT", "/v1/admin/number_prices", adminToken, map[string]any{"country": "DE", "currency": "CHF", "setup_amount": 100, "monthly_amount": 200})
		if l := s.must(200, "GET", "/v1/admin/number_prices", adminToken, nil).data(); len(l) != 1 || str(l[0]["currency"]) != "CHF" {
			t.Errorf("price list: %v", l)
		}
		avail := s.must(200, "GET", "/v1/numbers/available?country=DE&area=Berlin&limit=1", tok, nil).data()
		if len(avail) != 1 || str(avail[0]["currency"]) != "CHF" || num(avail[0]["monthly_amount"]) != 200 {
			t.Fatalf("DE numbers for CHF: %v", avail)
		}
		s.topUp(tok, 4000)
		adr := s.address(tok)
		if o := s.buy(tok, adr, map[string]any{"type": "phone_number", "country": "DE", "area": "Berlin"}); o.status != 201 || str(o.body["currency"]) != "CHF" {
			t.Fatalf("CHF order of a Berlin number: %d %s", o.status, o.raw)
		}
		acc = s.must(200, "GET", "/v1/account", tok, nil)
		if acc.body["balance_covers_until"] == nil {
			t.Errorf("with a number renewing: balance_covers_until null: %s", acc.raw)
		}
		// Below 10.00: the scheduler tops the balance up by 50.00, once.
		bal := num(acc.body["balance"])
		id := str(acc.body["id"])
		s.must(201, "POST", "/v1/admin/customers/"+id+"/balance_adjustments", adminToken, map[string]any{"amount": -(bal - 500), "reason": "contract"})
		s.advance(time.Minute)
		s.advance(time.Minute)
		if b := num(s.must(200, "GET", "/v1/account", tok, nil).body["balance"]); b != 5500 {
			t.Errorf("balance after the automatic top-up: %d, want 5500", b)
		}
		low := 0
		for _, n := range s.must(200, "GET", "/v1/notifications", tok, nil).data() {
			if str(n["type"]) == "balance_low" {
				low++
			}
		}
		if low != 1 {
			t.Errorf("balance_low notices: %d, want 1", low)
		}
	})
}
