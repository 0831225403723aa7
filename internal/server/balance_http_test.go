package server_test

import (
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestBalanceForecastAndSettings: GET /v1/account says until when the
// balance covers what renews from it (null when nothing does, the first
// unpaid renewal, at most five years ahead); PATCH /v1/account sets a
// low-balance threshold (one balance_low notice per crossing) and an
// automatic top-up that the scheduler places by card once per crossing,
// and a declined card is notified.
func TestBalanceForecastAndSettings(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newSchedulerAPI(t, st, nil)
		demoNumbers(t, a)
		tok := a.signup("balance@acme.test", "CHF")
		account := func() map[string]any {
			t.Helper()
			r := a.do("GET", "/v1/account", tok, nil)
			if r.status != 200 {
				t.Fatalf("account: %d %s", r.status, r.raw)
			}
			return r.body
		}
		acc := account()
		for _, f := range []string{"balance_covers_until", "low_balance_threshold", "auto_top_up"} {
			if v, ok := acc[f]; !ok || v != nil {
				t.Errorf("new account's %s: %v (present %v), want null", f, v, ok)
			}
		}
		custID := acc["id"].(string)
		adjust := func(amount int) {
			t.Helper()
			if r := a.do("POST", "/v1/admin/customers/"+custID+"/balance_adjustments", adminToken, map[string]any{"amount": amount, "reason": "test"}); r.status != 201 {
				t.Fatalf("adjust %d: %d %s", amount, r.status, r.raw)
			}
		}
		adr := a.address(tok)
		adjust(10000)
		if r := a.do("POST", "/v1/orders", tok, map[string]any{"items": []any{map[string]any{"type": "phone_number", "country": "CH", "area": "Bern"}},
			"billing_address": adr, "payment": map[string]any{"method": "balance"}}); r.status != 201 {
			t.Fatalf("buy a number: %d %s", r.status, r.raw)
		}
		renews := parseAPITime(t, a.do("GET", "/v1/numbers", tok, nil).body["data"].([]any)[0].(map[string]any)["renews_at"])
		covers := func() *time.Time {
			t.Helper()
			v := account()["balance_covers_until"]
			if v == nil {
				return nil
			}
			tm := parseAPITime(t, v)
			return &tm
		}
		if c := covers(); c == nil || !c.After(renews) {
			t.Errorf("covers until %v with CHF 90 and a number renewing %v: want a later date", c, renews)
		}
		bal := num(account()["balance"])
		adjust(-int(bal))
		if c := covers(); c == nil || !c.Equal(renews) {
			t.Errorf("covers until %v with an empty balance: want the number's renewal %v", c, renews)
		}
		adjust(100_000_000)
		if c, want := covers(), time.Date(2031, 3, 10, 9, 0, 0, 0, time.UTC); c == nil || !c.Equal(want) {
			t.Errorf("covers until %v with CHF 1m: want the five-year horizon %v", c, want)
		}
		adjust(-100_000_000 + 10000) // back to CHF 100

		// A subscription canceled at its period's end renews no more: the
		// forecast counts it as one that does not renew.
		o := a.do("POST", "/v1/orders", tok, map[string]any{"items": []any{map[string]any{"type": "subscription", "plan": "ivr", "quantity": 1, "term_months": 1}},
			"billing_address": adr, "payment": map[string]any{"method": "balance"}})
		if o.status != 201 {
			t.Fatalf("buy the IVR: %d %s", o.status, o.raw)
		}
		sub := "/v1/subscriptions/" + o.body["items"].([]any)[0].(map[string]any)["subscription"].(string)
		patch := func(body map[string]any) {
			t.Helper()
			if r := a.do("PATCH", sub, tok, body); r.status != 200 {
				t.Fatalf("patch %v: %d %s", body, r.status, r.raw)
			}
		}
		notRenewing := covers()
		patch(map[string]any{"auto_renew": true})
		if c := covers(); c == nil || notRenewing == nil || !c.Before(*notRenewing) {
			t.Errorf("covers until %v with an auto-renewing IVR, %v without: want earlier", c, notRenewing)
		}
		patch(map[string]any{"cancel_at_period_end": true})
		if c := covers(); c == nil || notRenewing == nil || !c.Equal(*notRenewing) {
			t.Errorf("covers until %v with the IVR canceled at its period's end, want %v as if it did not renew", c, notRenewing)
		}
		patch(map[string]any{"cancel_at_period_end": false, "auto_renew": false})

		// Bad settings: 400 naming the field, nothing changes.
		for _, c := range []struct {
			body  map[string]any
			param string
		}{
			{map[string]any{"low_balance_threshold": -1}, "low_balance_threshold"},
			{map[string]any{"low_balance_threshold": "5"}, "body.low_balance_threshold"},
			{map[string]any{"auto_top_up": map[string]any{"amount": 0, "below": 1000}}, "auto_top_up.amount"},
			{map[string]any{"auto_top_up": map[string]any{"amount": 5000, "below": -1}}, "auto_top_up.below"},
			{map[string]any{"auto_top_up": map[string]any{"amount": 5000, "below": 1000}}, "auto_top_up.payment_method"}, // no card yet
			{map[string]any{"auto_top_up": map[string]any{"amount": 5000, "below": 1000, "payment_method": "pm_nope"}}, "auto_top_up.payment_method"},
		} {
			r := a.do("PATCH", "/v1/account", tok, c.body)
			if r.status != 400 || r.errCode() != "invalid_request" || (r.errParam() != c.param && "body."+r.errParam() != c.param) {
				t.Errorf("PATCH %v: %d %s, want 400 naming %s", c.body, r.status, r.raw, c.param)
			}
		}
		if acc := account(); acc["low_balance_threshold"] != nil || acc["auto_top_up"] != nil {
			t.Errorf("after refused changes: %v", acc)
		}

		// The threshold: one notice per crossing, re-armed above it.
		lows := func() int {
			n := 0
			for _, x := range a.do("GET", "/v1/notifications", tok, nil).body["data"].([]any) {
				if x.(map[string]any)["type"] == "balance_low" {
					n++
				}
			}
			return n
		}
		if r := a.do("PATCH", "/v1/account", tok, map[string]any{"low_balance_threshold": 5000}); r.status != 200 || num(r.body["low_balance_threshold"]) != 5000 {
			t.Fatalf("set threshold: %d %s", r.status, r.raw)
		}
		adjust(-4000) // 100 -> 60: above
		if n := lows(); n != 0 {
			t.Errorf("balance_low notices above the threshold: %d", n)
		}
		adjust(-2000) // 60 -> 40: crossing
		adjust(-1000) // 40 -> 30: still below
		if n := lows(); n != 1 {
			t.Errorf("balance_low notices after one crossing: %d, want 1", n)
		}
		adjust(5000)  // 30 -> 80: re-armed
		adjust(-4000) // 80 -> 40: second crossing
		if n := lows(); n != 2 {
			t.Errorf("balance_low notices after two crossings: %d, want 2", n)
		}
		if r := a.do("PATCH", "/v1/account", tok, map[string]any{"low_balance_threshold": nil}); r.status != 200 || r.body["low_balance_threshold"] != nil {
			t.Errorf("clear threshold: %d %s", r.status, r.raw)
		}

		// Automatic top-up from the default card, once per crossing.
		good := a.do("POST", "/v1/payment_methods", tok, map[string]any{"card": card})
		if good.status != 201 {
			t.Fatalf("save card: %d %s", good.status, good.raw)
		}
		r := a.do("PATCH", "/v1/account", tok, map[string]any{"auto_top_up": map[string]any{"amount": 5000, "below": 2000}})
		if at, _ := r.body["auto_top_up"].(map[string]any); r.status != 200 || num(at["amount"]) != 5000 || num(at["below"]) != 2000 {
			t.Fatalf("set auto top-up: %d %s", r.status, r.raw)
		}
		bal = num(account()["balance"]) // 40.00
		adjust(-int(bal) + 1000)        // -> 10.00: below 20.00
		a.moveClock(map[string]any{"seconds": 60})
		a.moveClock(map[string]any{"seconds": 60})
		if b := num(account()["balance"]); b != 6000 {
			t.Errorf("balance after the automatic top-up: %d, want 6000 (once)", b)
		}
		tops := 0
		for _, o := range a.do("GET", "/v1/orders", tok, nil).body["data"].([]any) {
			its := o.(map[string]any)["items"].([]any)
			if len(its) == 1 && its[0].(map[string]any)["type"] == "balance_top_up" {
				tops++
				if o.(map[string]any)["invoice"] == nil {
					t.Errorf("automatic top-up order without an invoice: %v", o)
				}
			}
		}
		if tops != 1 {
			t.Errorf("top-up orders: %d, want 1", tops)
		}

		// A declined card: the customer is told, nothing is charged.
		bad := a.do("POST", "/v1/payment_methods", tok, map[string]any{"card": map[string]any{"number": "4000000000000002", "exp_month": 12, "exp_year": 2030, "cvc": "123"}})
		if bad.status != 201 {
			t.Fatalf("save declined card: %d %s", bad.status, bad.raw)
		}
		if r := a.do("PATCH", "/v1/account", tok, map[string]any{"auto_top_up": map[string]any{"amount": 5000, "below": 2000, "payment_method": bad.body["id"]}}); r.status != 200 {
			t.Fatalf("auto top-up by the declined card: %d %s", r.status, r.raw)
		}
		adjust(-5000) // 60 -> 10
		a.moveClock(map[string]any{"seconds": 60})
		if b := num(account()["balance"]); b != 1000 {
			t.Errorf("balance after a declined top-up: %d, want 1000", b)
		}
		failed := 0
		for _, x := range a.do("GET", "/v1/notifications", tok, nil).body["data"].([]any) {
			if x.(map[string]any)["type"] == "auto_top_up_failed" {
				failed++
			}
		}
		if failed != 1 {
			t.Errorf("auto_top_up_failed notices: %d, want 1", failed)
		}
		if r := a.do("PATCH", "/v1/account", tok, map[string]any{"auto_top_up": nil}); r.status != 200 || r.body["auto_top_up"] != nil {
			t.Errorf("turn auto top-up off: %d %s", r.status, r.raw)
		}
	})
}
