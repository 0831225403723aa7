package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// a11yScript lists what a page gets wrong of the basics: a language, one
// h1, headings that do not skip a level, a label for every control, a name
// for every link and button, no positive tabindex, no sideways scrolling,
// and text whose contrast with what lies behind it is below WCAG AA (4.5:1,
// 3:1 for large text). The background behind a text is its ancestors'
// colours laid over each other, white at the bottom; a text over a
// background image is reported, as its contrast cannot be computed.
const a11yScript = `(() => {
  const out = [];
  const rgba = (c) => {
    let m = c.match(/^rgba?\(([^)]*)\)$/);
    if (m) { const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; }
    m = c.match(/^color\(srgb ([^)]*)\)$/);
    if (m) { const p = m[1].split(/[\s\/]+/).filter(Boolean).map(Number); return [p[0] * 255, p[1] * 255, p[2] * 255, p.length > 3 ? p[3] : 1]; }
    return null;
  };
  const over = (top, bottom) => { const a = top[3]; return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)).concat(1); };
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const behind = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const cs = getComputedStyle(e);
      if (cs.backgroundImage !== "none") return null;
      const c = rgba(cs.backgroundColor);
      if (c === null) return undefined;
      if (c[3] > 0) layers.push(c);
      if (c[3] === 1) break;
    }
    let bg = [255, 255, 255, 1];
    for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
    return bg;
  };
  for (const el of document.querySelectorAll("body *")) {
    if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
    if (el.closest("[hidden], .visually-hidden, .skip, option, script, style") || el.disabled) continue;
    const r = el.getBoundingClientRect();
    const cs = getComputedStyle(el);
    if (r.width === 0 || r.height === 0 || cs.visibility !== "visible") continue;
    const fg = rgba(cs.color), bg = behind(el);
    const what = el.tagName.toLowerCase() + " \"" + el.textContent.trim().slice(0, 40) + "\"";
    if (bg === null) { out.push("text over a background image: " + what); continue; }
    if (fg === null || bg === undefined) { out.push("colour not understood (" + cs.color + " on " + cs.backgroundColor + "): " + what); continue; }
    const l1 = lum(over(fg, bg)), l2 = lum(bg);
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    const size = parseFloat(cs.fontSize), bold = +cs.fontWeight >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < need) out.push("contrast " + ratio.toFixed(2) + " < " + need + " (" + cs.color + " on " + bg.slice(0, 3).map(Math.round).join(",") + "): " + what);
  }
  if (!document.documentElement.lang) out.push("html without lang");
  const h1 = document.querySelectorAll("h1").length;
  if (h1 !== 1) out.push(h1 + " h1 elements");
  let last = 0;
  for (const h of document.querySelectorAll("main h1, main h2, main h3, main h4")) {
    const n = +h.tagName[1];
    if (last && n > last + 1) out.push("heading " + h.tagName + " after h" + last + ": " + h.textContent.trim());
    last = n;
  }
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (el.type === "hidden") continue;
    const named = el.labels && el.labels.length > 0 || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby") || el.title;
    if (!named) out.push("control without a label: " + (el.name || el.id || el.outerHTML.slice(0, 60)));
  }
  for (const el of document.querySelectorAll("a, button, [role=button]")) {
    if (!(el.textContent.trim() || el.getAttribute("aria-label") || el.title)) out.push("unnamed " + el.tagName + ": " + el.outerHTML.slice(0, 60));
  }
  for (const el of document.querySelectorAll("[tabindex]")) {
    if (+el.getAttribute("tabindex") > 0) out.push("positive tabindex: " + el.outerHTML.slice(0, 60));
  }
  if (document.documentElement.scrollWidth > window.innerWidth + 1) out.push("scrolls sideways: " + document.documentElement.scrollWidth + " > " + window.innerWidth);
  return out.join("\n");
})()`

