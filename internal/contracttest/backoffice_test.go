package contracttest

import (
	"strings"
	"testing"
)

// TestOperatorListsAndAuditLog: the operator's lists across customers
// (API.md, Operator: GET /v1/admin/orders with customer, status, from, to;
// GET /v1/admin/subscriptions with customer, status, plan,
// expires_before) and the audit log of the operator's changes.
func TestOperatorListsAndAuditLog(t *testing.T) {
	each(t, func(t *testing.T, s *server) {
		tok := s.customer("lists", "EUR")
		cus := str(s.must(200, "GET", "/v1/account", tok, nil).body["id"])
		s.topUp(tok, 50000)
		adr := s.address(tok)
		if r := s.buy(tok, adr, sub("start", 2, 1)); r.status != 201 {
			t.Fatalf("buy: %d %s", r.status, r.raw)
		}

		orders := s.must(200, "GET", "/v1/admin/orders?customer="+cus+"&status=paid&limit=1", adminToken, nil)
		if len(orders.data()) != 1 || orders.body["has_more"] != true {
			t.Errorf("orders page: %s", orders.raw)
		}
		rest := s.must(200, "GET", "/v1/admin/orders?customer="+cus+"&starting_after="+str(orders.data()[0]["id"]), adminToken, nil)
		if len(rest.data()) != 1 || rest.body["has_more"] != false {
			t.Errorf("orders' second page: %s", rest.raw)
		}
		s.fails(400, "invalid_request", "from", "GET", "/v1/admin/orders?from=never", adminToken, nil)
		s.fails(400, "invalid_request", "starting_after", "GET", "/v1/admin/orders?starting_after=ord_nothing", adminToken, nil)
		s.fails(403, "forbidden", "", "GET", "/v1/admin/orders", tok, nil)

		subs := s.must(200, "GET", "/v1/admin/subscriptions?customer="+cus+"&status=active&plan=start", adminToken, nil)
		if len(subs.data()) != 1 {
			t.Errorf("subscriptions: %s", subs.raw)
		}
		s.fails(400, "invalid_request", "status", "GET", "/v1/admin/subscriptions?status=sleeping", adminToken, nil)

		s.must(201, "POST", "/v1/admin/customers/"+cus+"/balance_adjustments", adminToken, map[string]any{"amount": 150, "reason": "goodwill"})
		log := s.must(200, "GET", "/v1/admin/audit_log?object_type=customer&object_id="+cus, adminToken, nil)
		if len(log.data()) != 1 {
			t.Fatalf("audit log: %s", log.raw)
		}
		e := log.data()[0]
		if e["actor"] != "admin token" || e["action"] != "customer.balance_adjustment" || !strings.Contains(str(e["after"]), `"reason":"goodwill"`) {
			t.Errorf("audit entry: %v", e)
		}
		s.fails(400, "invalid_request", "to", "GET", "/v1/admin/audit_log?to=later", adminToken, nil)
		s.fails(401, "unauthenticated", "", "GET", "/v1/admin/audit_log", "", nil)
	})
}
