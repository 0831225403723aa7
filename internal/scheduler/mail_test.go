package scheduler_test

import (
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/dialtone/dialtone/internal/notify"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// inbox is an in-process SMTP server that keeps what it receives.
type inbox struct {
	mu   sync.Mutex
	msgs []received
}

type received struct {
	from string
	to   []string
	data string
}

type session struct {
	in  *inbox
	cur received
}

func (s *session) Reset()        { s.cur = received{} }
func (s *session) Logout() error { return nil }
func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.cur.from = from
	return nil
}
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = string(b)
	s.in.mu.Lock()
	s.in.msgs = append(s.in.msgs, s.cur)
	s.in.mu.Unlock()
	return nil
}

func (in *inbox) serve(t *testing.T, addr string) {
	t.Helper()
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{in: in}, nil }))
	srv.Addr, srv.Domain, srv.AllowInsecureAuth = addr, "localhost", true
	srv.ErrorLog = nil
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
}

func (in *inbox) all() []received {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]received(nil), in.msgs...)
}

// TestMailOutbox: notifications are e-mailed once, after commit, with a
// plain-text and an HTML part and a link saying what to do; while the SMTP
// server is down they wait in the outbox and are retried.
func TestMailOutbox(t *testing.T) {
	t.Parallel()
	w, manual, _ := newWorld(t, storetest.Open(t, "sqlite"))
	// A free port with nothing listening: the SMTP server is down.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	m, err := notify.NewSMTP("smtp://"+addr+"?tls=none", "Dialtone <billing@dialtone.test>")
	if err != nil {
		t.Fatal(err)
	}
	w.sched.Mailer = m
	// 14 days before the manual subscription ends: one reminder.
	if err := w.sched.Advance(ctx, w.clk, 17*24*time.Hour+time.Hour); err != nil {
		t.Fatal(err)
	}
	if n, _ := w.st.Read().OutboxPending(ctx); n == 0 {
		t.Fatalf("no mail waiting while the SMTP server is down")
	}
	in := &inbox{}
	in.serve(t, addr)
	// Retried after the backoff.
	if err := w.sched.Advance(ctx, w.clk, 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	// The world's purchases were e-mailed their invoices (with the PDF);
	// the reminder is the one other mail.
	reminders := func() []received {
		var out []received
		for _, m := range in.all() {
			if !strings.Contains(m.data, "Subject: Invoice ") {
				out = append(out, m)
			} else if !strings.Contains(m.data, "application/pdf") {
				t.Errorf("an invoice mail without its PDF:\n%.2000s", m.data)
			}
		}
		return out
	}
	msgs := reminders()
	if len(msgs) != 1 {
		t.Fatalf("%d mails, want 1", len(msgs))
	}
	got := msgs[0]
	for _, want := range []string{"Subject: Your subscription ends in 14 days", "text/plain", "text/html", "/subscriptions/" + manual, "Renew now"} {
		if !strings.Contains(got.data, want) {
			t.Errorf("mail lacks %q:\n%s", want, got.data)
		}
	}
	if len(got.to) != 1 || got.to[0] != "life@acme.test" || got.from != "billing@dialtone.test" {
		t.Errorf("envelope from %q to %v", got.from, got.to)
	}
	// Nothing is sent twice.
	if err := w.sched.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(reminders()); n != 1 {
		t.Errorf("%d mails after a rerun, want 1", n)
	}
}
