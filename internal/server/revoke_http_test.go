package server_test

import (
	"net/url"
	"testing"
	"time"

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

// TestRefundRevokeCurrentPeriod: revoking the renewal whose period is in
// force ends the subscription now (canceled, not renewed or dunned,
// expires_at where the paid periods end, users suspended); revoking a
// renewal that a later period follows is refused (400 naming items) and
// changes nothing, money included.
func TestRefundRevokeCurrentPeriod(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newSchedulerAPI(t, st, nil)
		tok := a.signup("current@acme.test", "CHF")
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
		first := buy(map[string]any{"type": "subscription", "plan": "start", "quantity": 2, "term_months": 1, "auto_renew": true})
		subID := first["items"].([]any)[0].(map[string]any)["subscription"].(string)
		if r := a.do("POST", "/v1/users", tok, map[string]any{"name": "Cy", "email": "cy@acme.test", "subscription": subID}); r.status != 201 {
			t.Fatalf("user: %d %s", r.status, r.raw)
		}
		end1 := parseAPITime(t, a.do("GET", "/v1/subscriptions/"+subID, tok, nil).body["expires_at"])
		r1 := buy(map[string]any{"type": "renewal", "subscription": subID, "term_months": 1})
		r2 := buy(map[string]any{"type": "renewal", "subscription": subID, "term_months": 1})

		// r1 is followed by r2: refused, nothing moves.
		bal := num(a.do("GET", "/v1/account", tok, nil).body["balance"])
		r := a.do("POST", "/v1/admin/orders/"+r1["id"].(string)+"/refunds", adminToken, map[string]any{"reason": "x", "revoke": true})
		if r.status != 400 || r.errParam() != "items" {
			t.Errorf("revoke of a renewal followed by another: %d %s", r.status, r.raw)
		}
		if got := num(a.do("GET", "/v1/account", tok, nil).body["balance"]); got != bal {
			t.Errorf("a refused refund moved the balance: %d, was %d", got, bal)
		}
		// Into r1's period: r2 is still ahead; revoke r2 (future: stays active), then r1 (current: ends now).
		a.moveClock(map[string]any{"to": end1.Add(24 * time.Hour).Format(time.RFC3339)})
		tok = a.relogin("current@acme.test")
		r = a.do("POST", "/v1/admin/orders/"+r2["id"].(string)+"/refunds", adminToken, map[string]any{"reason": "x", "revoke": true})
		if r.status/100 != 2 {
			t.Fatalf("revoke r2: %d %s", r.status, r.raw)
		}
		if s := a.do("GET", "/v1/subscriptions/"+subID, tok, nil); s.body["status"] != "active" {
			t.Errorf("after revoking the future period: %s", s.raw)
		}
		r = a.do("POST", "/v1/admin/orders/"+r1["id"].(string)+"/refunds", adminToken, map[string]any{"reason": "x", "revoke": true})
		if r.status/100 != 2 {
			t.Fatalf("revoke r1: %d %s", r.status, r.raw)
		}
		s := a.do("GET", "/v1/subscriptions/"+subID, tok, nil)
		if s.body["status"] != "canceled" || !parseAPITime(t, s.body["expires_at"]).Equal(end1) || len(s.body["periods"].([]any)) != 1 {
			t.Errorf("after revoking the current period: %s", s.raw)
		}
		for _, u := range dataOf(a.do("GET", "/v1/users", tok, nil)) {
			if u["subscription"] == subID && u["status"] != "suspended" {
				t.Errorf("user: %v", u)
			}
		}
		// The scheduler neither renews nor duns it.
		a.moveClock(map[string]any{"seconds": 10 * 24 * 3600})
		tok = a.relogin("current@acme.test")
		if s := a.do("GET", "/v1/subscriptions/"+subID, tok, nil); s.body["status"] != "canceled" || len(s.body["periods"].([]any)) != 1 {
			t.Errorf("10 days later: %s", s.raw)
		}
	})
}
