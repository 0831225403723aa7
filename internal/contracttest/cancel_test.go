package contracttest

import (
	"testing"
	"time"
)

// TestCancelAtPeriodEnd (API.md PATCH /v1/subscriptions/{id}, PRODUCT.md
// "Cancelling and refunds"): a canceled subscription stays in force with
// cancel_at_period_end true until expires_at, does not renew (automatic
// renewal on, the balance covering it), and is canceled then with its
// users suspended; undo before then is allowed.
func TestCancelAtPeriodEnd(t *testing.T) {
	each(t, func(t *testing.T, s *server) {
		tok := s.customer("cancel", "EUR")
		adr := s.address(tok)
		s.topUp(tok, 500000)
		it := sub("start", 2, 1)
		it["auto_renew"] = true
		o := s.buy(tok, adr, it)
		if o.status != 201 {
			t.Fatalf("order: %d %s", o.status, o.raw)
		}
		id := str(obj(arr(o.body["items"])[0])["subscription"])
		s.must(201, "POST", "/v1/users", tok, map[string]any{"name": "Ann", "email": "ann-cancel@contract.test", "subscription": id})
		r := s.must(200, "PATCH", "/v1/subscriptions/"+id, tok, map[string]any{"cancel_at_period_end": true})
		exp := tm(t, r.body["expires_at"])
		if r.body["cancel_at_period_end"] != true || r.body["status"] != "active" {
			t.Fatalf("canceled: %s", r.raw)
		}
		if r := s.must(200, "PATCH", "/v1/subscriptions/"+id, tok, map[string]any{"cancel_at_period_end": false}); r.body["cancel_at_period_end"] != false {
			t.Fatalf("undone: %s", r.raw)
		}
		s.must(200, "PATCH", "/v1/subscriptions/"+id, tok, map[string]any{"cancel_at_period_end": true})
		s.must(200, "POST", "/v1/admin/clock/advance", adminToken, map[string]any{"to": exp.Add(time.Hour).Format(time.RFC3339)})
		tok = s.relogin(tok)
		r = s.must(200, "GET", "/v1/subscriptions/"+id, tok, nil)
		if r.body["status"] != "canceled" || r.body["cancel_at_period_end"] != true || !tm(t, r.body["expires_at"]).Equal(exp) {
			t.Fatalf("after expires_at: %s", r.raw)
		}
		for _, u := range s.must(200, "GET", "/v1/users", tok, nil).data() {
			if u["subscription"] == id && u["status"] != "suspended" {
				t.Errorf("user of a canceled subscription: %v", u)
			}
		}
		s.fails(400, "invalid_request", "cancel_at_period_end", "PATCH", "/v1/subscriptions/"+id, tok, map[string]any{"cancel_at_period_end": false})
	})
}
