package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dialtone/dialtone/internal/contracttest/openapicheck"
)

const operatorPassword = "operator password 1"

// newAdminBrowserEnv is newBrowserEnv with an admin operator created (by
// `dialtone operator create`) before the server starts.
func newAdminBrowserEnv(t *testing.T) *browserEnv {
	t.Helper()
	exe := chromiumPath()
	if exe == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no chromium for the browser tests (CI=true)")
		}
		t.Skip("no chromium: the browser tests need Debian's chromium or DIALTONE_CHROMIUM")
	}
	browserSlots <- struct{}{}
	t.Cleanup(func() { <-browserSlots })
	db := filepath.Join(t.TempDir(), "admin.db")
	var out bytes.Buffer
	if err := (OperatorCreateCmd{DB: db, Email: "boss@op.test", Role: "admin", PasswordStdin: true, Argon2Memory: 1024}).
		run(context.Background(), strings.NewReader(operatorPassword+"\n"), &out); err != nil {
		t.Fatal(err)
	}
	admin := "adm_browser_test"
	base, _, stop := startServer(t, db, map[string]string{"DIALTONE_ADMIN_TOKEN": admin, "DIALTONE_ARGON2_MEMORY": "1024",
		"DIALTONE_SANDBOX_START": browserStart})
	t.Cleanup(stop)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900))
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	oa, err := openapicheck.Fetch(http.DefaultClient, base)
	if err != nil {
		t.Fatal(err)
	}
	return &browserEnv{URL: base, Admin: admin, alloc: alloc, oa: oa}
}

