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

// TestRefundRevoke (API.md POST /v1/admin/orders/{id}/refunds with items
// and revoke): a fully refunded 3-month extension with revoke is gone
// from the subscription (expires_at back where it was, still active); a
// refunded new subscription with revoke is canceled now; without revoke
// only money moves.
func TestRefundRevoke(t *testing.T) {
	each(t, func(t *testing.T, s *server) {
		tok := s.customer("revoke", "EUR")
		adr := s.address(tok)
		s.topUp(tok, 500000)
		o := s.buy(tok, adr, sub("ivr", 1, 1))
		if o.status != 201 {
			t.Fatalf("order: %d %s", o.status, o.raw)
		}
		id := str(obj(arr(o.body["items"])[0])["subscription"])
		before := tm(t, s.must(200, "GET", "/v1/subscriptions/"+id, tok, nil).body["expires_at"])
		ext := s.buy(tok, adr, map[string]any{"type": "renewal", "subscription": id, "term_months": 3})
		if ext.status != 201 {
			t.Fatalf("extension: %d %s", ext.status, ext.raw)
		}
		extended := tm(t, s.must(200, "GET", "/v1/subscriptions/"+id, tok, nil).body["expires_at"])
		balance := num(s.must(200, "GET", "/v1/account", tok, nil).body["balance"])
		r := s.do("POST", "/v1/admin/orders/"+str(ext.body["id"])+"/refunds", adminToken, map[string]any{"reason": "not wanted", "items": []int{1}, "revoke": true})
		if r.status/100 != 2 || num(r.body["amount"]) != num(ext.body["total"]) {
			t.Fatalf("refund: %d %s", r.status, r.raw)
		}
		if got := num(s.must(200, "GET", "/v1/account", tok, nil).body["balance"]); got != balance+num(ext.body["total"]) {
			t.Errorf("balance %d, want %d", got, balance+num(ext.body["total"]))
		}
		g := s.must(200, "GET", "/v1/subscriptions/"+id, tok, nil)
		if got := tm(t, g.body["expires_at"]); !got.Equal(before) || got.Equal(extended) || g.body["status"] != "active" {
			t.Errorf("after revoke: %s, want expires_at %s", g.raw, before)
		}
		// Without revoke, a new subscription stays.
		n := s.buy(tok, adr, sub("start", 2, 1))
		nid := str(obj(arr(n.body["items"])[0])["subscription"])
		s.do("POST", "/v1/admin/orders/"+str(n.body["id"])+"/refunds", adminToken, map[string]any{"reason": "goodwill", "amount": 100})
		if g := s.must(200, "GET", "/v1/subscriptions/"+nid, tok, nil); g.body["status"] != "active" {
			t.Errorf("refund without revoke: %s", g.raw)
		}
		s.do("POST", "/v1/admin/orders/"+str(n.body["id"])+"/refunds", adminToken, map[string]any{"reason": "mistake", "revoke": true})
		if g := s.must(200, "GET", "/v1/subscriptions/"+nid, tok, nil); g.body["status"] != "canceled" || tm(t, g.body["expires_at"]).After(s.now()) {
			t.Errorf("refund with revoke: %s", g.raw)
		}
		s.fails(400, "invalid_request", "items[0]", "POST", "/v1/admin/orders/"+str(o.body["id"])+"/refunds", adminToken,
			map[string]any{"reason": "x", "items": []int{9}, "revoke": true})
	})
}
