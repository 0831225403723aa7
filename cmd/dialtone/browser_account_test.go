package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// Browser tests of Main settings: Users, SIP manager, Invoices, Payment
// methods and Billing addresses.

// accountWithPlan signs up in the tab, credits the balance, saves a Swiss
// billing address and buys Business with licenses licenses through the
// API. It returns the API token and the order.
func (e *browserEnv) accountWithPlan(t *testing.T, ctx context.Context, email string, licenses int) (string, map[string]any) {
	t.Helper()
	e.Signup(t, ctx, email, "CHF")
	tok := e.Token(t, email)
	_, acct := e.API(t, "GET", "/v1/account", tok, nil)
	if st, body := e.API(t, "POST", "/v1/admin/customers/"+acct["id"].(string)+"/balance_adjustments", e.Admin, map[string]any{"amount": 500000, "reason": "Welcome credit"}); st != 201 {
		t.Fatalf("credit: %d %v", st, body)
	}
	_, adr := e.API(t, "POST", "/v1/billing_addresses", tok, map[string]any{"name": "Acme AG", "line1": "Bahnhofstrasse 1", "city": "Zürich", "postal_code": "8001", "country": "CH"})
	st, order := e.API(t, "POST", "/v1/orders", tok, map[string]any{"items": []any{map[string]any{"type": "subscription", "plan": "business", "quantity": licenses, "term_months": 12}},
		"billing_address": adr["id"], "payment": map[string]any{"method": "balance"}})
	if st != 201 {
		t.Fatalf("order: %d %v", st, order)
	}
	return tok, order
}

// createUser fills in and sends the Users page's form.
func createUser(name, email string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.SetValue(chromedp.CSS("#name"), name),
		chromedp.SetValue(chromedp.CSS("#email"), email),
		chromedp.Click(chromedp.CSS("[data-testid=create-user]")),
	}
}

// selected returns the text of a select's chosen option.
func selected(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("`+css+`").selectedOptions[0].text`))
	if err != nil {
		t.Fatalf("%s: %v", css, err)
	}
	return s
}

// TestBrowserUsers: after buying 2 Business licenses the admin creates a
// user for each from Main settings -> Users; a third is refused next to
// the subscription with a link to buy more licenses; one is deleted after
// a confirmation; then the API.
func TestBrowserUsers(t *testing.T) {
	t.Parallel()
	e := newBrowserEnv(t)
	ctx := e.Tab(t)
	tok, order := e.accountWithPlan(t, ctx, "users@acme.test", 2)
	sub := order["items"].([]any)[0].(map[string]any)["subscription"].(string)

	e.Open(t, ctx, "/users")
	if got := selected(t, ctx, "#subscription"); !strings.Contains(got, "0 of 2 licenses used") {
		t.Errorf("subscription choice %q", got)
	}
	do(t, ctx, append(createUser("Ann Example", "ann@acme.test"), until(`document.querySelectorAll("[data-testid=user-row]").length === 2`), loaded())...)
	do(t, ctx, append(createUser("Bob Example", "bob@acme.test"), until(`document.querySelectorAll("[data-testid=user-row]").length === 3`), loaded())...)
	if got := text(t, ctx, "[data-testid=flash]"); !strings.Contains(got, "Bob Example was created with extension") {
		t.Errorf("flash %q", got)
	}
	if got := selected(t, ctx, "#subscription"); !strings.Contains(got, "2 of 2 licenses used") {
		t.Errorf("subscription choice after two users %q", got)
	}
	do(t, ctx, append(createUser("Cy Example", "cy@acme.test"), chromedp.WaitVisible(chromedp.CSS("#subscription-error")), loaded())...)
	if got := text(t, ctx, "#subscription-error"); !strings.Contains(got, "All 2 licenses of Business are in use.") || !strings.Contains(got, "Buy more licenses") {
		t.Errorf("past the licenses: %q", got)
	}
	if got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("[data-testid=buy-licenses]").getAttribute("href")`)); got != "/marketplace/subscriptions/"+sub+"/licenses" {
		t.Errorf("buy more licenses links to %q", got)
	}
	if got, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#name"))); got != "Cy Example" {
		t.Errorf("the name field after the refusal holds %q", got)
	}
	e.Shot(t, ctx, "users")

	_, users := e.API(t, "GET", "/v1/users", tok, nil)
	list := users["data"].([]any)
	if len(list) != 3 {
		t.Fatalf("API users: %d, want the owner, Ann and Bob", len(list))
	}
	ann := list[1].(map[string]any)
	rowText := text(t, ctx, `[data-user="`+ann["id"].(string)+`"]`)
	for _, want := range []string{"Ann Example", "ann@acme.test", ann["extension"].(string), "Cloud Contact Center Business", "Active"} {
		if !strings.Contains(rowText, want) {
			t.Errorf("Ann's row %q: want %q", rowText, want)
		}
	}

	// Delete Ann: a confirmation first.
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid="delete-`+ann["id"].(string)+`"]`)), chromedp.WaitVisible(chromedp.CSS("[data-testid=confirm-delete]")), loaded())
	do(t, ctx, chromedp.Click(chromedp.CSS("[data-testid=confirm-delete]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=user-form]")), loaded())
	if got := text(t, ctx, "[data-testid=flash]"); !strings.Contains(got, "Ann Example was deleted") {
		t.Errorf("flash after deleting %q", got)
	}
	_, users = e.API(t, "GET", "/v1/users", tok, nil)
	if n := len(users["data"].([]any)); n != 2 {
		t.Errorf("API users after the deletion: %d, want 2", n)
	}
	_, s := e.API(t, "GET", "/v1/subscriptions/"+sub, tok, nil)
	if s["users"] != float64(1) {
		t.Errorf("the subscription's users: %v, want 1", s["users"])
	}
}

// TestBrowserSIP: Main settings -> SIP manager lists the account's SIP
// trunk as the API does; its page reveals the password once.
func TestBrowserSIP(t *testing.T) {
	t.Parallel()
	e := newBrowserEnv(t)
	ctx := e.Tab(t)
	e.Signup(t, ctx, "sip@acme.test", "CHF")
	tok := e.Token(t, "sip@acme.test")
	_, accts := e.API(t, "GET", "/v1/sip_accounts", tok, nil)
	trunk := accts["data"].([]any)[0].(map[string]any)

	e.Open(t, ctx, "/")
	do(t, ctx, chromedp.Click(chromedp.CSS(`nav a[href="/sip"]`)), chromedp.WaitVisible(chromedp.CSS("[data-testid=sip-accounts]")), loaded())
	row := text(t, ctx, "[data-testid=sip-row][data-kind=trunk]")
	for _, want := range []string{"SIP trunk", trunk["username"].(string), trunk["domain"].(string), "No"} {
		if !strings.Contains(row, want) {
			t.Errorf("trunk row %q: want %q", row, want)
		}
	}
	e.Shot(t, ctx, "sip")

	do(t, ctx, chromedp.Click(chromedp.CSS("[data-testid=sip-open-trunk]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=sip-credentials]")), loaded())
	if vis, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector("[data-testid=cred-password]").checkVisibility()`)); vis {
		t.Errorf("the password shows before Show password")
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("[data-testid=reveal-password] summary")), chromedp.WaitVisible(chromedp.CSS("[data-testid=cred-password]")))
	if got := text(t, ctx, "[data-testid=cred-password]"); len(got) < 12 {
		t.Errorf("password %q, want the generated one", got)
	}
	// Shown once: the API and the page no longer have it, and offer a rotation.
	if _, full := e.API(t, "GET", "/v1/sip_accounts/"+trunk["id"].(string), tok, nil); full["password"] != nil {
		t.Errorf("the API still shows the password %q after the portal showed it", full["password"])
	}
	e.Open(t, ctx, "/sip/"+trunk["id"].(string))
	if got := text(t, ctx, "[data-testid=password-seen]"); !strings.Contains(got, "rotate") {
		t.Errorf("the page shown again says %q, want that the password is not kept", got)
	}
	if got := text(t, ctx, "[data-testid=cred-username]"); got != trunk["username"] {
		t.Errorf("username %q, the API says %q", got, trunk["username"])
	}
}

