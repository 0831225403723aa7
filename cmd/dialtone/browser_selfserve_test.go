package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// Issue 17 in a real browser: the cart's licenses and term, the
// checkout's friction, a second subscription, a balance that is short.

// credit signs up through the portal, credits the balance with amount
// minor units and returns the API token.
func (e *browserEnv) credit(t *testing.T, ctx context.Context, email string, amount int64) string {
	t.Helper()
	e.Signup(t, ctx, email, "CHF")
	tok := e.Token(t, email)
	if amount > 0 {
		_, acct := e.API(t, "GET", "/v1/account", tok, nil)
		if st, body := e.API(t, "POST", "/v1/admin/customers/"+acct["id"].(string)+"/balance_adjustments", e.Admin, map[string]any{"amount": amount, "reason": "Prepaid credit"}); st != 201 {
			t.Fatalf("credit: %d %v", st, body)
		}
	}
	return tok
}

// Login logs a tab in with the log-in form and the password Signup used.
func (e *browserEnv) Login(t *testing.T, ctx context.Context, email string) {
	t.Helper()
	e.Open(t, ctx, "/login")
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS("#email"), email),
		chromedp.SetValue(chromedp.CSS("#password"), browserPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=home-balance]")),
	)
}

// value returns the value of the first input that matches css.
func value(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(css)))
	if err != nil {
		t.Fatalf("value of %s: %v", css, err)
	}
	return v
}

// TestBrowserCartChange: Buy/Order puts 2 Business licenses for 1 month
// into the cart; the line's form changes them to 3 for a year (a refused
// number is shown next to the line's field first) and the cart is priced
// anew; the API's cart says the same.
func TestBrowserCartChange(t *testing.T) {
	t.Parallel()
	e := newBrowserEnv(t)
	ctx := e.Tab(t)
	tok := e.credit(t, ctx, "cartchange@acme.test", 0)
	e.Open(t, ctx, "/buy")
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS("#quantity-business"), "2"),
		chromedp.SetValue(chromedp.CSS("#term-business"), "1"),
		chromedp.Click(chromedp.CSS("[data-testid=add-business]")),
		at("/cart"), chromedp.WaitVisible(chromedp.CSS("[data-testid=confirm-order]")),
	)
	_, cart := e.API(t, "GET", "/v1/cart", tok, nil)
	id := cart["items"].([]any)[0].(map[string]any)["id"].(string)
	if got := text(t, ctx, "[data-testid=total]"); got != "CHF 80.00" {
		t.Errorf("total %s, want CHF 80.00 (2 x 40.00, no address yet)", got)
	}
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS("#quantity-"+id), "1"),
		chromedp.Click(chromedp.CSS("[data-testid=update-"+id+"]")),
		chromedp.WaitVisible(chromedp.CSS("#quantity-"+id+"-error")), loaded(),
	)
	if got := text(t, ctx, "#quantity-"+id+"-error"); !strings.Contains(got, "at least 2") {
		t.Errorf("1 license: %q", got)
	}
	e.a11y(t, ctx, "/cart (a refused change)")
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS("#quantity-"+id), "3"),
		chromedp.SetValue(chromedp.CSS("#term-"+id), "12"),
		chromedp.Click(chromedp.CSS("[data-testid=update-"+id+"]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=flash]")), loaded(),
	)
	if got := text(t, ctx, "[data-testid=total]"); got != "CHF 1,152.00" {
		t.Errorf("total after the change %s, want CHF 1,152.00 (3 x 384.00)", got)
	}
	if got := value(t, ctx, "#quantity-"+id); got != "3" {
		t.Errorf("licenses field %q, want 3", got)
	}
	_, cart = e.API(t, "GET", "/v1/cart", tok, nil)
	it := cart["items"].([]any)[0].(map[string]any)
	if item := it["item"].(map[string]any); it["id"] != id || item["quantity"] != 3.0 || item["term_months"] != 12.0 {
		t.Errorf("API cart item after the change: %v", it)
	}
}

