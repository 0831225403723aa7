package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dialtone/dialtone/internal/market"
)

// TestBrowserExtendIVR is peoplefone's "extend the IVR's subscription for
// another month" in a real browser: Subscriptions (the auto-renew switch
// on and off again, swapped in by htmx) -> Renew/Change -> Extend ->
// number of months -> Add to Cart -> Confirm order -> Verify address ->
// current credit -> Finish -> the confirmation -> Home; then the API:
// expires_at one calendar month later, the balance lower by the order's
// total, the cart empty.
func TestBrowserExtendIVR(t *testing.T) {
	t.Parallel()
	e := newBrowserEnv(t)
	ctx := e.Tab(t)
	e.Signup(t, ctx, "extend@acme.test", "CHF")
	tok := e.Token(t, "extend@acme.test")
	_, acct := e.API(t, "GET", "/v1/account", tok, nil)
	if st, body := e.API(t, "POST", "/v1/admin/customers/"+acct["id"].(string)+"/balance_adjustments", e.Admin, map[string]any{"amount": 10000, "reason": "Prepaid credit"}); st != 201 {
		t.Fatalf("credit: %d %v", st, body)
	}
	_, adr := e.API(t, "POST", "/v1/billing_addresses", tok, map[string]any{"name": "Acme AG", "line1": "Bahnhofstrasse 1", "city": "Zürich", "postal_code": "8001", "country": "CH"})
	st, o := e.API(t, "POST", "/v1/orders", tok, map[string]any{"items": []any{map[string]any{"type": "subscription", "plan": "ivr", "quantity": 1, "term_months": 1}},
		"billing_address": adr["id"], "payment": map[string]any{"method": "balance"}})
	if st != 201 {
		t.Fatalf("buy the IVR: %d %v", st, o)
	}
	sub := o["items"].([]any)[0].(map[string]any)["subscription"].(string)
	_, before := e.API(t, "GET", "/v1/subscriptions/"+sub, tok, nil)
	_, acct = e.API(t, "GET", "/v1/account", tok, nil)
	balance := int64(acct["balance"].(float64))

	e.Open(t, ctx, "/")
	do(t, ctx, chromedp.Click(chromedp.CSS(`nav a[href="/subscriptions"]`)), at("/subscriptions"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=subscriptions]`)))
	row := `#sub-` + sub
	if got := text(t, ctx, row+` [data-testid=status]`); !strings.Contains(got, "Active") {
		t.Errorf("status %q, want Active", got)
	}
	// Auto-renew: on (htmx swaps the row), then off again.
	for _, want := range []string{"On", "Off"} {
		do(t, ctx, until(`!!window.htmx`), chromedp.Click(chromedp.CSS(row+` [data-testid=auto-renew]`)),
			until(`document.querySelector("`+row+` [data-testid=auto-renew-state]").textContent === "`+want+`"`), settled())
		_, s := e.API(t, "GET", "/v1/subscriptions/"+sub, tok, nil)
		if s["auto_renew"] != (want == "On") {
			t.Errorf("switch shows %s, the API says auto_renew=%v", want, s["auto_renew"])
		}
	}
	e.Shot(t, ctx, "subscriptions")

	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=renew-change-`+sub+`]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=extend]`)))
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=extend]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=extend-form]`)), loaded())
	do(t, ctx, choose("#term", "3"), chromedp.WaitVisible(chromedp.CSS(`#extend-quote [data-testid=extend-price]`)),
		until(`document.querySelector("#extend-quote [data-testid=extend-price]").textContent.includes("3 months")`), settled())
	do(t, ctx, choose("#term", "1"),
		until(`document.querySelector("#extend-quote [data-testid=extend-price]").textContent.includes("1 month")`), settled(),
		chromedp.Click(chromedp.CSS(`[data-testid=add-to-cart]`)),
		at("/cart"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=confirm-order]`)))
	if got := text(t, ctx, "[data-testid=cart-items]"); !strings.Contains(got, "Renewal: IVR") || !strings.Contains(got, "1 month") {
		t.Errorf("cart: %q, want the IVR's extension by 1 month", got)
	}
	e.Shot(t, ctx, "cart")

	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=confirm-order]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=verify-address]`)), loaded())
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=verify-address]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=payment-form]`)), loaded())
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=pay-balance]`)))
	total := text(t, ctx, "[data-testid=total]")
	if got := text(t, ctx, "[data-testid=tax]"); got == "CHF 0.00" {
		t.Errorf("tax %s: want Swiss VAT", got)
	}
	e.Shot(t, ctx, "cart-payment")
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=pay]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=order-done]`)))
	if got := text(t, ctx, "[data-testid=order-total]"); got != total {
		t.Errorf("paid %s, the payment step said %s", got, total)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=home]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=home-active]`)))

	_, after := e.API(t, "GET", "/v1/subscriptions/"+sub, tok, nil)
	was, _ := time.Parse(time.RFC3339, before["expires_at"].(string))
	now, _ := time.Parse(time.RFC3339, after["expires_at"].(string))
	if want := market.AddMonths(was, 1); !now.Equal(want) {
		t.Errorf("expires_at %s -> %s, want %s (one calendar month)", was, now, want)
	}
	_, orders := e.API(t, "GET", "/v1/orders", tok, nil)
	last := orders["data"].([]any)[0].(map[string]any)
	paid := int64(last["total"].(float64))
	if chf(paid) != total {
		t.Errorf("order total %s, the page said %s", chf(paid), total)
	}
	_, acct = e.API(t, "GET", "/v1/account", tok, nil)
	if fell := balance - int64(acct["balance"].(float64)); fell != paid {
		t.Errorf("balance fell by %d, the order cost %d", fell, paid)
	}
	_, cart := e.API(t, "GET", "/v1/cart", tok, nil)
	if n := len(cart["items"].([]any)); n != 0 {
		t.Errorf("cart after Finish: %d items", n)
	}
}

