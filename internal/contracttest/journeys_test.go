package contracttest

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestSessionSurvivesMonthsOfClock: sessions live on wall-clock time, so
// moving the sandbox clock by months logs nobody out (PRODUCT.md "Logins").
func TestSessionSurvivesMonthsOfClock(t *testing.T) {
	each(t, func(t *testing.T, s *server) {
		tok := s.customer("clock", "EUR")
		for i := 0; i < 3; i++ {
			s.advance(31 * 24 * time.Hour)
			if r := s.do("GET", "/v1/account", tok, nil); r.status != 200 {
				t.Fatalf("after %d months on the clock: GET /v1/account %d %s", i+1, r.status, r.raw)
			}
		}
	})
}

// TestManyCustomersLogInFromOneAddress: an office behind one address logs
// in many times; correct passwords are never throttled, failed ones are.
func TestManyCustomersLogInFromOneAddress(t *testing.T) {
	each(t, func(t *testing.T, s *server) {
		var emails []string
		for i := 0; i < 6; i++ {
			e := fmt.Sprintf("office-%d@contract.test", i)
			s.must(201, "POST", "/v1/signup", "", map[string]any{"email": e, "password": "correct horse battery", "company": "Office", "country": "DE", "currency": "EUR"})
			emails = append(emails, e)
		}
		for round := 0; round < 5; round++ {
			for _, e := range emails {
				if r := s.do("POST", "/v1/sessions", "", map[string]any{"email": e, "password": "correct horse battery"}); r.status != 201 {
					t.Fatalf("log-in %d of %s: %d %s", round, e, r.status, r.raw)
				}
			}
		}
		// Guessing one account's password is throttled.
		limited := false
		for i := 0; i < 100 && !limited; i++ {
			r := s.do("POST", "/v1/sessions", "", map[string]any{"email": emails[0], "password": "wrong"})
			switch r.status {
			case 401:
			case 429:
				limited = true
				if r.code() != "rate_limited" || r.header.Get("Retry-After") == "" {
					t.Errorf("429 without rate_limited and Retry-After: %v %s", r.header, r.raw)
				}
			default:
				t.Fatalf("wrong password: %d %s", r.status, r.raw)
			}
		}
		if !limited {
			t.Errorf("100 wrong passwords for one e-mail: never 429")
		}
	})
}

// TestNumberWholeLife: a number is ordered, released, rests 90 days in
// quarantine, is for sale again and is ordered again (PRODUCT.md "Phone
// numbers").
func TestNumberWholeLife(t *testing.T) {
	each(t, func(t *testing.T, s *server) {
		const number = "+4933170000001"
		r := s.must(201, "POST", "/v1/admin/numbers", adminToken, []map[string]any{{"number": number, "country": "DE", "area": "Potsdam",
			"type": "local", "setup_amount": 500, "monthly_amount": 300, "currency": "EUR"}})
		if num(r.body["imported"]) != 1 {
			t.Fatalf("import: %s", r.raw)
		}
		available := func(tok string) bool {
			for _, n := range s.must(200, "GET", "/v1/numbers/available?country=DE&area=Potsdam", tok, nil).data() {
				if n["number"] == number {
					return true
				}
			}
			return false
		}
		a, b := s.customer("numa", "EUR"), s.customer("numb", "EUR")
		adrA, adrB := s.address(a), s.address(b)
		s.topUp(a, 10000)
		s.topUp(b, 10000)
		if !available(a) {
			t.Fatal("imported number not offered")
		}
		r = s.buy(a, adrA, map[string]any{"type": "phone_number", "number": number})
		if r.status != 201 || num(r.body["total"]) <= 0 {
			t.Fatalf("order: %d %s", r.status, r.raw)
		}
		s.fails(409, "number_unavailable", "", "POST", "/v1/orders", b, order(adrB, map[string]any{"type": "phone_number", "number": number}))
		var id string
		for _, n := range s.must(200, "GET", "/v1/numbers", a, nil).data() {
			if n["number"] == number {
				id = str(n["id"])
			}
		}
		if id == "" {
			t.Fatal("bought number not in GET /v1/numbers")
		}
		s.must(200, "DELETE", "/v1/numbers/"+id, a, nil)
		if available(b) {
			t.Error("released number offered during its quarantine")
		}
		s.fails(409, "number_unavailable", "", "POST", "/v1/orders", b, order(adrB, map[string]any{"type": "phone_number", "number": number}))
		s.advance(89 * 24 * time.Hour)
		b = s.relogin(b)
		if available(b) {
			t.Error("number offered before 90 days of quarantine")
		}
		s.advance(2 * 24 * time.Hour)
		if !available(b) {
			t.Fatal("number not for sale again after 90 days of quarantine")
		}
		if r := s.buy(b, adrB, map[string]any{"type": "phone_number", "number": number}); r.status != 201 {
			t.Fatalf("ordered again: %d %s", r.status, r.raw)
		}
		found := false
		for _, n := range s.must(200, "GET", "/v1/numbers", b, nil).data() {
			found = found || n["number"] == number
		}
		if !found {
			t.Error("number ordered again is not the new customer's")
		}
	})
}

