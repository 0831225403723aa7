package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/clock"
	"github.com/dialtone/dialtone/internal/mailtest"
	"github.com/dialtone/dialtone/internal/notify"
	"github.com/dialtone/dialtone/internal/payment"
	"github.com/dialtone/dialtone/internal/server"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// loginsAPI is a test server whose outbox is delivered to a real SMTP
// server on demand.
type loginsAPI struct {
	*api
	svc    *billing.Service
	box    *mailtest.Box
	mailer notify.Mailer
}

func newLoginsAPI(t testing.TB, st *store.Store, cfg billing.Config) *loginsAPI {
	t.Helper()
	clk := clock.NewFrozen(time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg.Argon2 = &argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}
	cfg.PublicURL = "https://portal.example"
	cfg.Mail = billing.MailSMTP // the outbox goes to box
	svc := billing.New(st, clk, payment.NewSandbox(), log, cfg)
	if _, err := svc.SeedDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := server.New(svc, log, prometheus.NewRegistry(), server.Config{AdminToken: adminToken, Sandbox: true, SandboxClock: clk})
	box := mailtest.Start(t)
	m, err := notify.NewSMTP("smtp://"+box.Addr+"?tls=none", "dialtone <no-reply@example.com>")
	if err != nil {
		t.Fatal(err)
	}
	return &loginsAPI{api: served(t, h, clk), svc: svc, box: box, mailer: m}
}

// deliver sends the outbox's mails.
func (a *loginsAPI) deliver() {
	a.t.Helper()
	if _, err := a.svc.DeliverMail(context.Background(), a.mailer); err != nil {
		a.t.Fatal(err)
	}
}

var linkRE = regexp.MustCompile(`https://portal\.example/(invitations|password_resets)/([A-Za-z0-9]+)`)

// link returns the token of the last e-mail to addr of a kind
// ("invitations" or "password_resets"), checking that its text and HTML
// parts both carry the link.
func (a *loginsAPI) link(addr, kind string) string {
	a.t.Helper()
	a.deliver()
	ms := a.box.To(addr)
	if len(ms) == 0 {
		a.t.Fatalf("no e-mail to %s", addr)
	}
	m := ms[len(ms)-1]
	tm := linkRE.FindStringSubmatch(m.Text)
	if tm == nil || tm[1] != kind {
		a.t.Fatalf("e-mail to %s: no %s link in its text:\n%s", addr, kind, m.Text)
	}
	if !strings.Contains(m.HTML, `href="`+tm[0]+`"`) {
		a.t.Fatalf("e-mail to %s: its HTML part does not link to %s:\n%s", addr, tm[0], m.HTML)
	}
	return tm[2]
}

func (a *loginsAPI) login(email, pw string) (string, resp) {
	a.t.Helper()
	r := a.do("POST", "/v1/sessions", "", map[string]any{"email": email, "password": pw})
	tok, _ := r.body["token"].(string)
	return tok, r
}

// invite invites email with role and takes the invitation, returning the
// new login's session token.
func (a *loginsAPI) invite(owner, email, role string) string {
	a.t.Helper()
	r := a.do("POST", "/v1/logins", owner, map[string]any{"email": email, "role": role})
	if r.status != 201 || r.body["status"] != "invited" || r.body["role"] != role {
		a.t.Fatalf("invite %s: %d %s", email, r.status, r.raw)
	}
	tok := a.link(email, "invitations")
	r = a.do("POST", "/v1/password_resets/"+tok, "", map[string]any{"password": "colleague pw 1"})
	if r.status != 200 || r.body["status"] != "active" {
		a.t.Fatalf("take invitation of %s: %d %s", email, r.status, r.raw)
	}
	s, r := a.login(email, "colleague pw 1")
	if r.status != 201 {
		a.t.Fatalf("log in as %s: %d %s", email, r.status, r.raw)
	}
	return s
}

