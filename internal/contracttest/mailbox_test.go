package contracttest

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

// TestSandboxMailbox: without --smtp-url a sandbox keeps every e-mail in
// its mailbox: a paid invoice's e-mail (with its PDF) is listed for the
// operator and readable from the customer's notification; an account
// that opts out of invoice e-mails gets none; another customer reaches
// none of it.
func TestSandboxMailbox(t *testing.T) {
	each(t, func(t *testing.T, s *server) {
		tok := s.customer("mailbox", "EUR")
		other := s.customer("mailbox-other", "EUR")
		s.topUp(tok, 5000)
		s.topUp(other, 5000)
		s.advance(time.Minute) // the scan delivers the outbox
		ns := s.must(200, "GET", "/v1/notifications", tok, nil).data()
		if len(ns) != 1 || ns[0]["type"] != "invoice_paid" || !strings.HasPrefix(str(ns[0]["email"]), "mbx_") {
			t.Fatalf("notifications: %v", ns)
		}
		nid := str(ns[0]["id"])
		m := s.must(200, "GET", "/v1/notifications/"+nid+"/email", tok, nil)
		if !strings.HasPrefix(str(m.body["subject"]), "Invoice ") || !strings.Contains(str(m.body["html"]), "/invoices/inv_") {
			t.Errorf("the notification's e-mail: %s", m.raw)
		}
		s.fails(404, "not_found", "", "GET", "/v1/notifications/"+nid+"/email", other, nil)

		all := s.must(200, "GET", "/v1/admin/mailbox?limit=1", adminToken, nil)
		if all.body["has_more"] != true {
			t.Errorf("mailbox of two, limit 1: %s", all.raw)
		}
		s.fails(400, "invalid_request", "starting_after", "GET", "/v1/admin/mailbox?starting_after=mbx_nope", adminToken, nil)
		s.fails(403, "forbidden", "", "GET", "/v1/admin/mailbox", tok, nil)
		one := s.must(200, "GET", "/v1/admin/mailbox/"+str(ns[0]["email"]), adminToken, nil)
		att := obj(arr(one.body["attachments"])[0])
		pdf, _ := base64.StdEncoding.DecodeString(str(att["content"]))
		if !strings.HasPrefix(string(pdf), "%PDF") || att["content_type"] != "application/pdf" {
			t.Errorf("the PDF: %.300s", one.raw)
		}

		r := s.must(200, "PATCH", "/v1/account", tok, map[string]any{"invoice_emails": false})
		if r.body["invoice_emails"] != false {
			t.Errorf("opted out: %s", r.raw)
		}
		s.topUp(tok, 5000)
		s.advance(time.Minute)
		if n := len(s.must(200, "GET", "/v1/notifications", tok, nil).data()); n != 1 {
			t.Errorf("opted out: %d notifications, want 1", n)
		}
		if inv := s.must(200, "GET", "/v1/invoices", tok, nil).data(); len(inv) != 2 || !strings.Contains(str(inv[0]["description"]), "op-up") {
			t.Errorf("invoices say what they were for: %v", inv)
		}
	})
}
