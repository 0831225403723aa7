package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// phoneReachScript checks that the elements a selector matches are on a
// phone's screen: inside the window from left to right without scrolling
// sideways (a wide table in a scroll box leaves them to the right), shown,
// and, once the page is scrolled down to them, not covered by anything.
// It returns one line per problem, or "" when there is none.
const phoneReachScript = `((sel) => {
  const out = [];
  const els = [...document.querySelectorAll(sel)];
  if (els.length === 0) return "nothing matches " + sel;
  for (const el of els) {
    const what = sel + " \"" + el.textContent.trim().slice(0, 30) + "\"";
    let r = el.getBoundingClientRect();
    const cs = getComputedStyle(el);
    if (r.width === 0 || r.height === 0 || cs.visibility !== "visible" || cs.display === "none") { out.push("not shown: " + what); continue; }
    if (r.left < 0 || r.right > window.innerWidth) { out.push("outside the window (" + Math.round(r.left) + ".." + Math.round(r.right) + " of " + window.innerWidth + "): " + what); continue; }
    window.scrollTo(0, window.scrollY + r.top - window.innerHeight / 2);
    r = el.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    if (!hit || !(el === hit || el.contains(hit) || hit.contains(el))) out.push("covered: " + what);
  }
  return out.join("\n");
})`

// TestBrowserPhoneTables opens the pages with wide tables on a 390x844
// screen, for an account with a subscription, a payment by card and a
// user, and checks that what the customer acts on (Renew/Change, Renew,
// BUY MORE LICENSES, the invoice link, Delete) and the amounts are on the
// screen without scrolling sideways. DIALTONE_PHONE_SHOTS=dir saves a
// screenshot of each page there.
func TestBrowserPhoneTables(t *testing.T) {
	t.Parallel()
	e := newBrowserEnv(t)
	ctx := e.Tab(t)
	e.Signup(t, ctx, "phone@acme.test", "CHF")
	tok := e.Token(t, "phone@acme.test")
	_, adr := e.API(t, "POST", "/v1/billing_addresses", tok, map[string]any{"name": "Acme AG", "line1": "Bahnhofstrasse 1", "city": "Zürich", "postal_code": "8001", "country": "CH"})
	st, order := e.API(t, "POST", "/v1/orders", tok, map[string]any{
		"items":           []any{map[string]any{"type": "subscription", "plan": "business", "quantity": 2, "term_months": 1}},
		"billing_address": adr["id"],
		"payment":         map[string]any{"method": "card", "card": map[string]any{"number": "4242 4242 4242 4242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}},
	})
	if st != 201 {
		t.Fatalf("order: %d %v", st, order)
	}
	sub := order["items"].([]any)[0].(map[string]any)["subscription"].(string)
	if st, body := e.API(t, "POST", "/v1/users", tok, map[string]any{"name": "Agent Smith", "email": "agent@acme.test", "subscription": sub}); st != 201 {
		t.Fatalf("user: %d %v", st, body)
	}

	do(t, ctx, chromedp.EmulateViewport(390, 844))
	pages := []struct {
		path string
		want []string // selectors of what must be reachable
	}{
		{"/subscriptions", []string{
			"[data-testid=renew-change-" + sub + "]",
			"[data-testid=sub-" + sub + "] [data-testid=status]",
			"[data-testid=sub-" + sub + "] [data-testid=auto-renew]",
		}},
		{"/marketplace/plans", []string{"[data-testid=renew-" + sub + "]", "[data-testid=more-sub-" + sub + "]"}},
		{"/marketplace/billing", []string{"[data-testid=tx-amount]", `[data-testid=tx-row] a[href^="/invoices/"]`}},
		{"/", []string{"[data-testid=payment-amount]"}},
		{"/users", []string{"[data-testid^=delete-]"}},
	}
	for _, p := range pages {
		e.Open(t, ctx, p.path)
		for _, sel := range p.want {
			got, err := chromedp.Run(ctx, chromedp.Evaluate[string](phoneReachScript+"("+jsString(sel)+")"))
			if err != nil {
				t.Fatalf("%s: %v", p.path, err)
			}
			if got != "" {
				t.Errorf("%s on a phone:\n  %s", p.path, strings.ReplaceAll(got, "\n", "\n  "))
			}
		}
		if w, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 391 {
			t.Errorf("%s scrolls sideways on a phone: %d px wide", p.path, w)
		}
		phoneShot(t, ctx, p.path)
	}
	// An invoice's document: its eight columns scroll within their box,
	// the page does not.
	e.Open(t, ctx, "/marketplace/billing")
	inv, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid=tx-row] a[href^="/invoices/"]').getAttribute("href")`))
	if err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	e.Open(t, ctx, inv)
	if w, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 391 {
		t.Errorf("the invoice %s scrolls sideways on a phone: %d px wide", inv, w)
	}
	if got := text(t, ctx, ".totals"); !strings.Contains(got, "Total") {
		t.Errorf("the invoice's totals: %q", got)
	}
}

// jsString quotes s for a script.
func jsString(s string) string {
	return fmt.Sprintf("%q", s)
}

// phoneShot saves a full-page screenshot of the page when
// DIALTONE_PHONE_SHOTS names a directory.
func phoneShot(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	dir := os.Getenv("DIALTONE_PHONE_SHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot of %s: %v", path, err)
	}
	name := "phone" + strings.ReplaceAll(strings.TrimSuffix(path, "/"), "/", "-") + ".png"
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
