package contracttest

import (
	"strings"
	"testing"
)

// TestCustomerEndpoints walks every customer endpoint of API.md once, with
// its answers and the errors of its kind.
func TestCustomerEndpoints(t *testing.T) {
	each(t, func(t *testing.T, s *server) {
		plans := s.must(200, "GET", "/v1/plans", "", nil)
		if len(plans.data()) == 0 || len(arr(plans.data()[0]["plans"])) == 0 {
			t.Fatalf("catalog: %s", plans.raw)
		}
		tok := s.customer("walk", "EUR")
		s.fails(401, "unauthenticated", "", "POST", "/v1/sessions", "", map[string]any{"email": "nobody@contract.test", "password": "x"})
		s.fails(401, "unauthenticated", "", "GET", "/v1/account", "", nil)
		s.fails(401, "unauthenticated", "", "GET", "/v1/account", "dt_not_a_token", nil)
		s.fails(403, "forbidden", "", "GET", "/v1/admin/customers", tok, nil)
		s.fails(403, "forbidden", "", "GET", "/v1/account", adminToken, nil)
		s.fails(404, "not_found", "", "GET", "/v1/no_such_route", tok, nil)
		acc := s.must(200, "GET", "/v1/account", tok, nil)
		if acc.body["currency"] != "EUR" || num(acc.body["balance"]) != 0 || !strings.HasPrefix(str(acc.body["id"]), "cus_") {
			t.Errorf("account: %s", acc.raw)
		}

		// Billing addresses.
		s.fails(400, "invalid_request", "postal_code", "POST", "/v1/billing_addresses", tok, map[string]any{"name": "A", "line1": "B 1", "city": "Berlin", "postal_code": "ABC", "country": "DE"})
		s.fails(400, "invalid_request", "country", "POST", "/v1/billing_addresses", tok, map[string]any{"name": "A", "line1": "B 1", "city": "Berlin", "postal_code": "10117", "country": "XX"})
		adr := s.address(tok)
		s.must(200, "GET", "/v1/billing_addresses/"+adr, tok, nil)
		if r := s.must(200, "PATCH", "/v1/billing_addresses/"+adr, tok, map[string]any{"city": "Potsdam", "postal_code": "14467"}); r.body["city"] != "Potsdam" {
			t.Errorf("patch address: %s", r.raw)
		}
		other := s.address(tok)
		s.must(200, "DELETE", "/v1/billing_addresses/"+other, tok, nil)
		s.fails(404, "not_found", "", "GET", "/v1/billing_addresses/"+other, tok, nil)
		if n := len(s.must(200, "GET", "/v1/billing_addresses", tok, nil).data()); n != 1 {
			t.Errorf("%d addresses, want 1", n)
		}

		// Cards: never the number or the CVC.
		pm := s.must(201, "POST", "/v1/payment_methods", tok, map[string]any{"card": goodCard})
		if pm.body["last4"] != "4242" || strings.Contains(string(pm.raw), "4242424242424242") || strings.Contains(string(pm.raw), `"123"`) {
			t.Errorf("card: %s", pm.raw)
		}
		// The sandbox's declining card is declined when it pays.
		declined := s.must(201, "POST", "/v1/payment_methods", tok, map[string]any{"card": map[string]any{"number": "4000000000000002", "exp_month": 12, "exp_year": 2040, "cvc": "123"}})
		s.fails(402, "card_declined", "", "POST", "/v1/orders", tok, map[string]any{"items": []any{map[string]any{"type": "balance_top_up", "amount": 1000}},
			"payment": map[string]any{"method": "card", "payment_method": declined.body["id"]}})
		s.must(200, "DELETE", "/v1/payment_methods/"+str(declined.body["id"]), tok, nil)
		pm2 := s.must(201, "POST", "/v1/payment_methods", tok, map[string]any{"card": map[string]any{"number": "5555555555554444", "exp_month": 1, "exp_year": 2041, "cvc": "321"}})
		s.must(200, "POST", "/v1/payment_methods/"+str(pm2.body["id"])+"/default", tok, nil)
		for _, c := range s.must(200, "GET", "/v1/payment_methods", tok, nil).data() {
			if (c["id"] == pm2.body["id"]) != (c["default"] == true) {
				t.Errorf("default card: %v", c)
			}
		}
		s.must(200, "DELETE", "/v1/payment_methods/"+str(pm.body["id"]), tok, nil)
		s.fails(404, "not_found", "", "DELETE", "/v1/payment_methods/"+str(pm.body["id"]), tok, nil)

		// Balance: a card top-up, then quotes and orders from it.
		s.fails(402, "insufficient_funds", "", "POST", "/v1/orders", tok, order(adr, sub("business", 2, 1)))
		r := s.do("POST", "/v1/orders", tok, order(adr, sub("business", 2, 1)))
		if e := obj(r.body["error"]); num(e["missing"]) <= 0 || e["currency"] != "EUR" {
			t.Errorf("insufficient_funds without missing and currency: %s", r.raw)
		}
		s.topUp(tok, 200000)
		q := s.must(200, "POST", "/v1/quotes", tok, order(adr, sub("business", 3, 12)))
		if num(q.body["total"]) != num(q.body["subtotal"])-num(q.body["discount"])+num(q.body["tax"]) || num(q.body["subtotal"]) != 3*38400 {
			t.Errorf("quote arithmetic: %s", q.raw)
		}
		if num(s.must(200, "GET", "/v1/account", tok, nil).body["balance"]) != 200000 {
			t.Error("a quote changed the balance")
		}
		o := s.must(201, "POST", "/v1/orders", tok, order(adr, sub("business", 3, 12)))
		if o.body["status"] != "paid" || num(o.body["total"]) != num(q.body["total"]) || obj(o.body["payment"])["method"] != "balance" {
			t.Errorf("order: %s", o.raw)
		}
		var sum int64
		for _, it := range arr(o.body["items"]) {
			l := obj(it)
			sum += num(l["amount"]) - num(l["discount"]) + num(l["tax"])
		}
		if sum != num(o.body["total"]) {
			t.Errorf("lines sum to %d, total %d", sum, num(o.body["total"]))
		}
		subID := str(obj(arr(o.body["items"])[0])["subscription"])
		s.must(200, "GET", "/v1/orders/"+str(o.body["id"]), tok, nil)
		s.fails(404, "not_found", "", "GET", "/v1/orders/ord_nonexistent", tok, nil)
		for _, ord := range s.must(200, "GET", "/v1/orders", tok, nil).data() {
			if m := str(obj(ord["payment"])["method"]); m != "balance" && m != "card" {
				t.Errorf("listed order %v: payment.method %q", ord["id"], m)
			}
		}

		// Subscriptions.
		sr := s.must(200, "GET", "/v1/subscriptions/"+subID, tok, nil)
		if num(sr.body["quantity"]) != 3 || sr.body["plan"] != "business" || sr.body["status"] != "active" || len(arr(sr.body["periods"])) != 1 {
			t.Errorf("subscription: %s", sr.raw)
		}
		if r := s.must(200, "PATCH", "/v1/subscriptions/"+subID, tok, map[string]any{"auto_renew": true}); r.body["auto_renew"] != true {
			t.Errorf("auto_renew: %s", r.raw)
		}
		s.must(200, "GET", "/v1/subscriptions", tok, nil)
		s.fails(404, "not_found", "", "GET", "/v1/subscriptions/sub_nonexistent", tok, nil)

		// Users, limited by licenses.
		var users []string
		for _, n := range []string{"Ada", "Grace", "Linus"} {
			u := s.must(201, "POST", "/v1/users", tok, map[string]any{"name": n, "email": strings.ToLower(n) + "@walk.test", "subscription": subID})
			if u.body["status"] != "active" || str(u.body["extension"]) == "" || str(u.body["sip_account"]) == "" {
				t.Errorf("user: %s", u.raw)
			}
			users = append(users, str(u.body["id"]))
		}
		s.fails(409, "license_limit_reached", "", "POST", "/v1/users", tok, map[string]any{"name": "Ken", "email": "ken@walk.test", "subscription": subID})
		s.must(200, "GET", "/v1/users", tok, nil)
		s.must(200, "DELETE", "/v1/users/"+users[2], tok, nil)
		s.fails(404, "not_found", "", "DELETE", "/v1/users/"+users[2], tok, nil)

		// SIP accounts: the trunk and one per user.
		sips := s.must(200, "GET", "/v1/sip_accounts", tok, nil).data()
		if len(sips) != 3 {
			t.Errorf("%d SIP accounts, want the trunk and 2 users'", len(sips))
		}
		for _, a := range sips {
			if a["kind"] == "trunk" {
				if r := s.must(200, "GET", "/v1/sip_accounts/"+str(a["id"]), tok, nil); str(r.body["password"]) == "" {
					t.Errorf("trunk without its password: %s", r.raw)
				}
				// Shown once; a rotation shows a new one, once.
				if r := s.must(200, "GET", "/v1/sip_accounts/"+str(a["id"]), tok, nil); r.body["password"] != nil {
					t.Errorf("the password is shown twice: %s", r.raw)
				}
				if r := s.must(200, "POST", "/v1/sip_accounts/"+str(a["id"])+"/password", tok, nil); len(str(r.body["password"])) < 12 || r.body["connected"] != false {
					t.Errorf("rotated: %s", r.raw)
				}
				s.fails(404, "not_found", "", "POST", "/v1/sip_accounts/sip_none/password", tok, nil)
			}
		}

		// Numbers: the cascade, then one ordered, assigned and released.
		countries := s.must(200, "GET", "/v1/numbers/countries", tok, nil).data()
		if len(countries) == 0 {
			t.Fatal("no countries")
		}
		usd := s.customer("usd", "USD")
		for _, c := range s.must(200, "GET", "/v1/numbers/countries", usd, nil).data() {
			if c["code"] == "US" && c["has_states"] != true {
				t.Errorf("US has states: %v", c)
			}
		}
		if len(s.must(200, "GET", "/v1/numbers/countries/US/states", usd, nil).data()) == 0 {
			t.Error("no US states")
		}
		areas := s.must(200, "GET", "/v1/numbers/countries/DE/areas", tok, nil).data()
		if len(areas) == 0 {
			t.Fatal("no DE areas")
		}
		avail := s.must(200, "GET", "/v1/numbers/available?country=DE&area=Berlin&limit=3", tok, nil).data()
		if len(avail) != 3 || avail[0]["currency"] != "EUR" || avail[0]["setup_amount"] == nil || avail[0]["monthly_amount"] == nil {
			t.Fatalf("available: %v", avail)
		}
		no := s.must(201, "POST", "/v1/orders", tok, order(adr, map[string]any{"type": "phone_number", "number": avail[0]["number"]}))
		if num(no.body["total"]) <= 0 {
			t.Errorf("number order: %s", no.raw)
		}
		anyNum := s.must(201, "POST", "/v1/orders", tok, order(adr, map[string]any{"type": "phone_number", "country": "DE", "state": "", "area": "Berlin"}))
		mine := s.must(200, "GET", "/v1/numbers", tok, nil).data()
		if len(mine) != 2 {
			t.Fatalf("%d numbers, want 2: %s", len(mine), anyNum.raw)
		}
		nid := str(mine[0]["id"])
		if r := s.must(200, "PATCH", "/v1/numbers/"+nid, tok, map[string]any{"sip_account": sips[0]["id"]}); r.body["sip_account"] != sips[0]["id"] {
			t.Errorf("assign: %s", r.raw)
		}
		s.must(200, "DELETE", "/v1/numbers/"+nid, tok, nil)
		s.fails(404, "not_found", "", "PATCH", "/v1/numbers/num_nonexistent", tok, map[string]any{"sip_account": sips[0]["id"]})

		// Cart.
		ci := s.must(201, "POST", "/v1/cart/items", tok, sub("ivr", 1, 3))
		ci2 := s.must(201, "POST", "/v1/cart/items", tok, map[string]any{"type": "licenses", "subscription": subID, "quantity": 1})
		items := arr(ci2.body["items"])
		if len(items) != 2 {
			t.Fatalf("cart after two items: %s", ci2.raw)
		}
		last := str(obj(items[1])["id"])
		s.must(200, "DELETE", "/v1/cart/items/"+last, tok, nil)
		s.fails(404, "not_found", "", "DELETE", "/v1/cart/items/"+last, tok, nil)
		// An item's licenses and term change in place, priced anew.
		first := str(obj(items[0])["id"])
		ch := s.must(200, "PATCH", "/v1/cart/items/"+first, tok, map[string]any{"quantity": 2, "term_months": 3})
		if q := obj(ch.body["quote"]); num(q["subtotal"]) != 5100 || num(obj(obj(arr(ch.body["items"])[0])["item"])["quantity"]) != 2 {
			t.Errorf("cart after changing the item to 2: %s", ch.raw)
		}
		s.fails(422, "invalid_term", "term_months", "PATCH", "/v1/cart/items/"+first, tok, map[string]any{"term_months": 5})
		s.must(200, "PATCH", "/v1/cart/items/"+first, tok, map[string]any{"quantity": 1})
		s.fails(404, "not_found", "", "PATCH", "/v1/cart/items/"+last, tok, map[string]any{"quantity": 1})
		s.fails(422, "promo_invalid", "", "PUT", "/v1/cart/promo_code", tok, map[string]any{"code": "NO-SUCH-CODE"})
		s.must(201, "POST", "/v1/admin/promo_codes", adminToken, map[string]any{"code": "CART10", "percent_off": "10"})
		s.must(200, "PUT", "/v1/cart/promo_code", tok, map[string]any{"code": "cart10"})
		cart := s.must(200, "GET", "/v1/cart?billing_address="+adr, tok, nil)
		if q := obj(cart.body["quote"]); len(arr(cart.body["items"])) != 1 || num(q["subtotal"]) != 2550 || num(q["discount"]) != 255 {
			t.Errorf("cart: %s (item %s)", cart.raw, ci.raw)
		}
		s.must(201, "POST", "/v1/cart/checkout", tok, map[string]any{"billing_address": adr, "payment": map[string]any{"method": "balance"}})
		if len(arr(s.must(200, "GET", "/v1/cart", tok, nil).body["items"])) != 0 {
			t.Error("cart not empty after checkout")
		}

		// Billing history, invoices, notifications.
		tx := s.must(200, "GET", "/v1/transactions", tok, nil).data()
		if len(tx) < 4 || !strings.HasPrefix(str(tx[0]["id"]), "pay_") {
			t.Errorf("transactions: %v", tx)
		}
		csv := s.must(200, "GET", "/v1/transactions?format=csv", tok, nil)
		if !strings.HasPrefix(csv.header.Get("Content-Type"), "text/csv") || !strings.Contains(csv.header.Get("Content-Disposition"), "attachment") {
			t.Errorf("CSV: %v", csv.header)
		}
		if r := s.must(200, "GET", "/v1/transactions", tok, nil, "Accept", "text/csv"); !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
			t.Errorf("Accept: text/csv: %v", r.header)
		}
		entries := s.must(200, "GET", "/v1/balance/entries", tok, nil).data()
		if len(entries) == 0 || num(entries[0]["balance_after"]) != num(s.must(200, "GET", "/v1/account", tok, nil).body["balance"]) {
			t.Errorf("newest entry's balance_after is not the balance: %v", entries)
		}
		invs := s.must(200, "GET", "/v1/invoices", tok, nil).data()
		if len(invs) == 0 {
			t.Fatal("no invoices")
		}
		inv := str(invs[0]["id"])
		if r := s.must(200, "GET", "/v1/invoices/"+inv, tok, nil); len(str(r.body["number"])) != len("2036-000001") || !strings.HasPrefix(str(r.body["number"]), "2036-") {
			t.Errorf("invoice number: %s", r.raw)
		}
		if r := s.must(200, "GET", "/v1/invoices/"+inv+".pdf", tok, nil); !strings.HasPrefix(string(r.raw), "%PDF") || r.header.Get("Content-Type") != "application/pdf" {
			t.Errorf("PDF: %v %.20q", r.header, r.raw)
		}
		if r := s.must(200, "GET", "/v1/invoices/"+inv+".html", tok, nil); !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Errorf("HTML: %v", r.header)
		}
		s.fails(404, "not_found", "", "GET", "/v1/invoices/inv_nonexistent.pdf", tok, nil)
		s.fails(404, "not_found", "", "GET", "/v1/invoices/inv_nonexistent.html", tok, nil)
		if r := s.fails(401, "unauthenticated", "", "GET", "/v1/transactions?format=csv", "", nil); r.header.Get("Content-Disposition") != "" {
			t.Errorf("an error as a download: %v", r.header)
		}
		s.must(200, "GET", "/v1/notifications", tok, nil)

		// Another customer reaches none of it.
		other2 := s.customer("stranger", "EUR")
		for _, p := range []string{"/v1/orders/" + str(o.body["id"]), "/v1/subscriptions/" + subID, "/v1/invoices/" + inv, "/v1/billing_addresses/" + adr} {
			s.fails(404, "not_found", "", "GET", p, other2, nil)
		}

		// Log-out ends the session.
		s.must(200, "DELETE", "/v1/sessions/current", tok, nil)
		s.fails(401, "unauthenticated", "", "GET", "/v1/account", tok, nil)
	})
}

