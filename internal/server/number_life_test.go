package server_test

import (
	"testing"

	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestReleasedNumberSoldAgain: a number ordered, released, and out of its
// 90-day quarantine is for sale again — listed, counted in the cascade and
// ordered with 201 (it used to answer 500: the end of the quarantine left
// the stock of its group short, and CHECK (available >= 0) refused the
// sale).
func TestReleasedNumberSoldAgain(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newSchedulerAPI(t, st, nil)
		const number = "+41445550001"
		rows := []map[string]any{{"number": number, "country": "CH", "area": "Zürich", "type": "local",
			"setup_amount": 1000, "monthly_amount": 500, "currency": "CHF"}}
		if r := a.do("POST", "/v1/admin/numbers", adminToken, rows); r.status != 201 || num(r.body["imported"]) != 1 {
			t.Fatalf("import: %d %s", r.status, r.raw)
		}
		tok := a.signup("again@acme.test", "CHF")
		adr := a.address(tok)
		if r := a.do("POST", "/v1/orders", tok, topUp(50000)); r.status != 201 {
			t.Fatalf("top-up: %d %s", r.status, r.raw)
		}
		order := func(tok string) resp {
			t.Helper()
			return a.do("POST", "/v1/orders", tok, map[string]any{"items": []any{map[string]any{"type": "phone_number", "number": number}},
				"billing_address": adr, "payment": map[string]any{"method": "balance"}})
		}
		free := func(tok string) int64 {
			t.Helper()
			r := a.do("GET", "/v1/numbers/countries", tok, nil)
			for _, c := range r.body["data"].([]any) {
				if m := c.(map[string]any); m["code"] == "CH" {
					return num(m["available"])
				}
			}
			return 0
		}
		if n := free(tok); n != 1 {
			t.Errorf("imported: CH has %d free, want 1", n)
		}
		r := order(tok)
		if r.status != 201 {
			t.Fatalf("order: %d %s", r.status, r.raw)
		}
		held := a.do("GET", "/v1/numbers", tok, nil).body["data"].([]any)
		if len(held) != 1 {
			t.Fatalf("held numbers: %v", held)
		}
		id := held[0].(map[string]any)["id"].(string)
		if n := free(tok); n != 0 {
			t.Errorf("sold: CH has %d free, want 0", n)
		}
		if r := a.do("DELETE", "/v1/numbers/"+id, tok, nil); r.status >= 300 {
			t.Fatalf("release: %d %s", r.status, r.raw)
		}
		if r := order(tok); r.status != 409 {
			t.Errorf("order in quarantine: %d %s, want 409", r.status, r.raw)
		}
		a.moveClock(map[string]any{"seconds": 90*86400 + 60})
		tok = a.relogin("again@acme.test")
		if n := free(tok); n != 1 {
			t.Errorf("quarantine over: CH has %d free, want 1", n)
		}
		if r := order(tok); r.status != 201 {
			t.Errorf("order again after the quarantine: %d %s, want 201", r.status, r.raw)
		}
		if n := free(tok); n != 0 {
			t.Errorf("sold again: CH has %d free, want 0", n)
		}
	})
}
