package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// rows counts the elements that match css.
func rows(t *testing.T, ctx context.Context, css string) int {
	t.Helper()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("`+css+`").length`))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestBrowserBilling is Voiptime's Marketplace -> Billing in a real
// browser: the transaction table, a refill by card from the Billing tab
// (a declined card first, shown next to the payment choice), the filter by
// purpose and the CSV link with the same filter, and the balance's
// movements; then the API.
func TestBrowserBilling(t *testing.T) {
	t.Parallel()
	e := newBrowserEnv(t)
	ctx := e.Tab(t)
	e.Signup(t, ctx, "billing@acme.test", "EUR")
	tok := e.Token(t, "billing@acme.test")
	_, acct := e.API(t, "GET", "/v1/account", tok, nil)
	for _, amt := range []int{1000, 2000, 3000} {
		if st, body := e.API(t, "POST", "/v1/admin/customers/"+acct["id"].(string)+"/balance_adjustments", e.Admin, map[string]any{"amount": amt, "reason": "Goodwill credit"}); st != 201 {
			t.Fatalf("credit: %d %v", st, body)
		}
	}

	e.Open(t, ctx, "/marketplace/billing")
	if n := rows(t, ctx, "[data-testid=tx-row]"); n != 3 {
		t.Errorf("Billing lists %d payments, want 3", n)
	}
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS("#refill-amount"), "25.00"),
		chromedp.Click(chromedp.CSS("[data-testid=refill]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=refill-pay-form]")),
		loaded(),
	)
	do(t, ctx,
		chromedp.Click(chromedp.CSS("[data-testid=pay-new]")),
		chromedp.SetValue(chromedp.CSS("#card_number"), "4000 0000 0000 0002"),
		chromedp.SetValue(chromedp.CSS("#exp_month"), "12"),
		chromedp.SetValue(chromedp.CSS("#exp_year"), "2030"),
		chromedp.SetValue(chromedp.CSS("#cvc"), "123"),
		chromedp.Click(chromedp.CSS("[data-testid=pay]")),
		chromedp.WaitVisible(chromedp.CSS("#pay-error")),
		loaded(),
	)
	if got := text(t, ctx, "#pay-error"); !strings.Contains(got, "declined") {
		t.Errorf("declined card: %q", got)
	}
	do(t, ctx,
		chromedp.Click(chromedp.CSS("[data-testid=pay-new]")),
		chromedp.SetValue(chromedp.CSS("#card_number"), "4242 4242 4242 4242"),
		chromedp.SetValue(chromedp.CSS("#cvc"), "123"),
		chromedp.Click(chromedp.CSS("[data-testid=pay]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=order-done]")),
		loaded(),
	)
	if got := text(t, ctx, "[data-testid=flash]"); got != "Your balance was topped up by €25.00." {
		t.Errorf("flash %q", got)
	}

	e.Open(t, ctx, "/marketplace/billing")
	if n := rows(t, ctx, "[data-testid=tx-row]"); n != 4 {
		t.Errorf("Billing lists %d payments after the refill, want 4", n)
	}
	if got := text(t, ctx, "[data-testid=billing-balance]"); got != "€85.00" {
		t.Errorf("balance %s, want €85.00", got)
	}
	if got := text(t, ctx, "[data-testid=entry-row] [data-testid=balance-after]"); got != "€85.00" {
		t.Errorf("latest balance movement: after %s, want €85.00", got)
	}
	e.Shot(t, ctx, "billing")

	do(t, ctx,
		chromedp.SetValue(chromedp.CSS("#purpose"), "balance_refill"),
		chromedp.Click(chromedp.CSS("[data-testid=filter]")),
		at("purpose=balance_refill"),
	)
	if n := rows(t, ctx, "[data-testid=tx-row]"); n != 1 {
		t.Errorf("filtered by Balance refill: %d rows, want 1", n)
	}
	row := text(t, ctx, "[data-testid=tx-row]")
	if !strings.Contains(row, "Balance refill") || !strings.Contains(row, "Card •••• 4242") || !strings.Contains(row, "€25.00") {
		t.Errorf("refill row %q", row)
	}
	if loc := e.location(t, ctx); !strings.Contains(loc, "purpose=balance_refill") {
		t.Errorf("the filter is not in the address: %s", loc)
	}
	link, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("[data-testid=csv]").getAttribute("href")`))
	if err != nil || !strings.HasPrefix(link, "/v1/transactions?") || !strings.Contains(link, "format=csv") || !strings.Contains(link, "purpose=balance_refill") {
		t.Errorf("CSV link %q (%v)", link, err)
	}

	_, tx := e.API(t, "GET", "/v1/transactions?purpose=balance_refill", tok, nil)
	data := tx["data"].([]any)
	if len(data) != 1 {
		t.Fatalf("refills: %v", tx)
	}
	if r := data[0].(map[string]any); r["amount"] != float64(2500) || r["method"] != "card" || r["card_last4"] != "4242" || r["invoice"] == nil {
		t.Errorf("refill %v: want 2500 by card 4242 with an invoice", r)
	}
	_, acct = e.API(t, "GET", "/v1/account", tok, nil)
	if acct["balance"] != float64(8500) {
		t.Errorf("balance %v, want 8500", acct["balance"])
	}
}