// TestLoginsInvitation: the owner invites a colleague with a role; the
// e-mail (text and HTML) links to PUBLIC_URL/invitations/<token>; the token
// sets the first password once; a duplicate invitation is 409 conflict.
func TestLoginsInvitation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newLoginsAPI(t, st, billing.Config{})
		owner := a.signup("owner@acme.test", "CHF")
		r := a.do("POST", "/v1/logins", owner, map[string]any{"email": "Ann@Acme.test", "role": "admin"})
		if r.status != 201 || r.body["status"] != "invited" || r.body["email"] != "ann@acme.test" {
			t.Fatalf("invite: %d %s", r.status, r.raw)
		}
		id := r.body["id"].(string)
		for _, e := range []string{"ann@acme.test", "ANN@acme.test", "owner@acme.test"} {
			if r := a.do("POST", "/v1/logins", owner, map[string]any{"email": e, "role": "viewer"}); r.status != 409 || r.errCode() != "conflict" || r.errParam() != "email" {
				t.Errorf("duplicate invitation %s: %d %s", e, r.status, r.raw)
			}
		}
		for _, bad := range []map[string]any{{"email": "nope", "role": "admin"}, {"email": "x@acme.test", "role": "root"},
			{"email": strings.Repeat("a", 250) + "@x.ch", "role": "admin"}} {
			if r := a.do("POST", "/v1/logins", owner, bad); r.status != 400 && r.status != 422 {
				t.Errorf("invite %v: %d %s", bad, r.status, r.raw)
			}
		}
		a.deliver()
		ms := a.box.To("ann@acme.test")
		if len(ms) != 1 || !strings.Contains(ms[0].Subject, "Acme") || !strings.Contains(ms[0].Text, "admin") {
			t.Fatalf("invitation e-mails: %+v", ms)
		}
		tok := a.link("ann@acme.test", "invitations")
		if _, r := a.login("ann@acme.test", "colleague pw 1"); r.status != 401 {
			t.Errorf("log-in before the invitation is taken: %d", r.status)
		}
		if r := a.do("POST", "/v1/password_resets/"+tok, "", map[string]any{"password": "short"}); r.status != 400 || r.errParam() != "password" {
			t.Errorf("short password: %d %s", r.status, r.raw)
		}
		if r := a.do("POST", "/v1/password_resets/"+tok, "", map[string]any{"password": "colleague pw 1"}); r.status != 200 || r.body["status"] != "active" || r.body["id"] != id {
			t.Fatalf("take invitation: %d %s", r.status, r.raw)
		}
		if r := a.do("POST", "/v1/password_resets/"+tok, "", map[string]any{"password": "colleague pw 2"}); r.status != 404 || r.errCode() != "not_found" {
			t.Errorf("invitation used twice: %d %s", r.status, r.raw)
		}
		ann, r := a.login("ann@acme.test", "colleague pw 1")
		if r.status != 201 {
			t.Fatalf("log in as the invited admin: %d %s", r.status, r.raw)
		}
		r = a.do("GET", "/v1/logins", ann, nil)
		if r.status != 200 || len(r.body["data"].([]any)) != 2 {
			t.Fatalf("logins: %d %s", r.status, r.raw)
		}
		// An admin invites too; the token is never shown in notifications.
		if r := a.do("POST", "/v1/logins", ann, map[string]any{"email": "bob@acme.test", "role": "viewer"}); r.status != 201 {
			t.Errorf("admin invites: %d %s", r.status, r.raw)
		}
		if r := a.do("GET", "/v1/notifications", owner, nil); strings.Contains(string(r.raw), "login_token") || strings.Contains(string(r.raw), "invitation") {
			t.Errorf("notifications show a login link: %s", r.raw)
		}
	})
}