// TestBrowserPagesA11y opens every page of the portal for an account that
// has bought something, on a desktop and on a phone-sized screen, and
// checks the accessibility basics and that no page shows an error.
func TestBrowserPagesA11y(t *testing.T) {
	t.Parallel()
	e := newBrowserEnv(t)
	ctx := e.Tab(t)
	e.Open(t, ctx, "/login")
	e.a11y(t, ctx, "/login")
	// Errors are read too: a failed log-in (the error at the top) and a
	// sign-up with fields missing (the errors next to them).
	do(t, ctx, chromedp.SetValue(chromedp.CSS("#email"), "nobody@acme.test"), chromedp.SetValue(chromedp.CSS("#password"), "wrong password"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=form-error]`)))
	e.a11y(t, ctx, "/login (refused)")
	e.Open(t, ctx, "/signup")
	e.a11y(t, ctx, "/signup")
	do(t, ctx, chromedp.Click(chromedp.CSS(`form[action="/signup"] button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`.field-error`)))
	e.a11y(t, ctx, "/signup (fields missing)")
	e.Signup(t, ctx, "a11y@acme.test", "EUR")
	tok := e.Token(t, "a11y@acme.test")
	_, acct := e.API(t, "GET", "/v1/account", tok, nil)
	e.API(t, "POST", "/v1/admin/customers/"+acct["id"].(string)+"/balance_adjustments", e.Admin, map[string]any{"amount": 100000, "reason": "credit"})
	_, adr := e.API(t, "POST", "/v1/billing_addresses", tok, map[string]any{"name": "Acme", "line1": "Unter den Linden 1", "city": "Berlin", "postal_code": "10117", "country": "DE"})
	st, body := e.API(t, "POST", "/v1/orders", tok, map[string]any{"items": []any{
		map[string]any{"type": "subscription", "plan": "business", "quantity": 2, "term_months": 1},
		map[string]any{"type": "phone_number", "country": "DE", "area": "Berlin"},
	}, "billing_address": adr["id"], "payment": map[string]any{"method": "balance"}})
	if st != 201 {
		t.Fatalf("order: %d %v", st, body)
	}
	sub := body["items"].([]any)[0].(map[string]any)["subscription"].(string)
	inv := body["invoice"].(string)
	pages := []string{"/", "/marketplace/plans", "/marketplace/plans/business/buy", "/marketplace/subscriptions/" + sub + "/upgrade",
		"/marketplace/subscriptions/" + sub + "/licenses", "/checkout?type=renewal&subscription=" + sub,
		"/marketplace/numbers", "/marketplace/numbers?country=US", "/marketplace/billing", "/marketplace/billing/refill",
		"/subscriptions", "/subscriptions/" + sub, "/buy", "/cart", "/users", "/sip", "/notifications", "/invoices", "/invoices/" + inv,
		"/payment-methods", "/addresses", "/settings", "/orders/" + body["id"].(string)}
	for _, size := range []struct {
		name string
		w, h int64
	}{{"desktop", 1280, 900}, {"phone", 390, 844}} {
		do(t, ctx, chromedp.EmulateViewport(size.w, size.h))
		for _, p := range pages {
			e.Open(t, ctx, p)
			if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("[data-testid=page-error]").length`)); n > 0 {
				t.Errorf("%s (%s): the page shows an error: %s", p, size.name, text(t, ctx, "main"))
				continue
			}
			e.a11y(t, ctx, p+" ("+size.name+")")
		}
	}
}

// a11y checks the accessibility basics of the current page.
func (e *browserEnv) a11y(t *testing.T, ctx context.Context, where string) {
	t.Helper()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](a11yScript))
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	if got != "" {
		t.Errorf("%s:\n%s", where, strings.ReplaceAll(got, "\n", "\n  "))
	}
}

// TestBrowserKeyboard logs in and opens a menu entry with the keyboard
// alone: Tab moves through the skip link to the fields in order, Enter
// submits, and the focus is visible where it lands.
func TestBrowserKeyboard(t *testing.T) {
	t.Parallel()
	e := newBrowserEnv(t)
	ctx := e.Tab(t)
	e.Signup(t, ctx, "keys@acme.test", "CHF")
	do(t, ctx, chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.CSS(`form[action="/login"]`)))
	focused := func() string {
		t.Helper()
		id, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.id || document.activeElement.className || document.activeElement.tagName`))
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	do(t, ctx, chromedp.KeyEvent("\t"))
	if got := focused(); got != "skip" {
		t.Errorf("first Tab focuses %q, want the skip link", got)
	}
	for i := 0; i < 5 && focused() != "email"; i++ {
		do(t, ctx, chromedp.KeyEvent("\t"))
	}
	if got := focused(); got != "email" {
		t.Fatalf("Tab never reached the e-mail field (at %q)", got)
	}
	do(t, ctx, chromedp.KeyEvent("keys@acme.test"), chromedp.KeyEvent("\t"))
	if got := focused(); got != "password" {
		t.Fatalf("Tab after the e-mail focuses %q, want the password", got)
	}
	do(t, ctx, chromedp.KeyEvent(browserPassword), chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=home-balance]`)))
	if got := e.location(t, ctx); got != "/" {
		t.Errorf("after Enter: %s, want Home", got)
	}
}
