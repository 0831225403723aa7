package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// focusScript says what is wrong with the focus: nothing focused, or a
// focused element the keyboard reached without a visible focus ring
// (an outline or a box shadow).
const focusScript = `(() => {
  const e = document.activeElement;
  if (!e || e === document.body) return "nothing is focused";
  const cs = getComputedStyle(e);
  const ring = (cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) >= 1) || (cs.boxShadow && cs.boxShadow !== "none");
  return ring ? "" : "no visible focus on " + e.tagName.toLowerCase() + " " + (e.id || e.textContent.trim().slice(0, 40));
})()`

// keyboard drives a tab with key events only.
type keyboard struct {
	t   *testing.T
	ctx context.Context
}

// press sends keys ("\t" Tab, "\r" Enter, " " Space, or text).
func (k keyboard) press(keys string) {
	k.t.Helper()
	do(k.t, k.ctx, chromedp.KeyEvent(keys))
}

// is evaluates a JavaScript condition on the page.
func (k keyboard) is(cond string) bool {
	k.t.Helper()
	ok, err := chromedp.Run(k.ctx, chromedp.Evaluate[bool](cond))
	if err != nil {
		k.t.Fatalf("%s: %v", cond, err)
	}
	return ok
}

// tabTo presses Tab until the focused element matches the CSS selector,
// and checks that its focus can be seen.
func (k keyboard) tabTo(css string) {
	k.t.Helper()
	cond := `document.activeElement !== null && document.activeElement.matches(` + jsString(css) + `)`
	for i := 0; i < 120; i++ {
		k.press("\t")
		if k.is(cond) {
			k.focusVisible(css)
			return
		}
	}
	got, _ := chromedp.Run(k.ctx, chromedp.Evaluate[string](`document.activeElement.outerHTML.slice(0, 120)`))
	k.t.Fatalf("Tab never reached %s (at %s)", css, got)
}

func (k keyboard) focusVisible(where string) {
	k.t.Helper()
	got, err := chromedp.Run(k.ctx, chromedp.Evaluate[string](focusScript))
	if err != nil {
		k.t.Fatal(err)
	}
	if got != "" {
		k.t.Errorf("%s: %s", where, got)
	}
}

// waitFor waits for an element after a key started a navigation.
func (k keyboard) waitFor(css string) {
	k.t.Helper()
	do(k.t, k.ctx, chromedp.WaitVisible(chromedp.CSS(css)))
}

