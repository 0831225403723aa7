package contracttest

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/mailtest"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

var mailLink = regexp.MustCompile(`https://portal\.contract\.test/(invitations|password_resets)/([A-Za-z0-9]+)`)

// token waits for the n-th mail to addr and returns the token its link
// (of kind) ends with, checking its text and HTML parts.
func token(t *testing.T, in *mailtest.Box, addr, kind string, n int) string {
	t.Helper()
	m := in.Wait(t, addr, n, 20*time.Second)
	l := mailLink.FindStringSubmatch(m.Text)
	if l == nil || l[1] != kind {
		t.Fatalf("mail to %s: no %s link in its text: %q", addr, kind, m.Text)
	}
	if !strings.Contains(m.HTML, `href="`+l[0]+`"`) {
		t.Fatalf("mail to %s: its HTML does not link to %s: %q", addr, l[0], m.HTML)
	}
	return l[2]
}

// TestLoginsAndPasswordResets: a colleague invited with a role receives
// an e-mail whose link's token sets the first password; roles are enforced;
// a reset request is 202 whatever the address, its link works once and
// ends the login's sessions; PATCH /v1/account changes the company.
func TestLoginsAndPasswordResets(t *testing.T) {
	t.Parallel()
	for _, kind := range storetest.Kinds(t) {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			in := mailtest.Start(t)
			s := serve(t, storetest.URL(t, kind), "DIALTONE_SMTP_URL=smtp://"+in.Addr+"?tls=none",
				"DIALTONE_PUBLIC_URL=https://portal.contract.test")
			owner := s.customer("logins", "EUR")
			s.mu.Lock()
			ownerEmail := s.who[owner]
			s.mu.Unlock()

			r := s.must(201, "POST", "/v1/logins", owner, map[string]any{"email": "Vera@Contract.test", "role": "viewer"})
			if r.body["status"] != "invited" || r.body["role"] != "viewer" || r.body["email"] != "vera@contract.test" {
				t.Errorf("invitation: %s", r.raw)
			}
			vid := str(r.body["id"])
			s.fails(409, "conflict", "email", "POST", "/v1/logins", owner, map[string]any{"email": "vera@contract.test", "role": "admin"})
			s.fails(400, "invalid_request", "", "POST", "/v1/logins", owner, map[string]any{"email": "vera", "role": "admin"})
			tok := token(t, in, "vera@contract.test", "invitations", 1)
			s.fails(400, "invalid_request", "password", "POST", "/v1/password_resets/"+tok, "", map[string]any{"password": "short"})
			r = s.must(200, "POST", "/v1/password_resets/"+tok, "", map[string]any{"password": "vera's password"})
			if r.body["status"] != "active" || r.body["id"] != vid {
				t.Errorf("invitation taken: %s", r.raw)
			}
			s.fails(404, "not_found", "", "POST", "/v1/password_resets/"+tok, "", map[string]any{"password": "vera's password"})
			vera := str(s.must(201, "POST", "/v1/sessions", "", map[string]any{"email": "vera@contract.test", "password": "vera's password"}).body["token"])
			if ls := s.must(200, "GET", "/v1/logins", vera, nil).data(); len(ls) != 2 {
				t.Errorf("logins: %v", ls)
			}
			s.fails(403, "forbidden", "", "POST", "/v1/logins", vera, map[string]any{"email": "x@contract.test", "role": "admin"})
			s.fails(403, "forbidden", "", "POST", "/v1/billing_addresses", vera, map[string]any{})
			s.fails(403, "forbidden", "", "PATCH", "/v1/account", vera, map[string]any{"company": "Evil"})

			r = s.must(200, "PATCH", "/v1/account", owner, map[string]any{"company": "Contract Logins GmbH"})
			if r.body["company"] != "Contract Logins GmbH" {
				t.Errorf("company: %s", r.raw)
			}
			s.fails(400, "invalid_request", "", "PATCH", "/v1/account", owner, map[string]any{"company": strings.Repeat("x", 101)})

			// Reset: the same answer for a known and an unknown address.
			known := s.must(202, "POST", "/v1/password_resets", "", map[string]any{"email": ownerEmail})
			unknown := s.must(202, "POST", "/v1/password_resets", "", map[string]any{"email": "nobody@contract.test"})
			if string(known.raw) != string(unknown.raw) {
				t.Errorf("reset answers differ: %s vs %s", known.raw, unknown.raw)
			}
			rt := token(t, in, ownerEmail, "password_resets", 1)
			s.must(200, "POST", "/v1/password_resets/"+rt, "", map[string]any{"password": "a new password"})
			s.fails(401, "unauthenticated", "", "GET", "/v1/account", owner, nil)
			s.fails(404, "not_found", "", "POST", "/v1/password_resets/"+rt, "", map[string]any{"password": "again a new one"})
			owner = str(s.must(201, "POST", "/v1/sessions", "", map[string]any{"email": ownerEmail, "password": "a new password"}).body["token"])

			s.must(200, "DELETE", "/v1/logins/"+vid, owner, nil)
			s.fails(401, "unauthenticated", "", "GET", "/v1/account", vera, nil)
			s.fails(404, "not_found", "", "DELETE", "/v1/logins/"+vid, owner, nil)
		})
	}
}