// TestPriceChangeBetweenCartAndCheckout: the customer saw a price; the
// operator changes it; checkout fails with 409 price_changed and the fresh
// quote, and a second checkout pays the new price.
func TestPriceChangeBetweenCartAndCheckout(t *testing.T) {
	each(t, func(t *testing.T, s *server) {
		tok := s.customer("cart", "EUR")
		adr := s.address(tok)
		s.topUp(tok, 100000)
		s.must(201, "POST", "/v1/cart/items", tok, sub("start", 2, 12))
		cart := s.must(200, "GET", "/v1/cart?billing_address="+adr, tok, nil)
		seen := obj(cart.body["quote"])
		if num(seen["subtotal"]) != 2*24000 {
			t.Fatalf("cart quote: %s", cart.raw)
		}
		s.must(200, "PATCH", "/v1/admin/plans/start", adminToken, map[string]any{"prices": []any{
			map[string]any{"currency": "EUR", "term_months": 1, "unit_amount": 2500},
			map[string]any{"currency": "EUR", "term_months": 6, "unit_amount": 13500},
			map[string]any{"currency": "EUR", "term_months": 12, "unit_amount": 26400},
			map[string]any{"currency": "CHF", "term_months": 12, "unit_amount": 26400},
			map[string]any{"currency": "USD", "term_months": 12, "unit_amount": 26400},
		}})
		balance := num(s.must(200, "GET", "/v1/account", tok, nil).body["balance"])
		r := s.fails(409, "price_changed", "", "POST", "/v1/cart/checkout", tok, map[string]any{"billing_address": adr, "payment": map[string]any{"method": "balance"}})
		if q := obj(obj(r.body["error"])["quote"]); num(q["subtotal"]) != 2*26400 {
			t.Errorf("price_changed without the fresh quote: %s", r.raw)
		}
		if b := num(s.must(200, "GET", "/v1/account", tok, nil).body["balance"]); b != balance {
			t.Errorf("a refused checkout moved the balance: %d, want %d", b, balance)
		}
		r = s.must(201, "POST", "/v1/cart/checkout", tok, map[string]any{"billing_address": adr, "payment": map[string]any{"method": "balance"}})
		if num(r.body["subtotal"]) != 2*26400 {
			t.Errorf("second checkout: subtotal %v, want %d", r.body["subtotal"], 2*26400)
		}
		if items := arr(s.must(200, "GET", "/v1/cart", tok, nil).body["items"]); len(items) != 0 {
			t.Errorf("cart not empty after checkout: %v", items)
		}
	})
}