// TestBrowserBackOfficeKeyboard is support's main task with the keyboard
// alone — no click: log in (Tab to the fields, Enter), open Customers
// from the menu, search for the customer, open it, open its order, tick
// an item with Space, give a reason and refund it with Enter. Every
// element the keyboard lands on shows its focus, and every page passes the
// portal's accessibility checks (labels, headings, WCAG AA contrast), on
// a phone too.
func TestBrowserBackOfficeKeyboard(t *testing.T) {
	t.Parallel()
	e := newBrowserEnv(t)
	password := e.Operator(t, "keys@op.test", "support")
	st, body := e.API(t, "POST", "/v1/signup", "", map[string]any{"email": "tasten@acme.test", "password": browserPassword,
		"company": "Tastatur AG", "country": "DE", "currency": "EUR"})
	if st != 201 {
		t.Fatalf("signup: %d %v", st, body)
	}
	cus := body["customer"].(map[string]any)["id"].(string)
	tok := e.Token(t, "tasten@acme.test")
	e.API(t, "POST", "/v1/admin/customers/"+cus+"/balance_adjustments", e.Admin, map[string]any{"amount": 100000, "reason": "starting credit"})
	_, adr := e.API(t, "POST", "/v1/billing_addresses", tok, map[string]any{"name": "Tastatur", "line1": "Unter den Linden 1", "city": "Berlin", "postal_code": "10117", "country": "DE"})
	st, order := e.API(t, "POST", "/v1/orders", tok, map[string]any{"items": []any{
		map[string]any{"type": "subscription", "plan": "business", "quantity": 2, "term_months": 1},
		map[string]any{"type": "phone_number", "country": "DE", "area": "Berlin"},
	}, "billing_address": adr["id"], "payment": map[string]any{"method": "balance"}})
	if st != 201 {
		t.Fatalf("order: %d %v", st, order)
	}
	orderID := order["id"].(string)

	for _, size := range []struct {
		name string
		w, h int64
	}{{"desktop", 1280, 900}, {"phone", 390, 844}} {
		ctx := e.Tab(t)
		k := keyboard{t, ctx}
		do(t, ctx, chromedp.EmulateViewport(size.w, size.h))
		e.Open(t, ctx, "/admin/login")
		k.press("\t")
		if !k.is(`document.activeElement.id === "skip"`) {
			t.Errorf("%s: the first Tab does not focus the skip link", size.name)
		}
		k.focusVisible("skip link")
		k.tabTo("#email")
		k.press("keys@op.test")
		k.tabTo("#password")
		k.press(password + "\r")
		k.waitFor("[data-testid=role]")
		e.a11y(t, ctx, "/admin/ ("+size.name+")")

		k.tabTo(`nav a[href="/admin/customers"]`)
		k.press("\r")
		k.waitFor("#q")
		e.a11y(t, ctx, "/admin/customers ("+size.name+")")
		k.tabTo("#q")
		k.press("tastatur\r")
		k.waitFor(`[data-testid=customer-row][data-id="` + cus + `"]`)
		k.tabTo(`[data-testid=customer-row][data-id="` + cus + `"] a`)
		k.press("\r")
		k.waitFor("[data-testid=balance]")
		e.a11y(t, ctx, "/admin/customers/{id} ("+size.name+")")

		if size.name == "desktop" {
			k.tabTo(`a[href="/admin/orders/` + orderID + `"]`)
			k.press("\r")
			k.waitFor("#reason")
			e.a11y(t, ctx, "/admin/orders/{id} ("+size.name+")")
			k.tabTo("#item-2")
			k.press(" ")
			if !k.is(`document.getElementById("item-2").checked`) {
				t.Fatal("Space did not tick item 2")
			}
			k.tabTo("#reason")
			k.press("Keyboard refund")
			k.tabTo("#revoke")
			k.press(" ")
			k.tabTo(`form[action$="/refunds"] button[type=submit]`)
			k.press("\r")
			k.waitFor("[data-testid=credit-note-link]")
			if got := text(t, ctx, "[data-testid=flash]"); !strings.Contains(got, "Refunded") || !strings.Contains(got, "ended what the items bought") {
				t.Errorf("flash: %q", got)
			}
			e.a11y(t, ctx, "/admin/orders/{id} refunded ("+size.name+")")
			e.Shot(t, ctx, "admin-order-keyboard")
			_, o := e.API(t, "GET", "/v1/orders/"+orderID, tok, nil)
			if o["status"] != "partially_refunded" || o["refunded"].(float64) <= 0 {
				t.Errorf("order after the keyboard's refund: %v %v", o["status"], o["refunded"])
			}
			continue
		}
		// On the phone: the order page, reached with the keyboard too.
		k.tabTo(`a[href="/admin/orders/` + orderID + `"]`)
		k.press("\r")
		k.waitFor("[data-testid=refunded]")
		e.a11y(t, ctx, "/admin/orders/{id} ("+size.name+")")
	}
}

