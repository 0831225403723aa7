package web

import (
	"mime"
	"net/http"
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

// ServeAttachment writes a kept e-mail's attachment as a download, as it
// was attached.
func ServeAttachment(w http.ResponseWriter, contentType, filename string, content []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": filename}))
	_, _ = w.Write(content)
}
