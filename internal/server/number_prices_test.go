package server_test

import (
	"strings"
	"testing"

	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestNumberPricesInFurtherCurrencies: a Swiss (CHF) company is offered
// German numbers once the operator prices them in CHF, at the most
// specific row's price, in the cascade, the search (every path of it), an
// order of a given number or of any in the area, and the rentals, which
// follow the price list.
func TestNumberPricesInFurtherCurrencies(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newSchedulerAPI(t, st, nil)
		demoNumbers(t, a)
		chf := a.signup("chf-numbers@acme.test", "CHF")
		codes := func(path string) string {
			t.Helper()
			r := a.do("GET", path, chf, nil)
			if r.status != 200 {
				t.Fatalf("%s: %d %s", path, r.status, r.raw)
			}
			var out []string
			for _, c := range r.body["data"].([]any) {
				m := c.(map[string]any)
				v, _ := m["code"].(string)
				if v == "" {
					v, _ = m["name"].(string)
				}
				out = append(out, v)
			}
			return strings.Join(out, ",")
		}
		if got := codes("/v1/numbers/countries"); got != "CH" {
			t.Fatalf("CHF countries before the price list: %s, want CH", got)
		}
		for _, c := range []struct {
			body  map[string]any
			param string
		}{
			{map[string]any{"country": "ZZ", "currency": "CHF", "setup_amount": 1, "monthly_amount": 1}, "country"},
			{map[string]any{"country": "DE", "currency": "XYZ", "setup_amount": 1, "monthly_amount": 1}, "currency"},
			{map[string]any{"country": "DE", "state": "BY", "currency": "CHF", "setup_amount": 1, "monthly_amount": 1}, "state"},
			{map[string]any{"country": "DE", "type": "fax", "currency": "CHF", "setup_amount": 1, "monthly_amount": 1}, "type"},
			{map[string]any{"country": "DE", "currency": "CHF", "setup_amount": -1, "monthly_amount": 1}, "setup_amount"},
		} {
			if r := a.do("PUT", "/v1/admin/number_prices", adminToken, c.body); r.status != 400 || r.errParam() != c.param {
				t.Errorf("PUT %v: %d %s, want 400 naming %s", c.body, r.status, r.raw, c.param)
			}
		}
		if r := a.do("PUT", "/v1/admin/number_prices", chf, map[string]any{"country": "DE", "currency": "CHF", "setup_amount": 1, "monthly_amount": 1}); r.status != 401 && r.status != 403 {
			t.Errorf("a customer PUTs a price: %d, want 401/403", r.status)
		}
		put := func(body map[string]any) {
			t.Helper()
			if r := a.do("PUT", "/v1/admin/number_prices", adminToken, body); r.status != 200 {
				t.Fatalf("PUT %v: %d %s", body, r.status, r.raw)
			}
		}
		put(map[string]any{"country": "de", "currency": "chf", "setup_amount": 500, "monthly_amount": 300})
		put(map[string]any{"country": "DE", "area": "Berlin", "currency": "CHF", "setup_amount": 100, "monthly_amount": 200})
		put(map[string]any{"country": "DE", "type": "mobile", "currency": "CHF", "setup_amount": 900, "monthly_amount": 900})
		if r := a.do("GET", "/v1/admin/number_prices", adminToken, nil); len(r.body["data"].([]any)) != 3 {
			t.Errorf("price list: %s, want 3 rows", r.raw)
		}
		if got := codes("/v1/numbers/countries"); got != "CH,DE" {
			t.Errorf("CHF countries with a DE price: %s, want CH,DE", got)
		}
		areas := a.do("GET", "/v1/numbers/countries/DE/areas", chf, nil)
		if !strings.Contains(string(areas.raw), "Berlin") || !strings.Contains(string(areas.raw), "Munich") {
			t.Errorf("DE areas for CHF: %s", areas.raw)
		}
		price := func(path string) (string, int64, int64, string) {
			t.Helper()
			r := a.do("GET", path, chf, nil)
			d, _ := r.body["data"].([]any)
			if r.status != 200 || len(d) == 0 {
				t.Fatalf("%s: %d %s, want numbers", path, r.status, r.raw)
			}
			for _, n := range d[1:] {
				if n.(map[string]any)["currency"] != "CHF" {
					t.Errorf("%s: %v not in CHF", path, n)
				}
			}
			m := d[0].(map[string]any)
			return m["currency"].(string), num(m["setup_amount"]), num(m["monthly_amount"]), m["number"].(string)
		}
		for _, c := range []struct {
			path           string
			setup, monthly int64
		}{
			{"/v1/numbers/available?country=DE&area=Berlin", 100, 200},
			{"/v1/numbers/available?country=DE&area=Munich", 500, 300},
			{"/v1/numbers/available?country=DE&area=Mobile", 900, 900},
			{"/v1/numbers/available?country=DE&area=Berlin&contains=4930", 100, 200},
			{"/v1/numbers/available?country=DE&area=Munich&contains=89", 500, 300},
			{"/v1/numbers/available?country=DE&type=local", 100, 200}, // +4930… (Berlin) sorts first
		} {
			if cur, s, m, _ := price(c.path); cur != "CHF" || s != c.setup || m != c.monthly {
				t.Errorf("%s: %s %d+%d, want CHF %d+%d", c.path, cur, s, m, c.setup, c.monthly)
			}
		}
		_, _, _, munich := price("/v1/numbers/available?country=DE&area=Munich")

		// Orders: any in Berlin, and a given Munich number.
		a.do("POST", "/v1/orders", chf, topUp(100000))
		adr := a.address(chf)
		order := func(item map[string]any) resp {
			return a.do("POST", "/v1/orders", chf, map[string]any{"items": []any{item}, "billing_address": adr, "payment": map[string]any{"method": "balance"}})
		}
		if r := order(map[string]any{"type": "phone_number", "country": "DE", "area": "Berlin"}); r.status != 201 || r.body["currency"] != "CHF" || num(r.body["subtotal"]) != 300 {
			t.Fatalf("CHF account orders any Berlin number: %d %s, want 201 CHF 3.00 net", r.status, r.raw)
		}
		if r := order(map[string]any{"type": "phone_number", "number": munich}); r.status != 201 || num(r.body["subtotal"]) != 800 {
			t.Fatalf("CHF account orders %s: %d %s, want 201 CHF 8.00 net", munich, r.status, r.raw)
		}
		// An EUR number of a country the list does not price stays out of reach.
		if r := order(map[string]any{"type": "phone_number", "country": "UA", "area": "Kyiv"}); r.status < 400 || r.status >= 500 {
			t.Errorf("CHF account orders a UA number: %d %s, want a 4xx", r.status, r.raw)
		}

		// Rentals follow the list: Berlin is repriced before the month ends.
		put(map[string]any{"country": "DE", "area": "Berlin", "currency": "CHF", "setup_amount": 100, "monthly_amount": 250})
		before := num(a.do("GET", "/v1/account", chf, nil).body["balance"])
		if r := a.do("POST", "/v1/admin/clock/advance", adminToken, map[string]any{"seconds": 32 * 86400}); r.status != 200 {
			t.Fatalf("advance: %d %s", r.status, r.raw)
		}
		after := num(a.do("GET", "/v1/account", chf, nil).body["balance"])
		// 2.50 + 8.1 % = 2.70 (Berlin), 3.00 + 8.1 % = 3.24 (Munich).
		if before-after != 270+324 {
			t.Errorf("a month of rentals took %d from the balance, want %d", before-after, 270+324)
		}
		for _, n := range a.do("GET", "/v1/numbers", chf, nil).body["data"].([]any) {
			if s := n.(map[string]any)["status"]; s != "active" {
				t.Errorf("number after its renewal: %v, want active", n)
			}
		}
	})
}
