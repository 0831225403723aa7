package billing

import (
	"context"
	"encoding/json"
	"fmt"
	"net/mail"
	"strings"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
	"github.com/dialtone/dialtone/internal/notify"
	"github.com/dialtone/dialtone/internal/store"
)

// MailMode says what becomes of the e-mails dialtone writes.
type MailMode int

// The modes: SMTP configured (sent), a sandbox without SMTP (kept in the
// mailbox), production without SMTP (neither: the outbox keeps them
// unsent, and the log says so at start).
const (
	MailOff MailMode = iota
	MailSMTP
	MailMailbox
)

// MailMode returns what becomes of e-mails, for pages and answers that
// must not claim an e-mail was sent when none was.
func (s *Service) MailMode() MailMode { return s.cfg.Mail }

// Mailbox is the sandbox's Mailer without SMTP: it keeps each mail in the
// database (migration 00021), once per outbox row however often delivery
// runs, for the operator (GET /v1/admin/mailbox) and the customer (from
// Notifications) to read.
func (s *Service) Mailbox() notify.Mailer { return mailbox{s} }

type mailbox struct{ s *Service }

func (b mailbox) Send(ctx context.Context, m notify.Mail) error {
	row := market.MailboxMail{ID: b.s.ids.New("mbx"), OutboxID: m.OutboxID, CustomerID: m.CustomerID, NotificationID: m.NotificationID,
		To: m.To, Subject: m.Subject, Text: m.Text, HTML: m.HTML, CreatedAt: b.s.now()}
	for _, a := range m.Attachments {
		row.Attachments = append(row.Attachments, market.MailAttachment{Filename: a.Filename, ContentType: a.ContentType, Content: a.Content,
			InvoiceID: a.InvoiceID})
	}
	if row.OutboxID == "" {
		row.OutboxID = row.ID
	}
	return b.s.store.Tx(ctx, func(q *store.Q) error {
		_, err := q.InsertMailbox(ctx, row)
		return err
	})
}

// MailboxMails lists the kept mails, newest first: every customer's for
// the operator, the principal's own otherwise.
func (s *Service) MailboxMails(ctx context.Context, p Principal, page store.Page) ([]market.MailboxMail, error) {
	return s.store.Read().Mailbox(ctx, p.scope(), page)
}

// MailboxOf lists the kept e-mails of one customer ("" = every
// customer), newest first, for the back office. Error: not_found for a
// customer that does not exist.
func (s *Service) MailboxOf(ctx context.Context, customerID string, page store.Page) ([]market.MailboxMail, error) {
	q := s.store.Read()
	if customerID != "" {
		if _, err := q.Customer(ctx, customerID); err != nil {
			return nil, err
		}
	}
	return q.Mailbox(ctx, customerID, page)
}

// MailboxMail returns a kept mail with its attachments. Error: not_found
// (also another customer's).
func (s *Service) MailboxMail(ctx context.Context, p Principal, id string) (market.MailboxMail, error) {
	return mailWithAttachments(ctx, s.store.Read(), p.scope(), id)
}

// MailSettings returns how the customer's invoices are e-mailed.
func (s *Service) MailSettings(ctx context.Context, customerID string) (market.MailSettings, error) {
	return s.store.Read().MailSettings(ctx, customerID)
}

// MailSettingsInput changes how invoices are e-mailed; nil fields stay.
type MailSettingsInput struct {
	InvoiceEmails *bool
	// BillingEmail is the invoices' recipient; "" is the owner's e-mail.
	BillingEmail *string
}

// CheckBillingEmail validates an invoices' recipient ("" is allowed: the
// owner's). Error: invalid_request naming billing_email.
func CheckBillingEmail(e string) (string, error) {
	e = strings.TrimSpace(e)
	if e == "" {
		return "", nil
	}
	if a, err := mail.ParseAddress(e); err != nil || a.Address != e || len(e) > 254 || !strings.Contains(e[strings.LastIndex(e, "@")+1:], ".") {
		return "", &market.Error{Code: market.CodeInvalidRequest, Param: "billing_email",
			Message: "billing_email must be an e-mail address such as books@example.com (or empty for the owner's e-mail)"}
	}
	return e, nil
}

// SetMailSettings changes how the customer's invoices are e-mailed: the
// owner or an admin only. Errors: forbidden, invalid_request.
func (s *Service) SetMailSettings(ctx context.Context, p Principal, in MailSettingsInput) (market.MailSettings, error) {
	if err := p.mayManage(); err != nil {
		return market.MailSettings{}, err
	}
	var email string
	if in.BillingEmail != nil {
		var err error
		if email, err = CheckBillingEmail(*in.BillingEmail); err != nil {
			return market.MailSettings{}, err
		}
	}
	var out market.MailSettings
	err := s.store.Tx(ctx, func(q *store.Q) error {
		if _, err := q.LockCustomer(ctx, p.CustomerID); err != nil {
			return err
		}
		m, err := q.MailSettings(ctx, p.CustomerID)
		if err != nil {
			return err
		}
		if in.InvoiceEmails != nil {
			m.InvoiceEmails = *in.InvoiceEmails
		}
		if in.BillingEmail != nil {
			m.BillingEmail = email
		}
		out = m
		return q.SetMailSettings(ctx, m)
	})
	return out, err
}