// TestLoginsRoles: every route enforces the login's role: a viewer's
// change is 403 forbidden on every mutating customer operation of the
// OpenAPI document; a billing login manages addresses, cards and top-ups
// but buys nothing and invites nobody.
func TestLoginsRoles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newLoginsAPI(t, st, billing.Config{})
		owner := a.signup("owner@acme.test", "CHF")
		viewer := a.invite(owner, "vera@acme.test", "viewer")
		bill := a.invite(owner, "bill@acme.test", "billing")

		r := a.do("GET", "/v1/openapi.json", "", nil)
		var doc struct {
			Paths map[string]map[string]struct {
				Security []map[string][]string `json:"security"`
			} `json:"paths"`
		}
		if err := json.Unmarshal(r.raw, &doc); err != nil {
			t.Fatal(err)
		}
		n := 0
		for path, ops := range doc.Paths {
			for method, o := range ops {
				method = strings.ToUpper(method)
				if method == "GET" || len(o.Security) == 0 || strings.HasPrefix(path, "/v1/admin/") ||
					path == "/v1/sessions/current" || path == "/v1/quotes" {
					continue
				}
				p := strings.NewReplacer("{id}", "x1", "{token}", "x1", "{cc}", "CH", "{code}", "x1").Replace(path)
				if r := a.do(method, p, viewer, map[string]any{}); r.status != 403 || r.errCode() != "forbidden" {
					t.Errorf("viewer %s %s: %d %s", method, path, r.status, r.raw)
				}
				n++
			}
		}
		if n < 15 {
			t.Fatalf("only %d mutating operations walked", n)
		}
		for _, path := range []string{"/v1/account", "/v1/logins", "/v1/billing_addresses", "/v1/invoices", "/v1/subscriptions"} {
			if r := a.do("GET", path, viewer, nil); r.status != 200 {
				t.Errorf("viewer GET %s: %d %s", path, r.status, r.raw)
			}
		}

		// Billing: addresses, cards, top-ups.
		addr := a.address(bill)
		r = a.do("POST", "/v1/payment_methods", bill, map[string]any{"card": map[string]any{"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}})
		if r.status != 201 {
			t.Fatalf("billing saves a card: %d %s", r.status, r.raw)
		}
		pm := r.body["id"].(string)
		r = a.do("POST", "/v1/orders", bill, map[string]any{"items": []any{map[string]any{"type": "balance_top_up", "amount": 5000}},
			"payment": map[string]any{"method": "card", "payment_method": pm}})
		if r.status != 201 {
			t.Errorf("billing tops up: %d %s", r.status, r.raw)
		}
		r = a.do("POST", "/v1/orders", bill, map[string]any{"items": []any{map[string]any{"type": "subscription", "plan": "pbx-basic", "quantity": 1, "term_months": 1}},
			"billing_address": addr, "payment": map[string]any{"method": "card", "payment_method": pm}})
		if r.status != 403 || r.errCode() != "forbidden" {
			t.Errorf("billing buys a plan: %d %s", r.status, r.raw)
		}
		for _, c := range []struct{ method, path string }{{"POST", "/v1/logins"}, {"POST", "/v1/users"}, {"POST", "/v1/cart/items"}, {"PATCH", "/v1/account"}} {
			if r := a.do(c.method, c.path, bill, map[string]any{}); r.status != 403 {
				t.Errorf("billing %s %s: %d %s", c.method, c.path, r.status, r.raw)
			}
		}
	})
}

// TestLoginsDelete: deleting a login ends its sessions; the owner cannot
// be deleted.
func TestLoginsDelete(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newLoginsAPI(t, st, billing.Config{})
		owner := a.signup("owner@acme.test", "CHF")
		viewer := a.invite(owner, "vera@acme.test", "viewer")
		r := a.do("GET", "/v1/logins", owner, nil)
		var ownerID, viewerID string
		for _, l := range r.body["data"].([]any) {
			m := l.(map[string]any)
			switch m["role"] {
			case "owner":
				ownerID = m["id"].(string)
			case "viewer":
				viewerID = m["id"].(string)
			}
		}
		if r := a.do("DELETE", "/v1/logins/"+ownerID, owner, nil); r.status != 400 {
			t.Errorf("delete the owner: %d %s", r.status, r.raw)
		}
		if r := a.do("DELETE", "/v1/logins/"+viewerID, owner, nil); r.status != 200 {
			t.Fatalf("delete a login: %d %s", r.status, r.raw)
		}
		if r := a.do("GET", "/v1/account", viewer, nil); r.status != 401 {
			t.Errorf("deleted login's session: %d", r.status)
		}
		if _, r := a.login("vera@acme.test", "colleague pw 1"); r.status != 401 {
			t.Errorf("deleted login logs in: %d", r.status)
		}
		if r := a.do("DELETE", "/v1/logins/"+viewerID, owner, nil); r.status != 404 {
			t.Errorf("delete again: %d %s", r.status, r.raw)
		}
		// Invited again after deletion: fine.
		a.invite(owner, "vera@acme.test", "billing")
	})
}

