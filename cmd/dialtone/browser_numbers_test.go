package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// choose picks a value of a select and fires its change event, as
// choosing with the mouse does (SetValue alone does not), once htmx has
// started: htmx then refreshes the cascade. It works in the page's script
// rather than on chromedp's node IDs, which an htmx swap makes stale.
func choose(css, value string) chromedp.Action[chromedp.Void] {
	ready := until(`document.readyState === "complete" && !!window.htmx`)
	ev := chromedp.Evaluate[bool](`(() => { const el = document.querySelector("` + css + `"); el.value = "` + value + `";
		return el.dispatchEvent(new Event("change", {bubbles: true})); })()`)
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		if _, err := ready(ctx, t); err != nil {
			return chromedp.Void{}, err
		}
		_, err := ev(ctx, t)
		return chromedp.Void{}, err
	}
}

// js runs a script in the page.
func js(script string) chromedp.Action[chromedp.Void] {
	ev := chromedp.Evaluate[bool](`(() => { ` + script + `; return true; })()`)
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := ev(ctx, t)
		return chromedp.Void{}, err
	}
}

// until evaluates a JavaScript condition until it holds, through page
// loads (an evaluation that a navigation interrupts is tried again).
func until(cond string) chromedp.Action[chromedp.Void] {
	ev := chromedp.Evaluate[bool](cond)
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		for {
			if ok, err := ev(ctx, t); err == nil && ok {
				return chromedp.Void{}, nil
			}
			select {
			case <-ctx.Done():
				return chromedp.Void{}, fmt.Errorf("waiting for %s: %w", cond, ctx.Err())
			case <-time.After(25 * time.Millisecond):
			}
		}
	}
}

// loaded waits until the page has finished loading (after WaitVisible of
// an element of the new page, so that reading the rest of it is safe).
func loaded() chromedp.Action[chromedp.Void] { return until(`document.readyState === "complete"`) }

// settled waits until htmx has finished swapping and settling.
func settled() chromedp.Action[chromedp.Void] {
	return until(`document.readyState === "complete" && !document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added")`)
}

// at waits until the address contains part and the page has loaded.
func at(part string) chromedp.Action[chromedp.Void] {
	return until(`location.href.includes(` + "`" + part + "`" + `) && document.readyState === "complete"`)
}

