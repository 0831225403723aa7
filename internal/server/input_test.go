package server_test

import (
	"testing"

	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestCartPromoEmptyCart: an unknown promo code is 422 promo_invalid
// whatever the cart holds; a usable code on an empty cart is kept for the
// cart and applied when items come.
func TestCartPromoEmptyCart(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st)
		tok := a.signup("promo-empty@acme.test", "EUR")
		if r := a.do("POST", "/v1/admin/promo_codes", adminToken, map[string]any{"code": "EARLY10", "percent_off": "10"}); r.status != 201 {
			t.Fatalf("promo: %d %s", r.status, r.raw)
		}
		expired := map[string]any{"code": "OLD10", "percent_off": "10", "valid_from": "2025-01-01T00:00:00Z", "valid_until": "2025-02-01T00:00:00Z"}
		if r := a.do("POST", "/v1/admin/promo_codes", adminToken, expired); r.status != 201 {
			t.Fatalf("expired promo: %d %s", r.status, r.raw)
		}
		for _, code := range []string{"NOPE", "OLD10"} {
			r := a.do("PUT", "/v1/cart/promo_code", tok, map[string]any{"code": code})
			if r.status != 422 || r.errCode() != "promo_invalid" || r.errParam() != "code" {
				t.Errorf("%s on an empty cart: %d %s; want 422 promo_invalid on code", code, r.status, r.raw)
			}
		}
		r := a.do("PUT", "/v1/cart/promo_code", tok, map[string]any{"code": " early10"})
		if r.status != 200 || r.body["promo_code"] != "EARLY10" {
			t.Fatalf("usable code on an empty cart: %d %s; want it kept", r.status, r.raw)
		}
		item := map[string]any{"type": "subscription", "plan": "business", "quantity": 2, "term_months": 1}
		if r := a.do("POST", "/v1/cart/items", tok, item); r.status != 201 {
			t.Fatalf("add: %d %s", r.status, r.raw)
		}
		cart := a.do("GET", "/v1/cart", tok, nil)
		q, _ := cart.body["quote"].(map[string]any)
		if cart.body["promo_code"] != "EARLY10" || q == nil || num(q["discount"]) <= 0 {
			t.Errorf("cart after the item came: %s; want the code applied", cart.raw)
		}
		// With items in the cart an unknown code is refused the same way,
		// and the kept one stays.
		r = a.do("PUT", "/v1/cart/promo_code", tok, map[string]any{"code": "NOPE"})
		if r.status != 422 || r.errCode() != "promo_invalid" || r.errParam() != "code" {
			t.Errorf("unknown code on a full cart: %d %s", r.status, r.raw)
		}
		if c := a.do("GET", "/v1/cart", tok, nil); c.body["promo_code"] != "EARLY10" {
			t.Errorf("after a refused code the cart holds %v, want EARLY10", c.body["promo_code"])
		}
	})
}
