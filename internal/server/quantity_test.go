package server_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestAPIQuantityLimits: a missing, zero, negative or non-numeric number
// is 400 naming the field; below the plan's minimum is 422 min_licenses,
// above its maximum (Start: 500) 422 max_licenses, for a new
// subscription, a renewal and added licenses (added + held), in a quote,
// an order and the cart; nothing is charged.
func TestAPIQuantityLimits(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	tok := a.signup("qty@acme.test", "CHF")
	adr := a.address(tok)
	a.do("POST", "/v1/orders", tok, topUp(1_000_000))
	sub := a.do("POST", "/v1/orders", tok, map[string]any{"items": []any{map[string]any{"type": "subscription", "plan": "start", "quantity": 2, "term_months": 1}},
		"billing_address": adr, "payment": map[string]any{"method": "balance"}}).body["items"].([]any)[0].(map[string]any)["subscription"].(string)
	bal, orders := holdings(t, a, tok)

	s := func(q any) map[string]any {
		m := map[string]any{"type": "subscription", "plan": "start", "term_months": 1}
		if q != nil {
			m["quantity"] = q
		}
		return m
	}
	tests := []struct {
		name   string
		item   map[string]any
		status int
		code   string
		param  string
	}{
		{"SubscriptionMissing", s(nil), 400, "invalid_request", "quantity"},
		{"SubscriptionZero", s(0), 400, "invalid_request", "quantity"},
		{"SubscriptionNegative", s(-3), 400, "invalid_request", "quantity"},
		{"SubscriptionLetters", s("two"), 400, "invalid_request", "quantity"},
		{"SubscriptionFraction", s(2.5), 400, "invalid_request", "quantity"},
		{"SubscriptionBelowMin", s(1), 422, "min_licenses", "quantity"},
		{"SubscriptionAboveMax", s(501), 422, "max_licenses", "quantity"},
		{"SubscriptionHuge", s(1 << 40), 422, "max_licenses", "quantity"},
		{"TermZero", map[string]any{"type": "subscription", "plan": "start", "quantity": 2, "term_months": 0}, 400, "invalid_request", "term_months"},
		{"TermNegative", map[string]any{"type": "subscription", "plan": "start", "quantity": 2, "term_months": -1}, 400, "invalid_request", "term_months"},
		{"TermMissing", map[string]any{"type": "subscription", "plan": "start", "quantity": 2}, 400, "invalid_request", "term_months"},
		{"RenewalZero", map[string]any{"type": "renewal", "subscription": sub, "quantity": 0}, 400, "invalid_request", "quantity"},
		{"RenewalNegative", map[string]any{"type": "renewal", "subscription": sub, "quantity": -1}, 400, "invalid_request", "quantity"},
		{"RenewalBelowMin", map[string]any{"type": "renewal", "subscription": sub, "quantity": 1}, 422, "min_licenses", "quantity"},
		{"RenewalAboveMax", map[string]any{"type": "renewal", "subscription": sub, "quantity": 501}, 422, "max_licenses", "quantity"},
		{"RenewalTermZero", map[string]any{"type": "renewal", "subscription": sub, "term_months": 0}, 400, "invalid_request", "term_months"},
		{"RenewalTermNegative", map[string]any{"type": "renewal", "subscription": sub, "term_months": -6}, 400, "invalid_request", "term_months"},
		{"LicensesMissing", map[string]any{"type": "licenses", "subscription": sub}, 400, "invalid_request", "quantity"},
		{"LicensesZero", map[string]any{"type": "licenses", "subscription": sub, "quantity": 0}, 400, "invalid_request", "quantity"},
		{"LicensesNegative", map[string]any{"type": "licenses", "subscription": sub, "quantity": -2}, 400, "invalid_request", "quantity"},
		{"LicensesAboveMax", map[string]any{"type": "licenses", "subscription": sub, "quantity": 499}, 422, "max_licenses", "quantity"},
		{"LicensesHuge", map[string]any{"type": "licenses", "subscription": sub, "quantity": int64(1) << 62}, 422, "max_licenses", "quantity"},
		{"TopUpZero", map[string]any{"type": "balance_top_up", "amount": 0}, 400, "invalid_request", "amount"},
		{"TopUpNegative", map[string]any{"type": "balance_top_up", "amount": -500}, 400, "invalid_request", "amount"},
		{"TopUpMissing", map[string]any{"type": "balance_top_up"}, 400, "invalid_request", "amount"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			order := map[string]any{"items": []any{tt.item}, "billing_address": adr, "payment": map[string]any{"method": "balance"}}
			if strings.HasPrefix(tt.name, "TopUp") {
				order["payment"] = map[string]any{"method": "card", "card": card}
			}
			for _, path := range []string{"/v1/quotes", "/v1/orders"} {
				r := a.do("POST", path, tok, order)
				if r.status != tt.status || r.errCode() != tt.code || r.errParam() != "items[0]."+tt.param {
					t.Errorf("%s: %d %s; want %d %s items[0].%s", path, r.status, r.raw, tt.status, tt.code, tt.param)
				}
				e, _ := r.body["error"].(map[string]any)
				if m, _ := e["message"].(string); !strings.Contains(m, tt.param) && r.status == 400 && !strings.Contains(m, "top-up") {
					t.Errorf("%s: message %q does not name %s", path, m, tt.param)
				}
			}
			r := a.do("POST", "/v1/cart/items", tok, tt.item)
			if r.status != tt.status || r.errCode() != tt.code || r.errParam() != tt.param {
				t.Errorf("cart: %d %s; want %d %s %s", r.status, r.raw, tt.status, tt.code, tt.param)
			}
		})
	}
	// Added + held may reach the plan's maximum, not pass it.
	if r := a.do("POST", "/v1/quotes", tok, map[string]any{"items": []any{map[string]any{"type": "licenses", "subscription": sub, "quantity": 498}}, "billing_address": adr}); r.status != 200 {
		t.Errorf("498 more of 500: %d %s", r.status, r.raw)
	}
	if b, n := holdings(t, a, tok); b != bal || n != orders {
		t.Errorf("balance %d, %d orders; want %d, %d: something was charged", b, n, bal, orders)
	}
	if n := len(a.do("GET", "/v1/cart", tok, nil).body["items"].([]any)); n != 0 {
		t.Errorf("the cart holds %d refused items", n)
	}
}