// TestBrowserAdmin: an operator logs in to the back office, reads the
// dashboard (charts drawn from their tables), changes a price through its
// confirm step, and uploads numbers with a report per row; every page
// passes the accessibility checks on a desktop and on a phone.
func TestBrowserAdmin(t *testing.T) {
	t.Parallel()
	e := newAdminBrowserEnv(t)
	// A customer who bought something, for the dashboard's figures.
	st, _ := e.API(t, "POST", "/v1/signup", "", map[string]any{"email": "dash@acme.test", "password": browserPassword, "company": "Acme",
		"country": "CH", "currency": "CHF"})
	if st != 201 {
		t.Fatalf("signup: %d", st)
	}
	tok := e.Token(t, "dash@acme.test")
	_, acct := e.API(t, "GET", "/v1/account", tok, nil)
	e.API(t, "POST", "/v1/admin/customers/"+acct["id"].(string)+"/balance_adjustments", e.Admin, map[string]any{"amount": 100000, "reason": "credit"})
	_, adr := e.API(t, "POST", "/v1/billing_addresses", tok, map[string]any{"name": "Acme", "line1": "Bahnhofstrasse 1", "city": "Zürich", "postal_code": "8001", "country": "CH"})
	if st, body := e.API(t, "POST", "/v1/orders", tok, map[string]any{"items": []any{map[string]any{"type": "subscription", "plan": "business", "quantity": 2, "term_months": 1}},
		"billing_address": adr["id"], "payment": map[string]any{"method": "balance"}}); st != 201 {
		t.Fatalf("order: %d %v", st, body)
	}

	ctx := e.Tab(t)
	e.Open(t, ctx, "/admin/")
	e.a11y(t, ctx, "/admin/login")
	do(t, ctx, chromedp.SetValue(chromedp.CSS("#email"), "boss@op.test"), chromedp.SetValue(chromedp.CSS("#password"), operatorPassword),
		chromedp.Click(chromedp.CSS(`form[action="/admin/login"] button`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=mrr]`)),
		chromedp.WaitVisible(chromedp.CSS(`.chart .uplot`)))
	if got := text(t, ctx, `[data-testid=mrr] tbody`); !strings.Contains(got, "contact-center") || !strings.Contains(got, "80.00") {
		t.Errorf("MRR: %q", got)
	}
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(".chart canvas").length`)); n < 3 {
		t.Errorf("%d charts drawn", n)
	}
	e.a11y(t, ctx, "/admin/ (desktop)")
	e.Shot(t, ctx, "admin-dashboard")

	// A price change, with its confirm step.
	e.Open(t, ctx, "/admin/catalog/business")
	do(t, ctx, chromedp.SetValue(chromedp.CSS("#price_CHF_1"), "45.00"), chromedp.Click(chromedp.CSS(`[data-testid=save-plan]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=price-changes]`)))
	if got := text(t, ctx, `[data-testid=price-changes] tbody`); !strings.Contains(got, "40.00") || !strings.Contains(got, "45.00") {
		t.Errorf("changes: %q", got)
	}
	e.a11y(t, ctx, "price change confirm")
	e.Shot(t, ctx, "admin-price-confirm")
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=confirm-prices]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)))
	_, plans := e.API(t, "GET", "/v1/admin/plans", e.Admin, nil)
	found := false
	for _, p := range plans["data"].([]any) {
		p := p.(map[string]any)
		for _, pr := range p["prices"].([]any) {
			pr := pr.(map[string]any)
			if p["code"] == "business" && pr["currency"] == "CHF" && pr["term_months"].(float64) == 1 && pr["unit_amount"].(float64) == 4500 {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("the new price is not saved")
	}

	// A number upload with a report per row.
	csv := filepath.Join(t.TempDir(), "numbers.csv")
	if err := os.WriteFile(csv, []byte("number,country,state,area,type,setup_amount,monthly_amount,currency\n"+
		"+41315559901,CH,,Bern,local,0,500,CHF\n+41315559902,CH,,Bern,local,0,500,CHF\n12,CH,,Bern,local,0,500,CHF\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.Open(t, ctx, "/admin/numbers")
	do(t, ctx, chromedp.SetUploadFiles(chromedp.CSS(`#file`), []string{csv}), chromedp.Click(chromedp.CSS(`[data-testid=upload]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=import-report]`)))
	if got := text(t, ctx, `[data-testid=imported]`); got != "2" {
		t.Errorf("imported %q", got)
	}
	if got := text(t, ctx, `[data-testid=rejected-row]`); !strings.HasPrefix(got, "4") {
		t.Errorf("rejected row: %q", got)
	}
	e.a11y(t, ctx, "numbers upload")
	e.Shot(t, ctx, "admin-numbers-upload")

	// The mailbox: the order's invoice e-mail, kept by this sandbox
	// without SMTP (delivered by the scheduler's run that a move of the
	// clock makes), opened from the list.
	if st, body := e.API(t, "POST", "/v1/admin/clock/advance", e.Admin, map[string]any{"seconds": 60}); st != 200 {
		t.Fatalf("advance: %d %v", st, body)
	}
	for i := 0; ; i++ {
		if _, box := e.API(t, "GET", "/v1/admin/mailbox", e.Admin, nil); len(box["data"].([]any)) > 0 {
			break
		}
		if i == 100 {
			t.Fatal("no e-mail in the mailbox")
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.Open(t, ctx, "/admin/mailbox")
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=mail-row] a`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=mail-text]`)), loaded())
	if got := text(t, ctx, `[data-testid=mail-to]`); got != "dash@acme.test" {
		t.Errorf("the mail is to %q", got)
	}
	if got := text(t, ctx, `[data-testid=mail-attachments]`); !strings.Contains(got, ".pdf") {
		t.Errorf("attachments %q", got)
	}
	mail := e.location(t, ctx)
	e.a11y(t, ctx, "mailbox e-mail")
	e.Shot(t, ctx, "admin-mailbox-mail")

	// Every page of this branch, on a phone too.
	pages := []string{"/admin/", "/admin/catalog", "/admin/catalog/business", "/admin/promo-codes", "/admin/numbers?country=CH",
		"/admin/tax-rates", "/admin/webhooks", "/admin/clock", "/admin/mailbox", mail}
	for _, size := range []struct {
		name string
		w, h int64
	}{{"desktop", 1280, 900}, {"phone", 390, 844}} {
		do(t, ctx, chromedp.EmulateViewport(size.w, size.h))
		for _, p := range pages {
			e.Open(t, ctx, p)
			e.a11y(t, ctx, p+" ("+size.name+")")
		}
	}
	_ = io.Discard
}
