// Package mailtest is an in-process SMTP server for tests (go-smtp): it
// keeps every message it receives, decoded into its text and HTML parts,
// so a test can read what dialtone e-mailed and follow its links.
package mailtest

import (
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Mail is one received message.
type Mail struct {
	To      string // the recipients, comma-separated
	Subject string // decoded
	Text    string // the text/plain part
	HTML    string // the text/html part
	// Attachments are the parts with a file name, in order.
	Attachments []Attachment
}

// Attachment is an attached file, decoded.
type Attachment struct {
	Filename    string
	ContentType string
	Content     []byte
}

// Box is a running SMTP server on 127.0.0.1 and what it received.
type Box struct {
	// Addr is host:port, for smtp://ADDR?tls=none.
	Addr string

	mu   sync.Mutex
	msgs []Mail
}

// Start runs a server until the test ends.
func Start(t testing.TB) *Box {
	t.Helper()
	b := &Box{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{box: b}, nil }))
	srv.Domain, srv.AllowInsecureAuth = "localhost", true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b.Addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return b
}

// To returns the messages received so far for a recipient, oldest first.
func (b *Box) To(addr string) []Mail {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []Mail
	for _, m := range b.msgs {
		if strings.Contains(m.To, addr) {
			out = append(out, m)
		}
	}
	return out
}

// Wait returns the n-th message (from 1) to addr, waiting up to d for it;
// it fails the test when it does not come.
func (b *Box) Wait(t testing.TB, addr string, n int, d time.Duration) Mail {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		got := b.To(addr)
		if len(got) >= n {
			return got[n-1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no mail %d to %s within %v (got %d)", n, addr, d, len(got))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type session struct {
	box *Box
	to  []string
}

func (s *session) Reset()                                    { s.to = nil }
func (s *session) Logout() error                             { return nil }
func (s *session) Mail(string, *smtp.MailOptions) error      { return nil }
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error { s.to = append(s.to, to); return nil }

func (s *session) Data(r io.Reader) error {
	m, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	g := Mail{To: strings.Join(s.to, ","), Subject: m.Header.Get("Subject")}
	if dec, err := new(mime.WordDecoder).DecodeHeader(g.Subject); err == nil {
		g.Subject = dec
	}
	if err := readPart(&g, m.Header.Get("Content-Type"), m.Header.Get("Content-Transfer-Encoding"), "", m.Body); err != nil {
		return err
	}
	s.box.mu.Lock()
	s.box.msgs = append(s.box.msgs, g)
	s.box.mu.Unlock()
	return nil
}

// readPart decodes one MIME part into g, descending into multiparts:
// go-mail nests the text and HTML alternatives inside multipart/mixed
// when there are attachments.
func readPart(g *Mail, contentType, encoding, disposition string, r io.Reader) error {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return err
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(r, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if err := readPart(g, p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"),
				p.Header.Get("Content-Disposition"), p); err != nil {
				return err
			}
		}
	}
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r)
	}
	body, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, dparams, _ := mime.ParseMediaType(disposition)
	name := dparams["filename"]
	if name == "" {
		name = params["name"]
	}
	switch {
	case name != "":
		g.Attachments = append(g.Attachments, Attachment{Filename: name, ContentType: mt, Content: body})
	case mt == "text/plain":
		g.Text = string(body)
	case mt == "text/html":
		g.HTML = string(body)
	}
	return nil
}
