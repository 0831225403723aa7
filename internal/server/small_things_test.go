package server_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestPerMonthRoundedHalfAway (issue 17 "Small things"): a per-month price
// is rounded half away from zero, not down: CHF 50.00 for 12 months shows
// CHF 4.17 a month (50/12 = 4.1666…), not 4.16.
func TestPerMonthRoundedHalfAway(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	np := map[string]any{"code": "fifty", "name": "Fifty", "product": "contact-center", "rank": 9, "min_licenses": 1,
		"max_licenses": 50, "terms": []int{12}, "prices": []any{map[string]any{"currency": "CHF", "term_months": 12, "unit_amount": 5000}}}
	if r := a.do("POST", "/v1/admin/plans", adminToken, np); r.status != 201 {
		t.Fatalf("create plan: %d %s", r.status, r.raw)
	}
	acc := newAccount(t, a, "permonth@acme.test", 0)
	for _, path := range []string{"/marketplace/plans", "/marketplace/plans/fifty/buy"} {
		p := acc.b.get(path)
		p.has(t, "50.00", "4.17")
		p.hasNot(t, "4.16")
	}
}

// TestTrialEndsGoneOncePaid (issue 17 "Small things"): Subscriptions says
// "Trial ends" while a trial runs unpaid, and no more once it is paid.
func TestTrialEndsGoneOncePaid(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	acc := newAccount(t, a, "trialpaid@acme.test", 100000)
	adr := a.address(acc.tok)
	o := buy(t, a, acc, adr, map[string]any{"type": "subscription", "plan": "hosted-pbx", "quantity": 1, "term_months": 1, "trial": true})
	sub := o["items"].([]any)[0].(map[string]any)["subscription"].(string)
	acc.b.get("/subscriptions").has(t, "Trial ends")
	buy(t, a, acc, adr, map[string]any{"type": "renewal", "subscription": sub, "term_months": 1})
	acc.b.get("/subscriptions").hasNot(t, "Trial ends")
}

// TestNoSeatOnIVR (issue 17 "Small things"): the IVR add-on is sold per
// unit: a user cannot be put on its licenses (400 naming subscription,
// nothing created), and the Users page does not offer it.
func TestNoSeatOnIVR(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	acc := newAccount(t, a, "ivrseat@acme.test", 100000)
	adr := a.address(acc.tok)
	o := buy(t, a, acc, adr, map[string]any{"type": "subscription", "plan": "ivr", "quantity": 3, "term_months": 1})
	sub := o["items"].([]any)[0].(map[string]any)["subscription"].(string)
	before := len(dataOf(a.do("GET", "/v1/users", acc.tok, nil)))
	r := a.do("POST", "/v1/users", acc.tok, map[string]any{"name": "Ivy", "email": "ivy@acme.test", "subscription": sub})
	if r.status != 400 || r.errCode() != "invalid_request" || r.errParam() != "subscription" || !strings.Contains(string(r.raw), "IVR") {
		t.Errorf("user on IVR: %d %s", r.status, r.raw)
	}
	if n := len(dataOf(a.do("GET", "/v1/users", acc.tok, nil))); n != before {
		t.Errorf("users %d, want %d", n, before)
	}
	p := acc.b.get("/users")
	p.hasNot(t, `<option value="`+sub+`"`)
	p.has(t, `data-testid="no-licenses"`)
	p = acc.b.post("/users", url.Values{"name": {"Ivy"}, "email": {"ivy@acme.test"}, "subscription": {sub}, "key": {"ivy-key-1"}})
	if p.status != 400 && p.status != 422 {
		t.Errorf("portal user on IVR: %d", p.status)
	}
	if n := len(dataOf(a.do("GET", "/v1/users", acc.tok, nil))); n != before {
		t.Errorf("portal: users %d, want %d", n, before)
	}
}

// TestOrderConfirmationNamesNumberOnce (issue 17 "Small things"): the
// order confirmation names a bought phone number once.
func TestOrderConfirmationNamesNumberOnce(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	const number = "+41445559911"
	if r := a.do("POST", "/v1/admin/numbers", adminToken, []map[string]any{{"number": number, "country": "CH", "area": "Zürich",
		"type": "local", "setup_amount": 1000, "monthly_amount": 500, "currency": "CHF"}}); r.status != 201 {
		t.Fatalf("import: %d %s", r.status, r.raw)
	}
	acc := newAccount(t, a, "numonce@acme.test", 100000)
	adr := a.address(acc.tok)
	o := buy(t, a, acc, adr, map[string]any{"type": "phone_number", "number": number})
	p := acc.b.get("/orders/" + o["id"].(string))
	body := strings.ReplaceAll(p.body, "&#43;", "+")
	if n := strings.Count(body, number); n != 1 {
		t.Errorf("the confirmation names %s %d times, want once", number, n)
	}
}
