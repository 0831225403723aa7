package main

import (
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/emersion/go-smtp"
)

// mailCatcher is an in-process SMTP server for the browser tests.
type mailCatcher struct {
	mu   sync.Mutex
	msgs []caught
	addr string
}

type caught struct{ to, text, html string }

type catcherSession struct {
	c  *mailCatcher
	to []string
}

func (s *catcherSession) Reset()                               { s.to = nil }
func (s *catcherSession) Logout() error                        { return nil }
func (s *catcherSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *catcherSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *catcherSession) Data(r io.Reader) error {
	m, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	got := caught{to: strings.Join(s.to, ",")}
	_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		return err
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		var rd io.Reader = p
		if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			rd = quotedprintable.NewReader(p)
		}
		b, _ := io.ReadAll(rd)
		switch ct := p.Header.Get("Content-Type"); {
		case strings.HasPrefix(ct, "text/plain"):
			got.text = string(b)
		case strings.HasPrefix(ct, "text/html"):
			got.html = string(b)
		}
	}
	s.c.mu.Lock()
	s.c.msgs = append(s.c.msgs, got)
	s.c.mu.Unlock()
	return nil
}

func newMailCatcher(t *testing.T) *mailCatcher {
	t.Helper()
	c := &mailCatcher{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &catcherSession{c: c}, nil }))
	srv.Domain, srv.AllowInsecureAuth = "localhost", true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return c
}

var browserLink = regexp.MustCompile(`https://portal\.browser\.test(/(?:invitations|password_resets)/[A-Za-z0-9]+)`)

// link waits for the n-th mail to addr and returns the path of its link,
// found in both its text and its HTML part.
func (c *mailCatcher) link(t *testing.T, addr string, n int) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		var got []caught
		for _, m := range c.msgs {
			if strings.Contains(m.to, addr) {
				got = append(got, m)
			}
		}
		c.mu.Unlock()
		if len(got) >= n {
			m := got[n-1]
			l := browserLink.FindStringSubmatch(m.text)
			if l == nil || !strings.Contains(m.html, `href="`+l[0]+`"`) {
				t.Fatalf("mail to %s: no link in both parts:\n%s\n%s", addr, m.text, m.html)
			}
			return l[1]
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no mail %d to %s", n, addr)
	return ""
}

// TestBrowserLoginsAndReset: the owner invites a viewer from Account
// settings; the e-mailed link's page sets the viewer's password and logs
// in; the viewer sees cards read-only and no invitation form. Then
// "Forgot password?" on the log-in page: the reset link sets a new
// password and the owner's other browser is logged out. The new pages
// pass the accessibility checks.
func TestBrowserLoginsAndReset(t *testing.T) {
	t.Parallel()
	mc := newMailCatcher(t)
	e := newBrowserEnv(t, map[string]string{"DIALTONE_SMTP_URL": "smtp://" + mc.addr + "?tls=none", "DIALTONE_PUBLIC_URL": "https://portal.browser.test"})
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
	e.Open(t, vera, mc.link(t, "vera@logins.test", 1))
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
	e.Open(t, anon, mc.link(t, "owner@logins.test", 1))
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
