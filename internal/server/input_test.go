package server_test

import (
	"net/url"
	"strings"
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

// TestImportNothingImported: an import that adds no number is 400
// invalid_request with every row's reason (line or position, field, words)
// and changes nothing; one that adds some is 201 with the rows left out.
func TestImportNothingImported(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st)
		good := func(n string) map[string]any {
			return map[string]any{"number": n, "country": "DE", "area": "Berlin", "type": "local", "setup_amount": 100, "monthly_amount": 200, "currency": "EUR"}
		}
		with := func(n, k string, v any) map[string]any { m := good(n); m[k] = v; return m }
		const hdr = "number,country,state,area,type,setup_amount,monthly_amount,currency\n"
		for _, c := range []struct {
			name, contentType string
			body              any
			param, field      string
			line              int64
		}{
			{"NumberNotString", "application/json", []any{map[string]any{"number": 5}}, "[0].number", "number", 1},
			{"NegativeSetup", "application/json", []any{with("+493099100001", "setup_amount", -5)}, "[0].setup_amount", "setup_amount", 1},
			{"FractionalRent", "application/json", []any{good("+493099100002"), with("+493099100002x", "monthly_amount", 1.5)}[1:], "[0].monthly_amount", "monthly_amount", 1},
			{"HugeRent", "application/json", `[{"number":"+493099100003","country":"DE","area":"Berlin","type":"local","setup_amount":1,"monthly_amount":99999999999999999999,"currency":"EUR"}]`, "[0].monthly_amount", "monthly_amount", 1},
			{"EmptyList", "application/json", "[]", "body", "", 0},
			{"CSVNegativeSetup", "text/csv", hdr + "+493099100004,DE,,Berlin,local,-1,200,EUR\n", "setup_amount", "setup_amount", 2},
			{"CSVFractionalRent", "text/csv", hdr + "+493099100005,DE,,Berlin,local,100,1.50,EUR\n", "monthly_amount", "monthly_amount", 2},
			{"CSVHeaderOnly", "text/csv", hdr, "body", "", 0},
		} {
			t.Run(c.name, func(t *testing.T) {
				r := a.do("POST", "/v1/admin/numbers", adminToken, c.body, "Content-Type", c.contentType)
				e, _ := r.body["error"].(map[string]any)
				msg, _ := e["message"].(string)
				if r.status != 400 || r.errCode() != "invalid_request" || r.errParam() != c.param || msg == "" {
					t.Fatalf("%d %s; want 400 invalid_request on %s", r.status, r.raw, c.param)
				}
				if c.field == "" {
					return
				}
				rej, _ := e["rejected"].([]any)
				if len(rej) != 1 || rej[0].(map[string]any)["field"] != c.field || num(rej[0].(map[string]any)["line"]) != c.line {
					t.Errorf("rejected %v; want line %d, field %s", e["rejected"], c.line, c.field)
				}
				if !strings.Contains(msg, c.field) {
					t.Errorf("message %q does not name %s", msg, c.field)
				}
			})
		}
		inv := a.do("GET", "/v1/admin/numbers?limit=1000", adminToken, nil)
		if strings.Contains(string(inv.raw), "+49309910") {
			t.Errorf("a refused import changed the inventory: %s", inv.raw)
		}
		// Some good, some bad: 201 with what was added and what was not.
		r := a.do("POST", "/v1/admin/numbers", adminToken, []any{good("+493099100010"), with("+493099100011", "setup_amount", -1)})
		rej, _ := r.body["rejected"].([]any)
		if r.status != 201 || num(r.body["imported"]) != 1 || len(rej) != 1 || num(rej[0].(map[string]any)["line"]) != 2 {
			t.Errorf("mixed import: %d %s; want 201, 1 imported, item 2 rejected", r.status, r.raw)
		}
		// Only numbers the inventory holds already: nothing added, 400.
		r = a.do("POST", "/v1/admin/numbers", adminToken, []any{good("+493099100010")})
		if r.status != 400 || r.errCode() != "invalid_request" || !strings.Contains(string(r.raw), "already in the inventory") {
			t.Errorf("only duplicates: %d %s; want 400 already in the inventory", r.status, r.raw)
		}
	})
}

// TestHugeNumberNamed: a number too large for its field is 400 naming the
// field, in words, not encoding/json's "cannot unmarshal number ... into Go
// struct field".
func TestHugeNumberNamed(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	tok := a.signup("huge@acme.test", "EUR")
	for _, c := range []struct{ body, param, message string }{
		{`{"items":[{"type":"balance_top_up","amount":99999999999999999999}],"payment":{"method":"balance"}}`, "items[0].amount", "items[0].amount is too large"},
		{`{"items":[{"type":"balance_top_up","amount":1},{"type":"subscription","plan":"start","quantity":99999999999999999999,"term_months":1}]}`, "items[1].quantity", "items[1].quantity is too large"},
		{`{"items":[{"type":"subscription","plan":"start","quantity":-99999999999999999999,"term_months":1}]}`, "items[0].quantity", "items[0].quantity must be at least 1"},
		{`{"items":[{"type":"subscription","plan":"start","quantity":2,"term_months":1e400}]}`, "items[0].term_months", "items[0].term_months is too large"},
	} {
		for _, path := range []string{"/v1/quotes", "/v1/orders"} {
			r := a.do("POST", path, tok, c.body)
			e, _ := r.body["error"].(map[string]any)
			if r.status != 400 || r.errCode() != "invalid_request" || r.errParam() != c.param || e["message"] != c.message {
				t.Errorf("%s %s: %d %s; want 400 %q on %s", path, c.body, r.status, r.raw, c.message, c.param)
			}
		}
	}
}

// TestPortalCartPromoEmptyCart: the portal's cart answers a promo code on
// an empty cart as the API does: an unknown one is refused on the field
// (422), a usable one is kept, shown, and applied to what comes.
func TestPortalCartPromoEmptyCart(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	acc := newAccount(t, a, "promo-empty-portal@acme.test", 0)
	if r := a.do("POST", "/v1/admin/promo_codes", adminToken, map[string]any{"code": "FIRST10", "percent_off": "10"}); r.status != 201 {
		t.Fatalf("promo: %d %s", r.status, r.raw)
	}
	p := acc.b.post("/cart/promo", url.Values{"promo": {"NOSUCH"}, "action": {"apply"}})
	if p.status != 422 {
		t.Errorf("unknown code on an empty cart: %d", p.status)
	}
	p.has(t, `id="promo-error"`, "does not exist")
	p = acc.b.post("/cart/promo", url.Values{"promo": {"first10"}, "action": {"apply"}})
	p.has(t, "Promo code FIRST10 applied", `data-testid="cart-empty"`, `data-testid="promo-kept"`)
	p = acc.b.post("/buy", url.Values{"plan": {"ivr"}, "quantity": {"2"}, "term": {"12"}})
	p.has(t, "Discount (FIRST10)")
}
