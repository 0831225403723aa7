package server_test

import (
	"testing"

	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestNumbersInTheAccountsCurrency: a number is sold in the currency it is
// priced in, so the cascade of a customer offers the numbers priced in its
// account's currency — every demo number to some account — and a page of
// free numbers goes on after starting_after.
func TestNumbersInTheAccountsCurrency(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st)
		demoNumbers(t, a)
		countries := func(tok string) []string {
			t.Helper()
			var out []string
			for _, c := range a.do("GET", "/v1/numbers/countries", tok, nil).body["data"].([]any) {
				out = append(out, c.(map[string]any)["code"].(string))
			}
			return out
		}
		all := map[string]bool{}
		for _, c := range []struct {
			currency string
			want     []string
		}{{"CHF", []string{"CH"}}, {"EUR", []string{"DE", "UA"}}, {"GBP", []string{"GB"}}, {"USD", []string{"AU", "CA", "US"}}} {
			tok := a.signup("cur-"+c.currency+"@acme.test", c.currency)
			got := countries(tok)
			if len(got) != len(c.want) {
				t.Errorf("%s account: countries %v, want %v", c.currency, got, c.want)
			}
			for i := range min(len(got), len(c.want)) {
				if got[i] != c.want[i] {
					t.Errorf("%s account: countries %v, want %v", c.currency, got, c.want)
				}
				all[got[i]] = true
			}
		}
		if len(all) != 7 {
			t.Errorf("the demo's countries reach %d of 7 across the catalog's currencies", len(all))
		}

		eur := a.signup("eur-buyer@acme.test", "EUR")
		usd := a.signup("usd-buyer@acme.test", "USD")
		if r := a.do("GET", "/v1/numbers/countries/US/states", eur, nil); len(r.body["data"].([]any)) != 0 {
			t.Errorf("US states for a EUR account: %s, want none", r.raw)
		}
		if r := a.do("GET", "/v1/numbers/available?country=US", eur, nil); len(r.body["data"].([]any)) != 0 {
			t.Errorf("US numbers for a EUR account: %s, want none", r.raw)
		}
		if r := a.do("GET", "/v1/numbers/available?country=AU&contains=2", eur, nil); len(r.body["data"].([]any)) != 0 {
			t.Errorf("AU numbers with 2 for a EUR account: %s, want none", r.raw)
		}
		// Pages: the second starts after the first's last number (its id
		// is the cursor).
		p1 := a.do("GET", "/v1/numbers/available?country=AU&state=NSW&limit=3", usd, nil)
		d1 := p1.body["data"].([]any)
		if len(d1) != 3 || p1.body["has_more"] != true || d1[0].(map[string]any)["currency"] != "USD" {
			t.Fatalf("first page: %s", p1.raw)
		}
		last := d1[2].(map[string]any)["number"].(string)
		p2 := a.do("GET", "/v1/numbers/available?country=AU&state=NSW&limit=3&starting_after="+d1[2].(map[string]any)["id"].(string), usd, nil)
		d2 := p2.body["data"].([]any)
		if len(d2) != 3 || d2[0].(map[string]any)["number"].(string) <= last {
			t.Errorf("second page after %s: %s", last, p2.raw)
		}

		// Ordering any number of an area: in the account's currency, the
		// country's case does not matter.
		a.do("POST", "/v1/orders", usd, topUp(10000))
		adr := a.address(usd)
		order := func(tok string, area string) resp {
			return a.do("POST", "/v1/orders", tok, map[string]any{"items": []any{map[string]any{"type": "phone_number", "country": "au", "state": "nsw", "area": area}},
				"billing_address": adr, "payment": map[string]any{"method": "balance"}})
		}
		if r := order(eur, "Sydney"); r.status != 409 || r.errCode() != "number_unavailable" {
			t.Errorf("EUR account orders a Sydney number: %d %s, want 409 number_unavailable", r.status, r.raw)
		}
		r := order(usd, "Sydney")
		// 2.00 setup + 1.70 first month, plus 8.1 % Swiss VAT (the test
		// address is in Zürich): 3.70 + 0.30 = 4.00.
		if r.status != 201 || r.body["currency"] != "USD" || num(r.body["subtotal"]) != 370 || num(r.body["total"]) != 400 {
			t.Fatalf("USD account orders a Sydney number: %d %s, want 201 for $4.00", r.status, r.raw)
		}

		// The number held: sip_account always there (null when none);
		// another customer's SIP account is as unknown as a made-up one.
		held := a.do("GET", "/v1/numbers", usd, nil).body["data"].([]any)[0].(map[string]any)
		if _, ok := held["sip_account"]; !ok {
			t.Errorf("held number %v: want a sip_account field", held)
		}
		numID := held["id"].(string)
		// Lists page like every list: limit and starting_after.
		a.do("POST", "/v1/orders", usd, map[string]any{"items": []any{map[string]any{"type": "phone_number", "country": "AU", "state": "NSW", "area": "Sydney"}},
			"billing_address": adr, "payment": map[string]any{"method": "balance"}})
		if r := a.do("GET", "/v1/numbers?limit=1", usd, nil); len(r.body["data"].([]any)) != 1 || r.body["has_more"] != true {
			t.Errorf("numbers?limit=1 of 2: %s", r.raw)
		}
		first := a.do("GET", "/v1/numbers?limit=1", usd, nil).body["data"].([]any)[0].(map[string]any)["id"].(string)
		if r := a.do("GET", "/v1/numbers?starting_after="+first, usd, nil); len(r.body["data"].([]any)) != 1 || r.body["has_more"] != false ||
			r.body["data"].([]any)[0].(map[string]any)["id"] == first {
			t.Errorf("numbers after the first: %s", r.raw)
		}
		if r := a.do("GET", "/v1/sip_accounts?limit=1", usd, nil); len(r.body["data"].([]any)) != 1 {
			t.Errorf("sip_accounts?limit=1: %s", r.raw)
		}
		eurSIP := a.do("GET", "/v1/sip_accounts", eur, nil).body["data"].([]any)[0].(map[string]any)["id"].(string)
		for _, sip := range []string{eurSIP, "sip_nonexistent"} {
			if r := a.do("PATCH", "/v1/numbers/"+numID, usd, map[string]any{"sip_account": sip}); r.status != 404 || r.errCode() != "not_found" {
				t.Errorf("assign %s: %d %s, want 404 not_found", sip, r.status, r.raw)
			}
		}
		if r := a.do("PATCH", "/v1/numbers/"+numID, usd, map[string]any{"sip_account": ""}); r.status != 200 || r.body["sip_account"] != nil {
			t.Errorf("unassign: %d %s, want sip_account null", r.status, r.raw)
		}
		// The operator sees who holds it, then when a released one is for sale again.
		admin := func() map[string]any {
			for _, n := range a.do("GET", "/v1/admin/numbers?limit=1000&status="+held["status"].(string), adminToken, nil).body["data"].([]any) {
				if m := n.(map[string]any); m["id"] == numID {
					return m
				}
			}
			return nil
		}
		if m := admin(); m == nil || m["customer"] == nil || m["customer"] == "" {
			t.Errorf("operator's view of a held number: %v, want its customer", m)
		}
		if r := a.do("DELETE", "/v1/numbers/"+numID, usd, nil); r.status >= 300 {
			t.Fatalf("release: %d %s", r.status, r.raw)
		}
		held["status"] = "quarantine"
		if m := admin(); m == nil || m["quarantine_until"] == nil {
			t.Errorf("operator's view of a released number: %v, want quarantine_until", m)
		}
	})
}
