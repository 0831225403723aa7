package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// noScript switches the page's JavaScript off (the test still reads and
// drives the page through the browser's debugging protocol).
func noScript() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	})
}

// TestBrowserBackOfficeNoScript: with JavaScript off, on a phone-sized
// screen, support logs in, reads the dashboard (each chart's table is the
// figure), finds a customer, credits its balance and refunds an item of
// its order; the server's answers are the pages.
func TestBrowserBackOfficeNoScript(t *testing.T) {
	t.Parallel()
	e := newBrowserEnv(t)
	password := e.Operator(t, "noscript@op.test", "support")
	st, body := e.API(t, "POST", "/v1/signup", "", map[string]any{"email": "ohne@acme.test", "password": browserPassword,
		"company": "Ohne Skript AG", "country": "DE", "currency": "EUR"})
	if st != 201 {
		t.Fatalf("signup: %d %v", st, body)
	}
	cus := body["customer"].(map[string]any)["id"].(string)
	tok := e.Token(t, "ohne@acme.test")
	e.API(t, "POST", "/v1/admin/customers/"+cus+"/balance_adjustments", e.Admin, map[string]any{"amount": 100000, "reason": "starting credit"})
	_, adr := e.API(t, "POST", "/v1/billing_addresses", tok, map[string]any{"name": "Ohne", "line1": "Unter den Linden 1", "city": "Berlin", "postal_code": "10117", "country": "DE"})
	st, order := e.API(t, "POST", "/v1/orders", tok, map[string]any{"items": []any{
		map[string]any{"type": "subscription", "plan": "business", "quantity": 2, "term_months": 1}},
		"billing_address": adr["id"], "payment": map[string]any{"method": "balance"}})
	if st != 201 {
		t.Fatalf("order: %d %v", st, order)
	}
	orderID := order["id"].(string)

	ctx := e.Tab(t)
	do(t, ctx, noScript(), chromedp.EmulateViewport(390, 844))
	e.Open(t, ctx, "/admin/login")
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS("#email"), "noscript@op.test"),
		chromedp.SetValue(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS(`form[action="/admin/login"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=role]`)))
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("table").length`)); n < 3 {
		t.Errorf("the dashboard without JavaScript shows %d tables", n)
	}
	if on, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.uPlot !== "undefined" || document.querySelector(".chart canvas, .chart svg, .uplot") !== null`)); on {
		t.Error("the dashboard's scripts ran with JavaScript off")
	}
	e.a11y(t, ctx, "/admin/ (no JavaScript, phone)")
	e.Open(t, ctx, "/admin/customers")
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS("#q"), "ohne skript"),
		chromedp.Click(chromedp.CSS(`form[action="/admin/customers"] button`)))
	// The list before the search shows the customer too: wait for the
	// answer's page, or the click below may land on the page going away.
	waitLocation(t, ctx, "q=ohne")
	do(t, ctx,
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=customer-row][data-id="`+cus+`"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=customer-row][data-id="`+cus+`"] a`)),
		chromedp.WaitVisible(chromedp.CSS(`#amount`)),
		chromedp.SetValue(chromedp.CSS("#amount"), "12.50"),
		chromedp.SetValue(chromedp.CSS("#reason"), "No script"),
		chromedp.Click(chromedp.CSS(`form[action$="/balance-adjustments"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)))
	if got := text(t, ctx, "[data-testid=flash]"); !strings.Contains(got, "12.50") {
		t.Errorf("flash: %q", got)
	}
	e.Open(t, ctx, "/admin/orders/"+orderID)
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`#item-1`)),
		chromedp.SetValue(chromedp.CSS("#reason"), "No script refund"),
		chromedp.Click(chromedp.CSS(`form[action$="/refunds"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=credit-note-link]`)))
	e.a11y(t, ctx, "/admin/orders/{id} (no JavaScript, phone)")
	_, o := e.API(t, "GET", "/v1/orders/"+orderID, tok, nil)
	if o["status"] != "refunded" || o["refunded"].(float64) <= 0 {
		t.Errorf("order after the refund without JavaScript: %v %v", o["status"], o["refunded"])
	}
}

// waitLocation waits until the tab's address contains part (a page
// loaded by a form sent without JavaScript).
func waitLocation(t *testing.T, ctx context.Context, part string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if loc, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href`)); err == nil && strings.Contains(loc, part) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the address never contained %q", part)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
