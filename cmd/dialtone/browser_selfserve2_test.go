package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dialtone/dialtone/internal/mailtest"
)

// Issue 17 in a real browser: roles, cancel and undo, a refund that ends
// what it bought, the balance settings, a CHF customer's German number,
// and the small things.

// count returns how many elements match css.
func count(t *testing.T, ctx context.Context, css string) int {
	t.Helper()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("`+css+`").length`))
	if err != nil {
		t.Fatalf("count %s: %v", css, err)
	}
	return n
}

// postStatus posts a form from the page (same origin, its cookie) and
// returns the answer's status.
func postStatus(t *testing.T, ctx context.Context, path, body string) int {
	t.Helper()
	st, err := chromedp.Run(ctx, chromedp.Evaluate[int](`fetch("`+path+`", {method: "POST", redirect: "manual",
		headers: {"Content-Type": "application/x-www-form-urlencoded"}, body: "`+body+`"}).then(r => r.status)`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	return st
}

// apiOrder pays an order of items from the balance through the API.
func (e *browserEnv) apiOrder(t *testing.T, tok, adr string, items ...any) map[string]any {
	t.Helper()
	st, o := e.API(t, "POST", "/v1/orders", tok, map[string]any{"items": items, "billing_address": adr, "payment": map[string]any{"method": "balance"}})
	if st != 201 {
		t.Fatalf("order %v: %d %v", items, st, o)
	}
	return o
}

// apiAddress adds a Swiss billing address through the API.
func (e *browserEnv) apiAddress(t *testing.T, tok string) string {
	t.Helper()
	_, adr := e.API(t, "POST", "/v1/billing_addresses", tok, map[string]any{"name": "Acme AG", "line1": "Bahnhofstrasse 1", "city": "Zürich", "postal_code": "8001", "country": "CH"})
	return adr["id"].(string)
}

// TestBrowserViewerSeesNoButtons: the owner invites a viewer; the
// invitation's link sets the password, the viewer logs in with the log-in
// form and sees no Buy, Renew, Pay, Add to cart, Cancel or Invite; a post
// sent anyway is 403 and buys nothing.
func TestBrowserViewerSeesNoButtons(t *testing.T) {
	t.Parallel()
	mc := mailtest.Start(t)
	e := newBrowserEnv(t, map[string]string{"DIALTONE_SMTP_URL": "smtp://" + mc.Addr + "?tls=none", "DIALTONE_PUBLIC_URL": "https://portal.browser.test"})
	owner := e.Tab(t)
	tok := e.credit(t, owner, "owner@viewer.test", 100000)
	adr := e.apiAddress(t, tok)
	o := e.apiOrder(t, tok, adr, map[string]any{"type": "subscription", "plan": "business", "quantity": 2, "term_months": 1})
	sub := o["items"].([]any)[0].(map[string]any)["subscription"].(string)
	if st, body := e.API(t, "POST", "/v1/logins", tok, map[string]any{"email": "vic@viewer.test", "role": "viewer"}); st != 201 {
		t.Fatalf("invite: %d %v", st, body)
	}
	vic := e.Tab(t)
	e.Open(t, vic, mailLink(t, mc, "vic@viewer.test", 1))
	do(t, vic,
		chromedp.SetValue(chromedp.CSS("#password"), "vic's secret"),
		chromedp.SetValue(chromedp.CSS("#repeat_password"), "vic's secret"),
		chromedp.Click(chromedp.CSS("[data-testid=set-password]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=home-balance]")),
		chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), at("/login"),
	)
	e.Open(t, vic, "/login")
	do(t, vic,
		chromedp.SetValue(chromedp.CSS("#email"), "vic@viewer.test"),
		chromedp.SetValue(chromedp.CSS("#password"), "vic's secret"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=home-balance]")),
	)
	for _, c := range []struct{ path, css string }{
		{"/marketplace/plans", `[data-testid^=buy-], [data-testid^=renew-], [data-testid^=more-]`},
		{"/subscriptions", `[data-testid^=cancel-], [data-testid=auto-renew-form]`},
		{"/buy", `[data-testid^=add-]`},
		{"/checkout?type=subscription&plan=start&quantity=2&term=1", `[data-testid=pay], [data-testid=checkout-form]`},
		{"/checkout?type=renewal&subscription=" + sub, `[data-testid=pay]`},
		{"/settings", `[data-testid=invite-form], [data-testid=balance-form]`},
		{"/marketplace/billing", `[data-testid=refill-form]`},
	} {
		e.Open(t, vic, c.path)
		if n := count(t, vic, c.css); n != 0 {
			t.Errorf("a viewer sees %d of %s on %s", n, c.css, c.path)
		}
		if n := count(t, owner, "body"); n != 1 {
			t.Fatal("owner tab lost")
		}
	}
	e.Open(t, vic, "/marketplace/plans")
	e.a11y(t, vic, "/marketplace/plans (viewer)")
	if got := text(t, vic, "[data-testid=read-only]"); !strings.Contains(got, "may look") {
		t.Errorf("read-only note %q", got)
	}
	e.Open(t, owner, "/marketplace/plans")
	if n := count(t, owner, "[data-testid=buy-start]"); n != 1 {
		t.Errorf("the owner sees %d Buy on Start", n)
	}
	if st := postStatus(t, vic, "/buy", "plan=start&quantity=2&term=1"); st != 403 {
		t.Errorf("viewer's post to /buy: %d, want 403", st)
	}
	if st := postStatus(t, vic, "/subscriptions/"+sub+"/cancel", ""); st != 403 {
		t.Errorf("viewer's cancel: %d, want 403", st)
	}
	if _, cart := e.API(t, "GET", "/v1/cart", tok, nil); len(cart["items"].([]any)) != 0 {
		t.Errorf("the viewer's post filled the cart: %v", cart)
	}
	if _, s := e.API(t, "GET", "/v1/subscriptions/"+sub, tok, nil); s["cancel_at_period_end"] == true {
		t.Errorf("the viewer's post canceled %s", sub)
	}
}

// TestBrowserCancelUndoRefund: Subscriptions -> Cancel says what it means
// and cancels; Undo cancel takes it back (the API agrees each time). A
// new subscription refunded by the operator with revoke shows as ended,
// not "Active until".
func TestBrowserCancelUndoRefund(t *testing.T) {
	t.Parallel()
	e := newBrowserEnv(t)
	ctx := e.Tab(t)
	tok := e.credit(t, ctx, "cancel@acme.test", 100000)
	adr := e.apiAddress(t, tok)
	o := e.apiOrder(t, tok, adr, map[string]any{"type": "subscription", "plan": "ivr", "quantity": 1, "term_months": 1})
	sub := o["items"].([]any)[0].(map[string]any)["subscription"].(string)
	_, s := e.API(t, "GET", "/v1/subscriptions/"+sub, tok, nil)
	exp, _ := time.Parse(time.RFC3339, s["expires_at"].(string))
	until := exp.UTC().Format("2 Jan 2006")

	e.Open(t, ctx, "/subscriptions")
	do(t, ctx, chromedp.Click(chromedp.CSS("[data-testid=cancel-"+sub+"]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=confirm-cancel]")), loaded())
	if got := text(t, ctx, "[data-testid=cancel-words]"); !strings.Contains(got, "stays active until "+until) || !strings.Contains(got, "will not renew") {
		t.Errorf("cancel page: %q, want it to stay active until %s and not renew", got, until)
	}
	e.a11y(t, ctx, "/subscriptions/…/cancel")
	do(t, ctx, chromedp.Click(chromedp.CSS("[data-testid=confirm-cancel]")), at("/subscriptions"), chromedp.WaitVisible(chromedp.CSS("[data-testid=undo-cancel-"+sub+"]")))
	if _, s := e.API(t, "GET", "/v1/subscriptions/"+sub, tok, nil); s["cancel_at_period_end"] != true {
		t.Errorf("after Cancel: %v", s)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("[data-testid=undo-cancel-"+sub+"]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=cancel-"+sub+"]")), loaded())
	if _, s := e.API(t, "GET", "/v1/subscriptions/"+sub, tok, nil); s["cancel_at_period_end"] != false {
		t.Errorf("after Undo: %v", s)
	}

	o = e.apiOrder(t, tok, adr, map[string]any{"type": "subscription", "plan": "start", "quantity": 2, "term_months": 12})
	start := o["items"].([]any)[0].(map[string]any)["subscription"].(string)
	if st, body := e.API(t, "POST", "/v1/admin/orders/"+o["id"].(string)+"/refunds", e.Admin, map[string]any{"reason": "mistake", "revoke": true}); st != 201 && st != 200 {
		t.Fatalf("refund with revoke: %d %v", st, body)
	}
	e.Open(t, ctx, "/subscriptions")
	if got := text(t, ctx, "#sub-"+start+" [data-testid=status]"); strings.Contains(got, "Active") {
		t.Errorf("a revoked subscription shows %q", got)
	}
	if n := count(t, ctx, "[data-testid=cancel-"+start+"]"); n != 0 {
		t.Errorf("a revoked subscription can be canceled")
	}
	if _, s := e.API(t, "GET", "/v1/subscriptions/"+start, tok, nil); s["status"] == "active" {
		t.Errorf("API: %v", s)
	}
}

// TestBrowserBalanceSettings: with a saved card and an auto-renewing
// subscription paid from the balance, Home says how long the balance
// covers the renewals; Account settings sets a low-balance threshold and
// an automatic top-up (the API agrees); a balance below the threshold is
// said at the top of Home.
func TestBrowserBalanceSettings(t *testing.T) {
	t.Parallel()
	e := newBrowserEnv(t)
	ctx := e.Tab(t)
	tok := e.credit(t, ctx, "balance@acme.test", 5000)
	adr := e.apiAddress(t, tok)
	st, pm := e.API(t, "POST", "/v1/payment_methods", tok, map[string]any{"card": map[string]any{"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}})
	if st != 201 {
		t.Fatalf("card: %d %v", st, pm)
	}
	o := e.apiOrder(t, tok, adr, map[string]any{"type": "subscription", "plan": "ivr", "quantity": 1, "term_months": 1})
	sub := o["items"].([]any)[0].(map[string]any)["subscription"].(string)
	if st, b := e.API(t, "PATCH", "/v1/subscriptions/"+sub, tok, map[string]any{"auto_renew": true}); st != 200 {
		t.Fatalf("auto-renew: %d %v", st, b)
	}
	e.Open(t, ctx, "/")
	if got := text(t, ctx, "[data-testid=balance-covers]"); !strings.Contains(got, "covers") {
		t.Errorf("Home's forecast %q", got)
	}
	e.Open(t, ctx, "/settings")
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS("#low_balance_threshold"), "100.00"),
		js(`document.querySelector("[data-testid=auto-top-up]").checked = true`),
		chromedp.SetValue(chromedp.CSS("#auto_amount"), "50.00"),
		chromedp.SetValue(chromedp.CSS("#auto_below"), "5.00"),
		chromedp.SetValue(chromedp.CSS("#auto_card"), pm["id"].(string)),
		chromedp.Click(chromedp.CSS("[data-testid=save-balance]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=flash]")), loaded(),
	)
	e.a11y(t, ctx, "/settings (balance saved)")
	_, acct := e.API(t, "GET", "/v1/account", tok, nil)
	auto, _ := acct["auto_top_up"].(map[string]any)
	if acct["low_balance_threshold"] != 10000.0 || auto == nil || auto["amount"] != 5000.0 || auto["below"] != 500.0 || auto["payment_method"] != pm["id"] {
		t.Errorf("API after Save: threshold %v, auto top-up %v", acct["low_balance_threshold"], acct["auto_top_up"])
	}
	if acct["balance_covers_until"] == nil {
		t.Errorf("API: no balance_covers_until")
	}
	e.Open(t, ctx, "/")
	if got := text(t, ctx, "[data-testid=low-balance]"); !strings.Contains(got, "below the CHF 100.00") {
		t.Errorf("Home's low-balance alert %q", got)
	}
}

// TestBrowserCHFBuysGermanNumber: the operator prices German numbers in
// francs; a Swiss (CHF) customer picks Germany -> Berlin, orders the first
// free number, pays from the balance at the franc price, and the
// confirmation names the number once.
func TestBrowserCHFBuysGermanNumber(t *testing.T) {
	t.Parallel()
	e := newBrowserEnv(t)
	if st, b := e.API(t, "PUT", "/v1/admin/number_prices", e.Admin, map[string]any{"country": "DE", "currency": "CHF", "setup_amount": 400, "monthly_amount": 300}); st != 200 {
		t.Fatalf("price list: %d %v", st, b)
	}
	ctx := e.Tab(t)
	tok := e.credit(t, ctx, "german@acme.test", 10000)
	e.apiAddress(t, tok)
	e.Open(t, ctx, "/marketplace/numbers")
	if n := count(t, ctx, "#country option[value=DE]"); n != 1 {
		t.Fatalf("Germany offered %d times to a CHF account", n)
	}
	do(t, ctx, choose("#country", "DE"), chromedp.WaitVisible(chromedp.CSS("#area")), settled(),
		js(`document.querySelector("#area").value = "Berlin"; document.querySelector("[data-testid=show]").click()`),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=order-phone]")), at("area="))
	if got := text(t, ctx, "[data-testid=available] tbody tr"); !strings.Contains(got, "CHF 4.00") || !strings.Contains(got, "CHF 3.00") {
		t.Errorf("German number row %q: want CHF 4.00 setup and CHF 3.00 a month", got)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("[data-testid=order-phone]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=checkout-form]")), loaded())
	do(t, ctx, chromedp.Click(chromedp.CSS("[data-testid=pay]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=order-done]")), loaded())
	_, nums := e.API(t, "GET", "/v1/numbers", tok, nil)
	list := nums["data"].([]any)
	if len(list) != 1 {
		t.Fatalf("numbers: %v", nums)
	}
	number := list[0].(map[string]any)["number"].(string)
	if !strings.HasPrefix(number, "+49") {
		t.Errorf("bought %s, want a German number", number)
	}
	body := text(t, ctx, "main")
	if n := strings.Count(body, number); n != 1 {
		t.Errorf("the confirmation names %s %d times, want once:\n%s", number, n, body)
	}
	_, orders := e.API(t, "GET", "/v1/orders", tok, nil)
	if last := orders["data"].([]any)[0].(map[string]any); last["currency"] != "CHF" || last["subtotal"] != 700.0 {
		t.Errorf("order: %v, want CHF 7.00 net", last)
	}
}

// TestBrowserSmallThings: a per-month price is rounded half away from
// zero (CHF 50.00 a year shows CHF 4.17 a month); "Trial ends" goes once
// the trial is paid; the IVR add-on is not offered to a user on Users.
func TestBrowserSmallThings(t *testing.T) {
	t.Parallel()
	e := newBrowserEnv(t)
	np := map[string]any{"code": "fifty", "name": "Fifty", "product": "contact-center", "rank": 9, "min_licenses": 1, "max_licenses": 50,
		"terms": []int{12}, "prices": []any{map[string]any{"currency": "CHF", "term_months": 12, "unit_amount": 5000}}}
	if st, b := e.API(t, "POST", "/v1/admin/plans", e.Admin, np); st != 201 {
		t.Fatalf("plan: %d %v", st, b)
	}
	ctx := e.Tab(t)
	tok := e.credit(t, ctx, "small@acme.test", 100000)
	adr := e.apiAddress(t, tok)
	e.Open(t, ctx, "/marketplace/plans")
	if got := text(t, ctx, "[data-testid=plan-fifty]"); !strings.Contains(got, "CHF 4.17/month") {
		t.Errorf("plan card %q, want CHF 4.17/month", got)
	}

	o := e.apiOrder(t, tok, adr, map[string]any{"type": "subscription", "plan": "hosted-pbx", "quantity": 1, "term_months": 1, "trial": true})
	trial := o["items"].([]any)[0].(map[string]any)["subscription"].(string)
	o = e.apiOrder(t, tok, adr, map[string]any{"type": "subscription", "plan": "ivr", "quantity": 2, "term_months": 1})
	ivr := o["items"].([]any)[0].(map[string]any)["subscription"].(string)
	e.Open(t, ctx, "/subscriptions")
	if got := text(t, ctx, "#sub-"+trial); !strings.Contains(got, "Trial ends") {
		t.Errorf("trial row %q, want Trial ends", got)
	}
	e.apiOrder(t, tok, adr, map[string]any{"type": "renewal", "subscription": trial, "term_months": 1})
	e.Open(t, ctx, "/subscriptions")
	if got := text(t, ctx, "#sub-"+trial); strings.Contains(got, "Trial ends") {
		t.Errorf("paid trial row %q still says Trial ends", got)
	}

	e.Open(t, ctx, "/users")
	if n := count(t, ctx, "#subscription option[value='"+ivr+"']"); n != 0 {
		t.Errorf("Users offers the IVR add-on's licenses to a user")
	}
	if n := count(t, ctx, "#subscription option[value='"+trial+"']"); n != 1 {
		t.Errorf("Users does not offer the Hosted PBX's licenses")
	}
}
