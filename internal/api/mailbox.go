package api

import (
	"context"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
)

// The sandbox mailbox (billing.Mailbox): every e-mail a sandbox without
// SMTP would have sent, for the operator (GET /v1/admin/mailbox) and, from
// its notification, for the customer (GET /v1/notifications/{id}/email).

// MailResponse is a kept e-mail.
type MailResponse struct {
	ID           string               `json:"id"`
	To           string               `json:"to"`
	Subject      string               `json:"subject"`
	Text         string               `json:"text" doc:"The text/plain part."`
	HTML         string               `json:"html" doc:"The text/html part, as sent: show it in a sandboxed frame (no scripts), never inline."`
	Attachments  []MailAttachmentInfo `json:"attachments"`
	Customer     string               `json:"customer,omitempty"`
	Notification string               `json:"notification,omitempty"`
	CreatedAt    time.Time            `json:"created_at"`
}

// MailAttachmentInfo is an attached file.
type MailAttachmentInfo struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size" doc:"Bytes."`
	Content     []byte `json:"content,omitempty" doc:"The file, base64 (in GET of one mail only)."`
}

func mailResponse(m market.MailboxMail) MailResponse {
	r := MailResponse{ID: m.ID, To: m.To, Subject: m.Subject, Text: m.Text, HTML: m.HTML, Customer: m.CustomerID,
		Notification: m.NotificationID, CreatedAt: m.CreatedAt, Attachments: []MailAttachmentInfo{}}
	for _, a := range m.Attachments {
		r.Attachments = append(r.Attachments, MailAttachmentInfo{Filename: a.Filename, ContentType: a.ContentType, Size: a.Size, Content: a.Content})
	}
	return r
}

func (s *Handler) ListMailbox(ctx context.Context, p billing.Principal, in *listIn) (*out[List[MailResponse]], error) {
	if err := knownCursor(in.StartingAfter, func() error { _, err := s.svc.MailboxMail(ctx, p, in.StartingAfter); return err }); err != nil {
		return nil, err
	}
	rows, err := s.svc.MailboxMails(ctx, p, in.page())
	if err != nil {
		return nil, err
	}
	return reply(listOf(rows, in.Limit, mailResponse)), nil
}

func (s *Handler) GetMailboxMail(ctx context.Context, p billing.Principal, in *idPath) (*out[MailResponse], error) {
	m, err := s.svc.MailboxMail(ctx, p, in.ID)
	if err != nil {
		return nil, err
	}
	return reply(mailResponse(m)), nil
}

func (s *Handler) GetNotificationEmail(ctx context.Context, p billing.Principal, in *idPath) (*out[MailResponse], error) {
	m, err := s.svc.Reads().NotificationMail(ctx, p.CustomerID, in.ID)
	if err != nil {
		return nil, err
	}
	return reply(mailResponse(m)), nil
}
