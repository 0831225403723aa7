package server_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestHomeNeedsAction (issue 17 "Balance"): Home shows at the top what
// needs action — an expired subscription with its users suspended (today
// Home said "Nothing expires…" while Enterprise had expired and its 3
// users were suspended), a past-due one, a number in grace — each with
// the button that fixes it (Renew, Top up).
func TestHomeNeedsAction(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newSchedulerAPI(t, st, nil)
		const number = "+41445559921"
		if r := a.do("POST", "/v1/admin/numbers", adminToken, []map[string]any{{"number": number, "country": "CH", "area": "Zürich",
			"type": "local", "setup_amount": 1000, "monthly_amount": 500, "currency": "CHF"}}); r.status != 201 {
			t.Fatalf("import: %d %s", r.status, r.raw)
		}
		tok := a.signup("action@acme.test", "CHF")
		adr := a.address(tok)
		byCard := func(items ...any) map[string]any {
			t.Helper()
			r := a.do("POST", "/v1/orders", tok, map[string]any{"items": items, "billing_address": adr,
				"payment": map[string]any{"method": "card", "card": card}})
			if r.status != 201 {
				t.Fatalf("order %v: %d %s", items, r.status, r.raw)
			}
			return r.body
		}
		ent := byCard(map[string]any{"type": "subscription", "plan": "enterprise", "quantity": 3, "term_months": 1})
		entID := ent["items"].([]any)[0].(map[string]any)["subscription"].(string)
		for _, e := range []string{"a1@acme.test", "a2@acme.test", "a3@acme.test"} {
			if r := a.do("POST", "/v1/users", tok, map[string]any{"name": "Agent", "email": e, "subscription": entID}); r.status != 201 {
				t.Fatalf("user: %d %s", r.status, r.raw)
			}
		}
		pbx := byCard(map[string]any{"type": "subscription", "plan": "hosted-pbx", "quantity": 1, "term_months": 1, "auto_renew": true},
			map[string]any{"type": "phone_number", "number": number})
		pbxID := pbx["items"].([]any)[0].(map[string]any)["subscription"].(string)

		b := newBrowser(t, a)
		b.post("/login", url.Values{"email": {"action@acme.test"}, "password": {"correct horse"}})
		b.get("/").hasNot(t, `data-testid="needs-action"`)

		a.moveClock(map[string]any{"seconds": int64(32 * 24 * time.Hour / time.Second)})
		b = newBrowser(t, a)
		b.post("/login", url.Values{"email": {"action@acme.test"}, "password": {"correct horse"}})
		p := b.get("/")
		p.has(t, `data-testid="needs-action"`, "Needs action",
			`data-testid="action-expired" data-id="`+entID+`"`, "its 3 users are suspended", `href="/subscriptions/`+entID+`?extend=1"`,
			`data-testid="action-past_due" data-id="`+pbxID+`"`, `href="/subscriptions/`+pbxID+`?extend=1"`,
			`data-testid="action-number_grace"`, number[1:], `href="/marketplace/billing#refill"`, ">Renew<", ">Top up<")
		// At the top: before the overview cards.
		if i, j := strings.Index(p.body, `data-testid="needs-action"`), strings.Index(p.body, `data-testid="home-balance"`); i < 0 || j < i {
			t.Errorf("Needs action is not at the top (%d, %d)", i, j)
		}
	})
}
