package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/clock"
	"github.com/dialtone/dialtone/internal/payment"
	"github.com/dialtone/dialtone/internal/server"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// newMailAPI is a test server whose e-mail is in mode: its deliver puts
// the outbox into the sandbox mailbox when mode is MailMailbox.
func newMailAPI(t *testing.T, st *store.Store, mode billing.MailMode) (*api, func()) {
	b, deliver := newMailOffice(t, st, mode)
	return b.api, deliver
}

// newMailOffice is newMailAPI's server as a back office.
func newMailOffice(t *testing.T, st *store.Store, mode billing.MailMode) (*backOffice, func()) {
	t.Helper()
	clk := clock.NewFrozen(time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := billing.New(st, clk, payment.NewSandbox(), log, billing.Config{Mail: mode, PublicURL: "https://portal.example",
		Argon2: &argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}})
	if _, err := svc.SeedDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := server.New(svc, log, prometheus.NewRegistry(), server.Config{AdminToken: adminToken, Sandbox: true, SandboxClock: clk})
	deliver := func() {
		t.Helper()
		if mode != billing.MailMailbox {
			return
		}
		if _, err := svc.DeliverMail(context.Background(), svc.Mailbox()); err != nil {
			t.Fatal(err)
		}
	}
	return &backOffice{api: served(t, h, clk), svc: svc}, deliver
}