// TestPortalQuantityLimits: Buy (both forms), BUY MORE LICENSES, the
// checkout link and Extend refuse 0, empty and letters (400) and numbers
// outside the plan's limits (422) next to the field, in words; nothing is
// charged.
func TestPortalQuantityLimits(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	acc := newAccount(t, a, "portal-qty@acme.test", 1_000_000)
	b := acc.b
	adr := a.address(acc.tok)
	sub := buy(t, a, acc, adr, map[string]any{"type": "subscription", "plan": "start", "quantity": 2, "term_months": 1})["items"].([]any)[0].(map[string]any)["subscription"].(string)
	bal, orders := holdings(t, a, acc.tok)

	type form struct {
		name, path, field string
		values            url.Values
	}
	var forms []form
	for _, q := range []struct {
		v      string
		status int
		words  string
	}{{"0", 400, "at least"}, {"", 400, "number of"}, {"abc", 400, "whole number"}, {"-2", 400, "at least"},
		{"1", 422, "at least 2"}, {"501", 422, "at most 500"}, {"2000000", 422, "at most 500"}, {"99999999999999999999", 422, "at most 500"}} {
		forms = append(forms[:0],
			form{"BuyPlan", "/marketplace/plans/start/buy", "quantity", url.Values{"quantity": {q.v}, "term": {"1"}}},
			form{"BuyOrder", "/buy", "quantity-start", url.Values{"plan": {"start"}, "quantity": {q.v}, "term": {"1"}}},
			form{"Checkout", "/checkout", "quantity", url.Values{"type": {"subscription"}, "plan": {"start"}, "quantity": {q.v}, "term": {"1"},
				"address": {adr}, "pay": {"balance"}}},
			form{"Extend", "/subscriptions/" + sub + "/extend", "quantity", url.Values{"quantity": {q.v}, "term": {"1"}}},
		)
		if q.v != "1" { // one more license is fine
			lq := q.v
			if q.v == "501" {
				lq = "499" // 2 held + 499 > 500
			}
			forms = append(forms, form{"Licenses", "/marketplace/subscriptions/" + sub + "/licenses", "quantity", url.Values{"quantity": {lq}}})
		}
		for _, f := range forms {
			p := b.post(f.path, f.values)
			if p.status != q.status {
				t.Errorf("%s %q: %d at %s, want %d", f.name, q.v, p.status, p.url, q.status)
				continue
			}
			p.has(t, `id="`+f.field+`-error"`, `aria-describedby="`+f.field+`-error"`)
			if msg := p.find(t, `id="`+f.field+`-error"[^>]*>([^<]*)`); !strings.Contains(msg, q.words) {
				t.Errorf("%s %q: %q, want %q", f.name, q.v, msg, q.words)
			}
		}
	}
	// A term of 0 months is no term, on Extend and in a renewal's link.
	for _, tf := range []form{
		{"ExtendTerm", "/subscriptions/" + sub + "/extend", "term", url.Values{"quantity": {"2"}, "term": {"0"}}},
		{"RenewTerm", "/checkout", "term", url.Values{"type": {"renewal"}, "subscription": {sub}, "term": {"0"}, "address": {adr}, "pay": {"balance"}}},
		{"RenewTermNegative", "/checkout", "term", url.Values{"type": {"renewal"}, "subscription": {sub}, "term": {"-1"}, "address": {adr}, "pay": {"balance"}}},
	} {
		p := b.post(tf.path, tf.values)
		if p.status != 400 {
			t.Errorf("%s: %d at %s, want 400", tf.name, p.status, p.url)
		}
		p.has(t, `id="term-error"`)
	}
	if b, n := holdings(t, a, acc.tok); b != bal || n != orders {
		t.Errorf("balance %d, %d orders; want %d, %d: something was charged", b, n, bal, orders)
	}
	if n := len(a.do("GET", "/v1/cart", acc.tok, nil).body["items"].([]any)); n != 0 {
		t.Errorf("the cart holds %d refused items", n)
	}
}
