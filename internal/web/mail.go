package web

import (
	"mime"
	"net/http"
	"strconv"

	"github.com/dialtone/dialtone/internal/market"
)

// The sandbox mailbox's e-mails, as the portal (a customer's own) and the
// back office (every customer's) serve them.

// ServeMailHTML writes a kept e-mail's HTML part alone, for a page's
// sandboxed frame: the policy forbids scripts, plugins, forms and any
// request but inline styles and data: images, and only this origin may
// frame it.
func ServeMailHTML(w http.ResponseWriter, html string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'")
	h.Set("Referrer-Policy", "no-referrer")
	_, _ = w.Write([]byte(html))
}

// ServeAttachment writes attachment n (from 1, as the path's {n} says it)
// of a kept e-mail as a download, as it was attached. It writes nothing
// and returns false when the e-mail has no such attachment (the caller
// answers 404).
func ServeAttachment(w http.ResponseWriter, m market.MailboxMail, n string) bool {
	i, err := strconv.Atoi(n)
	if err != nil || i < 1 || i > len(m.Attachments) {
		return false
	}
	a := m.Attachments[i-1]
	h := w.Header()
	h.Set("Content-Type", a.ContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.Filename}))
	_, _ = w.Write(a.Content)
	return true
}
