package contracttest

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestOperatorEndpoints walks every operator endpoint of API.md.
func TestOperatorEndpoints(t *testing.T) {
	each(t, func(t *testing.T, s *server) {
		const adm = adminToken
		s.fails(401, "unauthenticated", "", "GET", "/v1/admin/plans", "", nil)

		// Plans.
		plan := map[string]any{"code": "ct-basic", "name": "Contract Basic", "product": "ct", "product_name": "Contract", "rank": 1,
			"min_licenses": 1, "max_licenses": 10, "terms": []int{1, 12}, "trial_days": 0, "active": true,
			"prices": []any{map[string]any{"currency": "EUR", "term_months": 1, "unit_amount": 1000}, map[string]any{"currency": "EUR", "term_months": 12, "unit_amount": 10000}}}
		s.must(201, "POST", "/v1/admin/plans", adm, plan)
		s.fails(409, "conflict", "", "POST", "/v1/admin/plans", adm, plan)
		if r := s.must(200, "PATCH", "/v1/admin/plans/ct-basic", adm, map[string]any{"name": "Contract Basic 2"}); r.body["name"] != "Contract Basic 2" {
			t.Errorf("patch plan: %s", r.raw)
		}
		s.fails(404, "not_found", "", "PATCH", "/v1/admin/plans/no-such-plan", adm, map[string]any{"name": "x"})
		found := false
		for _, p := range s.must(200, "GET", "/v1/admin/plans", adm, nil).data() {
			found = found || p["code"] == "ct-basic"
		}
		if !found {
			t.Error("new plan not listed")
		}
		inCatalog := false
		for _, p := range s.must(200, "GET", "/v1/plans", "", nil).data() {
			inCatalog = inCatalog || p["code"] == "ct"
		}
		if !inCatalog {
			t.Error("new plan's product not in the public catalog")
		}

		// Promo codes.
		s.must(201, "POST", "/v1/admin/promo_codes", adm, map[string]any{"code": "SPRING20", "percent_off": "20", "plans": []string{"ct-basic"}, "max_redemptions": 5})
		s.fails(409, "conflict", "", "POST", "/v1/admin/promo_codes", adm, map[string]any{"code": "spring20", "percent_off": "20"})
		if r := s.must(200, "PATCH", "/v1/admin/promo_codes/SPRING20", adm, map[string]any{"max_redemptions": 9}); num(r.body["max_redemptions"]) != 9 {
			t.Errorf("patch promo: %s", r.raw)
		}
		s.fails(404, "not_found", "", "PATCH", "/v1/admin/promo_codes/NOPE", adm, map[string]any{"max_redemptions": 9})
		if len(s.must(200, "GET", "/v1/admin/promo_codes", adm, nil).data()) == 0 {
			t.Error("no promo codes listed")
		}

		// Tax rates: a decimal string.
		if r := s.must(200, "PUT", "/v1/admin/tax_rates/AT", adm, map[string]any{"percent": "20"}); r.body["percent"] != "20" {
			t.Errorf("tax: %s", r.raw)
		}
		s.fails(400, "invalid_request", "", "PUT", "/v1/admin/tax_rates/AT", adm, map[string]any{"percent": "lots"})
		if len(s.must(200, "GET", "/v1/admin/tax_rates", adm, nil).data()) == 0 {
			t.Error("no tax rates")
		}

		// Customers, balance adjustments and refunds.
		tok := s.customer("op", "EUR")
		adr := s.address(tok)
		cus := str(s.must(200, "GET", "/v1/account", tok, nil).body["id"])
		s.must(200, "GET", "/v1/admin/customers/"+cus, adm, nil)
		s.fails(404, "not_found", "", "GET", "/v1/admin/customers/cus_nonexistent", adm, nil)
		s.must(200, "GET", "/v1/admin/customers", adm, nil)
		s.must(201, "POST", "/v1/admin/customers/"+cus+"/balance_adjustments", adm, map[string]any{"amount": 3000, "reason": "goodwill"})
		s.fails(402, "insufficient_funds", "", "POST", "/v1/admin/customers/"+cus+"/balance_adjustments", adm, map[string]any{"amount": -5000, "reason": "too much"})
		s.must(201, "POST", "/v1/admin/customers/"+cus+"/balance_adjustments", adm, map[string]any{"amount": -1000, "reason": "correction"})
		if b := num(s.must(200, "GET", "/v1/account", tok, nil).body["balance"]); b != 2000 {
			t.Errorf("balance %d after +30.00 and -10.00, want 2000", b)
		}
		o := s.must(201, "POST", "/v1/orders", tok, map[string]any{"items": []any{sub("ct-basic", 1, 1)}, "billing_address": adr,
			"payment": map[string]any{"method": "card", "card": goodCard}, "promo_code": "spring20"})
		if num(o.body["discount"]) != 200 {
			t.Errorf("SPRING20 on 10.00: %s", o.raw)
		}
		ref := s.must(201, "POST", "/v1/admin/orders/"+str(o.body["id"])+"/refunds", adm, map[string]any{"amount": 500, "reason": "partly"})
		if num(ref.body["amount"]) != 500 || str(ref.body["credit_note"]) == "" || ref.body["method"] != "card" {
			t.Errorf("refund: %s", ref.raw)
		}
		s.must(201, "POST", "/v1/admin/orders/"+str(o.body["id"])+"/refunds", adm, map[string]any{"reason": "the rest"})
		s.fails(400, "invalid_request", "", "POST", "/v1/admin/orders/"+str(o.body["id"])+"/refunds", adm, map[string]any{"amount": 1, "reason": "nothing left"})
		s.fails(404, "not_found", "", "POST", "/v1/admin/orders/ord_nonexistent/refunds", adm, map[string]any{"reason": "x"})
		// No card dispute in the sandbox: the order's list is empty; an
		// unknown order and a customer's token are refused.
		if d := s.must(200, "GET", "/v1/admin/orders/"+str(o.body["id"])+"/disputes", adm, nil).data(); len(d) != 0 {
			t.Errorf("disputes of a sandbox order: %v", d)
		}
		s.fails(404, "not_found", "", "GET", "/v1/admin/orders/ord_nonexistent/disputes", adm, nil)
		s.fails(403, "forbidden", "", "GET", "/v1/admin/orders/"+str(o.body["id"])+"/disputes", tok, nil)
		s.fails(404, "not_found", "", "POST", "/v1/webhooks/stripe", "", map[string]any{"id": "evt_1"})
		kinds := map[string]bool{}
		for _, inv := range s.must(200, "GET", "/v1/invoices", tok, nil).data() {
			kinds[str(inv["kind"])] = true
		}
		if len(kinds) < 2 {
			t.Errorf("invoices and credit notes: kinds %v", kinds)
		}

		// Numbers: JSON and CSV imports, the inventory by status.
		r := s.must(201, "POST", "/v1/admin/numbers", adm, []map[string]any{{"number": "+4933170000101", "country": "DE", "area": "Potsdam", "type": "local", "setup_amount": 100, "monthly_amount": 200, "currency": "EUR"}})
		if num(r.body["imported"]) != 1 {
			t.Errorf("JSON import: %s", r.raw)
		}
		csv := "number,country,state,area,type,setup_amount,monthly_amount,currency\n+4933170000102,DE,,Potsdam,local,100,200,EUR\n+4933170000103,DE,,Potsdam,local,100,200,EUR\n"
		r = s.must(201, "POST", "/v1/admin/numbers", adm, csv, "Content-Type", "text/csv")
		if num(r.body["imported"]) != 2 {
			t.Errorf("CSV import: %s", r.raw)
		}
		for _, st := range []string{"available", "active", "grace", "quarantine"} {
			for _, n := range s.must(200, "GET", "/v1/admin/numbers?status="+st+"&limit=5", adm, nil).data() {
				if n["status"] != st {
					t.Errorf("?status=%s listed %v", st, n)
				}
			}
		}

		// The sandbox clock moves forward only.
		now := s.now()
		if r := s.must(200, "POST", "/v1/admin/clock/advance", adm, map[string]any{"to": now.Add(48 * time.Hour).Format(time.RFC3339)}); !tm(t, r.body["now"]).After(now.Add(47 * time.Hour)) {
			t.Errorf("advance to: %s", r.raw)
		}
		s.fails(400, "invalid_request", "to", "POST", "/v1/admin/clock/advance", adm, map[string]any{"to": now.Format(time.RFC3339)})
		s.fails(400, "invalid_request", "seconds", "POST", "/v1/admin/clock/advance", adm, map[string]any{"seconds": -5})
		s.fails(403, "forbidden", "", "POST", "/v1/admin/clock/advance", tok, map[string]any{"seconds": 60})
	})
}

// TestOperationsEndpoints: liveness, readiness and metrics, outside /v1.
func TestOperationsEndpoints(t *testing.T) {
	each(t, func(t *testing.T, s *server) {
		for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
			s.must(200, "GET", p, "", nil)
		}
		if r := s.must(200, "GET", "/metrics", "", nil); !strings.Contains(string(r.raw), "# TYPE") {
			t.Errorf("metrics not in Prometheus text format: %.200s", r.raw)
		}
		doc := s.must(200, "GET", "/v1/openapi.json", "", nil)
		if doc.body["openapi"] == nil || len(obj(doc.body["paths"])) < 45 {
			t.Errorf("openapi.json: %.200s", doc.raw)
		}
		req, _ := http.NewRequest("GET", s.base+"/v1/docs", nil)
		res, err := s.c.Do(req)
		if err != nil || res.StatusCode != 200 {
			t.Errorf("/v1/docs: %v %v", res, err)
		} else {
			res.Body.Close()
		}
	})
}
