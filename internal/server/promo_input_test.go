package server_test

import (
	"testing"

	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestPromoInconsistentRefused: a promo code nobody could redeem as meant is
// 400 invalid_request naming the field, and nothing is created or changed.
func TestPromoInconsistentRefused(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st)
		for _, c := range []struct {
			param string
			body  map[string]any
		}{
			{"percent_off", map[string]any{"code": "X1", "percent_off": "10", "amount_off": 500, "currency": "EUR"}},
			{"plans", map[string]any{"code": "X2", "percent_off": "10", "plans": []any{"no-such-plan"}}},
			{"terms", map[string]any{"code": "X3", "percent_off": "10", "plans": []any{"start"}, "terms": []any{7}}},
			{"terms", map[string]any{"code": "X4", "percent_off": "10", "terms": []any{7}}},
			{"valid_until", map[string]any{"code": "X5", "percent_off": "10", "valid_from": "2036-02-01T00:00:00Z", "valid_until": "2036-01-01T00:00:00Z"}},
			{"max_per_customer", map[string]any{"code": "X6", "percent_off": "10", "max_redemptions": 2, "max_per_customer": 3}},
			{"currency", map[string]any{"code": "X7", "amount_off": 500}},
			{"currency", map[string]any{"code": "X8", "amount_off": 500, "currency": "XYZ"}},
			{"percent_off", map[string]any{"code": "X9", "percent_off": "0"}},
			{"percent_off", map[string]any{"code": "X10", "percent_off": "100.5"}},
			{"percent_off", map[string]any{"code": "X11", "percent_off": "-5"}},
		} {
			r := a.do("POST", "/v1/admin/promo_codes", adminToken, c.body)
			if r.status != 400 || r.errCode() != "invalid_request" || r.errParam() != c.param {
				t.Errorf("%v: %d %s, want 400 invalid_request on %s", c.body, r.status, r.raw, c.param)
			}
		}
		if r := a.do("POST", "/v1/admin/promo_codes", adminToken, map[string]any{"code": "OK1", "percent_off": "10", "plans": []any{"start"}, "terms": []any{1}}); r.status != 201 {
			t.Fatalf("a consistent code: %d %s", r.status, r.raw)
		}
		r := a.do("PATCH", "/v1/admin/promo_codes/OK1", adminToken, map[string]any{"percent_off": "20", "amount_off": 500, "currency": "EUR"})
		if r.status != 400 || r.errParam() != "percent_off" {
			t.Errorf("PATCH with both: %d %s", r.status, r.raw)
		}
		r = a.do("PATCH", "/v1/admin/promo_codes/OK1", adminToken, map[string]any{"terms": []any{7}})
		if r.status != 400 || r.errParam() != "terms" {
			t.Errorf("PATCH to a term no plan has: %d %s", r.status, r.raw)
		}
		list := a.do("GET", "/v1/admin/promo_codes", adminToken, nil)
		data, _ := list.body["data"].([]any)
		if len(data) != 1 {
			t.Fatalf("want only OK1: %s", list.raw)
		}
		if p := data[0].(map[string]any); p["percent_off"] != "10" || p["amount_off"] != nil {
			t.Errorf("a refused PATCH changed the code: %v", p)
		}
	})
}