// TestBrowserBackOfficePagesA11y opens every page of the back office as an
// admin, with data on each, on a desktop and on a phone, and checks the
// portal's accessibility basics and that no page shows an error; the
// screenshots of the back office for the docs are taken here.
func TestBrowserBackOfficePagesA11y(t *testing.T) {
	t.Parallel()
	e := newAdminBrowserEnv(t)
	st, body := e.API(t, "POST", "/v1/signup", "", map[string]any{"email": "alle@acme.test", "password": browserPassword,
		"company": "Alle Seiten GmbH", "country": "DE", "currency": "EUR"})
	if st != 201 {
		t.Fatalf("signup: %d %v", st, body)
	}
	cus := body["customer"].(map[string]any)["id"].(string)
	tok := e.Token(t, "alle@acme.test")
	e.API(t, "POST", "/v1/admin/customers/"+cus+"/balance_adjustments", e.Admin, map[string]any{"amount": 100000, "reason": "starting credit"})
	_, adr := e.API(t, "POST", "/v1/billing_addresses", tok, map[string]any{"name": "Alle", "line1": "Unter den Linden 1", "city": "Berlin", "postal_code": "10117", "country": "DE"})
	st, order := e.API(t, "POST", "/v1/orders", tok, map[string]any{"items": []any{
		map[string]any{"type": "subscription", "plan": "business", "quantity": 2, "term_months": 1},
		map[string]any{"type": "phone_number", "country": "DE", "area": "Berlin"},
	}, "billing_address": adr["id"], "payment": map[string]any{"method": "balance"}})
	if st != 201 {
		t.Fatalf("order: %d %v", st, order)
	}
	orderID, inv := order["id"].(string), order["invoice"].(string)
	if st, b := e.API(t, "POST", "/v1/admin/promo_codes", e.Admin, map[string]any{"code": "ALLE10", "percent_off": "10"}); st != 201 {
		t.Fatalf("promo: %d %v", st, b)
	}
	st, hook := e.API(t, "POST", "/v1/admin/webhook_endpoints", e.Admin, map[string]any{"url": "https://example.com/hooks", "events": []string{"order.paid"}})
	if st != 201 {
		t.Fatalf("webhook: %d %v", st, hook)
	}
	ctx := e.Tab(t)
	e.Open(t, ctx, "/admin/login")
	do(t, ctx, chromedp.SetValue(chromedp.CSS("#email"), "boss@op.test"), chromedp.SetValue(chromedp.CSS("#password"), operatorPassword),
		chromedp.Click(chromedp.CSS(`form[action="/admin/login"] button`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=role]`)))
	pages := []struct{ path, shot string }{
		{"/admin/", ""}, {"/admin/customers", ""}, {"/admin/customers/" + cus, ""}, {"/admin/orders", "admin-orders"},
		{"/admin/orders/" + orderID, ""}, {"/admin/invoices/" + inv, ""}, {"/admin/subscriptions", "admin-subscriptions"},
		{"/admin/catalog", "admin-catalog"}, {"/admin/catalog/business", ""}, {"/admin/promo-codes", "admin-promo-codes"},
		{"/admin/promo-codes/ALLE10", ""}, {"/admin/numbers", "admin-numbers"}, {"/admin/numbers?status=sold", ""},
		{"/admin/tax-rates", "admin-tax-rates"}, {"/admin/webhooks", "admin-webhooks"}, {"/admin/webhooks/" + hook["id"].(string), ""},
		{"/admin/clock", "admin-clock"}, {"/admin/audit", ""}, {"/admin/operators", "admin-operators"},
	}
	for _, size := range []struct {
		name string
		w, h int64
	}{{"desktop", 1280, 900}, {"phone", 390, 844}} {
		do(t, ctx, chromedp.EmulateViewport(size.w, size.h))
		for _, p := range pages {
			if size.name == "phone" && strings.HasPrefix(p.path, "/admin/invoices/") {
				continue // the invoice document itself (internal/invoicedoc), an A4 page as its PDF, not a page of the back office
			}
			e.Open(t, ctx, p.path)
			if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("[data-testid=error-text]").length`)); n > 0 {
				t.Errorf("%s (%s): the page shows an error: %s", p.path, size.name, text(t, ctx, "main"))
				continue
			}
			if loc := e.location(t, ctx); strings.HasPrefix(loc, "/admin/login") {
				t.Fatalf("%s: logged out", p.path)
			}
			e.a11y(t, ctx, p.path+" ("+size.name+")")
			if p.shot != "" && size.name == "desktop" {
				e.Shot(t, ctx, p.shot)
			}
		}
		if size.name == "phone" {
			e.Open(t, ctx, "/admin/customers/"+cus)
			e.Shot(t, ctx, "admin-customer-phone")
		}
	}
}