// TestPasswordReset: the same 202 whether or not the address is known; the
// e-mailed link works once, ends every session of the login, and expires
// (wall clock; the TTL is shortened for the test); requests are throttled.
func TestPasswordReset(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newLoginsAPI(t, st, billing.Config{ResetTTL: 2 * time.Second})
		owner := a.signup("owner@acme.test", "CHF")
		other, _ := a.login("owner@acme.test", "correct horse")
		known := a.do("POST", "/v1/password_resets", "", map[string]any{"email": "Owner@acme.test"})
		unknown := a.do("POST", "/v1/password_resets", "", map[string]any{"email": "nobody@acme.test"})
		if known.status != 202 || unknown.status != 202 || string(known.raw) != string(unknown.raw) {
			t.Fatalf("reset requests: known %d %s, unknown %d %s", known.status, known.raw, unknown.status, unknown.raw)
		}
		tok := a.link("owner@acme.test", "password_resets")
		if len(a.box.To("nobody@acme.test")) != 0 {
			t.Errorf("mail sent to an unknown address")
		}
		if r := a.do("POST", "/v1/password_resets/"+tok, "", map[string]any{"password": "new secret 1"}); r.status != 200 {
			t.Fatalf("reset: %d %s", r.status, r.raw)
		}
		if r := a.do("POST", "/v1/password_resets/"+tok, "", map[string]any{"password": "new secret 2"}); r.status != 404 {
			t.Errorf("reset link used twice: %d %s", r.status, r.raw)
		}
		for _, s := range []string{owner, other} {
			if r := a.do("GET", "/v1/account", s, nil); r.status != 401 {
				t.Errorf("a session outlived the new password: %d", r.status)
			}
		}
		if _, r := a.login("owner@acme.test", "correct horse"); r.status != 401 {
			t.Errorf("old password: %d", r.status)
		}
		if _, r := a.login("owner@acme.test", "new secret 1"); r.status != 201 {
			t.Errorf("new password: %d %s", r.status, r.raw)
		}
		// Expiry on the wall clock.
		a.do("POST", "/v1/password_resets", "", map[string]any{"email": "owner@acme.test"})
		tok = a.link("owner@acme.test", "password_resets")
		time.Sleep(2100 * time.Millisecond)
		if r := a.do("POST", "/v1/password_resets/"+tok, "", map[string]any{"password": "new secret 3"}); r.status != 404 {
			t.Errorf("expired link: %d %s", r.status, r.raw)
		}
		// The third request for the address was the last one let through.
		r := a.do("POST", "/v1/password_resets", "", map[string]any{"email": "owner@acme.test"})
		r2 := a.do("POST", "/v1/password_resets", "", map[string]any{"email": "owner@acme.test"})
		if r.status != 202 && r.status != 429 || r2.status != 429 || r2.errCode() != "rate_limited" || r2.header.Get("Retry-After") == "" {
			t.Errorf("throttle: %d, then %d %s", r.status, r2.status, r2.raw)
		}
		if r := a.do("POST", "/v1/password_resets", "", map[string]any{"email": strings.Repeat("a", 300)}); r.status != 400 && r.status != 422 {
			t.Errorf("long e-mail: %d %s", r.status, r.raw)
		}
	})
}

