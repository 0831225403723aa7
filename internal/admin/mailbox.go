package admin

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/web"
)

// The sandbox mailbox: every e-mail a sandbox without SMTP kept instead of
// sending it (billing.Mailbox), newest first, filtered by customer; a mail
// with its headers, its HTML in a sandboxed frame, its text and its
// attachments. The admin API's GET /v1/admin/mailbox reads the same.

func (a *Admin) mailboxRoutes() {
	a.handle("GET /admin/mailbox", areaMailbox, a.mailboxPage)
	a.handle("GET /admin/mailbox/{id}", areaMailbox, a.mailPage)
	a.handle("GET /admin/mailbox/{id}/html", areaMailbox, a.mailHTML)
	a.handle("GET /admin/mailbox/{id}/attachments/{n}", areaMailbox, a.mailAttachment)
}

func (a *Admin) mailboxList() listSpec[market.MailboxMail] {
	return listSpec[market.MailboxMail]{
		Name:    "mailbox",
		Filters: []string{"customer"},
		Fetch: func(ctx context.Context, q url.Values, p billing.Page) ([]market.MailboxMail, error) {
			return a.svc.MailboxOf(ctx, q.Get("customer"), p)
		},
		ID: func(m market.MailboxMail) string { return m.ID },
		CSV: []column[market.MailboxMail]{
			{"id", func(m market.MailboxMail) string { return m.ID }},
			{"created_at", func(m market.MailboxMail) string { return m.CreatedAt.UTC().Format(time.RFC3339Nano) }},
			{"customer_id", func(m market.MailboxMail) string { return m.CustomerID }},
			{"to", func(m market.MailboxMail) string { return m.To }},
			{"subject", func(m market.MailboxMail) string { return m.Subject }},
			{"attachments", func(m market.MailboxMail) string {
				names := make([]string, len(m.Attachments))
				for i, at := range m.Attachments {
					names[i] = at.Filename
				}
				return strings.Join(names, " ")
			}},
		},
	}
}

type mailboxData struct {
	listed[market.MailboxMail]
	// Kept says whether this server keeps its e-mails (a sandbox without
	// SMTP); otherwise the list holds only what an earlier run kept.
	Kept bool
}

func (a *Admin) mailboxPage(w http.ResponseWriter, r *http.Request, _ billing.Actor) {
	showList(a, w, r, http.StatusOK, a.mailboxList(), "mailbox", view{Title: "Mailbox", Area: areaMailbox},
		func(l listed[market.MailboxMail]) any {
			return mailboxData{listed: l, Kept: a.svc.MailMode() == billing.MailMailbox}
		})
}

// mailData is the page of one kept e-mail.
type mailData struct {
	Mail market.MailboxMail
	// Sizes are the attachments' sizes in words.
	Sizes []string
}

func (a *Admin) mail(w http.ResponseWriter, r *http.Request) (market.MailboxMail, bool) {
	m, err := a.svc.MailboxMail(r.Context(), billing.Principal{Operator: true}, r.PathValue("id"))
	if err != nil {
		a.pageError(w, r, err)
		return m, false
	}
	return m, true
}

func (a *Admin) mailPage(w http.ResponseWriter, r *http.Request, _ billing.Actor) {
	m, ok := a.mail(w, r)
	if !ok {
		return
	}
	d := mailData{Mail: m}
	for _, at := range m.Attachments {
		d.Sizes = append(d.Sizes, fmt.Sprintf("%d kB", (at.Size+1023)/1024))
	}
	a.render(w, r, http.StatusOK, "mail", view{Title: "E-mail: " + m.Subject, Area: areaMailbox, Data: d})
}

// mailHTML serves the HTML part alone, for the page's sandboxed frame: no
// scripts, plugins, forms or requests but inline styles and data: images,
// framed by this origin only (as the portal serves a customer's).
func (a *Admin) mailHTML(w http.ResponseWriter, r *http.Request, _ billing.Actor) {
	m, ok := a.mail(w, r)
	if !ok {
		return
	}
	web.ServeMailHTML(w, m.HTML)
}

// mailAttachment downloads an attachment (from 1) as it was attached.
func (a *Admin) mailAttachment(w http.ResponseWriter, r *http.Request, _ billing.Actor) {
	m, ok := a.mail(w, r)
	if !ok {
		return
	}
	if !web.ServeAttachment(w, m, r.PathValue("n")) {
		a.notFound(w, r)
	}
}
