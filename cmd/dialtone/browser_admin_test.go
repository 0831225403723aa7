package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// Operator creates an operator of role with `dialtone operator create`
// against the running server's database and returns its password.
func (e *browserEnv) Operator(t *testing.T, email, role string) string {
	t.Helper()
	var out bytes.Buffer
	getenv := func(k string) string { return map[string]string{"DIALTONE_ARGON2_MEMORY": "1024"}[k] }
	if err := run(context.Background(), []string{"operator", "create", "--db", e.DB, "--email", email, "--role", role}, getenv, &out, &out); err != nil {
		t.Fatalf("operator create: %v\n%s", err, out.String())
	}
	m := regexp.MustCompile(`Password \(shown once\): (\S+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("operator create printed no password:\n%s", out.String())
	}
	return m[1]
}

// TestBrowserBackOffice is support's everyday task in a real browser: log
// in at /admin, find a customer by company, credit its balance with a
// reason, open its order and refund one item ending what it bought (a
// phone number), then the credit note; the API and the audit log agree.
// Every page passes the accessibility checks, on a phone too.
func TestBrowserBackOffice(t *testing.T) {
	t.Parallel()
	e := newBrowserEnv(t)
	password := e.Operator(t, "help@op.test", "support")

	// A customer who bought a plan and a number from its balance.
	st, body := e.API(t, "POST", "/v1/signup", "", map[string]any{"email": "kunde@acme.test", "password": browserPassword,
		"company": "Kunde Telefonie GmbH", "country": "DE", "currency": "EUR"})
	if st != 201 {
		t.Fatalf("signup: %d %v", st, body)
	}
	cus := body["customer"].(map[string]any)["id"].(string)
	tok := e.Token(t, "kunde@acme.test")
	e.API(t, "POST", "/v1/admin/customers/"+cus+"/balance_adjustments", e.Admin, map[string]any{"amount": 100000, "reason": "starting credit"})
	_, adr := e.API(t, "POST", "/v1/billing_addresses", tok, map[string]any{"name": "Kunde", "line1": "Unter den Linden 1", "city": "Berlin", "postal_code": "10117", "country": "DE"})
	st, order := e.API(t, "POST", "/v1/orders", tok, map[string]any{"items": []any{
		map[string]any{"type": "subscription", "plan": "business", "quantity": 2, "term_months": 1},
		map[string]any{"type": "phone_number", "country": "DE", "area": "Berlin"},
	}, "billing_address": adr["id"], "payment": map[string]any{"method": "balance"}})
	if st != 201 {
		t.Fatalf("order: %d %v", st, order)
	}
	orderID := order["id"].(string)
	number := order["items"].([]any)[1].(map[string]any)["number"]

	ctx := e.Tab(t)
	e.Open(t, ctx, "/admin/customers")
	if loc := e.location(t, ctx); !strings.HasPrefix(loc, "/admin/login") {
		t.Fatalf("a visitor of /admin/customers is at %s, want the log-in page", loc)
	}
	e.a11y(t, ctx, "/admin/login")
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS("#email"), "help@op.test"),
		chromedp.SetValue(chromedp.CSS("#password"), "wrong password"),
		chromedp.Click(chromedp.CSS(`form[action="/admin/login"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=form-error]`)))
	e.a11y(t, ctx, "/admin/login (refused)")
	e.Shot(t, ctx, "admin-login")
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS("#email"), "help@op.test"),
		chromedp.SetValue(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS(`form[action="/admin/login"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`input#q`))) // back where it wanted to go
	if got := text(t, ctx, "[data-testid=role]"); got != "support" {
		t.Errorf("role shown: %q", got)
	}

	// Find the customer by part of its company's name.
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS("#q"), "kunde tele"),
		chromedp.Click(chromedp.CSS(`form[action="/admin/customers"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=customer-row][data-id="`+cus+`"]`)))
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("[data-testid=customer-row]").length`)); n != 1 {
		t.Errorf("%d customers found, want 1", n)
	}
	e.a11y(t, ctx, "/admin/customers?q=")
	e.Shot(t, ctx, "admin-customers")
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=customer-row] a`)), chromedp.WaitVisible(chromedp.CSS(`#amount`)))
	if got := text(t, ctx, "[data-testid=balance]"); !strings.Contains(got, "900") {
		t.Errorf("balance shown: %q", got)
	}

	// Credit 25.00 with a reason.
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS("#amount"), "25.00"),
		chromedp.SetValue(chromedp.CSS("#reason"), "Outage on 9 Feb"),
		chromedp.Click(chromedp.CSS(`form[action$="/balance-adjustments"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)))
	if got := text(t, ctx, "[data-testid=flash]"); !strings.Contains(got, "credited") || !strings.Contains(got, "25.00") {
		t.Errorf("flash: %q", got)
	}
	e.a11y(t, ctx, "/admin/customers/{id}")
	e.Shot(t, ctx, "admin-customer")
	_, acct := e.API(t, "GET", "/v1/account", tok, nil)
	balance := int64(acct["balance"].(float64))

	// The order: refund the number, ending it.
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=order-row] a[href="/admin/orders/`+orderID+`"]`)), chromedp.WaitVisible(chromedp.CSS(`#reason`)))
	e.a11y(t, ctx, "/admin/orders/{id}")
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`#item-2`)),
		chromedp.SetValue(chromedp.CSS("#reason"), "Wrong city"),
		chromedp.Click(chromedp.CSS(`#revoke`)),
		chromedp.Click(chromedp.CSS(`form[action$="/refunds"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=credit-note-link]`)))
	if got := text(t, ctx, "[data-testid=flash]"); !strings.Contains(got, "Refunded") || !strings.Contains(got, "ended what the items bought") {
		t.Errorf("flash: %q", got)
	}
	e.a11y(t, ctx, "/admin/orders/{id} (refunded)")
	e.Shot(t, ctx, "admin-order")

	_, o := e.API(t, "GET", "/v1/orders/"+orderID, tok, nil)
	refunded := int64(o["refunded"].(float64))
	if refunded <= 0 || o["status"] != "partially_refunded" {
		t.Errorf("order after the refund: %v %v", o["status"], o["refunded"])
	}
	_, acct = e.API(t, "GET", "/v1/account", tok, nil)
	if got := int64(acct["balance"].(float64)); got != balance+refunded {
		t.Errorf("balance %d after the refund, want %d + %d", got, balance, refunded)
	}
	_, nums := e.API(t, "GET", "/v1/numbers", tok, nil)
	for _, n := range nums["data"].([]any) {
		if n.(map[string]any)["number"] == number {
			t.Errorf("number %v still the customer's after a refund with revoke", number)
		}
	}
	_, log := e.API(t, "GET", "/v1/admin/audit_log?actor=help@op.test", e.Admin, nil)
	var actions []string
	for _, x := range log["data"].([]any) {
		actions = append(actions, x.(map[string]any)["action"].(string))
	}
	if strings.Join(actions, ",") != "order.refund,customer.balance_adjustment" {
		t.Errorf("audit log of help@op.test: %v", actions)
	}

	// The credit note, then the audit log and the other pages on a phone.
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=credit-note-link]`)), chromedp.WaitReady(chromedp.CSS("body")))
	if body := text(t, ctx, "body"); !strings.Contains(body, "Credit note") {
		t.Errorf("credit note page: %.300s", body)
	}
	for _, size := range []struct {
		name string
		w, h int64
	}{{"desktop", 1280, 900}, {"phone", 390, 844}} {
		do(t, ctx, chromedp.EmulateViewport(size.w, size.h))
		for _, p := range []string{"/admin/", "/admin/customers", "/admin/customers/" + cus, "/admin/orders", "/admin/orders?customer=" + cus,
			"/admin/orders/" + orderID, "/admin/subscriptions", "/admin/audit"} {
			e.Open(t, ctx, p)
			e.a11y(t, ctx, p+" ("+size.name+")")
		}
	}
	e.Open(t, ctx, "/admin/audit")
	e.Shot(t, ctx, "admin-audit")

	// An admin's operators page.
	adminPassword := e.Operator(t, "boss@op.test", "admin")
	admin := e.Tab(t)
	e.Open(t, admin, "/admin/login")
	do(t, admin,
		chromedp.SetValue(chromedp.CSS("#email"), "boss@op.test"),
		chromedp.SetValue(chromedp.CSS("#password"), adminPassword),
		chromedp.Click(chromedp.CSS(`form[action="/admin/login"] button`)),
		// The log-in page has a main h1 too: wait for the page it leads to.
		until(`location.pathname !== "/admin/login" && document.readyState === "complete"`))
	e.Open(t, admin, "/admin/operators")
	e.a11y(t, admin, "/admin/operators")
	e.Shot(t, admin, "admin-operators")
}