// TestAccountPatch: PATCH /v1/account changes the company name (owner or
// admin), with the sign-up's length rule.
func TestAccountPatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newLoginsAPI(t, st, billing.Config{})
		owner := a.signup("owner@acme.test", "CHF")
		if r := a.do("PATCH", "/v1/account", owner, map[string]any{"company": "  Acme Telecom AG "}); r.status != 200 || r.body["company"] != "Acme Telecom AG" {
			t.Fatalf("patch: %d %s", r.status, r.raw)
		}
		for _, bad := range []string{"", strings.Repeat("x", 101)} {
			if r := a.do("PATCH", "/v1/account", owner, map[string]any{"company": bad}); (r.status != 400 && r.status != 422) || r.errParam() != "company" && r.errParam() != "body.company" {
				t.Errorf("company %q: %d %s", bad, r.status, r.raw)
			}
		}
		if r := a.do("GET", "/v1/account", owner, nil); r.body["company"] != "Acme Telecom AG" {
			t.Errorf("after bad patches: %s", r.raw)
		}
		// One PATCH for every field: a refused one changes none of them.
		if r := a.do("PATCH", "/v1/account", owner, map[string]any{"company": "Other AG", "low_balance_threshold": -5}); r.status != 400 || r.errParam() != "low_balance_threshold" {
			t.Errorf("company with a negative threshold: %d %s", r.status, r.raw)
		}
		if r := a.do("PATCH", "/v1/account", owner, map[string]any{"company": "", "low_balance_threshold": 5000}); r.status != 400 || r.errParam() != "company" {
			t.Errorf("empty company with a threshold: %d %s", r.status, r.raw)
		}
		if r := a.do("GET", "/v1/account", owner, nil); r.body["company"] != "Acme Telecom AG" || r.body["low_balance_threshold"] != nil {
			t.Errorf("refused patches changed the account: %s", r.raw)
		}
		if r := a.do("PATCH", "/v1/account", owner, map[string]any{"company": "Other AG", "low_balance_threshold": 5000}); r.status != 200 ||
			r.body["company"] != "Other AG" || r.body["low_balance_threshold"] != float64(5000) {
			t.Errorf("company and threshold: %d %s", r.status, r.raw)
		}
	})
}

// TestLoginsSeatInvited: a seat is not a login until invited; invited, the
// same user becomes the login (its extension and license stay), and
// removing the login leaves the seat.
func TestLoginsSeatInvited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newLoginsAPI(t, st, billing.Config{})
		owner := a.signup("owner@acme.test", "CHF")
		adr := a.address(owner)
		a.do("POST", "/v1/orders", owner, topUp(1_000_000))
		sub := a.do("POST", "/v1/orders", owner, map[string]any{"items": []any{map[string]any{"type": "subscription", "plan": "hosted-pbx", "quantity": 2, "term_months": 1}},
			"billing_address": adr, "payment": map[string]any{"method": "balance"}}).body["items"].([]any)[0].(map[string]any)["subscription"].(string)
		r := a.do("POST", "/v1/users", owner, map[string]any{"name": "Sam Seat", "email": "sam@acme.test", "subscription": sub})
		if r.status != 201 {
			t.Fatalf("seat: %d %s", r.status, r.raw)
		}
		seat := r.body["id"].(string)
		if ls := a.do("GET", "/v1/logins", owner, nil).body["data"].([]any); len(ls) != 1 {
			t.Errorf("a seat is listed as a login: %v", ls)
		}
		r = a.do("POST", "/v1/logins", owner, map[string]any{"email": "SAM@acme.test", "role": "billing"})
		if r.status != 201 || r.body["id"] != seat || r.body["status"] != "invited" {
			t.Fatalf("invite the seat: %d %s", r.status, r.raw)
		}
		tok := a.link("sam@acme.test", "invitations")
		if r := a.do("POST", "/v1/password_resets/"+tok, "", map[string]any{"password": "sam's secret"}); r.status != 200 {
			t.Fatalf("take: %d %s", r.status, r.raw)
		}
		sam, r := a.login("sam@acme.test", "sam's secret")
		if r.status != 201 {
			t.Fatalf("log in: %d", r.status)
		}
		if r := a.do("DELETE", "/v1/logins/"+seat, owner, nil); r.status != 200 {
			t.Fatalf("remove the login: %d %s", r.status, r.raw)
		}
		if r := a.do("GET", "/v1/account", sam, nil); r.status != 401 {
			t.Errorf("session after removal: %d", r.status)
		}
		r = a.do("GET", "/v1/users", owner, nil)
		found := false
		for _, u := range r.body["data"].([]any) {
			if m := u.(map[string]any); m["id"] == seat {
				found = m["role"] == "member" && m["subscription"] == sub
			}
		}
		if !found {
			t.Errorf("the seat did not stay a seat: %s", r.raw)
		}
	})
}
