// Package notify sends dialtone's notifications as e-mail through SMTP. The
// scheduler hands it mails from the outbox, after the transaction that
// created them committed; the outbox retries them while the server is down.
package notify

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wneessen/go-mail"
)

// Mail is one message: a plain-text and an HTML part, and attachments.
type Mail struct {
	To          string
	Subject     string
	Text        string
	HTML        string
	Attachments []Attachment
	// CustomerID, NotificationID and OutboxID say what the mail was sent
	// for (the sandbox mailbox keeps them; SMTP ignores them).
	CustomerID, NotificationID, OutboxID string
}

// Attachment is a file attached to a mail.
type Attachment struct {
	Filename    string
	ContentType string
	Content     []byte
	// InvoiceID, for a mailer that keeps references (the sandbox mailbox),
	// is the invoice whose PDF this is, with Content left empty: the PDF is
	// rendered when the kept mail is read, not when it is sent.
	InvoiceID string
}

// Mailer sends mail.
type Mailer interface {
	Send(ctx context.Context, m Mail) error
}

// SMTP sends through an SMTP server.
type SMTP struct {
	host string
	from string
	opts []mail.Option
}

// NewSMTP parses an SMTP URL: smtp://[user:pass@]host[:port][?tls=none|opportunistic|mandatory]
// (default port 587, TLS mandatory, except tls=none which defaults to port
// 25) or smtps://… for implicit TLS (port 465). from is the sender address.
func NewSMTP(raw, from string) (*SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("notify: bad SMTP URL")
	}
	s := &SMTP{host: u.Hostname(), from: from, opts: []mail.Option{mail.WithTimeout(15 * time.Second)}}
	port := 587
	switch u.Scheme {
	case "smtps":
		port = 465
		s.opts = append(s.opts, mail.WithSSL())
	case "smtp":
		switch u.Query().Get("tls") {
		case "none":
			port = 25
			s.opts = append(s.opts, mail.WithTLSPolicy(mail.NoTLS))
		case "opportunistic":
			s.opts = append(s.opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
		case "", "mandatory":
			s.opts = append(s.opts, mail.WithTLSPolicy(mail.TLSMandatory))
		default:
			return nil, fmt.Errorf("notify: tls must be none, opportunistic or mandatory")
		}
	default:
		return nil, fmt.Errorf("notify: SMTP URL scheme must be smtp or smtps")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, fmt.Errorf("notify: bad SMTP port")
		}
		port = n
	}
	s.opts = append(s.opts, mail.WithPort(port))
	if u.User != nil {
		pw, _ := u.User.Password()
		s.opts = append(s.opts, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(u.User.Username()), mail.WithPassword(pw))
	}
	if s.from == "" {
		s.from = "dialtone <no-reply@" + s.host + ">"
	}
	return s, nil
}

// Send delivers one mail.
func (s *SMTP) Send(ctx context.Context, m Mail) error {
	msg := mail.NewMsg()
	if err := msg.From(s.from); err != nil {
		return fmt.Errorf("notify: from: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("notify: to: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	for _, a := range m.Attachments {
		if err := msg.AttachReader(a.Filename, bytes.NewReader(a.Content), mail.WithFileContentType(mail.ContentType(a.ContentType))); err != nil {
			return fmt.Errorf("notify: attachment %s: %w", a.Filename, err)
		}
	}
	c, err := mail.NewClient(s.host, s.opts...)
	if err != nil {
		return fmt.Errorf("notify: client: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("notify: send: %w", err)
	}
	return nil
}

//go:embed mail.html
var pageHTML string

// page is the HTML part of a mail (mail.html). The file's
// last newline is not part of the page.
var page = template.Must(template.New("mail").Parse(strings.TrimSuffix(pageHTML, "\n")))

// Compose builds a mail from a notification: its subject, its text, and a
// call to action (a link and its label) when there is something to do.
func Compose(to, subject, body, action, actionText string) (Mail, error) {
	text := body
	if action != "" {
		text += "\n\n" + actionText + ": " + action
	}
	var buf bytes.Buffer
	err := page.Execute(&buf, map[string]any{"Subject": subject, "Paragraphs": strings.Split(body, "\n\n"),
		"Action": action, "ActionText": actionText})
	return Mail{To: to, Subject: subject, Text: text + "\n", HTML: buf.String()}, err
}
