package contracttest

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// walk pages through a list by id (API.md "Lists": limit, and
// starting_after the id of the last element of the previous page) to its
// end, and returns the ids in order.
func (s *server) walk(path, tok string, limit int) []string {
	s.t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	var ids []string
	seen := map[string]bool{}
	after := ""
	for page := 0; ; page++ {
		if page > 400 {
			s.t.Fatalf("%s: more than 400 pages", path)
		}
		q := fmt.Sprintf("%s%slimit=%d", path, sep, limit)
		if after != "" {
			q += "&starting_after=" + url.QueryEscape(after)
		}
		r := s.do("GET", q, tok, nil)
		if r.status != 200 {
			s.t.Errorf("%s: got %d, want 200: %.300s", q, r.status, r.raw)
			return ids
		}
		data := r.data()
		if len(data) > limit {
			s.t.Errorf("%s: %d elements, limit %d", q, len(data), limit)
		}
		for _, d := range data {
			id := str(d["id"])
			if id == "" || seen[id] {
				s.t.Errorf("%s: element without id or twice: %v", q, d)
				return ids
			}
			seen[id] = true
			ids = append(ids, id)
		}
		if r.body["has_more"] != true {
			return ids
		}
		if len(data) == 0 {
			s.t.Errorf("%s: has_more with an empty page", q)
			return ids
		}
		after = str(data[len(data)-1]["id"])
	}
}

// TestListsWalkedByID: every list of objects with an id pages by id to its
// end, whole and in order, and an unknown cursor is 400 invalid_request.
func TestListsWalkedByID(t *testing.T) {
	each(t, func(t *testing.T, s *server) {
		tok := s.customer("lists", "EUR")
		var adr string
		for i := 0; i < 3; i++ {
			adr = s.address(tok)
			s.must(201, "POST", "/v1/payment_methods", tok, map[string]any{"card": goodCard})
		}
		s.topUp(tok, 100000)
		s.topUp(tok, 100000)
		o := s.must(201, "POST", "/v1/orders", tok, order(adr, sub("business", 5, 1)))
		subID := str(obj(arr(o.body["items"])[0])["subscription"])
		s.must(201, "POST", "/v1/orders", tok, order(adr, sub("ivr", 1, 1)))
		s.must(201, "POST", "/v1/orders", tok, order(adr, sub("ivr", 2, 3)))
		for i := 0; i < 3; i++ {
			s.must(201, "POST", "/v1/users", tok, map[string]any{"name": fmt.Sprintf("User %d", i), "email": fmt.Sprintf("u%d@lists.test", i), "subscription": subID})
			s.must(201, "POST", "/v1/orders", tok, order(adr, map[string]any{"type": "phone_number", "country": "DE", "area": "Berlin"}))
		}
		for i := 0; i < 3; i++ {
			s.customer("lists-other", "EUR")
		}
		want := map[string]int{ // at least this many
			"/v1/orders": 8, "/v1/subscriptions": 3, "/v1/transactions": 8, "/v1/balance/entries": 8, "/v1/invoices": 8,
			"/v1/numbers": 3, "/v1/users": 4, "/v1/billing_addresses": 3, "/v1/payment_methods": 3, "/v1/sip_accounts": 4,
			"/v1/notifications": 0,
		}
		for path, n := range want {
			full := s.walk(path, tok, 100)
			paged := s.walk(path, tok, 2)
			if len(full) < n || strings.Join(paged, ",") != strings.Join(full, ",") {
				t.Errorf("%s: by 2 %v, by 100 %v (want at least %d)", path, paged, full, n)
			}
			s.fails(400, "invalid_request", "", "GET", path+"?starting_after=zzz_unknown", tok, nil)
		}
		cust := s.walk("/v1/admin/customers", adminToken, 2)
		if len(cust) < 4 {
			t.Errorf("admin customers: %v", cust)
		}
		s.fails(400, "invalid_request", "", "GET", "/v1/admin/customers?starting_after=cus_unknown", adminToken, nil)
		// The operator's webhook endpoints and an endpoint's deliveries
		// (the deliveries exist from the payment on, sent or not).
		rcv := newReceiver(t, 204)
		var endpoints []string
		for i := 0; i < 3; i++ {
			e := s.must(201, "POST", "/v1/admin/webhook_endpoints", adminToken, map[string]any{"url": rcv.srv.URL, "events": []string{"order.paid"}})
			endpoints = append(endpoints, str(e.body["id"]))
		}
		for i := 0; i < 3; i++ {
			s.topUp(tok, 1000)
		}
		for path, n := range map[string]int{"/v1/admin/webhook_endpoints": 3, "/v1/admin/webhook_endpoints/" + endpoints[0] + "/deliveries": 3} {
			full := s.walk(path, adminToken, 100)
			paged := s.walk(path, adminToken, 2)
			if len(full) < n || strings.Join(paged, ",") != strings.Join(full, ",") {
				t.Errorf("%s: by 2 %v, by 100 %v (want at least %d)", path, paged, full, n)
			}
			s.fails(400, "invalid_request", "", "GET", path+"?starting_after=zzz_unknown", adminToken, nil)
		}
		avail := s.walk("/v1/numbers/available?country=DE&area=Berlin", tok, 7)
		if len(avail) < 20 {
			t.Errorf("available numbers in Berlin walked by id: %d", len(avail))
		}
		all := s.walk("/v1/admin/numbers", adminToken, 100)
		if len(all) < 2980 {
			t.Errorf("the inventory walked by id: %d numbers, want the demo's 2980 and more", len(all))
		}
		s.fails(400, "invalid_request", "", "GET", "/v1/admin/numbers?starting_after=num_unknown", adminToken, nil)
		// Lists keyed by code honour limit.
		for _, p := range []string{"/v1/admin/plans", "/v1/admin/promo_codes", "/v1/admin/tax_rates"} {
			if p == "/v1/admin/promo_codes" {
				for _, c := range []string{"L1", "L2", "L3"} {
					s.must(201, "POST", "/v1/admin/promo_codes", adminToken, map[string]any{"code": c, "percent_off": "5"})
				}
			}
			if p == "/v1/admin/tax_rates" {
				for _, c := range []string{"AT", "FR", "IT"} {
					s.must(200, "PUT", "/v1/admin/tax_rates/"+c, adminToken, map[string]any{"percent": "20"})
				}
			}
			r := s.must(200, "GET", p+"?limit=1", adminToken, nil)
			if len(r.data()) != 1 || r.body["has_more"] != true {
				t.Errorf("%s?limit=1: %d elements, has_more %v", p, len(r.data()), r.body["has_more"])
			}
		}
	})
}
