package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dialtone/dialtone/internal/contracttest/openapicheck"
)

// The portal's browser tests drive Debian's chromium, headless, through
// chromedp against a real `dialtone serve` (run() on port 0, a fresh SQLite
// file, sandbox mode, the demo catalog). Without a browser they skip; under
// CI=true they fail instead. DIALTONE_CHROMIUM names the browser (.ci/run
// sets it); DIALTONE_SCREENSHOTS=1 writes docs/screenshots/*.png.

// browserEnv is one server and one browser shared by a test's tabs.
type browserEnv struct {
	URL   string
	Admin string
	SIP   string // the registrar's address (UDP and TCP)
	DB    string // the server's SQLite file
	alloc context.Context
	oa    *openapicheck.Checker // validates the API calls' responses
}

const browserPassword = "correct horse"

// browserStart is the sandbox time every browser test starts at: a February
// day, whose following month ends 28 days later.
const browserStart = "2027-02-10T09:00:00Z"

// chromiumPath finds the browser, or "" when there is none.
func chromiumPath() string {
	if p := os.Getenv("DIALTONE_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browserSlots bounds how many browsers run at once: the machine has two
// cores, and each chromium takes several processes.
var browserSlots = make(chan struct{}, 2)

// newBrowserEnv starts a server and a headless browser for one test.
func newBrowserEnv(t *testing.T, extraEnv ...map[string]string) *browserEnv {
	t.Helper()
	exe := chromiumPath()
	if exe == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no chromium for the browser tests (CI=true): install Debian's chromium or set DIALTONE_CHROMIUM")
		}
		t.Skip("no chromium: the browser tests need Debian's chromium (apt-get install -y chromium) or DIALTONE_CHROMIUM")
	}
	browserSlots <- struct{}{}
	t.Cleanup(func() { <-browserSlots })

	db := filepath.Join(t.TempDir(), "portal.db")
	admin := "adm_browser_test"
	// The sandbox clock starts on a fixed day, so that what the pages say
	// about dates (a month that ends within 30 days, renewals, trials)
	// never depends on the day the tests run.
	env := map[string]string{"DIALTONE_ADMIN_TOKEN": admin, "DIALTONE_ARGON2_MEMORY": "1024", "DIALTONE_SANDBOX_START": browserStart}
	for _, x := range extraEnv {
		for k, v := range x {
			env[k] = v
		}
	}
	base, printed, stop := startServer(t, db, env)
	t.Cleanup(stop)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
	)
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	oa, err := openapicheck.Fetch(http.DefaultClient, base)
	if err != nil {
		t.Fatal(err)
	}
	return &browserEnv{URL: base, Admin: admin, SIP: sipAddr(t, printed.String()), DB: db, alloc: alloc, oa: oa}
}

// Tab opens a new browser (its own cookies) with a 1280x900 window; it is
// closed when the test ends. Every action on it times out after a minute.
func (e *browserEnv) Tab(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(e.alloc)
	t.Cleanup(cancel)
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancelT)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatalf("start the browser: %v", err)
	}
	return ctx
}

// do runs actions and fails the test, with the page's address and text,
// when one fails.
func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
		t.Fatalf("browser: %v\nat %s\n%.1500s", err, loc, body)
	}
}

// text returns the visible text of the first element that matches css.
func text(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("text of %s: %v (at %s)", css, err, loc)
	}
	return strings.TrimSpace(s)
}

// location returns the tab's address without the server's origin.
func (e *browserEnv) location(t *testing.T, ctx context.Context) string {
	t.Helper()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(loc, e.URL)
}

// Open navigates to a path of the portal.
func (e *browserEnv) Open(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	do(t, ctx, chromedp.Navigate(e.URL+path), chromedp.WaitReady(chromedp.CSS("body")))
}