// TestBrowserCards: Main settings -> Payment methods: a card is added
// (first refused for a wrong number, which the form does not show again),
// a second one too, and made the default; then the API.
func TestBrowserCards(t *testing.T) {
	t.Parallel()
	e := newBrowserEnv(t)
	ctx := e.Tab(t)
	e.Signup(t, ctx, "cards@acme.test", "EUR")
	e.Open(t, ctx, "/payment-methods")
	card := func(number, month, year string) []chromedp.Action[chromedp.Void] {
		return []chromedp.Action[chromedp.Void]{
			chromedp.SetValue(chromedp.CSS("#card_number"), number),
			chromedp.SetValue(chromedp.CSS("#exp_month"), month),
			chromedp.SetValue(chromedp.CSS("#exp_year"), year),
			chromedp.SetValue(chromedp.CSS("#cvc"), "123"),
			chromedp.Click(chromedp.CSS("[data-testid=add-card]")),
		}
	}
	do(t, ctx, append(card("4242 4242 4242 4241", "12", "2030"), chromedp.WaitVisible(chromedp.CSS("#card_number-error")), loaded())...)
	if got, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#card_number"))); got != "" {
		t.Errorf("the card number field after an error holds %q", got)
	}
	do(t, ctx, append(card("4242 4242 4242 4242", "12", "2030"), until(`document.querySelectorAll("[data-testid=card-row]").length === 1`), loaded())...)
	do(t, ctx, append(card("5555 5555 5555 4444", "3", "2031"), until(`document.querySelectorAll("[data-testid=card-row]").length === 2`), loaded())...)
	if got := text(t, ctx, "[data-last4='4242']"); !strings.Contains(got, "Default") {
		t.Errorf("the first card %q: want it the default", got)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("[data-testid=make-default-4444]")), until(`!!document.querySelector("[data-last4='4444'] [data-testid=default-badge]")`), loaded())
	if got := text(t, ctx, "[data-testid=flash]"); got != "Mastercard •••• 4444 is now your default card." {
		t.Errorf("flash %q", got)
	}
	if got := text(t, ctx, "[data-last4='4242']"); strings.Contains(got, "Default") {
		t.Errorf("the first card is still marked default: %q", got)
	}
	e.Shot(t, ctx, "payment-methods")

	tok := e.Token(t, "cards@acme.test")
	_, cards := e.API(t, "GET", "/v1/payment_methods", tok, nil)
	list := cards["data"].([]any)
	if len(list) != 2 {
		t.Fatalf("API cards: %v", cards)
	}
	for _, x := range list {
		c := x.(map[string]any)
		if want := c["last4"] == "4444"; c["default"] != want {
			t.Errorf("API card %v: default %v, want %v", c["last4"], c["default"], want)
		}
		if c["last4"] == "4444" && (c["brand"] != "mastercard" || c["exp_month"] != float64(3) || c["exp_year"] != float64(2031)) {
			t.Errorf("API card %v", c)
		}
	}
}