// TestBrowserBuyHostedTrial is peoplefone's "Buy peoplefone HOSTED" in a
// real browser: Buy/Order, the number of users and the term, "Activate
// now and test free of charge for 30 days", Add to cart, Confirm order, a
// new billing address (Verify address), Pay, the confirmation and Home;
// the API shows the trial; a second trial is refused next to the
// checkbox.
func TestBrowserBuyHostedTrial(t *testing.T) {
	t.Parallel()
	e := newBrowserEnv(t)
	ctx := e.Tab(t)
	e.Signup(t, ctx, "trial@acme.test", "CHF")

	do(t, ctx, chromedp.Click(chromedp.CSS(`nav a[href="/buy"]`)), at("/buy"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=buy-hosted-pbx]`)), loaded())
	if got := text(t, ctx, "main section h2"); !strings.Contains(got, "Hosted PBX") {
		t.Errorf("first product on Buy/Order: %q, want the Hosted PBX", got)
	}
	e.Shot(t, ctx, "buy")
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS("#quantity-hosted-pbx"), "3"),
		chromedp.SetValue(chromedp.CSS("#term-hosted-pbx"), "12"),
		chromedp.Click(chromedp.CSS("#trial-hosted-pbx")),
		chromedp.Click(chromedp.CSS(`[data-testid=add-hosted-pbx]`)),
		at("/cart"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=confirm-order]`)),
	)
	if got := text(t, ctx, "[data-testid=total]"); got != "CHF 0.00" {
		t.Errorf("cart total %s, want CHF 0.00 for the trial", got)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=confirm-order]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=verify-address]`)), loaded())
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS("#name"), "Acme AG"),
		chromedp.SetValue(chromedp.CSS("#line1"), "Bahnhofstrasse 1"),
		chromedp.SetValue(chromedp.CSS("#postal_code"), "80"),
		chromedp.SetValue(chromedp.CSS("#city"), "Zürich"),
		chromedp.SetValue(chromedp.CSS("#country"), "CH"),
		chromedp.Click(chromedp.CSS(`[data-testid=verify-address]`)),
		chromedp.WaitVisible(chromedp.CSS(`#postal_code-error`)), loaded(),
	)
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS("#postal_code"), "8001"),
		chromedp.Click(chromedp.CSS(`[data-testid=verify-address]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=payment-form]`)), loaded(),
	)
	if got := text(t, ctx, "[data-testid=billing-address]"); !strings.Contains(got, "Bahnhofstrasse 1") {
		t.Errorf("billing address %q", got)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=pay]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=order-done]`)))
	if got := text(t, ctx, "[data-testid=order-total]"); got != "CHF 0.00" {
		t.Errorf("paid %s, want CHF 0.00", got)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=home]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=home-active]`)))
	if got := text(t, ctx, "[data-testid=home-active]"); got != "1" {
		t.Errorf("Home: %s active subscriptions, want 1", got)
	}

	tok := e.Token(t, "trial@acme.test")
	_, subs := e.API(t, "GET", "/v1/subscriptions", tok, nil)
	data := subs["data"].([]any)
	if len(data) != 1 {
		t.Fatalf("subscriptions: %v", subs)
	}
	s0 := data[0].(map[string]any)
	if s0["plan"] != "hosted-pbx" || s0["status"] != "trialing" || s0["quantity"] != float64(3) || s0["term_months"] != float64(12) || s0["trial_ends_at"] == nil {
		t.Errorf("subscription %v: want Hosted PBX x3, 12 months, trialing", s0)
	}
	_, orders := e.API(t, "GET", "/v1/orders", tok, nil)
	if o := orders["data"].([]any)[0].(map[string]any); o["total"] != float64(0) {
		t.Errorf("order total %v, want 0", o["total"])
	}

	e.Open(t, ctx, "/buy")
	do(t, ctx,
		chromedp.Click(chromedp.CSS("#trial-hosted-pbx")),
		chromedp.Click(chromedp.CSS(`[data-testid=add-hosted-pbx]`)),
		chromedp.WaitVisible(chromedp.CSS(`#trial-hosted-pbx-error`)),
	)
	if got := text(t, ctx, "#trial-hosted-pbx-error"); !strings.Contains(got, "already been used") {
		t.Errorf("second trial: %q", got)
	}
}