// Signup opens an account through the portal's form; the tab stays logged
// in on Home.
func (e *browserEnv) Signup(t *testing.T, ctx context.Context, email, currency string) {
	t.Helper()
	e.Open(t, ctx, "/signup")
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS("#company"), "Acme AG"),
		chromedp.SetValue(chromedp.CSS("#email"), email),
		chromedp.SetValue(chromedp.CSS("#password"), browserPassword),
		chromedp.SetValue(chromedp.CSS("#country"), "CH"),
		chromedp.SetValue(chromedp.CSS("#currency"), currency),
		chromedp.Click(chromedp.CSS(`form[action="/signup"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=home-balance]`)),
	)
}

var shotMu sync.Mutex

// Shot saves a full-page screenshot as docs/screenshots/<name>.png when
// DIALTONE_SCREENSHOTS=1 (the README and docs show them).
func (e *browserEnv) Shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if os.Getenv("DIALTONE_SCREENSHOTS") != "1" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	shotMu.Lock()
	defer shotMu.Unlock()
	dir := filepath.Join("..", "..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// API calls the JSON API and returns the status and the decoded body.
func (e *browserEnv) API(t *testing.T, method, path, token string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.URL+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	c := &http.Client{Transport: e.oa.Transport(nil, func(err error) { t.Errorf("OpenAPI: %v", err) })}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// Token logs in through the API with the password Signup used.
func (e *browserEnv) Token(t *testing.T, email string) string {
	t.Helper()
	st, body := e.API(t, "POST", "/v1/sessions", "", map[string]any{"email": email, "password": browserPassword})
	if st != 201 {
		t.Fatalf("log in %s: %d %v", email, st, body)
	}
	return body["token"].(string)
}

// TestBrowserBuyPlan is Voiptime's first purchase in a real browser:
// Marketplace -> Plans -> Buy, too few licenses refused next to the field,
// a promo code applied, CHECKOUT, a new address verified, a new card saved,
// the confirmation page and Home; then the API shows the subscription, the
// order's total and the saved card.
func TestBrowserBuyPlan(t *testing.T) {
	t.Parallel()
	e := newBrowserEnv(t)
	ctx := e.Tab(t)
	e.Signup(t, ctx, "voiptime@acme.test", "EUR")
	e.Shot(t, ctx, "home-empty")

	st, _ := e.API(t, "POST", "/v1/admin/promo_codes", e.Admin, map[string]any{"code": "SPRING20", "percent_off": "20"})
	if st != 201 {
		t.Fatalf("create promo: %d", st)
	}

	e.Open(t, ctx, "/marketplace/plans")
	e.Shot(t, ctx, "plans")
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=buy-business]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=buy-form]`)))
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS("#quantity"), "1"),
		chromedp.Click(chromedp.CSS(`[data-testid=checkout]`)),
		chromedp.WaitVisible(chromedp.CSS(`#quantity-error`)),
	)
	if got := text(t, ctx, "#quantity-error"); !strings.Contains(got, "2") {
		t.Errorf("quantity error %q: want the minimum of 2", got)
	}
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS("#quantity"), "5"),
		chromedp.Click(chromedp.CSS(`input[name=term][value="12"]`)),
		// htmx prices the choice as soon as it changes.
		chromedp.WaitVisible(chromedp.CSS(`#buy-quote [data-testid=total]`)),
	)
	if got := text(t, ctx, "#buy-quote [data-testid=total]"); got != "€1,920.00" {
		t.Errorf("live quote %s, want €1,920.00 (5 x €384.00, no address yet so no tax)", got)
	}
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS("#promo"), "spring20"),
		chromedp.Click(chromedp.CSS(`[data-testid=apply-promo]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=discount]`)),
	)
	if got := text(t, ctx, "[data-testid=discount]"); !strings.Contains(got, "€") {
		t.Errorf("discount %q: want euros", got)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=checkout]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=checkout-form]`)))

	// A new address, verified: a wrong postal code first.
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`[data-testid=address-new]`)),
		chromedp.SetValue(chromedp.CSS("#name"), "Acme GmbH"),
		chromedp.SetValue(chromedp.CSS("#line1"), "Unter den Linden 1"),
		chromedp.SetValue(chromedp.CSS("#postal_code"), "1011"),
		chromedp.SetValue(chromedp.CSS("#city"), "Berlin"),
		chromedp.SetValue(chromedp.CSS("#country"), "DE"),
		chromedp.Click(chromedp.CSS(`[data-testid=pay]`)),
		chromedp.WaitVisible(chromedp.CSS(`#postal_code-error`)),
	)
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS("#postal_code"), "10117"),
		chromedp.Click(chromedp.CSS(`[data-testid=pay]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=notice]`)),
	)
	total := text(t, ctx, "[data-testid=total]")
	if got := text(t, ctx, "[data-testid=tax]"); got == "€0.00" {
		t.Errorf("tax %s: want German VAT once the address is known", got)
	}
	e.Shot(t, ctx, "checkout")
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`[data-testid=pay-new]`)),
		chromedp.SetValue(chromedp.CSS("#card_number"), "4242 4242 4242 4242"),
		chromedp.SetValue(chromedp.CSS("#exp_month"), "12"),
		chromedp.SetValue(chromedp.CSS("#exp_year"), "2030"),
		chromedp.SetValue(chromedp.CSS("#cvc"), "123"),
		chromedp.Click(chromedp.CSS(`[data-testid=save-card]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=pay]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=order-done]`)),
	)
	if got := text(t, ctx, "[data-testid=order-total]"); got != total {
		t.Errorf("paid %s, the checkout said %s", got, total)
	}
	e.Shot(t, ctx, "order-done")
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=home]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=home-active]`)))
	if got := text(t, ctx, "[data-testid=home-active]"); got != "1" {
		t.Errorf("Home shows %s active subscriptions, want 1", got)
	}

	tok := e.Token(t, "voiptime@acme.test")
	_, subs := e.API(t, "GET", "/v1/subscriptions", tok, nil)
	data := subs["data"].([]any)
	if len(data) != 1 {
		t.Fatalf("subscriptions: %v", subs)
	}
	s0 := data[0].(map[string]any)
	if s0["plan"] != "business" || s0["quantity"] != float64(5) || s0["term_months"] != float64(12) || s0["status"] != "active" {
		t.Errorf("subscription %v: want business x5 for 12 months, active", s0)
	}
	_, orders := e.API(t, "GET", "/v1/orders", tok, nil)
	o := orders["data"].([]any)[0].(map[string]any)
	// Business for 12 months is €384.00 a license: 5 x 384.00 = 1,920.00,
	// less 20 % = 1,536.00, plus 19 % VAT (291.84) = 1,827.84.
	if o["subtotal"] != float64(192000) || o["discount"] != float64(38400) || o["tax"] != float64(29184) || o["total"] != float64(182784) {
		t.Errorf("order %v/%v/%v/%v, want 192000/38400/29184/182784", o["subtotal"], o["discount"], o["tax"], o["total"])
	}
	_, cards := e.API(t, "GET", "/v1/payment_methods", tok, nil)
	if n := len(cards["data"].([]any)); n != 1 {
		t.Errorf("saved cards: %d, want 1", n)
	}

	// Renew in advance from the Purchased plans table, paid with the saved
	// card; then the phone-sized screen.
	e.Open(t, ctx, "/marketplace/plans")
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid^=renew-]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=checkout-form]`)))
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=pay]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=order-done]`)))
	_, sub := e.API(t, "GET", "/v1/subscriptions/"+s0["id"].(string), tok, nil)
	if got, want := sub["expires_at"], s0["expires_at"]; got == want {
		t.Errorf("expires_at %v did not move after Renew", got)
	}

	// Upgrade on the higher plan's card: PAY with the saved card.
	e.Open(t, ctx, "/marketplace/plans")
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=upgrade-enterprise]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=checkout-form]`)))
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=pay]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=order-done]`)))
	// BUY MORE LICENSES: "Add more users for your plan", CHECKOUT twice.
	e.Open(t, ctx, "/marketplace/plans")
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=more-enterprise]`)), chromedp.WaitVisible(chromedp.CSS(`#quantity`)))
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS("#quantity"), "2"),
		chromedp.Click(chromedp.CSS(`[data-testid=licenses-checkout]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=checkout-form]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=pay]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=order-done]`)),
	)
	_, sub = e.API(t, "GET", "/v1/subscriptions/"+s0["id"].(string), tok, nil)
	if sub["plan"] != "enterprise" || sub["quantity"] != float64(7) {
		t.Errorf("after Upgrade and BUY MORE LICENSES: %v x %v, want enterprise x 7", sub["plan"], sub["quantity"])
	}
	_, orders = e.API(t, "GET", "/v1/orders", tok, nil)
	if n := len(orders["data"].([]any)); n != 4 {
		t.Errorf("orders: %d, want 4 (buy, renew, upgrade, licenses)", n)
	}

	do(t, ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	e.Open(t, ctx, "/marketplace/plans")
	e.Shot(t, ctx, "plans-phone")
	w, err := chromedp.Run(ctx, chromedp.Evaluate[int]("document.documentElement.scrollWidth"))
	if err != nil || w > 400 {
		t.Errorf("on a phone the Plans page is %d px wide (%v), want no sideways scrolling", w, err)
	}
}

