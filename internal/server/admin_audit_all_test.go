package server_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestAuditEveryChange: every change an operator makes — with the admin
// token or in the back office — is in the audit log with who, when (real
// and business time), what (action, object type and ID), and the object
// before (changes, deletions) and after (creations, changes).
func TestAuditEveryChange(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBackOffice(t, st)
		boss := b.operator("audit-all@op.test", "admin")
		rc := newReceiver(t, func(int) int { return 500 })
		hook, _ := createHook(t, b.api, rc.srv.URL, "order.paid")
		cus, _, order := b.customerWithOrder("audit-all@acme.test")
		type want struct {
			action, objType, actor string
			before, after          bool
		}
		check := func(w want, what string) {
			t.Helper()
			es := b.audit("limit=1")
			if len(es) != 1 {
				t.Fatalf("%s: no audit entry", what)
			}
			e := es[0]
			if e["action"] != w.action || e["object_type"] != w.objType || e["object_id"] == "" || e["actor"] != w.actor ||
				e["created_at"] == nil || e["business_at"] == nil {
				t.Errorf("%s: entry %v, want %s of a %s by %s", what, e, w.action, w.objType, w.actor)
				return
			}
			if got := e["before"].(string) != ""; got != w.before {
				t.Errorf("%s (%s): before %q", what, w.action, e["before"])
			}
			if got := e["after"].(string) != ""; got != w.after {
				t.Errorf("%s (%s): after %q", what, w.action, e["after"])
			}
			if strings.Contains(e["after"].(string)+e["before"].(string), "whsec_") || strings.Contains(e["after"].(string), "argon2") {
				t.Errorf("%s: a secret in the audit log: %v", what, e)
			}
		}
		const token, op = "admin token", "audit-all@op.test"
		viaAPI := func(method, path string, body any, w want) {
			t.Helper()
			if r := b.do(method, path, adminToken, body); r.status >= 300 {
				t.Fatalf("%s %s: %d %s", method, path, r.status, r.raw)
			}
			check(w, method+" "+path)
		}
		office := func(path string, form url.Values, w want) {
			t.Helper()
			if r := boss.post(path, form); r.status >= 400 {
				t.Fatalf("POST %s: %d %s", path, r.status, r.body)
			}
			check(w, "POST "+path)
		}
		viaAPI("POST", "/v1/admin/plans", map[string]any{"code": "audit-plan", "name": "Audit", "product": "contact-center", "rank": 9, "min_licenses": 1,
			"max_licenses": 5, "terms": []int{1}, "prices": []any{map[string]any{"currency": "CHF", "term_months": 1, "unit_amount": 100}}},
			want{"plan.create", "plan", token, false, true})
		viaAPI("PATCH", "/v1/admin/plans/audit-plan", map[string]any{"active": false}, want{"plan.update", "plan", token, true, true})
		viaAPI("POST", "/v1/admin/promo_codes", map[string]any{"code": "AUDIT", "percent_off": "5"}, want{"promo_code.create", "promo_code", token, false, true})
		viaAPI("PATCH", "/v1/admin/promo_codes/AUDIT", map[string]any{"active": false}, want{"promo_code.update", "promo_code", token, true, true})
		viaAPI("PUT", "/v1/admin/tax_rates/CH", map[string]any{"percent": "8.0"}, want{"tax_rate.set", "tax_rate", token, true, true})
		viaAPI("PUT", "/v1/admin/number_prices", map[string]any{"country": "DE", "currency": "CHF", "setup_amount": 1, "monthly_amount": 1},
			want{"number_price.set", "number_price", token, false, true})
		viaAPI("POST", "/v1/admin/numbers", []map[string]any{{"number": "+41315550177", "country": "CH", "area": "Bern", "type": "local",
			"setup_amount": 1500, "monthly_amount": 500, "currency": "CHF"}}, want{"number.import", "number", token, false, true})
		viaAPI("POST", "/v1/admin/customers/"+cus+"/balance_adjustments", map[string]any{"amount": 100, "reason": "audit"},
			want{"customer.balance_adjustment", "customer", token, true, true})
		viaAPI("POST", "/v1/admin/orders/"+order+"/refunds", map[string]any{"items": []int{2}, "reason": "audit"}, want{"order.refund", "order", token, true, true})
		ds := b.do("GET", "/v1/admin/webhook_endpoints/"+hook+"/deliveries", adminToken, nil).body["data"].([]any)
		if len(ds) == 0 {
			t.Fatal("no delivery to retry")
		}
		viaAPI("POST", "/v1/admin/webhook_deliveries/"+ds[0].(map[string]any)["id"].(string)+"/retry", nil,
			want{"webhook_delivery.retry", "webhook_delivery", token, true, true})
		viaAPI("DELETE", "/v1/admin/webhook_endpoints/"+hook, nil, want{"webhook_endpoint.delete", "webhook_endpoint", token, true, false})
		viaAPI("POST", "/v1/admin/clock/advance", map[string]any{"seconds": 60}, want{"clock.advance", "clock", token, true, true})

		// The back office's own changes.
		nums := b.do("GET", "/v1/admin/numbers?status=available&limit=1", adminToken, nil).body["data"].([]any)
		if len(nums) == 0 {
			t.Fatal("no number available")
		}
		n := nums[0].(map[string]any)["id"].(string)
		office("/admin/numbers/"+n+"/reserve", url.Values{}, want{"number.reserve", "number", op, true, true})
		office("/admin/numbers/"+n+"/unreserve", url.Values{}, want{"number.unreserve", "number", op, true, true})
		office("/admin/numbers/"+n+"/retire", url.Values{}, want{"number.retire", "number", op, true, true})
		office("/admin/operators", url.Values{"email": {"new-op@op.test"}, "role": {"support"}}, want{"operator.create", "operator", op, false, true})
		created := b.audit("limit=1")[0]["object_id"].(string)
		office("/admin/operators/"+created, url.Values{"role": {"finance"}}, want{"operator.update", "operator", op, true, true})
		office("/admin/tax-rates", url.Values{"country": {"DE"}, "percent": {"19"}}, want{"tax_rate.set", "tax_rate", op, true, true})
		office("/admin/webhooks", url.Values{"url": {"https://example.com/audit"}, "events": {"order.paid"}},
			want{"webhook_endpoint.create", "webhook_endpoint", op, false, true})
		office("/admin/customers/"+cus+"/balance-adjustments", url.Values{"amount": {"1.00"}, "reason": {"office"}},
			want{"customer.balance_adjustment", "customer", op, true, true})
		office("/admin/clock", url.Values{"days": {"1"}}, want{"clock.advance", "clock", op, true, true})
	})
}
