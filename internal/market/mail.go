package market

import "time"

// MailboxMail is an e-mail kept by the sandbox mailbox instead of being
// sent (migration 00021).
type MailboxMail struct {
	ID             string
	OutboxID       string
	CustomerID     string
	NotificationID string
	To             string
	Subject        string
	Text           string
	HTML           string
	CreatedAt      time.Time
	Attachments    []MailAttachment
}

// MailAttachment is a file attached to a mail. Content is empty in lists.
type MailAttachment struct {
	Filename    string
	ContentType string
	// Size is the content's length; 0 in lists for an attachment kept by
	// reference (InvoiceID), which is rendered only when read.
	Size    int64
	Content []byte
	// InvoiceID, when set, is the invoice whose PDF this is: the mailbox
	// keeps the reference and renders the PDF when the mail is first read
	// (billing's mailWithAttachments; store.KeepAttachment keeps it), not
	// when the mail is kept (migration 00034).
	InvoiceID string
}

// MailSettings is how a customer's invoices are e-mailed.
type MailSettings struct {
	CustomerID string
	// InvoiceEmails: paid invoices and credit notes are e-mailed as PDF.
	InvoiceEmails bool
	// BillingEmail receives them; "" is the owner's e-mail.
	BillingEmail string
}

// OutboxMail is a mail waiting to be sent, with its notification.
type OutboxMail struct {
	ID         string
	Recipient  string
	Attempts   int
	Type       string
	Subject    string
	Body       string
	ObjectType string
	ObjectID   string
	// CustomerID and NotificationID are the notification's.
	CustomerID     string
	NotificationID string
}
