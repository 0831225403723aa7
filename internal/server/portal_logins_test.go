package server_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestPortalLogins: Account settings invites a colleague; the e-mailed
// link's page sets the password and logs in; a viewer sees no buttons for
// changes and the server refuses them; company and e-mail change with the
// uniqueness rule.
func TestPortalLogins(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newLoginsAPI(t, st, billing.Config{})
		owner := newBrowser(t, a.api)
		owner.signup("owner@acme.test", "CHF")
		p := owner.get("/settings")
		p.has(t, `data-testid="invite-form"`, `data-testid="company-form"`, `data-testid="email-form"`)
		p = owner.post("/settings/logins", url.Values{"invite_email": {"nope"}, "role": {"viewer"}})
		if p.status != 400 || !strings.Contains(p.body, `data-field="invite_email"`) {
			t.Errorf("bad invitation: %d\n%s", p.status, p.body)
		}
		p = owner.post("/settings/logins", url.Values{"invite_email": {"vera@acme.test"}, "role": {"viewer"}})
		p.has(t, "An invitation is on its way to vera@acme.test (viewer)", `data-email="vera@acme.test"`, "Invited")
		if p := owner.post("/settings/logins", url.Values{"invite_email": {"vera@acme.test"}, "role": {"admin"}}); p.status != 409 {
			t.Errorf("duplicate invitation: %d", p.status)
		}
		tok := a.link("vera@acme.test", "invitations")

		vera := newBrowser(t, a.api)
		p = vera.get("/invitations/" + tok)
		p.has(t, "Choose your password", `data-testid="set-password-form"`)
		p = vera.post("/invitations/"+tok, url.Values{"password": {"vera secret"}, "repeat_password": {"other"}})
		if p.status != 400 || !strings.Contains(p.body, `data-field="repeat_password"`) {
			t.Errorf("passwords that differ: %d", p.status)
		}
		p = vera.post("/invitations/"+tok, url.Values{"password": {"vera secret"}, "repeat_password": {"vera secret"}})
		if p.status != 200 || p.url != "/" {
			t.Fatalf("take the invitation: %d at %s\n%s", p.status, p.url, p.body)
		}
		p.has(t, "logged in as vera@acme.test")
		if p := newBrowser(t, a.api).get("/invitations/" + tok); p.status != 404 || !strings.Contains(p.body, "This link is not valid") {
			t.Errorf("used invitation's page: %d", p.status)
		}
		p = vera.get("/settings")
		p.has(t, `data-testid="email-form"`, `data-testid="logins"`)
		p.hasNot(t, `data-testid="invite-form"`, `data-testid="company-form"`, `data-testid="remove-login"`)
		for _, path := range []string{"/payment-methods", "/addresses"} {
			p := vera.get(path)
			p.has(t, `data-testid="read-only"`)
			p.hasNot(t, `data-testid="card-form"`, `data-testid="address-form"`)
		}
		owner.get("/payment-methods").has(t, `data-testid="card-form"`)
		for _, path := range []string{"/settings/company", "/settings/logins", "/payment-methods", "/addresses"} {
			if p := vera.post(path, url.Values{"company": {"Evil"}, "invite_email": {"x@acme.test"}, "role": {"admin"}}); p.status != 403 {
				t.Errorf("viewer POST %s: %d", path, p.status)
			}
		}
		if p := owner.get("/settings"); !strings.Contains(p.body, "Acme AG") {
			t.Errorf("company changed by a viewer")
		}

		// Company and e-mail.
		p = owner.post("/settings/company", url.Values{"company": {strings.Repeat("x", 101)}})
		if p.status != 400 || !strings.Contains(p.body, `data-field="company"`) {
			t.Errorf("long company: %d", p.status)
		}
		p = owner.post("/settings/company", url.Values{"company": {"Acme Telecom AG"}})
		p.has(t, "The company name was changed.", "Acme Telecom AG")
		if p := owner.post("/settings/email", url.Values{"email": {"VERA@acme.test"}}); p.status != 409 || !strings.Contains(p.body, `data-field="email"`) {
			t.Errorf("e-mail of another login: %d", p.status)
		}
		p = owner.post("/settings/email", url.Values{"email": {"boss@acme.test"}})
		p.has(t, "You now log in with boss@acme.test.")
		if _, r := a.login("boss@acme.test", "correct horse"); r.status != 201 {
			t.Errorf("log in with the new e-mail: %d", r.status)
		}

		// Forgot password: the same page for a known and an unknown address.
		anon := newBrowser(t, a.api)
		anon.get("/login").has(t, `href="/forgot-password"`, "Forgot password?")
		known := anon.post("/forgot-password", url.Values{"email": {"boss@acme.test"}})
		unknown := anon.post("/forgot-password", url.Values{"email": {"ghost@acme.test"}})
		if known.status != 200 || known.body != unknown.body {
			t.Errorf("forgot password: known %d, unknown %d; pages differ: %v", known.status, unknown.status, known.body != unknown.body)
		}
		known.has(t, "a link to choose a new password is on its way")
		tok = a.link("boss@acme.test", "password_resets")
		p = anon.get("/password_resets/" + tok)
		p.has(t, "Choose a new password")
		p = anon.post("/password_resets/"+tok, url.Values{"password": {"brand new pw"}, "repeat_password": {"brand new pw"}})
		if p.status != 200 || p.url != "/" {
			t.Fatalf("reset: %d at %s", p.status, p.url)
		}
		// The owner's other browser was logged out.
		if p := owner.get("/settings"); !strings.HasPrefix(p.url, "/login") {
			t.Errorf("the old session outlived the reset: at %s", p.url)
		}
		if p := anon.post("/password_resets/"+tok, url.Values{"password": {"brand new pw2"}, "repeat_password": {"brand new pw2"}}); p.status != 404 {
			t.Errorf("reset link used twice: %d", p.status)
		}
	})
}
