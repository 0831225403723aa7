package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserMailbox: on a sandbox without SMTP, the invoice e-mail of a
// purchase is kept: Notifications says no e-mail was sent and links to it;
// its page shows the text and the HTML in a sandboxed frame and offers the
// PDF; Invoices says what the invoice was for; Account settings turns
// invoice e-mails off. Each page passes the accessibility checks on a
// desktop and on a phone.
func TestBrowserMailbox(t *testing.T) {
	t.Parallel()
	e := newBrowserEnv(t)
	ctx := e.Tab(t)
	e.accountWithPlan(t, ctx, "mailbox@acme.test", 3)
	if st, body := e.API(t, "POST", "/v1/admin/clock/advance", e.Admin, map[string]any{"seconds": 60}); st != 200 {
		t.Fatalf("advance: %d %v", st, body)
	}
	e.Open(t, ctx, "/notifications")
	if got := text(t, ctx, "[data-testid=notifications-mail]"); !strings.Contains(got, "no e-mail was sent") {
		t.Errorf("Notifications says %q", got)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("[data-testid=notification-email]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=mail-text]")), loaded())
	if got := text(t, ctx, "[data-testid=mail-subject]"); !strings.HasPrefix(got, "Invoice ") {
		t.Errorf("subject %q", got)
	}
	if got := text(t, ctx, "[data-testid=mail-attachments]"); !strings.Contains(got, ".pdf") {
		t.Errorf("attachments %q", got)
	}
	sandbox, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("[data-testid=mail-html]").getAttribute("sandbox")`))
	if sandbox != "" {
		t.Errorf("the frame's sandbox is %q, want the strictest (empty)", sandbox)
	}
	mailPage := e.location(t, ctx)
	e.Shot(t, ctx, "notification-email")

	e.Open(t, ctx, "/invoices")
	if got := text(t, ctx, "[data-testid=invoice-for]"); !strings.Contains(got, "Business") || !strings.Contains(got, "12 months") {
		t.Errorf("the invoice was for %q", got)
	}
	e.Open(t, ctx, "/settings")
	do(t, ctx, chromedp.Click(chromedp.CSS("#invoice_emails")), chromedp.Click(chromedp.CSS("[data-testid=save-invoice-emails]")),
		until(`location.hash === "#invoice-emails" && document.readyState === "complete"`))
	if got := text(t, ctx, "[data-testid=invoice-emails-state]"); !strings.Contains(got, "are not e-mailed") {
		t.Errorf("after opting out: %q", got)
	}
	for _, size := range []struct {
		name string
		w, h int64
	}{{"desktop", 1280, 900}, {"phone", 390, 844}} {
		do(t, ctx, chromedp.EmulateViewport(size.w, size.h))
		for _, p := range []string{"/notifications", mailPage, "/invoices", "/settings", "/forgot-password"} {
			e.Open(t, ctx, p)
			e.a11y(t, ctx, p+" ("+size.name+")")
		}
	}
}
