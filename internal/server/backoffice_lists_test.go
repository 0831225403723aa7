package server_test

import (
	"encoding/csv"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

var nextPage = regexp.MustCompile(`href="([^"]+)" data-testid="next-page"`)

// TestBackOfficeListsWalk: a filtered list walked page by page to its end
// shows each match once; its CSV export has them all; the API's admin
// lists page the same way.
func TestBackOfficeListsWalk(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBackOffice(t, st)
		admin := b.operator("boss@op.test", "admin")
		want := map[string]bool{}
		for i := 0; i < 7; i++ {
			company := fmt.Sprintf("Walker %d AG", i)
			if i%3 == 2 {
				company = fmt.Sprintf("Other %d AG", i)
			}
			r := b.do("POST", "/v1/signup", "", map[string]any{"email": fmt.Sprintf("walk%d@acme.test", i), "password": "correct horse",
				"company": company, "country": "CH", "currency": "CHF"})
			if r.status != 201 {
				t.Fatalf("signup: %d %s", r.status, r.raw)
			}
			if i%3 != 2 {
				want[r.body["customer"].(map[string]any)["id"].(string)] = true
			}
		}
		seen := map[string]int{}
		path, pages := "/admin/customers?q=walker&limit=2", 0
		for path != "" {
			pages++
			r := admin.get(path)
			if r.status != 200 {
				t.Fatalf("%s: %d", path, r.status)
			}
			for _, m := range regexp.MustCompile(`data-testid="customer-row" data-id="([^"]+)"`).FindAllStringSubmatch(r.body, -1) {
				seen[m[1]]++
			}
			path = ""
			if m := nextPage.FindStringSubmatch(r.body); m != nil {
				path = html.UnescapeString(m[1])
				if !strings.Contains(path, "q=walker") {
					t.Errorf("next page %s lost the filter", path)
				}
			}
		}
		if pages != 3 || len(seen) != len(want) {
			t.Errorf("%d pages, %d customers seen, want 3 and %d", pages, len(seen), len(want))
		}
		for id, n := range seen {
			if !want[id] || n != 1 {
				t.Errorf("customer %s seen %d times (wanted: %v)", id, n, want[id])
			}
		}
		r := admin.get("/admin/customers?q=walker&format=csv")
		rows, _ := csv.NewReader(strings.NewReader(r.body)).ReadAll()
		if len(rows) != len(want)+1 {
			t.Errorf("CSV has %d rows, want %d", len(rows), len(want)+1)
		}
		if r := admin.get("/admin/customers?after=cus_nothing"); r.status != 400 {
			t.Errorf("unknown cursor: %d", r.status)
		}

		// Orders: the API's list walked with a customer filter.
		cus, tok, _ := b.customerWithOrder("orders@acme.test")
		b.do("POST", "/v1/orders", tok, topUp(2000))
		var ids []string
		after := ""
		for {
			q := "/v1/admin/orders?limit=1&customer=" + cus
			if after != "" {
				q += "&starting_after=" + after
			}
			l := b.do("GET", q, adminToken, nil)
			if l.status != 200 {
				t.Fatalf("orders: %d %s", l.status, l.raw)
			}
			for _, o := range l.body["data"].([]any) {
				ids = append(ids, o.(map[string]any)["id"].(string))
			}
			if l.body["has_more"] != true {
				break
			}
			after = ids[len(ids)-1]
		}
		if len(ids) != 3 {
			t.Errorf("%d orders of the customer, want 3", len(ids))
		}
		if l := b.do("GET", "/v1/admin/orders?purpose=balance_refill&customer="+cus, adminToken, nil); len(l.body["data"].([]any)) != 2 {
			t.Errorf("refill orders: %s", l.raw)
		}
		if l := b.do("GET", "/v1/admin/orders?purpose=gift", adminToken, nil); l.status != 400 || l.errParam() != "purpose" {
			t.Errorf("bad purpose: %d %s", l.status, l.raw)
		}
		if l := b.do("GET", "/v1/admin/orders?from=2026-03-11", adminToken, nil); len(l.body["data"].([]any)) != 0 {
			t.Errorf("orders from tomorrow: %s", l.raw)
		}
		if r := admin.get("/admin/orders?customer=" + cus + "&purpose=balance_refill"); strings.Count(r.body, `data-testid="order-row"`) != 2 {
			t.Errorf("orders page: %d rows", strings.Count(r.body, `data-testid="order-row"`))
		}
		subs := b.do("GET", "/v1/admin/subscriptions?status=active&plan=start&customer="+cus, adminToken, nil)
		if subs.status != 200 || len(subs.body["data"].([]any)) != 1 {
			t.Errorf("subscriptions: %d %s", subs.status, subs.raw)
		}
		if r := admin.get("/admin/subscriptions?status=active&customer=" + cus); strings.Count(r.body, `data-testid="subscription-row"`) != 1 {
			t.Errorf("subscriptions page: %d rows", strings.Count(r.body, `data-testid="subscription-row"`))
		}
		if r := admin.get("/admin/subscriptions?expires_before=soon"); r.status != 400 {
			t.Errorf("subscriptions page, bad date: %d", r.status)
		}
		if r := admin.get("/admin/subscriptions?format=csv&customer=" + cus); strings.Count(r.body, "\n") != 2 {
			t.Errorf("subscriptions CSV: %q", r.body)
		}
		if s := b.do("GET", "/v1/admin/subscriptions?expires_before=2026-03-01", adminToken, nil); len(s.body["data"].([]any)) != 0 {
			t.Errorf("expired before March: %s", s.raw)
		}
		if s := b.do("GET", "/v1/admin/subscriptions?status=asleep", adminToken, nil); s.status != 400 || s.errParam() != "status" {
			t.Errorf("bad status: %d %s", s.status, s.raw)
		}
		if l := b.do("GET", "/v1/admin/customers?q=walker&limit=100", adminToken, nil); len(l.body["data"].([]any)) != len(want) {
			t.Errorf("API search: %s", l.raw)
		}
	})
}

