package portal

import (
	"fmt"
	"net/http"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/web"
)

// Notifications -> the e-mail of a notification, as the sandbox mailbox
// kept it (a sandbox without SMTP): its text, and its HTML in a sandboxed
// frame served with a policy of its own (no scripts, no requests).

// mailData is the page of a kept e-mail.
type mailData struct {
	Mail         market.MailboxMail
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
	web.ServeMailHTML(w, m.HTML)
}

// NotificationMailAttachment downloads an attachment (from 1) as it was
// attached.
func (s *Handler) NotificationMailAttachment(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	m, err := s.svc.Reads().NotificationMail(r.Context(), p.CustomerID, r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if !web.ServeAttachment(w, m, r.PathValue("n")) {
		s.NotFound(w, r)
	}
}