// TestBrowserCheckoutFriction: the Buy page shows the total before Apply;
// the checkout says before Pay that the balance is short (and by how
// much), defaults the new address to the account's country, sums a wrong
// field up at the top with a link to it, keeps the typed card number and
// CVC after "Address verified and saved", and pays. Then Start while
// holding Business: a warning and a tick before paying.
func TestBrowserCheckoutFriction(t *testing.T) {
	t.Parallel()
	e := newBrowserEnv(t)
	ctx := e.Tab(t)
	tok := e.credit(t, ctx, "friction@acme.test", 1000)
	e.Open(t, ctx, "/marketplace/plans/business/buy")
	if got := text(t, ctx, "#buy-quote [data-testid=total]"); got != "CHF 768.00" {
		t.Errorf("total before Apply %q, want CHF 768.00 (2 x 384.00 for a year)", got)
	}
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS("#quantity"), "2"),
		js(`document.querySelector("input[name=term][value='1']").click()`),
		chromedp.Click(chromedp.CSS("[data-testid=checkout]")),
		at("/checkout"), chromedp.WaitVisible(chromedp.CSS("[data-testid=checkout-form]")), loaded(),
	)
	if got := text(t, ctx, "[data-testid=balance-short]"); !strings.Contains(got, "CHF 70.00 short") || !strings.Contains(got, "Top up CHF 70.00") {
		t.Errorf("before Pay: %q, want CHF 70.00 short (80.00 net, no address yet, balance 10.00)", got)
	}
	if got := value(t, ctx, "select#country"); got != "CH" {
		t.Errorf("new address's country %q, want the account's CH", got)
	}
	do(t, ctx,
		chromedp.Click(chromedp.CSS("[data-testid=pay-new]")),
		chromedp.SetValue(chromedp.CSS("#name"), "Acme AG"),
		chromedp.SetValue(chromedp.CSS("#line1"), "Bahnhofstrasse 1"),
		chromedp.SetValue(chromedp.CSS("#postal_code"), "80"),
		chromedp.SetValue(chromedp.CSS("#city"), "Zürich"),
		chromedp.SetValue(chromedp.CSS("#card_number"), "4242 4242 4242 4242"),
		chromedp.SetValue(chromedp.CSS("#exp_month"), "12"),
		chromedp.SetValue(chromedp.CSS("#exp_year"), "2030"),
		chromedp.SetValue(chromedp.CSS("#cvc"), "123"),
		chromedp.Click(chromedp.CSS("[data-testid=save-card]")),
		chromedp.Click(chromedp.CSS("[data-testid=pay]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=error-summary]")), loaded(),
	)
	e.a11y(t, ctx, "/checkout (error summary)")
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=error-summary] a[href="#postal_code"]`)), until(`location.hash === "#postal_code"`))
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#postal_code-error").length`)); n != 1 {
		t.Errorf("no error next to the postal code")
	}
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS("#postal_code"), "8001"),
		chromedp.Click(chromedp.CSS("[data-testid=pay]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=notice]")), loaded(),
	)
	if got := text(t, ctx, "[data-testid=notice]"); !strings.Contains(got, "Address verified and saved") {
		t.Errorf("notice %q", got)
	}
	if n, c := value(t, ctx, "#card_number"), value(t, ctx, "#cvc"); n != "4242 4242 4242 4242" || c != "123" {
		t.Errorf("after the address: card %q, CVC %q, want what was typed", n, c)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("[data-testid=pay]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=order-done]")))

	// Start while holding Business: warned, then confirmed (in a second
	// tab, so that neither runs into the tab's minute).
	ctx = e.Tab(t)
	e.Login(t, ctx, "friction@acme.test")
	e.Open(t, ctx, "/marketplace/plans")
	do(t, ctx, chromedp.Click(chromedp.CSS("[data-testid=buy-start]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=checkout]")), loaded(),
		chromedp.Click(chromedp.CSS("[data-testid=checkout]")), at("/checkout"), chromedp.WaitVisible(chromedp.CSS("[data-testid=held-warning]")), loaded())
	if got := text(t, ctx, "[data-testid=held-warning]"); !strings.Contains(got, "You already have Cloud Contact Center Business") {
		t.Errorf("warning %q", got)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("[data-testid=pay]")), chromedp.WaitVisible(chromedp.CSS("#confirm_second-error")), loaded())
	if _, subs := e.API(t, "GET", "/v1/subscriptions", tok, nil); len(subs["data"].([]any)) != 1 {
		t.Fatalf("Pay without the tick bought: %v", subs)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("[data-testid=confirm-second]")), chromedp.Click(chromedp.CSS("[data-testid=pay]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=order-done]")))
	if _, subs := e.API(t, "GET", "/v1/subscriptions", tok, nil); len(subs["data"].([]any)) != 2 {
		t.Errorf("after the tick: %d subscriptions, want 2", len(subs["data"].([]any)))
	}
}
