package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dialtone/dialtone/internal/mailtest"
)

var browserLink = regexp.MustCompile(`https://portal\.browser\.test(/(?:invitations|password_resets)/[A-Za-z0-9]+)`)

// mailLink waits for the n-th mail to addr and returns the path of its
// link, found in both its text and its HTML part.
func mailLink(t *testing.T, box *mailtest.Box, addr string, n int) string {
	t.Helper()
	m := box.Wait(t, addr, n, 20*time.Second)
	l := browserLink.FindStringSubmatch(m.Text)
	if l == nil || !strings.Contains(m.HTML, `href="`+l[0]+`"`) {
		t.Fatalf("mail to %s: no link in both parts:\n%s\n%s", addr, m.Text, m.HTML)
	}
	return l[1]
}

// TestBrowserLoginsAndReset: the owner invites a viewer from Account
// settings; the e-mailed link's page sets the viewer's password and logs
// in; the viewer sees cards read-only and no invitation form. Then
// "Forgot password?" on the log-in page: the reset link sets a new
// password and the owner's other browser is logged out. The new pages
// pass the accessibility checks.
func TestBrowserLoginsAndReset(t *testing.T) {
	t.Parallel()
	mc := mailtest.Start(t)
	e := newBrowserEnv(t, map[string]string{"DIALTONE_SMTP_URL": "smtp://" + mc.Addr + "?tls=none", "DIALTONE_PUBLIC_URL": "https://portal.browser.test"})
	owner := e.Tab(t)
	e.Signup(t, owner, "owner@logins.test", "CHF")
	e.Open(t, owner, "/settings")
	e.a11y(t, owner, "/settings")
	do(t, owner,
		chromedp.SetValue(chromedp.CSS("#invite_email"), "vera@logins.test"),
		chromedp.SetValue(chromedp.CSS("#role"), "viewer"),
		chromedp.Click(chromedp.CSS("[data-testid=invite]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=flash]")),
	)
	if got := text(t, owner, "[data-testid=logins]"); !strings.Contains(got, "vera@logins.test") || !strings.Contains(got, "Invited") {
		t.Errorf("logins after the invitation: %q", got)
	}

	vera := e.Tab(t)
	e.Open(t, vera, mailLink(t, mc, "vera@logins.test", 1))
	e.a11y(t, vera, "/invitations/…")
	do(t, vera,
		chromedp.SetValue(chromedp.CSS("#password"), "vera's secret"),
		chromedp.SetValue(chromedp.CSS("#repeat_password"), "vera's secret"),
		chromedp.Click(chromedp.CSS("[data-testid=set-password]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=home-balance]")),
	)
	e.Open(t, vera, "/settings")
	if n, _ := chromedp.Run(vera, chromedp.Evaluate[int](`document.querySelectorAll("[data-testid=invite-form],[data-testid=company-form]").length`)); n != 0 {
		t.Errorf("a viewer sees %d forms of changes on Account settings", n)
	}
	e.Open(t, vera, "/payment-methods")
	if got := text(t, vera, "[data-testid=read-only]"); !strings.Contains(got, "may look") {
		t.Errorf("viewer's payment methods: %q", got)
	}

	anon := e.Tab(t)
	e.Open(t, anon, "/login")
	do(t, anon, chromedp.Click(chromedp.CSS("[data-testid=forgot-password]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=forgot-form]")))
	e.a11y(t, anon, "/forgot-password")
	do(t, anon,
		chromedp.SetValue(chromedp.CSS("#email"), "owner@logins.test"),
		chromedp.Click(chromedp.CSS("[data-testid=send-reset]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=notice]")),
	)
	if got := text(t, anon, "[data-testid=notice]"); !strings.Contains(got, "If this address belongs to a login") {
		t.Errorf("reset notice: %q", got)
	}
	e.Open(t, anon, mailLink(t, mc, "owner@logins.test", 1))
	e.a11y(t, anon, "/password_resets/…")
	do(t, anon,
		chromedp.SetValue(chromedp.CSS("#password"), "a new password"),
		chromedp.SetValue(chromedp.CSS("#repeat_password"), "a new password"),
		chromedp.Click(chromedp.CSS("[data-testid=set-password]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=home-balance]")),
	)
	e.Open(t, owner, "/settings")
	if loc := e.location(t, owner); !strings.HasPrefix(loc, "/login") {
		t.Errorf("the owner's other browser stayed logged in: at %s", loc)
	}
}