// TestBrowserOrderNumber is Voiptime's "Purchasing SIP phone number" with
// an empty balance in a real browser: Marketplace -> SIP Number, Country
// (htmx refreshes the cascade; State only for the US), Area with Show,
// ORDER PHONE, a new billing address, Pay from the balance sends the
// customer to top up what is missing by card, back to the checkout, Pay,
// the confirmation, and the number in Purchased numbers; then the API.
func TestBrowserOrderNumber(t *testing.T) {
	t.Parallel()
	e := newBrowserEnv(t)
	ctx := e.Tab(t)
	e.Signup(t, ctx, "numbers@acme.test", "CHF")

	e.Open(t, ctx, "/marketplace/numbers")
	// A CHF account is offered the numbers priced in francs: Switzerland's,
	// not the United States' (priced in dollars).
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#country option[value=US]").length`)); n != 0 {
		t.Errorf("a CHF account is offered US numbers, priced in USD")
	}
	do(t, ctx,
		choose("#country", "CH"),
		chromedp.WaitVisible(chromedp.CSS("#area")),
		settled(),
	)
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#state").length`)); n != 0 {
		t.Errorf("Switzerland shows a State field")
	}
	// Without waiting for htmx: choose the area and press Show.
	do(t, ctx,
		js(`document.querySelector("#area").value = "Zürich"; document.querySelector("[data-testid=show]").click()`),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=order-phone]")),
		at("area="),
	)
	if got := text(t, ctx, "[data-testid=available] tbody tr"); !strings.Contains(got, "CHF 3.00") || !strings.Contains(got, "CHF 2.00") {
		t.Errorf("free number row %q: want setup CHF 3.00 and CHF 2.00 a month", got)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("[data-testid=order-phone]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=checkout-form]")), loaded())
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS("#name"), "Acme AG"),
		chromedp.SetValue(chromedp.CSS("#line1"), "Bahnhofstrasse 1"),
		chromedp.SetValue(chromedp.CSS("#postal_code"), "8001"),
		chromedp.SetValue(chromedp.CSS("#city"), "Zürich"),
		chromedp.SetValue(chromedp.CSS("select#country"), "CH"),
		chromedp.Click(chromedp.CSS("[data-testid=pay]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=notice]")),
		loaded(),
	)
	if got := text(t, ctx, "[data-testid=total]"); got != "CHF 5.41" {
		t.Errorf("total %s, want CHF 5.41 (3.00 + 2.00 + 8.1 %% tax)", got)
	}
	// The balance is empty: Pay leads to the refill page with what is missing.
	do(t, ctx, chromedp.Click(chromedp.CSS("[data-testid=pay]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=refill-pay-form]")), loaded())
	amount, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#amount")))
	if err != nil || amount != "5.41" {
		t.Errorf("refill amount %q (%v), want 5.41", amount, err)
	}
	if got := text(t, ctx, "[data-testid=flash]"); !strings.Contains(got, "not enough") {
		t.Errorf("flash %q", got)
	}
	do(t, ctx,
		chromedp.Click(chromedp.CSS("[data-testid=pay-new]")),
		chromedp.SetValue(chromedp.CSS("#card_number"), "4242 4242 4242 4242"),
		chromedp.SetValue(chromedp.CSS("#exp_month"), "12"),
		chromedp.SetValue(chromedp.CSS("#exp_year"), "2030"),
		chromedp.SetValue(chromedp.CSS("#cvc"), "123"),
		chromedp.Click(chromedp.CSS("[data-testid=save-card]")),
		chromedp.Click(chromedp.CSS("[data-testid=pay]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=checkout-form]")),
		loaded(),
	)
	if got := text(t, ctx, "[data-testid=flash]"); got != "Your balance was topped up by CHF 5.41." {
		t.Errorf("back at the checkout the flash says %q", got)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("[data-testid=pay]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=order-done]")), loaded())
	done := text(t, ctx, "main table tbody")
	if got := text(t, ctx, "[data-testid=order-total]"); got != "CHF 5.41" {
		t.Errorf("paid %s, want CHF 5.41", got)
	}

	tok := e.Token(t, "numbers@acme.test")
	_, nums := e.API(t, "GET", "/v1/numbers", tok, nil)
	data := nums["data"].([]any)
	if len(data) != 1 {
		t.Fatalf("/v1/numbers: %v", nums)
	}
	n0 := data[0].(map[string]any)
	number := n0["number"].(string)
	if !strings.Contains(done, number) || n0["status"] != "active" || n0["renews_at"] == nil || n0["area"] != "Zürich" {
		t.Errorf("number %v (the confirmation shows %q)", n0, done)
	}
	_, acct := e.API(t, "GET", "/v1/account", tok, nil)
	if acct["balance"] != float64(0) {
		t.Errorf("balance %v, want 0: the top-up of 5.41 paid the number exactly", acct["balance"])
	}

	e.Open(t, ctx, "/marketplace/numbers")
	row := text(t, ctx, "[data-testid=purchased-numbers] tbody tr")
	if !strings.Contains(row, number) || !strings.Contains(row, "Active") || !strings.Contains(row, "CHF 2.00") {
		t.Errorf("Purchased numbers row %q", row)
	}
	if got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("[data-testid=sip-select]").selectedOptions[0].text`)); err != nil || !strings.HasPrefix(got, "SIP trunk") {
		t.Errorf("the new number is routed to %q (%v), want the SIP trunk", got, err)
	}
	e.Open(t, ctx, "/marketplace/numbers?country=CH&area=Z%C3%BCrich")
	e.Shot(t, ctx, "numbers")

	// A month later the empty balance cannot pay the rental: the number is
	// in its grace period. The session lives on the wall clock, so the tab
	// is still logged in after the clock moved a month.
	renews, _ := time.Parse(time.RFC3339, n0["renews_at"].(string))
	if st, body := e.API(t, "POST", "/v1/admin/clock/advance", e.Admin, map[string]any{"to": renews.Add(time.Hour).Format(time.RFC3339)}); st != 200 {
		t.Fatalf("clock: %d %v", st, body)
	}
	_, nums = e.API(t, "GET", "/v1/numbers", tok, nil)
	if st := nums["data"].([]any)[0].(map[string]any)["status"]; st != "grace" {
		t.Errorf("after an unpaid month the number is %v, want grace", st)
	}
	e.Open(t, ctx, "/marketplace/numbers")
	if got := e.location(t, ctx); !strings.HasPrefix(got, "/marketplace/numbers") {
		t.Fatalf("after a month on the sandbox clock the portal went to %s, want the numbers page (sessions live on the wall clock)", got)
	}
	if got := text(t, ctx, "[data-testid=number-status]"); !strings.Contains(got, "grace until") {
		t.Errorf("status of an unpaid number: %q", got)
	}

	// Assign: route the number to no SIP account; then Release it, which
	// asks for a confirmation first.
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS("[data-testid=sip-select]"), ""),
		chromedp.Click(chromedp.CSS("[data-testid=assign]")),
		at("#purchased"),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=flash]")),
	)
	_, nums = e.API(t, "GET", "/v1/numbers", tok, nil)
	if sip := nums["data"].([]any)[0].(map[string]any)["sip_account"]; sip != nil && sip != "" {
		t.Errorf("after assigning None the number is on %v", sip)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("[data-testid=release]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=release-form]")), loaded())
	do(t, ctx, chromedp.Click(chromedp.CSS("[data-testid=release-submit]")), chromedp.WaitVisible(chromedp.CSS("#confirm-error")), loaded())
	do(t, ctx,
		chromedp.Click(chromedp.CSS("[data-testid=release-confirm]")),
		chromedp.Click(chromedp.CSS("[data-testid=release-submit]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=no-numbers]")),
		loaded(),
	)
	if got := text(t, ctx, "[data-testid=flash]"); !strings.Contains(got, "90 days") {
		t.Errorf("flash after release: %q", got)
	}
	_, nums = e.API(t, "GET", "/v1/numbers", tok, nil)
	if n := len(nums["data"].([]any)); n != 0 {
		t.Errorf("/v1/numbers lists %d numbers after the release", n)
	}
}