// TestBrowserAddresses: Main settings -> Billing addresses: a German
// address with a four-digit postal code is refused next to the field,
// corrected and saved; then the API.
func TestBrowserAddresses(t *testing.T) {
	t.Parallel()
	e := newBrowserEnv(t)
	ctx := e.Tab(t)
	e.Signup(t, ctx, "addresses@acme.test", "EUR")
	e.Open(t, ctx, "/addresses")
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS("#name"), "Acme GmbH"),
		chromedp.SetValue(chromedp.CSS("#line1"), "Unter den Linden 1"),
		chromedp.SetValue(chromedp.CSS("#postal_code"), "1011"),
		chromedp.SetValue(chromedp.CSS("#city"), "Berlin"),
		chromedp.SetValue(chromedp.CSS("select#country"), "DE"),
		chromedp.Click(chromedp.CSS("[data-testid=save-address]")),
		chromedp.WaitVisible(chromedp.CSS("#postal_code-error")),
		loaded(),
	)
	if got, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#line1"))); got != "Unter den Linden 1" {
		t.Errorf("street after the error: %q", got)
	}
	if got := text(t, ctx, "#postal_code-error"); got == "" {
		t.Errorf("no words for the postal code")
	}
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS("#postal_code"), "10117"),
		chromedp.Click(chromedp.CSS("[data-testid=save-address]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=address-row]")),
		loaded(),
	)
	if got := text(t, ctx, "[data-testid=address-row]"); !strings.Contains(got, "10117 Berlin") || !strings.Contains(got, "Germany") {
		t.Errorf("address row %q", got)
	}
	tok := e.Token(t, "addresses@acme.test")
	_, adrs := e.API(t, "GET", "/v1/billing_addresses", tok, nil)
	list := adrs["data"].([]any)
	if len(list) != 1 {
		t.Fatalf("API addresses: %v", adrs)
	}
	if a := list[0].(map[string]any); a["postal_code"] != "10117" || a["country"] != "DE" || a["line1"] != "Unter den Linden 1" {
		t.Errorf("API address %v", a)
	}
}

// TestBrowserInvoices: Main settings -> Invoices lists the invoice of a
// purchase; its page shows the lines and totals the API has, with the PDF
// and print links.
func TestBrowserInvoices(t *testing.T) {
	t.Parallel()
	e := newBrowserEnv(t)
	ctx := e.Tab(t)
	tok, order := e.accountWithPlan(t, ctx, "invoices@acme.test", 5)
	_, inv := e.API(t, "GET", "/v1/invoices/"+order["invoice"].(string), tok, nil)

	e.Open(t, ctx, "/invoices")
	if got := text(t, ctx, "[data-testid=invoice-row] [data-testid=invoice-total]"); got != chf(int64(order["total"].(float64))) {
		t.Errorf("the list's total %s, the order's %s", got, chf(int64(order["total"].(float64))))
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("[data-testid=invoice-link]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=invoice-lines]")), loaded())
	if got := text(t, ctx, "[data-testid=invoice-number]"); got != inv["number"] {
		t.Errorf("number %s, the API says %v", got, inv["number"])
	}
	for css, key := range map[string]string{"[data-testid=invoice-subtotal]": "subtotal", "[data-testid=invoice-tax]": "tax", "main [data-testid=invoice-total]": "total"} {
		if got, want := text(t, ctx, css), chf(int64(order[key].(float64))); got != want {
			t.Errorf("%s: %s, want %s", key, got, want)
		}
	}
	if got := text(t, ctx, "[data-testid=invoice-line]"); !strings.Contains(got, "Business — 5 licenses × 12 months") {
		t.Errorf("line %q", got)
	}
	for testid, want := range map[string]string{"invoice-pdf": ".pdf", "invoice-print": ".html"} {
		href, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("[data-testid=`+testid+`]").getAttribute("href")`))
		if href != "/v1/invoices/"+order["invoice"].(string)+want {
			t.Errorf("%s links to %q", testid, href)
		}
	}
	e.Shot(t, ctx, "invoice")
}
