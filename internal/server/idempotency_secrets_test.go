package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestIdempotencyKeepsNoSecrets: the answers of POST /v1/sessions (the
// session token) and POST /v1/sip_accounts/{id}/password (the new SIP
// password, shown once) are not kept for an Idempotency-Key's replay:
// the stored row holds neither secret, and a replay is 409
// idempotency_key_in_use in words and does nothing more (no new session,
// no new password). Their refusals (wrong password) are kept and replayed
// as any other answer.
func TestIdempotencyKeepsNoSecrets(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st)
		tok := a.signup("secret@acme.test", "CHF")
		addr := a.address(tok)
		if r := a.do("POST", "/v1/orders", tok, topUp(100000)); r.status != 201 {
			t.Fatalf("top-up: %d %s", r.status, r.raw)
		}
		if r := a.do("POST", "/v1/orders", tok, map[string]any{"billing_address": addr, "payment": map[string]any{"method": "balance"},
			"items": []any{map[string]any{"type": "subscription", "plan": "start", "quantity": 2, "term_months": 1}}}); r.status != 201 {
			t.Fatalf("order: %d %s", r.status, r.raw)
		}
		stored := func(key string) (int, string) {
			t.Helper()
			var status int
			var body string
			if err := st.DB().QueryRowContext(context.Background(), `SELECT status, response FROM idempotency_keys WHERE key = $1`, key).Scan(&status, &body); err != nil {
				t.Fatalf("row of %s: %v", key, err)
			}
			return status, body
		}
		replayRefused := func(what string, r resp) {
			t.Helper()
			if r.status != 409 || r.errCode() != "idempotency_key_in_use" || !strings.Contains(string(r.raw), "not kept") {
				t.Errorf("%s replayed: %d %s; want 409 idempotency_key_in_use saying the answer is not kept", what, r.status, r.raw)
			}
		}

		// Log in.
		login := map[string]any{"email": "secret@acme.test", "password": "correct horse"}
		first := a.do("POST", "/v1/sessions", "", login, "Idempotency-Key", "login-1")
		session, _ := first.body["token"].(string)
		if first.status != 201 || session == "" {
			t.Fatalf("login: %d %s", first.status, first.raw)
		}
		if status, body := stored("login-1"); status != 201 || strings.Contains(body, session) {
			t.Errorf("stored login answer: %d %q holds the session token", status, body)
		}
		again := a.do("POST", "/v1/sessions", "", login, "Idempotency-Key", "login-1")
		replayRefused("login", again)
		if strings.Contains(string(again.raw), session) || again.header.Get("Set-Cookie") != "" {
			t.Errorf("a replay gave the session out again: %s", again.raw)
		}
		// A refused login is kept and replayed.
		bad := map[string]any{"email": "secret@acme.test", "password": "wrong horse"}
		r1 := a.do("POST", "/v1/sessions", "", bad, "Idempotency-Key", "login-2")
		r2 := a.do("POST", "/v1/sessions", "", bad, "Idempotency-Key", "login-2")
		if r1.status != 401 || r2.status != 401 || r2.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("refused login and its replay: %d, %d %s", r1.status, r2.status, r2.raw)
		}

		// Rotate a SIP password.
		accts := dataOf(a.do("GET", "/v1/sip_accounts", tok, nil))
		if len(accts) == 0 {
			t.Fatal("no SIP account")
		}
		path := "/v1/sip_accounts/" + accts[0]["id"].(string) + "/password"
		rot := a.do("POST", path, tok, nil, "Idempotency-Key", "rotate-1")
		pw, _ := rot.body["password"].(string)
		if rot.status != 200 || len(pw) < 12 {
			t.Fatalf("rotate: %d %s", rot.status, rot.raw)
		}
		if status, body := stored("rotate-1"); status != 200 || strings.Contains(body, pw) {
			t.Errorf("stored rotation answer: %d %q holds the password", status, body)
		}
		again = a.do("POST", path, tok, nil, "Idempotency-Key", "rotate-1")
		replayRefused("rotation", again)
		if strings.Contains(string(again.raw), pw) {
			t.Errorf("a replay gave the password out again: %s", again.raw)
		}
		// Nothing more was done: the digest secret is still the first answer's.
		ha1 := func() string {
			t.Helper()
			var h string
			if err := st.DB().QueryRowContext(context.Background(), `SELECT ha1_md5 FROM sip_accounts WHERE id = $1`, accts[0]["id"]).Scan(&h); err != nil {
				t.Fatal(err)
			}
			return h
		}
		before := ha1()
		a.do("POST", path, tok, nil, "Idempotency-Key", "rotate-1")
		if ha1() != before {
			t.Errorf("a replay rotated the password again")
		}
	})
}