// TestBrowserHome checks Home against the API for an account with
// subscriptions, a number and payments, and takes the README's screenshot.
func TestBrowserHome(t *testing.T) {
	t.Parallel()
	e := newBrowserEnv(t)
	ctx := e.Tab(t)
	e.Signup(t, ctx, "home@acme.test", "CHF")
	tok := e.Token(t, "home@acme.test")
	_, acct := e.API(t, "GET", "/v1/account", tok, nil)
	if st, body := e.API(t, "POST", "/v1/admin/customers/"+acct["id"].(string)+"/balance_adjustments", e.Admin, map[string]any{"amount": 250000, "reason": "Welcome credit"}); st != 201 {
		t.Fatalf("credit: %d %v", st, body)
	}
	_, adr := e.API(t, "POST", "/v1/billing_addresses", tok, map[string]any{"name": "Acme AG", "line1": "Bahnhofstrasse 1", "city": "Zürich", "postal_code": "8001", "country": "CH"})
	items := []any{
		map[string]any{"type": "subscription", "plan": "business", "quantity": 5, "term_months": 12},
		map[string]any{"type": "subscription", "plan": "ivr", "quantity": 1, "term_months": 1},
		map[string]any{"type": "phone_number", "country": "CH", "area": "Zürich"},
	}
	for _, it := range items {
		if st, body := e.API(t, "POST", "/v1/orders", tok, map[string]any{"items": []any{it}, "billing_address": adr["id"], "payment": map[string]any{"method": "balance"}}); st != 201 {
			t.Fatalf("order %v: %d %v", it, st, body)
		}
	}
	_, acct = e.API(t, "GET", "/v1/account", tok, nil)

	e.Open(t, ctx, "/")
	if got := text(t, ctx, "[data-testid=home-active]"); got != "2" {
		t.Errorf("Home: %s active subscriptions, want 2", got)
	}
	if got := text(t, ctx, "[data-testid=home-numbers]"); got != "1" {
		t.Errorf("Home: %s numbers, want 1", got)
	}
	bal := text(t, ctx, "[data-testid=home-balance]")
	if want := chf(int64(acct["balance"].(float64))); bal != want {
		t.Errorf("Home shows a balance of %s, the API %s", bal, want)
	}
	// The IVR's month ends within 30 days: Home lists it under "Expiring soon".
	if got := text(t, ctx, "[data-testid=soon-row]"); !strings.Contains(got, "IVR") {
		t.Errorf("expiring soon: %q, want the IVR", got)
	}
	e.Shot(t, ctx, "home")
}

// chf formats minor units the way the portal shows Swiss francs.
func chf(minor int64) string {
	s := fmt.Sprintf("%d.%02d", minor/100, minor%100)
	whole, frac, _ := strings.Cut(s, ".")
	for i := len(whole) - 3; i > 0; i -= 3 {
		whole = whole[:i] + "," + whole[i:]
	}
	return "CHF " + whole + "." + frac
}