// TestRenewalsToTheSecond: automatic renewals from the balance; each period
// starts exactly where the previous one ended, and expires_at is the end of
// the last one.
func TestRenewalsToTheSecond(t *testing.T) {
	each(t, func(t *testing.T, s *server) {
		tok := s.customer("renew", "EUR")
		adr := s.address(tok)
		s.topUp(tok, 100000)
		it := sub("ivr", 1, 1)
		it["auto_renew"] = true
		r := s.buy(tok, adr, it)
		if r.status != 201 {
			t.Fatalf("order: %d %s", r.status, r.raw)
		}
		subID := str(obj(arr(r.body["items"])[0])["subscription"])
		sr := s.must(200, "GET", "/v1/subscriptions/"+subID, tok, nil)
		if sr.body["auto_renew"] != true {
			s.must(200, "PATCH", "/v1/subscriptions/"+subID, tok, map[string]any{"auto_renew": true})
		}
		for i := 0; i < 4; i++ {
			s.advance(32 * 24 * time.Hour)
			tok = s.relogin(tok)
		}
		sr = s.must(200, "GET", "/v1/subscriptions/"+subID, tok, nil)
		periods := arr(sr.body["periods"])
		if len(periods) < 4 {
			t.Fatalf("%d periods after four months of automatic renewal: %s", len(periods), sr.raw)
		}
		for i := 1; i < len(periods); i++ {
			prev, cur := obj(periods[i-1]), obj(periods[i])
			if !tm(t, cur["start"]).Equal(tm(t, prev["end"])) {
				t.Errorf("period %d starts %v, the previous ended %v", i, cur["start"], prev["end"])
			}
			if want := tm(t, prev["start"]).AddDate(0, 1, 0); !tm(t, prev["end"]).Equal(want) && tm(t, prev["start"]).Day() < 29 {
				t.Errorf("period %d: %v – %v is not one calendar month", i-1, prev["start"], prev["end"])
			}
		}
		last := obj(periods[len(periods)-1])
		if !tm(t, sr.body["expires_at"]).Equal(tm(t, last["end"])) || sr.body["status"] != "active" {
			t.Errorf("expires_at %v, status %v; last period ends %v", sr.body["expires_at"], sr.body["status"], last["end"])
		}
		var renewed int
		for _, n := range s.must(200, "GET", "/v1/notifications?limit=100", tok, nil).data() {
			if n["type"] == "renewal_succeeded" {
				renewed++
			}
		}
		if renewed < len(periods)-1 {
			t.Errorf("%d renewal_succeeded notifications for %d renewals", renewed, len(periods)-1)
		}
	})
}

// TestIdempotency: the same key with the same request replays the first
// response (same status and body, Idempotent-Replayed: true) and does
// nothing more; with another body it is 422 idempotency_key_reused.
func TestIdempotency(t *testing.T) {
	each(t, func(t *testing.T, s *server) {
		tok := s.customer("idem", "EUR")
		body := map[string]any{"items": []any{map[string]any{"type": "balance_top_up", "amount": 5000}}, "payment": map[string]any{"method": "card", "card": goodCard}}
		first := s.must(201, "POST", "/v1/orders", tok, body, "Idempotency-Key", "k-1")
		again := s.must(201, "POST", "/v1/orders", tok, body, "Idempotency-Key", "k-1")
		if again.header.Get("Idempotent-Replayed") != "true" || string(again.raw) != string(first.raw) {
			t.Errorf("replay: %v %s, want the first body %s", again.header, again.raw, first.raw)
		}
		if b := num(s.must(200, "GET", "/v1/account", tok, nil).body["balance"]); b != 5000 {
			t.Errorf("balance %d after a replayed top-up, want 5000", b)
		}
		other := map[string]any{"items": []any{map[string]any{"type": "balance_top_up", "amount": 6000}}, "payment": map[string]any{"method": "card", "card": goodCard}}
		s.fails(422, "idempotency_key_reused", "", "POST", "/v1/orders", tok, other, "Idempotency-Key", "k-1")
		// An error is replayed too.
		bad := s.fails(422, "min_licenses", "", "POST", "/v1/orders", tok, order("", sub("start", 1, 1)), "Idempotency-Key", "k-2")
		if r := s.do("POST", "/v1/orders", tok, order("", sub("start", 1, 1)), "Idempotency-Key", "k-2"); r.status != bad.status || string(r.raw) != string(bad.raw) {
			t.Errorf("replayed error: %d %s, want %d %s", r.status, r.raw, bad.status, bad.raw)
		}
		// Keys are per customer.
		tok2 := s.customer("idem2", "EUR")
		if r := s.must(201, "POST", "/v1/orders", tok2, body, "Idempotency-Key", "k-1"); r.header.Get("Idempotent-Replayed") != "" {
			t.Errorf("another customer's key replayed: %s", r.raw)
		}
		if !strings.HasPrefix(str(first.body["id"]), "ord_") {
			t.Errorf("order id %v", first.body["id"])
		}
	})
}
