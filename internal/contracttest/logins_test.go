package contracttest

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

	"github.com/emersion/go-smtp"

	"github.com/dialtone/dialtone/internal/store/storetest"
)

// inbox is an in-process SMTP server the server under test sends to.
type inbox struct {
	mu   sync.Mutex
	msgs []letter
	addr string
}

// letter is a received mail with its decoded parts.
type letter struct{ to, subject, text, html string }

type inboxSession struct {
	in *inbox
	to []string
}

func (s *inboxSession) Reset()                               { s.to = nil }
func (s *inboxSession) Logout() error                        { return nil }
func (s *inboxSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *inboxSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *inboxSession) Data(r io.Reader) error {
	m, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	l := letter{to: strings.Join(s.to, ","), subject: m.Header.Get("Subject")}
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
			l.text = string(b)
		case strings.HasPrefix(ct, "text/html"):
			l.html = string(b)
		}
	}
	s.in.mu.Lock()
	s.in.msgs = append(s.in.msgs, l)
	s.in.mu.Unlock()
	return nil
}

func newInbox(t *testing.T) *inbox {
	t.Helper()
	in := &inbox{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &inboxSession{in: in}, nil }))
	srv.Domain, srv.AllowInsecureAuth = "localhost", true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	in.addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return in
}

var mailLink = regexp.MustCompile(`https://portal\.contract\.test/(invitations|password_resets)/([A-Za-z0-9]+)`)

// token waits for the n-th mail to addr and returns the token its link
// (of kind) ends with, checking its text and HTML parts.
func (in *inbox) token(t *testing.T, addr, kind string, n int) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		in.mu.Lock()
		var got []letter
		for _, m := range in.msgs {
			if strings.Contains(m.to, addr) {
				got = append(got, m)
			}
		}
		in.mu.Unlock()
		if len(got) >= n {
			m := got[n-1]
			l := mailLink.FindStringSubmatch(m.text)
			if l == nil || l[1] != kind {
				t.Fatalf("mail to %s: no %s link in its text: %q", addr, kind, m.text)
			}
			if !strings.Contains(m.html, `href="`+l[0]+`"`) {
				t.Fatalf("mail to %s: its HTML does not link to %s: %q", addr, l[0], m.html)
			}
			return l[2]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no mail %d to %s within 20 s (got %d)", n, addr, len(got))
		}
		time.Sleep(100 * time.Millisecond)
	}
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
			in := newInbox(t)
			s := serve(t, storetest.URL(t, kind), "DIALTONE_SMTP_URL=smtp://"+in.addr+"?tls=none",
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
			tok := in.token(t, "vera@contract.test", "invitations", 1)
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
			rt := in.token(t, ownerEmail, "password_resets", 1)
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
