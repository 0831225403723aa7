package portal

import (
	"fmt"
	"mime"
	"net/http"
	"strconv"

	"github.com/dialtone/dialtone/internal/billing"
)

// Notifications -> the e-mail of a notification, as the sandbox mailbox
// kept it (a sandbox without SMTP): its text, and its HTML in a sandboxed
// frame served with a policy of its own (no scripts, no requests).

// mailData is the page of a kept e-mail.
type mailData struct {
	Mail         billing.MailboxMail
	Notification string
	// Sizes are the attachments' sizes in words.
	Sizes []string
}

func (s *Handler) NotificationMailPage(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	nid := r.PathValue("id")
	m, err := s.svc.Reads().NotificationMail(r.Context(), p.CustomerID, nid)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	d := mailData{Mail: m, Notification: nid}
	for _, a := range m.Attachments {
		d.Sizes = append(d.Sizes, fmt.Sprintf("%d kB", (a.Size+1023)/1024))
	}
	s.render(w, r, http.StatusOK, "notification_email", view{Title: "E-mail: " + m.Subject, Nav: "notifications", Data: d})
}

// NotificationMailHTML serves the HTML part alone, for the page's
// sandboxed frame: the policy forbids scripts, plugins, forms and any
// request but inline styles and data: images, and only this origin may
// frame it.
func (s *Handler) NotificationMailHTML(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	m, err := s.svc.Reads().NotificationMail(r.Context(), p.CustomerID, r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'")
	h.Set("Referrer-Policy", "no-referrer")
	_, _ = w.Write([]byte(m.HTML))
}

// NotificationMailAttachment downloads an attachment (from 1) as it was
// attached.
func (s *Handler) NotificationMailAttachment(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	m, err := s.svc.Reads().NotificationMail(r.Context(), p.CustomerID, r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 || n > len(m.Attachments) {
		s.NotFound(w, r)
		return
	}
	a := m.Attachments[n-1]
	h := w.Header()
	h.Set("Content-Type", a.ContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.Filename}))
	_, _ = w.Write(a.Content)
}
