package server_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestCancelAtPeriodEnd (issue 17 "Cancel"): PATCH cancel_at_period_end
// true keeps the subscription in force until expires_at and reports it
// (subscription.updated); false undoes it; canceled again, the scheduler
// makes it canceled at expires_at instead of renewing it (automatic renewal
// was on, the balance covered it), its users are suspended, and
// subscription.canceled is sent. The reminders before then say it was
// canceled, never that it renews. An ended subscription cannot be
// canceled or undone (400 naming cancel_at_period_end).
func TestCancelAtPeriodEnd(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a, svc := newHookAPI(t, st)
		rc := newReceiver(t, nil)
		createHook(t, a, rc.srv.URL, "subscription.updated", "subscription.canceled", "subscription.renewed")
		tok := a.signup("cancel@acme.test", "CHF")
		addr := a.address(tok)
		if r := a.do("POST", "/v1/orders", tok, topUp(200000)); r.status != 201 {
			t.Fatalf("top-up: %d %s", r.status, r.raw)
		}
		o := a.do("POST", "/v1/orders", tok, map[string]any{"items": []any{
			map[string]any{"type": "subscription", "plan": "start", "quantity": 2, "term_months": 1, "auto_renew": true}},
			"billing_address": addr, "payment": map[string]any{"method": "balance"}})
		if o.status != 201 {
			t.Fatalf("order: %d %s", o.status, o.raw)
		}
		subID := o.body["items"].([]any)[0].(map[string]any)["subscription"].(string)
		if r := a.do("POST", "/v1/users", tok, map[string]any{"name": "Ann", "email": "ann@acme.test", "subscription": subID}); r.status != 201 {
			t.Fatalf("user: %d %s", r.status, r.raw)
		}
		sub := a.do("GET", "/v1/subscriptions/"+subID, tok, nil)
		if sub.body["cancel_at_period_end"] != false {
			t.Fatalf("new subscription: %s", sub.raw)
		}
		expires := parseAPITime(t, sub.body["expires_at"])

		r := a.do("PATCH", "/v1/subscriptions/"+subID, tok, map[string]any{"cancel_at_period_end": true})
		if r.status != 200 || r.body["cancel_at_period_end"] != true || r.body["status"] != "active" ||
			!parseAPITime(t, r.body["expires_at"]).Equal(expires) {
			t.Fatalf("cancel: %d %s", r.status, r.raw)
		}
		deliver(t, svc)
		if c := rc.got(); len(c) != 1 || c[0].evt.Type != "subscription.updated" || c[0].object()["cancel_at_period_end"] != true {
			t.Fatalf("after cancel: %d calls %v", len(c), c)
		}
		// Undo, then cancel again.
		if r := a.do("PATCH", "/v1/subscriptions/"+subID, tok, map[string]any{"cancel_at_period_end": false}); r.status != 200 || r.body["cancel_at_period_end"] != false {
			t.Fatalf("undo: %d %s", r.status, r.raw)
		}
		if r := a.do("PATCH", "/v1/subscriptions/"+subID, tok, map[string]any{"cancel_at_period_end": true}); r.status != 200 || r.body["cancel_at_period_end"] != true {
			t.Fatalf("cancel again: %d %s", r.status, r.raw)
		}

		// A day before: still active, the reminder says it ends.
		a.moveClock(map[string]any{"to": expires.Add(-23 * time.Hour).Format(time.RFC3339)})
		tok = a.relogin("cancel@acme.test")
		if st, _, _ := a.subPeriods(tok, subID); st != "active" {
			t.Fatalf("before expires_at: %s", st)
		}
		ns := dataOf(a.do("GET", "/v1/notifications", tok, nil))
		sawEnd := false
		for _, n := range ns {
			if n["type"] == "renewal_upcoming" {
				t.Errorf("a canceled subscription got a renewal notice: %v", n)
			}
			if n["type"] == "renewal_reminder" {
				sawEnd = true
			}
		}
		if !sawEnd {
			t.Errorf("no reminder that it ends: %v", ns)
		}

		// At expires_at: canceled, not renewed; the user is suspended.
		a.moveClock(map[string]any{"to": expires.Add(time.Minute).Format(time.RFC3339)})
		tok = a.relogin("cancel@acme.test")
		r = a.do("GET", "/v1/subscriptions/"+subID, tok, nil)
		if r.body["status"] != "canceled" || r.body["cancel_at_period_end"] != true || !parseAPITime(t, r.body["expires_at"]).Equal(expires) ||
			len(r.body["periods"].([]any)) != 1 {
			t.Fatalf("after expires_at: %s", r.raw)
		}
		users := dataOf(a.do("GET", "/v1/users", tok, nil))
		for _, u := range users {
			if u["subscription"] == subID && u["status"] != "suspended" {
				t.Errorf("user of a canceled subscription: %v", u)
			}
		}
		deliver(t, svc)
		var types []string
		for _, c := range rc.got() {
			types = append(types, c.evt.Type)
		}
		if n := len(types); n == 0 || types[n-1] != "subscription.canceled" {
			t.Errorf("events: %v, want subscription.canceled last", types)
		}
		for _, ty := range types {
			if ty == "subscription.renewed" {
				t.Errorf("a canceled subscription renewed: %v", types)
			}
		}
		// Ended: neither cancel nor undo.
		for _, v := range []bool{false} {
			r := a.do("PATCH", "/v1/subscriptions/"+subID, tok, map[string]any{"cancel_at_period_end": v})
			if r.status != 400 || r.errParam() != "cancel_at_period_end" {
				t.Errorf("undo after the end: %d %s", r.status, r.raw)
			}
		}
	})
}