// mailInvoiceTo queues the e-mail of a paid invoice or a credit note with
// its PDF to to ("" is the owner's e-mail; the callers read
// store.InvoiceRecipients), in the transaction that numbers it: its
// notification's dedupe key is the invoice's ID, so it is queued exactly
// once, and the outbox sends it after commit (DeliverMail renders and
// attaches the PDF). The callers skip an invoice of nothing to pay (a
// trial) and an account that opted out.
func (s *Service) mailInvoiceTo(ctx context.Context, q *store.Q, v market.Invoice, to string) error {
	total := money.Format(money.New(v.Totals.Total, v.Currency))
	day := v.IssuedAt.Format("2 Jan 2006")
	subject := fmt.Sprintf("Invoice of %s: %s paid", day, total)
	body := fmt.Sprintf("Thank you for your payment. The invoice of %s for %s (order %s) is attached as PDF.\n\n"+
		"You can also find it in the portal under Invoices. To stop receiving invoices by e-mail, "+
		"turn them off in Account settings.", day, total, v.OrderID)
	typ := "invoice_paid"
	if v.Kind == "credit_note" {
		typ = "credit_note_issued"
		credit := money.Format(money.New(-v.Totals.Total, v.Currency))
		subject = fmt.Sprintf("Credit note of %s: %s", day, credit)
		body = fmt.Sprintf("Credit note of %s for %s, order %s, is attached as PDF.\n\n"+
			"You can also find it in the portal under Invoices. To stop receiving invoices by e-mail, "+
			"turn them off in Account settings.", day, credit, v.OrderID)
	}
	// Dated with the invoice, not with the pass that numbered it (on
	// PostgreSQL that may run after the sandbox clock moved on).
	n := market.Notification{ID: s.ids.New("ntf"), CustomerID: v.CustomerID, Type: typ, Subject: subject,
		Body: body, ObjectType: "invoice", ObjectID: v.ID, DedupeKey: "invoice:" + v.ID, CreatedAt: v.IssuedAt}
	fresh, err := q.InsertNotification(ctx, n)
	if err != nil || !fresh {
		return err
	}
	if to == "" {
		c, err := q.Customer(ctx, v.CustomerID)
		if err != nil {
			return err
		}
		to = c.Email
	}
	return q.InsertOutbox(ctx, s.ids.New("out"), n.ID, to, s.now())
}

// invoiceAttachment renders the PDF of the invoice a mail is about; by
// reference only (the invoice's ID, no content) when byRef, for a mailer
// that keeps references: a renewal run's thousands of invoice e-mails are
// then kept without rendering a PDF each (about 40 ms of CPU).
func (s *Service) invoiceAttachment(ctx context.Context, o market.OutboxMail, byRef bool) (notify.Attachment, error) {
	v, doc, err := s.Invoice(ctx, Principal{CustomerID: o.CustomerID}, o.ObjectID)
	if err != nil {
		return notify.Attachment{}, err
	}
	name := "invoice-" + v.Number + ".pdf"
	if v.Kind == "credit_note" {
		name = "credit-note-" + v.Number + ".pdf"
	}
	a := notify.Attachment{Filename: name, ContentType: "application/pdf"}
	if byRef {
		a.InvoiceID = v.ID
		return a, nil
	}
	a.Content, err = InvoicePDF(doc)
	return a, err
}

// referenceKeeper is a mailer that keeps an invoice's PDF by reference
// (notify.Attachment.InvoiceID) and renders it when read.
type referenceKeeper interface{ keepsReferences() }

func (mailbox) keepsReferences() {}

func keepsReferences(m notify.Mailer) bool {
	_, ok := m.(referenceKeeper)
	return ok
}

// mailWithAttachments reads a kept mail and renders the attachments it
// keeps by reference (an invoice's PDF, from its frozen document) the first
// time they are read; the store keeps what was rendered.
func mailWithAttachments(ctx context.Context, q *store.Q, customerID, id string) (market.MailboxMail, error) {
	m, err := q.MailboxMail(ctx, customerID, id)
	if err != nil {
		return m, err
	}
	for i, a := range m.Attachments {
		if a.InvoiceID == "" || len(a.Content) > 0 {
			continue
		}
		pdf, err := renderInvoicePDF(ctx, q, a.InvoiceID)
		if err != nil {
			return m, fmt.Errorf("attachment of invoice %s: %w", a.InvoiceID, err)
		}
		if pdf, err = q.KeepAttachment(ctx, m.ID, i+1, pdf); err != nil {
			return m, err
		}
		m.Attachments[i].Content, m.Attachments[i].Size = pdf, int64(len(pdf))
	}
	return m, nil
}

// renderInvoicePDF renders an invoice's PDF from its frozen document.
func renderInvoicePDF(ctx context.Context, q *store.Q, invoiceID string) ([]byte, error) {
	v, err := q.Invoice(ctx, "", invoiceID)
	if err != nil {
		return nil, err
	}
	var doc InvoiceDoc
	if err := json.Unmarshal([]byte(v.Document), &doc); err != nil {
		return nil, fmt.Errorf("invoice %s: %w", v.ID, err)
	}
	return InvoicePDF(doc)
}