// TestBackOfficeFormSentTwice: the adjustment and refund forms carry what
// the page showed; the same form sent again changes nothing more.
func TestBackOfficeFormSentTwice(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBackOffice(t, st)
		support := b.operator("help@op.test", "support")
		cus, tok, order := b.customerWithOrder("twice@acme.test")
		before := b.balance(tok)
		adjust := url.Values{"amount": {"10.00"}, "reason": {"goodwill"}, "seen_balance": {fmt.Sprint(before)}}
		if r := support.post("/admin/customers/"+cus+"/balance-adjustments", adjust); r.status != 303 {
			t.Fatalf("adjust: %d", r.status)
		}
		if r := support.post("/admin/customers/"+cus+"/balance-adjustments", adjust); r.status != 409 || !strings.Contains(r.body, "changed since the page was shown") {
			t.Errorf("adjust again: %d", r.status)
		}
		if got := b.balance(tok); got != before+1000 {
			t.Errorf("balance %d, want %d (one credit)", got, before+1000)
		}
		refund := url.Values{"items": {"2"}, "reason": {"twice"}, "seen_refunded": {"0"}}
		if r := support.post("/admin/orders/"+order+"/refunds", refund); r.status != 303 {
			t.Fatalf("refund: %d %s", r.status, r.body)
		}
		refunded := num(b.do("GET", "/v1/orders/"+order, tok, nil).body["refunded"])
		if r := support.post("/admin/orders/"+order+"/refunds", refund); r.status != 409 || !strings.Contains(r.body, "refunded meanwhile") {
			t.Errorf("refund again: %d", r.status)
		}
		if got := num(b.do("GET", "/v1/orders/"+order, tok, nil).body["refunded"]); got != refunded || got == 0 {
			t.Errorf("refunded %d after the second form, want %d", got, refunded)
		}
	})
}