// TestPortalCancel (issue 17 "Cancel"): Subscriptions has Cancel, whose
// confirmation says what it means ("stays active until …, then ends; it
// will not renew"); confirmed, the row says so and offers Undo instead of
// Cancel; Undo takes it back. The API agrees at each step.
func TestPortalCancel(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	acc := newAccount(t, a, "pcancel@acme.test", 100000)
	b := acc.b
	adr := a.address(acc.tok)
	o := buy(t, a, acc, adr, map[string]any{"type": "subscription", "plan": "start", "quantity": 2, "term_months": 12})
	sub := o["items"].([]any)[0].(map[string]any)["subscription"].(string)
	exp := parseAPITime(t, a.do("GET", "/v1/subscriptions/"+sub, acc.tok, nil).body["expires_at"]).UTC().Format("2 Jan 2006")
	words := "stays active until " + exp + ", then ends; it will not renew"

	b.get("/subscriptions").has(t, `href="/subscriptions/`+sub+`/cancel"`, `data-testid="cancel-`+sub+`"`)
	p := b.get("/subscriptions/" + sub + "/cancel")
	p.has(t, words, `action="/subscriptions/`+sub+`/cancel"`, "Keep it", `data-testid="confirm-cancel"`)
	if r := a.do("GET", "/v1/subscriptions/"+sub, acc.tok, nil); r.body["cancel_at_period_end"] != false {
		t.Fatalf("the confirmation page canceled: %s", r.raw)
	}
	p = b.post("/subscriptions/"+sub+"/cancel", url.Values{})
	if !strings.HasPrefix(p.url, "/subscriptions") {
		t.Fatalf("confirm goes to %s (%d)", p.url, p.status)
	}
	p.has(t, `data-testid="flash"`, "is canceled: it "+words, "undo", `data-testid="cancel-note"`, `data-testid="undo-cancel-`+sub+`"`)
	p.hasNot(t, `data-testid="cancel-`+sub+`"`)
	if r := a.do("GET", "/v1/subscriptions/"+sub, acc.tok, nil); r.body["cancel_at_period_end"] != true || r.body["status"] != "active" {
		t.Fatalf("after Cancel: %s", r.raw)
	}
	b.get("/subscriptions/"+sub).has(t, `data-testid="canceled"`, words)
	b.get("/").has(t, "Canceled")
	p = b.post("/subscriptions/"+sub+"/undo-cancel", url.Values{})
	p.has(t, "The cancellation is undone", `data-testid="cancel-`+sub+`"`)
	p.hasNot(t, `data-testid="undo-cancel-`+sub+`"`)
	if r := a.do("GET", "/v1/subscriptions/"+sub, acc.tok, nil); r.body["cancel_at_period_end"] != false {
		t.Fatalf("after Undo: %s", r.raw)
	}
}