// TestOrderErrors: every order error code of API.md, each leaving nothing
// changed.
func TestOrderErrors(t *testing.T) {
	each(t, func(t *testing.T, s *server) {
		tok := s.customer("errs", "EUR")
		adr := s.address(tok)
		s.topUp(tok, 500000)
		balance := func() int64 { return num(s.must(200, "GET", "/v1/account", tok, nil).body["balance"]) }
		before := balance()
		fail := func(status int, code string, items ...map[string]any) {
			t.Helper()
			s.fails(status, code, "", "POST", "/v1/orders", tok, order(adr, items...))
		}
		fail(422, "min_licenses", sub("start", 1, 1))
		fail(422, "max_licenses", sub("start", 501, 1))
		fail(422, "invalid_term", sub("start", 2, 2))
		fail(400, "invalid_request", sub("no-such-plan", 2, 1))
		if b := balance(); b != before {
			t.Errorf("failed orders moved the balance: %d, want %d", b, before)
		}
		o := s.must(201, "POST", "/v1/orders", tok, order(adr, sub("business", 2, 1)))
		subID := str(obj(arr(o.body["items"])[0])["subscription"])
		fail(422, "downgrade_not_allowed", map[string]any{"type": "upgrade", "subscription": subID, "plan": "start"})
		if r := s.must(201, "POST", "/v1/orders", tok, order(adr, map[string]any{"type": "upgrade", "subscription": subID, "plan": "enterprise"})); num(r.body["total"]) <= 0 {
			t.Errorf("upgrade: %s", r.raw)
		}
		trial := map[string]any{"type": "subscription", "plan": "hosted-pbx", "quantity": 1, "term_months": 1, "trial": true}
		if r := s.must(201, "POST", "/v1/orders", tok, order(adr, trial)); num(r.body["total"]) != 0 {
			t.Errorf("trial charged: %s", r.raw)
		}
		fail(422, "trial_already_used", trial)
		s.fails(422, "promo_invalid", "", "POST", "/v1/orders", tok, map[string]any{"items": []any{sub("start", 2, 1)}, "promo_code": "NOPE", "billing_address": adr, "payment": map[string]any{"method": "balance"}})
		s.must(201, "POST", "/v1/admin/promo_codes", adminToken, map[string]any{"code": "ONCE10", "percent_off": "10", "max_redemptions": 1})
		withPromo := map[string]any{"items": []any{sub("start", 2, 1)}, "promo_code": "once10", "billing_address": adr, "payment": map[string]any{"method": "balance"}}
		if r := s.must(201, "POST", "/v1/orders", tok, withPromo); num(r.body["discount"]) != 500 {
			t.Errorf("10 %% off 2 x 25.00: %s", r.raw)
		}
		tok2 := s.customer("errs2", "EUR")
		adr2 := s.address(tok2)
		s.topUp(tok2, 100000)
		withPromo["billing_address"] = adr2
		s.fails(422, "promo_exhausted", "", "POST", "/v1/orders", tok2, withPromo)
		s.fails(402, "card_declined", "", "POST", "/v1/orders", tok2, map[string]any{"items": []any{map[string]any{"type": "balance_top_up", "amount": 1000}},
			"payment": map[string]any{"method": "card", "card": map[string]any{"number": "4000000000009995", "exp_month": 12, "exp_year": 2040, "cvc": "123"}}})
		s.fails(404, "not_found", "", "POST", "/v1/orders", tok2, order(adr2, map[string]any{"type": "renewal", "subscription": subID}))
		// A fixed-amount promo in another currency is not applicable.
		s.must(201, "POST", "/v1/admin/promo_codes", adminToken, map[string]any{"code": "CHF5", "amount_off": 500, "currency": "CHF"})
		s.fails(422, "promo_invalid", "promo_code", "POST", "/v1/orders", tok2, map[string]any{"items": []any{sub("start", 2, 1)}, "promo_code": "CHF5", "billing_address": adr2, "payment": map[string]any{"method": "balance"}})
		// A number priced only in USD is not sold to a EUR account.
		us := s.must(200, "GET", "/v1/admin/numbers?status=available&limit=1", adminToken, nil).data()
		if len(us) == 1 && us[0]["currency"] == "USD" {
			s.fails(422, "currency_mismatch", "", "POST", "/v1/orders", tok2, order(adr2, map[string]any{"type": "phone_number", "number": us[0]["number"]}))
		} else {
			t.Errorf("first available number: %v, want a USD one", us)
		}
	})
}
