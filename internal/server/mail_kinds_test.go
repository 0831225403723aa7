package server_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/mailtest"
	"github.com/dialtone/dialtone/internal/scheduler"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

var portalLink = regexp.MustCompile(`https://portal\.example(/[^\s"<]*)`)

// checkMail checks that a mail has a text and an HTML part carrying the
// same portal link, and that the link opens a page of the portal for the
// logged-in customer; it returns the link's path.
func checkMail(t *testing.T, acc account, m mailtest.Mail) string {
	t.Helper()
	if strings.TrimSpace(m.Text) == "" || !strings.Contains(m.HTML, "<html") {
		t.Fatalf("%q: text %q, HTML %q: want both parts", m.Subject, m.Text, m.HTML)
	}
	l := portalLink.FindStringSubmatch(m.Text)
	if l == nil {
		t.Fatalf("%q: no portal link in its text:\n%s", m.Subject, m.Text)
	}
	if !strings.Contains(m.HTML, `href="`+l[0]+`"`) {
		t.Fatalf("%q: its HTML does not link to %s:\n%s", m.Subject, l[0], m.HTML)
	}
	if p := acc.b.get(strings.SplitN(l[1], "#", 2)[0]); p.status != 200 {
		t.Errorf("%q: its link %s answers %d", m.Subject, l[1], p.status)
	}
	return l[1]
}

// TestEveryMailKindOverSMTP: the notices (low balance, renewal reminder)
// and the paid invoice and credit note (with their
// PDF) reach a real SMTP server with a text and an HTML part whose links
// open the portal; the invoice e-mails stop when the account opts out.
func TestEveryMailKindOverSMTP(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		a := newLoginsAPI(t, st, billing.Config{Mail: billing.MailSMTP})
		acc := newAccount(t, a.api, "kinds@acme.test", 100000)
		adr := a.do("POST", "/v1/billing_addresses", acc.tok, map[string]any{"name": "Acme AG", "line1": "Bahnhofstrasse 1",
			"city": "Zürich", "postal_code": "8001", "country": "CH"}).body["id"].(string)
		if r := a.do("PATCH", "/v1/account", acc.tok, map[string]any{"low_balance_threshold": 95000}); r.status != 200 || r.body["invoice_emails"] != true {
			t.Fatalf("threshold: %d %s", r.status, r.raw)
		}
		o := buy(t, a.api, acc, adr, map[string]any{"type": "subscription", "plan": "business", "quantity": 2, "term_months": 1})
		inv := o["invoice"].(string)
		// 14 days before the end: a reminder (the subscription does not renew by itself).
		if err := scheduler.New(a.svc, slog.New(slog.NewTextHandler(io.Discard, nil))).Advance(ctx, a.clk, 17*24*time.Hour+time.Hour); err != nil {
			t.Fatal(err)
		}
		if r := a.do("POST", "/v1/admin/orders/"+o["id"].(string)+"/refunds", adminToken, map[string]any{"amount": 1000, "reason": "goodwill"}); r.status != 201 {
			t.Fatalf("refund: %d %s", r.status, r.raw)
		}
		a.deliver()

		bySubject := map[string]mailtest.Mail{}
		for _, m := range a.box.To(acc.email) {
			bySubject[m.Subject] = m
		}
		want := map[string]string{ // subject prefix -> the link's path prefix
			"Your balance is below":        "/marketplace/billing/refill",
			"Your subscription ends in 14": "/subscriptions/",
			"Invoice ":                     "/invoices/" + inv,
			"Credit note ":                 "/invoices/inv_",
		}
		for prefix, path := range want {
			var m mailtest.Mail
			for s, got := range bySubject {
				if strings.HasPrefix(s, prefix) {
					m = got
				}
			}
			if m.Subject == "" {
				t.Errorf("no mail %q among %d: %v", prefix, len(bySubject), keys(bySubject))
				continue
			}
			if got := checkMail(t, acc, m); !strings.HasPrefix(got, path) {
				t.Errorf("%q links to %s, want %s…", m.Subject, got, path)
			}
			pdf := strings.HasPrefix(prefix, "Invoice") || strings.HasPrefix(prefix, "Credit")
			if n := len(m.Attachments); pdf && (n != 1 || !bytes.HasPrefix(m.Attachments[0].Content, []byte("%PDF")) ||
				m.Attachments[0].ContentType != "application/pdf" || !strings.HasSuffix(m.Attachments[0].Filename, ".pdf")) {
				t.Errorf("%q: attachments %d, want its PDF", m.Subject, n)
			} else if !pdf && n != 0 {
				t.Errorf("%q: %d attachments, want none", m.Subject, n)
			}
		}

		// Opted out: the next invoice is not e-mailed, to a billing address
		// once opted in again.
		if r := a.do("PATCH", "/v1/account", acc.tok, map[string]any{"invoice_emails": false}); r.status != 200 || r.body["invoice_emails"] != false {
			t.Fatalf("opt out: %d %s", r.status, r.raw)
		}
		before := len(a.box.To(acc.email))
		buy(t, a.api, acc, adr, map[string]any{"type": "licenses", "subscription": o["items"].([]any)[0].(map[string]any)["subscription"], "quantity": 1})
		a.deliver()
		for _, m := range a.box.To(acc.email)[before:] {
			if strings.HasPrefix(m.Subject, "Invoice ") {
				t.Errorf("opted out, still e-mailed %q", m.Subject)
			}
		}
		if r := a.do("PATCH", "/v1/account", acc.tok, map[string]any{"billing_email": "not an address"}); r.status != 400 || !strings.Contains(string(r.raw), `"param":"billing_email"`) {
			t.Errorf("bad billing_email: %d %s", r.status, r.raw)
		}
		if r := a.do("PATCH", "/v1/account", acc.tok, map[string]any{"invoice_emails": true, "billing_email": "books@acme.test"}); r.status != 200 || r.body["billing_email"] != "books@acme.test" {
			t.Fatalf("opt in: %d %s", r.status, r.raw)
		}
		buy(t, a.api, acc, adr, map[string]any{"type": "licenses", "subscription": o["items"].([]any)[0].(map[string]any)["subscription"], "quantity": 1})
		a.deliver()
		if ms := a.box.To("books@acme.test"); len(ms) != 1 || !strings.HasPrefix(ms[0].Subject, "Invoice ") || len(ms[0].Attachments) != 1 {
			t.Errorf("to the billing e-mail: %d mails", len(ms))
		}
	})
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