// TestMailbox: a sandbox without SMTP keeps every e-mail in the mailbox
// (once, however often delivery runs): the operator lists and reads them
// (text, HTML, the invoice's PDF), the customer reads each notification's
// own from the API and the portal (its HTML in a sandboxed frame served
// with a policy that forbids scripts), never another customer's.
func TestMailbox(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a, deliver := newMailAPI(t, st, billing.MailMailbox)
		acc := newAccount(t, a, "box@acme.test", 0)
		other := newAccount(t, a, "other@acme.test", 0)
		for _, c := range []account{acc, other} {
			if r := a.do("POST", "/v1/orders", c.tok, map[string]any{"items": []any{map[string]any{"type": "balance_top_up", "amount": 5000}},
				"payment": map[string]any{"method": "card", "card": map[string]any{"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}}); r.status != 201 {
				t.Fatalf("top-up: %d %s", r.status, r.raw)
			}
		}
		deliver()
		deliver() // nothing twice

		list := a.do("GET", "/v1/admin/mailbox", adminToken, nil)
		mails := dataOf(list)
		if list.status != 200 || len(mails) != 2 {
			t.Fatalf("mailbox: %d %s", list.status, list.raw)
		}
		page := a.do("GET", "/v1/admin/mailbox?limit=1", adminToken, nil)
		if page.body["has_more"] != true || len(dataOf(page)) != 1 {
			t.Errorf("first page: %s", page.raw)
		}
		if next := dataOf(a.do("GET", "/v1/admin/mailbox?limit=1&starting_after="+mails[0]["id"].(string), adminToken, nil)); len(next) != 1 || next[0]["id"] != mails[1]["id"] {
			t.Errorf("second page: %v", next)
		}
		if r := a.do("GET", "/v1/admin/mailbox?starting_after=mbx_nope", adminToken, nil); r.status != 400 {
			t.Errorf("unknown cursor: %d", r.status)
		}
		if r := a.do("GET", "/v1/admin/mailbox", acc.tok, nil); r.status != 403 {
			t.Errorf("a customer at the mailbox: %d", r.status)
		}
		var mine map[string]any
		for _, m := range mails {
			if m["to"] == acc.email {
				mine = m
			}
		}
		one := a.do("GET", "/v1/admin/mailbox/"+mine["id"].(string), adminToken, nil)
		att := one.body["attachments"].([]any)[0].(map[string]any)
		pdf, _ := base64.StdEncoding.DecodeString(att["content"].(string))
		if one.status != 200 || !strings.HasPrefix(one.body["subject"].(string), "Invoice ") || !strings.Contains(one.body["text"].(string), "attached as PDF") ||
			!strings.Contains(one.body["html"].(string), "https://portal.example/invoices/inv_") || att["content_type"] != "application/pdf" ||
			!bytes.HasPrefix(pdf, []byte("%PDF")) || int64(len(pdf)) != int64(att["size"].(float64)) {
			t.Errorf("one mail: %d %.600s", one.status, one.raw)
		}
		if r := a.do("GET", "/v1/admin/mailbox/mbx_nope", adminToken, nil); r.status != 404 {
			t.Errorf("unknown mail: %d", r.status)
		}

		// The customer: the notification names its e-mail.
		ns := dataOf(a.do("GET", "/v1/notifications", acc.tok, nil))
		if len(ns) != 1 || ns[0]["type"] != "invoice_paid" || ns[0]["email"] != mine["id"] || ns[0]["object_type"] != "invoice" {
			t.Fatalf("notifications: %v", ns)
		}
		nid := ns[0]["id"].(string)
		if r := a.do("GET", "/v1/notifications/"+nid+"/email", acc.tok, nil); r.status != 200 || r.body["id"] != mine["id"] || r.body["html"] == "" {
			t.Errorf("the notification's e-mail: %d %.300s", r.status, r.raw)
		}
		if r := a.do("GET", "/v1/notifications/"+nid+"/email", other.tok, nil); r.status != 404 {
			t.Errorf("another customer's e-mail: %d", r.status)
		}

		// The portal.
		p := acc.b.get("/notifications")
		p.has(t, `href="/notifications/`+nid+`/email"`, "Read the e-mail", "no e-mail was sent")
		p.hasNot(t, "Everything we sent")
		p = acc.b.get("/notifications/" + nid + "/email")
		p.has(t, `<iframe class="mail" sandbox src="/notifications/`+nid+`/email.html"`, `data-testid="mail-text"`, "attached as PDF",
			`href="/notifications/`+nid+`/email/attachments/1"`, "kept in its mailbox instead of being sent")
		req, _ := http.NewRequest("GET", a.srv.URL+"/notifications/"+nid+"/email.html", nil)
		res, err := acc.b.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if csp := res.Header.Get("Content-Security-Policy"); res.StatusCode != 200 || !strings.HasPrefix(csp, "sandbox;") ||
			!strings.Contains(csp, "default-src 'none'") || !strings.Contains(string(body), "https://portal.example/invoices/") {
			t.Errorf("the HTML part: %d, policy %q", res.StatusCode, csp)
		}
		req, _ = http.NewRequest("GET", a.srv.URL+"/notifications/"+nid+"/email/attachments/1", nil)
		res, err = acc.b.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !bytes.Equal(got, pdf) || !strings.Contains(res.Header.Get("Content-Disposition"), ".pdf") {
			t.Errorf("attachment: %d bytes, %q", len(got), res.Header.Get("Content-Disposition"))
		}
		if p := other.b.get("/notifications/" + nid + "/email"); p.status != 404 {
			t.Errorf("another customer's e-mail page: %d", p.status)
		}
		if p := other.b.get("/notifications/" + nid + "/email.html"); p.status != 404 {
			t.Errorf("another customer's e-mail HTML: %d", p.status)
		}

		// Wording: nothing claims a sent e-mail.
		r := a.do("POST", "/v1/password_resets", "", map[string]any{"email": acc.email})
		if msg, _ := r.body["message"].(string); r.status != 202 || !strings.Contains(msg, "sandbox mailbox") || strings.Contains(msg, "on its way") {
			t.Errorf("reset answer: %d %s", r.status, r.raw)
		}
		acc.b.post("/settings/logins", url.Values{"invite_email": {"vera@acme.test"}, "role": {"viewer"}}).has(t, "kept in the sandbox mailbox")
		acc.b.get("/settings").has(t, `data-testid="invoice-emails-form"`, "they are kept under")
		anon := newBrowser(t, a)
		anon.get("/forgot-password").has(t, "kept in the sandbox mailbox")
	})
}

// TestMailOff: production without SMTP keeps no e-mail and no page or
// answer says one was sent.
func TestMailOff(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	a, _ := newMailAPI(t, st, billing.MailOff)
	acc := newAccount(t, a, "off@acme.test", 0)
	r := a.do("POST", "/v1/password_resets", "", map[string]any{"email": acc.email})
	if msg, _ := r.body["message"].(string); r.status != 202 || !strings.Contains(msg, "not configured") {
		t.Errorf("reset answer: %d %s", r.status, r.raw)
	}
	acc.b.post("/settings/logins", url.Values{"invite_email": {"vera@acme.test"}, "role": {"viewer"}}).has(t, "no invitation was sent")
	acc.b.get("/notifications").has(t, "none of these was e-mailed")
	acc.b.get("/settings").has(t, "no invoice is e-mailed")
	newBrowser(t, a).get("/forgot-password").has(t, "no link can be e-mailed")
	if n := len(dataOf(a.do("GET", "/v1/admin/mailbox", adminToken, nil))); n != 0 {
		t.Errorf("%d mails kept in production", n)
	}
}
