package server_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestPortalPlansIncludedAndExpired: Marketplace -> Plans does not sell the
// standard SIP trunk every account has, and once a subscription has
// expired it is still listed under Purchased plans with Renew only; its
// Renew/Change, Upgrade and BUY MORE LICENSES pages offer renewal only.
func TestPortalPlansIncludedAndExpired(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st)
		b := newBrowser(t, a)
		b.signup("lapse@acme.test", "CHF")
		tok := b.token("lapse@acme.test")
		cust := a.do("GET", "/v1/account", tok, nil).body["id"].(string)
		if r := a.do("POST", "/v1/admin/customers/"+cust+"/balance_adjustments", adminToken, map[string]any{"amount": 500000, "reason": "test credit"}); r.status != 201 {
			t.Fatalf("credit: %d %s", r.status, r.raw)
		}
		r := a.do("POST", "/v1/orders", tok, map[string]any{"items": []any{map[string]any{"type": "subscription", "plan": "business", "quantity": 3, "term_months": 1}},
			"billing_address": a.address(tok), "payment": map[string]any{"method": "balance"}})
		if r.status != 201 {
			t.Fatalf("buy: %d %s", r.status, r.raw)
		}
		sub := r.body["items"].([]any)[0].(map[string]any)["subscription"].(string)

		t.Run("IncludedNotForSale", func(t *testing.T) {
			p := b.get("/marketplace/plans")
			p.hasNot(t, `data-testid="buy-sip-trunk"`, `/marketplace/plans/sip-trunk/buy`)
			p.has(t, `data-testid="included-plan"`, "SIP Trunk (standard) is included with every account")
		})

		t.Run("Active", func(t *testing.T) {
			p := b.get("/marketplace/plans")
			p.has(t, `data-testid="purchased-`+sub+`"`, `data-testid="renew-`+sub+`"`, `data-testid="more-sub-`+sub+`"`, `data-testid="upgrade-sub-`+sub+`"`)
			p = b.get("/subscriptions/" + sub)
			p.has(t, `data-testid="extend"`, `data-testid="upgrade"`, `data-testid="more-licenses"`)
			p.hasNot(t, `data-testid="renew-first"`)
		})

		// Two months later the monthly subscription (not auto-renewed) has
		// expired; so has the login, so the customer logs in again.
		if r := a.do("POST", "/v1/admin/clock/advance", adminToken, map[string]any{"seconds": 62 * 86400}); r.status != 200 {
			t.Fatalf("advance clock: %d %s", r.status, r.raw)
		}
		if p := b.post("/login", url.Values{"email": {"lapse@acme.test"}, "password": {"correct horse"}}); p.status != 200 || p.url != "/" {
			t.Fatalf("log in again: %d at %s", p.status, p.url)
		}
		tok = b.token("lapse@acme.test")
		if s := a.do("GET", "/v1/subscriptions/"+sub, tok, nil).body; s["status"] != "expired" {
			t.Fatalf("after two months: status %v, want expired", s["status"])
		}

		t.Run("ExpiredPurchasedRenewOnly", func(t *testing.T) {
			p := b.get("/marketplace/plans")
			p.hasNot(t, "You have not bought a plan yet.", `data-testid="more-sub-`+sub+`"`, `data-testid="upgrade-sub-`+sub+`"`,
				`data-testid="more-business"`)
			row := p.find(t, `(?s)(<tr data-testid="purchased-`+sub+`">.*?</tr>)`)
			for _, want := range []string{`class="status-expired"`, "Expired", `href="/marketplace/subscriptions/` + sub + `/renew"`, ">Renew<"} {
				if !strings.Contains(row, want) {
					t.Errorf("purchased row: want %q in\n%s", want, row)
				}
			}
			for _, not := range []string{"/upgrade", "/licenses", "BUY MORE LICENSES"} {
				if strings.Contains(row, not) {
					t.Errorf("purchased row of an expired subscription offers %q:\n%s", not, row)
				}
			}
			if p := b.get("/marketplace/subscriptions/" + sub + "/renew"); !strings.HasPrefix(p.url, "/checkout?") {
				t.Errorf("Renew of an expired subscription goes to %s", p.url)
			}
		})

		t.Run("ExpiredRenewChange", func(t *testing.T) {
			p := b.get("/subscriptions/" + sub)
			p.has(t, `data-testid="extend"`, `data-testid="extend-form"`, `data-testid="renew-first"`)
			p.hasNot(t, `data-testid="upgrade"`, `data-testid="more-licenses"`, "/marketplace/subscriptions/"+sub+"/upgrade", "/marketplace/subscriptions/"+sub+"/licenses")
		})

		t.Run("ExpiredLicenses", func(t *testing.T) {
			p := b.get("/marketplace/subscriptions/" + sub + "/licenses")
			p.has(t, `data-testid="renew-first"`, "must be renewed first", `href="/subscriptions/`+sub+`?extend=1#extend"`)
			p.hasNot(t, `data-testid="licenses-checkout"`, `action="/marketplace/subscriptions/`+sub+`/licenses"`)
			p = b.post("/marketplace/subscriptions/"+sub+"/licenses", url.Values{"quantity": {"2"}})
			if p.status != 400 || strings.HasPrefix(p.url, "/checkout") {
				t.Errorf("licenses for an expired subscription: %d at %s, want 400 on the page", p.status, p.url)
			}
			p.has(t, `data-testid="renew-first"`)
		})

		t.Run("ExpiredUpgrade", func(t *testing.T) {
			p := b.get("/marketplace/subscriptions/" + sub + "/upgrade")
			p.has(t, `data-testid="renew-first"`, "must be renewed first")
			p.hasNot(t, `data-testid="upgrade-to-enterprise"`)
			p = b.get("/marketplace/subscriptions/" + sub + "/upgrade?plan=enterprise")
			if p.status != 400 || strings.HasPrefix(p.url, "/checkout") {
				t.Errorf("upgrade of an expired subscription: %d at %s, want 400 on the page", p.status, p.url)
			}
			p.has(t, `data-testid="renew-first"`)
		})
	})
}
