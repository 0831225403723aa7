package server_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestOfficeMailbox: the back office's mailbox lists what a sandbox
// without SMTP kept (walked a page at a time to its end, filtered by
// customer, exported as CSV) and shows each e-mail: its headers, its HTML
// in a frame served with a policy that forbids scripts, its text, its
// invoice PDF; for every role, as the admin API does.
func TestOfficeMailbox(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b, deliver := newMailOffice(t, st, billing.MailMailbox)
		acc := newAccount(t, b.api, "officebox@acme.test", 0)
		other := newAccount(t, b.api, "officebox2@acme.test", 0)
		for _, c := range []account{acc, other, acc} {
			if r := b.do("POST", "/v1/orders", c.tok, map[string]any{"items": []any{map[string]any{"type": "balance_top_up", "amount": 5000}},
				"payment": map[string]any{"method": "card", "card": map[string]any{"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}}); r.status != 201 {
				t.Fatalf("top-up: %d %s", r.status, r.raw)
			}
		}
		deliver()
		api := dataOf(b.do("GET", "/v1/admin/mailbox", adminToken, nil))
		if len(api) < 3 {
			t.Fatalf("mailbox through the API: %d mails", len(api))
		}
		row := regexp.MustCompile(`data-testid="mail-row" data-id="([^"]+)"`)
		next := regexp.MustCompile(`href="([^"]+)" data-testid="next-page"`)
		for _, role := range []string{billing.RoleFinance, billing.RoleSupport, billing.RoleAdmin} {
			op := b.operator(role+"-box@op.test", role)
			all := op.get("/admin/mailbox")
			ids := row.FindAllStringSubmatch(all.body, -1)
			if all.status != 200 || len(ids) != len(api) || !strings.Contains(all.body, `data-testid="mailbox-note"`) {
				t.Fatalf("%s: /admin/mailbox %d, %d rows of %d", role, all.status, len(ids), len(api))
			}
			if ids[0][1] != api[0]["id"] {
				t.Errorf("%s: first row %s, the API's newest %v", role, ids[0][1], api[0]["id"])
			}
			if role != billing.RoleFinance {
				continue
			}
			seen, p := 0, op.get("/admin/mailbox?limit=1")
			for i := 0; i < 100; i++ {
				seen += len(row.FindAllString(p.body, -1))
				m := next.FindStringSubmatch(p.body)
				if m == nil {
					break
				}
				p = op.get(strings.ReplaceAll(m[1], "&amp;", "&"))
			}
			if seen != len(ids) {
				t.Errorf("one a page: %d rows, %d at once", seen, len(ids))
			}
			mine := op.get("/admin/mailbox?customer=" + acc.id)
			if n := len(row.FindAllString(mine.body, -1)); mine.status != 200 || n == 0 || n == len(ids) {
				t.Errorf("filtered by %s: %d, %d of %d rows", acc.id, mine.status, n, len(ids))
			}
			if nobody := op.get("/admin/mailbox?customer=cus_nobody"); nobody.status == 200 || nobody.status >= 500 {
				t.Errorf("filtered by no customer: %d", nobody.status)
			}
			csv := op.get("/admin/mailbox?format=csv")
			if csv.status != 200 || !strings.HasPrefix(csv.header.Get("Content-Type"), "text/csv") || strings.Count(csv.body, "\n") != len(ids)+1 {
				t.Errorf("CSV: %d %d lines", csv.status, strings.Count(csv.body, "\n"))
			}
			id := ids[0][1]
			mail := op.get("/admin/mailbox/" + id)
			if mail.status != 200 || !strings.Contains(mail.body, `src="/admin/mailbox/`+id+`/html"`) || !strings.Contains(mail.body, `data-testid="mail-text"`) {
				t.Fatalf("mail page: %d", mail.status)
			}
			html := op.get("/admin/mailbox/" + id + "/html")
			if csp := html.header.Get("Content-Security-Policy"); html.status != 200 || !strings.HasPrefix(csp, "sandbox") || !strings.Contains(csp, "default-src 'none'") {
				t.Errorf("HTML part: %d, policy %q", html.status, csp)
			}
			pdf := op.get("/admin/mailbox/" + id + "/attachments/1")
			if pdf.status != 200 || pdf.header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(pdf.body, "%PDF") {
				t.Errorf("attachment: %d %q", pdf.status, pdf.header.Get("Content-Type"))
			}
			for _, path := range []string{"/admin/mailbox/" + id + "/attachments/9", "/admin/mailbox/" + id + "/attachments/x", "/admin/mailbox/mbx_nope"} {
				if r := op.get(path); r.status != 404 {
					t.Errorf("%s: %d, want 404", path, r.status)
				}
			}
		}
		// The menu shows it.
		if home := b.operator("menu-box@op.test", billing.RoleFinance).get("/admin/"); !strings.Contains(home.body, `href="/admin/mailbox"`) {
			t.Error("the menu has no Mailbox")
		}
	})
}
