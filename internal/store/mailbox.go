package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"

	"github.com/dialtone/dialtone/internal/market"
)

// InsertMailbox keeps a mail; it reports false (and keeps nothing) when
// the mail of this outbox row is kept already.
func (q *Q) InsertMailbox(ctx context.Context, m market.MailboxMail) (bool, error) {
	res, err := q.ex.ExecContext(ctx, `INSERT INTO mailbox (id, outbox_id, customer_id, notification_id, recipient, subject, text_body,
		html_body, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (outbox_id) DO NOTHING`,
		m.ID, m.OutboxID, m.CustomerID, m.NotificationID, m.To, m.Subject, m.Text, m.HTML, ts(m.CreatedAt))
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	for i, a := range m.Attachments {
		if _, err := q.ex.ExecContext(ctx, `INSERT INTO mailbox_attachments (mail_id, seq, filename, content_type, size, content, invoice_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, m.ID, i+1, a.Filename, a.ContentType, int64(len(a.Content)),
			base64.StdEncoding.EncodeToString(a.Content), a.InvoiceID); err != nil {
			return false, err
		}
	}
	return true, nil
}

const mailboxCols = `id, outbox_id, customer_id, notification_id, recipient, subject, text_body, html_body, created_at`

func scanMailbox(sc interface{ Scan(...any) error }) (market.MailboxMail, error) {
	var m market.MailboxMail
	var created int64
	err := sc.Scan(&m.ID, &m.OutboxID, &m.CustomerID, &m.NotificationID, &m.To, &m.Subject, &m.Text, &m.HTML, &created)
	m.CreatedAt = fromTS(created)
	return m, err
}

// Mailbox lists kept mails, newest first: every customer's when customerID
// is "", else that customer's. Attachments come without their content.
func (q *Q) Mailbox(ctx context.Context, customerID string, p Page) ([]market.MailboxMail, error) {
	rows, err := q.ex.QueryContext(ctx, `SELECT `+mailboxCols+` FROM mailbox WHERE ($1 = '' OR customer_id = $1)
		AND ($2 = '' OR id < $2) ORDER BY id DESC LIMIT $3`, customerID, p.After, p.limit()+1)
	if err != nil {
		return nil, err
	}
	var out []market.MailboxMail
	for rows.Next() {
		m, err := scanMailbox(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Attachments, err = q.attachments(ctx, out[i].ID, false); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// MailboxMail returns a kept mail with its attachments' content (none yet
// for an attachment kept by reference and never read: its InvoiceID says
// what to render, and KeepAttachment keeps it); scoped to customerID unless
// it is "". Error: not_found.
func (q *Q) MailboxMail(ctx context.Context, customerID, id string) (market.MailboxMail, error) {
	m, err := scanMailbox(q.ex.QueryRowContext(ctx, `SELECT `+mailboxCols+` FROM mailbox WHERE id = $1 AND ($2 = '' OR customer_id = $2)`,
		id, customerID))
	if errors.Is(err, sql.ErrNoRows) {
		return m, market.NotFound("mail")
	}
	if err != nil {
		return m, err
	}
	m.Attachments, err = q.attachments(ctx, id, true)
	return m, err
}

// MailsOfNotifications maps each of the notifications that has a kept mail
// to that mail's ID (the newest, should one have several).
func (q *Q) MailsOfNotifications(ctx context.Context, customerID string, notificationIDs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, n := range notificationIDs {
		var id string
		err := q.ex.QueryRowContext(ctx, `SELECT id FROM mailbox WHERE notification_id = $1 AND customer_id = $2 ORDER BY id DESC LIMIT 1`,
			n, customerID).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[n] = id
	}
	return out, nil
}

func (q *Q) attachments(ctx context.Context, mailID string, content bool) ([]market.MailAttachment, error) {
	rows, err := q.ex.QueryContext(ctx, `SELECT filename, content_type, size, content, invoice_id FROM mailbox_attachments
		WHERE mail_id = $1 ORDER BY seq`, mailID)
	if err != nil {
		return nil, err
	}
	var out []market.MailAttachment
	for rows.Next() {
		var a market.MailAttachment
		var enc string
		if err := rows.Scan(&a.Filename, &a.ContentType, &a.Size, &enc, &a.InvoiceID); err != nil {
			rows.Close()
			return nil, err
		}
		if content && enc != "" {
			if a.Content, err = base64.StdEncoding.DecodeString(enc); err != nil {
				rows.Close()
				return nil, err
			}
		}
		out = append(out, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// KeepAttachment keeps the content of a mail's attachment kept by
// reference (its seq-th, from 1), rendered the first time it is read, so
// that every later read serves the same file (a rendered PDF is not
// byte-for-byte the same twice). Should another reader have kept one
// meanwhile, it returns theirs. Error: not_found.
func (q *Q) KeepAttachment(ctx context.Context, mailID string, seq int, content []byte) ([]byte, error) {
	res, err := q.ex.ExecContext(ctx, `UPDATE mailbox_attachments SET content = $1, size = $2 WHERE mail_id = $3 AND seq = $4 AND content = ''`,
		base64.StdEncoding.EncodeToString(content), int64(len(content)), mailID, seq)
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return content, nil
	}
	var enc string
	err = q.ex.QueryRowContext(ctx, `SELECT content FROM mailbox_attachments WHERE mail_id = $1 AND seq = $2`, mailID, seq).Scan(&enc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, market.NotFound("attachment")
	}
	if err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(enc)
}

// MailSettings returns the customer's settings; the defaults (invoices
// e-mailed to the owner) when never set.
func (q *Q) MailSettings(ctx context.Context, customerID string) (market.MailSettings, error) {
	m := market.MailSettings{CustomerID: customerID, InvoiceEmails: true}
	var on int
	err := q.ex.QueryRowContext(ctx, `SELECT invoice_emails, billing_email FROM mail_settings WHERE customer_id = $1`, customerID).
		Scan(&on, &m.BillingEmail)
	if errors.Is(err, sql.ErrNoRows) {
		return m, nil
	}
	m.InvoiceEmails = on == 1
	return m, err
}

// SetMailSettings stores the customer's settings.
func (q *Q) SetMailSettings(ctx context.Context, m market.MailSettings) error {
	on := 0
	if m.InvoiceEmails {
		on = 1
	}
	_, err := q.ex.ExecContext(ctx, `INSERT INTO mail_settings (customer_id, invoice_emails, billing_email) VALUES ($1, $2, $3)
		ON CONFLICT (customer_id) DO UPDATE SET invoice_emails = excluded.invoice_emails, billing_email = excluded.billing_email`,
		m.CustomerID, on, m.BillingEmail)
	return err
}

// InvoiceRecipients returns, for each of the customers, where their
// invoices are e-mailed: the billing e-mail, else the owner's, or "" when
// they turned invoice e-mails off (MailSettings), in one statement. A
// customer that does not exist is not in the map.
func (q *Q) InvoiceRecipients(ctx context.Context, customerIDs []string) (map[string]string, error) {
	out := make(map[string]string, len(customerIDs))
	if len(customerIDs) == 0 {
		return out, nil
	}
	args := make([]any, len(customerIDs))
	for i, id := range customerIDs {
		args[i] = id
	}
	rows, err := q.ex.QueryContext(ctx, `SELECT c.id, COALESCE(m.invoice_emails, 1),
		CASE WHEN COALESCE(m.billing_email, '') = '' THEN c.email ELSE m.billing_email END
		FROM customers c LEFT JOIN mail_settings m ON m.customer_id = c.id WHERE c.id IN `+marks(q.dialect, 0, len(args)), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, to string
		var on int
		if err := rows.Scan(&id, &on, &to); err != nil {
			return nil, err
		}
		if on != 1 {
			to = ""
		}
		out[id] = to
	}
	return out, rows.Err()
}
