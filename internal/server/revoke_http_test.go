package server_test

import (
	"net/url"
	"testing"

	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestRefundRevoke (issue 17 "Refunds that end what they bought"): a fully
// refunded 3-month extension with revoke no longer shows "Active until"
// the extended date: its period is removed and expires_at moves back,
// the subscription stays active until then. A refunded new subscription
// with revoke ends now (canceled, users suspended); a refunded number with
// revoke is released into quarantine. Money moves as without revoke
// (balance credited exactly), and the events are sent. Without revoke
// nothing but money moves.
func TestRefundRevoke(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a, svc := newHookAPI(t, st)
		rc := newReceiver(t, nil)
		createHook(t, a, rc.srv.URL, "subscription.updated", "subscription.canceled", "number.released", "refund.created")
		tok := a.signup("revoke@acme.test", "CHF")
		addr := a.address(tok)
		if r := a.do("POST", "/v1/orders", tok, topUp(500000)); r.status != 201 {
			t.Fatalf("top-up: %d %s", r.status, r.raw)
		}
		buy := func(items ...any) map[string]any {
			t.Helper()
			r := a.do("POST", "/v1/orders", tok, map[string]any{"items": items, "billing_address": addr, "payment": map[string]any{"method": "balance"}})
			if r.status != 201 {
				t.Fatalf("order %v: %d %s", items, r.status, r.raw)
			}
			return r.body
		}
		balance := func() int64 { return num(a.do("GET", "/v1/account", tok, nil).body["balance"]) }
		first := buy(map[string]any{"type": "subscription", "plan": "ivr", "quantity": 1, "term_months": 1})
		subID := first["items"].([]any)[0].(map[string]any)["subscription"].(string)
		before := parseAPITime(t, a.do("GET", "/v1/subscriptions/"+subID, tok, nil).body["expires_at"])
		ext := buy(map[string]any{"type": "renewal", "subscription": subID, "term_months": 3})
		extended := parseAPITime(t, a.do("GET", "/v1/subscriptions/"+subID, tok, nil).body["expires_at"])
		if !extended.After(before) {
			t.Fatalf("extension: expires_at %s, was %s", extended, before)
		}

		// Without revoke: money only (half of it).
		bal := balance()
		half := num(ext["total"]) / 2
		r := a.do("POST", "/v1/admin/orders/"+ext["id"].(string)+"/refunds", adminToken, map[string]any{"amount": half, "reason": "goodwill"})
		if r.status != 201 && r.status != 200 {
			t.Fatalf("refund: %d %s", r.status, r.raw)
		}
		if got := parseAPITime(t, a.do("GET", "/v1/subscriptions/"+subID, tok, nil).body["expires_at"]); !got.Equal(extended) {
			t.Errorf("a refund without revoke moved expires_at to %s", got)
		}
		// The rest, item 1, with revoke.
		r = a.do("POST", "/v1/admin/orders/"+ext["id"].(string)+"/refunds", adminToken, map[string]any{"reason": "not wanted", "items": []int{1}, "revoke": true})
		if r.status != 201 && r.status != 200 {
			t.Fatalf("refund with revoke: %d %s", r.status, r.raw)
		}
		if r.body["order_status"] != "refunded" || balance() != bal+num(ext["total"]) {
			t.Errorf("refund: %s; balance %d, want %d", r.raw, balance(), bal+num(ext["total"]))
		}
		s := a.do("GET", "/v1/subscriptions/"+subID, tok, nil)
		if got := parseAPITime(t, s.body["expires_at"]); !got.Equal(before) || s.body["status"] != "active" || len(s.body["periods"].([]any)) != 1 {
			t.Errorf("after revoke: %s, want expires_at %s", s.raw, before)
		}
		b := newBrowser(t, a)
		b.post("/login", url.Values{"email": {"revoke@acme.test"}, "password": {"correct horse"}})
		p := b.get("/subscriptions")
		p.has(t, before.UTC().Format("2 Jan 2006"))
		p.hasNot(t, extended.UTC().Format("2 Jan 2006"))

		// A new subscription and a number, revoked: canceled now, released.
		const number = "+41445559901"
		if r := a.do("POST", "/v1/admin/numbers", adminToken, []map[string]any{{"number": number, "country": "CH", "area": "Zürich",
			"type": "local", "setup_amount": 1000, "monthly_amount": 500, "currency": "CHF"}}); r.status != 201 {
			t.Fatalf("import: %d %s", r.status, r.raw)
		}
		nums := []map[string]any{{"number": number}}
		items := []any{map[string]any{"type": "subscription", "plan": "start", "quantity": 2, "term_months": 12}}
		if len(nums) > 0 {
			items = append(items, map[string]any{"type": "phone_number", "number": nums[0]["number"]})
		}
		o := buy(items...)
		newSub := o["items"].([]any)[0].(map[string]any)["subscription"].(string)
		if r := a.do("POST", "/v1/users", tok, map[string]any{"name": "Bo", "email": "bo@acme.test", "subscription": newSub}); r.status != 201 {
			t.Fatalf("user: %d %s", r.status, r.raw)
		}
		r = a.do("POST", "/v1/admin/orders/"+o["id"].(string)+"/refunds", adminToken, map[string]any{"reason": "mistake", "revoke": true})
		if r.status != 201 && r.status != 200 {
			t.Fatalf("refund new: %d %s", r.status, r.raw)
		}
		s = a.do("GET", "/v1/subscriptions/"+newSub, tok, nil)
		if s.body["status"] != "canceled" || parseAPITime(t, s.body["expires_at"]).After(a.clk.Now()) {
			t.Errorf("revoked new subscription: %s", s.raw)
		}
		for _, u := range dataOf(a.do("GET", "/v1/users", tok, nil)) {
			if u["subscription"] == newSub && u["status"] != "suspended" {
				t.Errorf("user of a revoked subscription: %v", u)
			}
		}
		if len(nums) > 0 {
			for _, n := range dataOf(a.do("GET", "/v1/numbers", tok, nil)) {
				if n["number"] == nums[0]["number"] {
					t.Errorf("revoked number still held: %v", n)
				}
			}
			var held bool
			for _, n := range dataOf(a.do("GET", "/v1/admin/numbers?status=quarantine", adminToken, nil)) {
				held = held || n["number"] == number
			}
			if !held {
				t.Errorf("revoked number %s not in quarantine", number)
			}
		}
		// A bad item number changes nothing.
		r = a.do("POST", "/v1/admin/orders/"+first["id"].(string)+"/refunds", adminToken, map[string]any{"reason": "x", "items": []int{7}, "revoke": true})
		if r.status != 400 || r.errParam() != "items[0]" {
			t.Errorf("item 7: %d %s", r.status, r.raw)
		}
		deliver(t, svc)
		seen := map[string]int{}
		for _, c := range rc.got() {
			seen[c.evt.Type]++
		}
		want := map[string]int{"subscription.updated": 1, "subscription.canceled": 1, "refund.created": 3}
		if len(nums) > 0 {
			want["number.released"] = 1
		}
		for k, v := range want {
			if seen[k] != v {
				t.Errorf("events %v: want %d %s", seen, v, k)
			}
		}
	})
}
