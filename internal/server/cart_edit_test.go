package server_test

import (
	"net/url"
	"testing"

	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// cartItems returns the cart's items and its quote's subtotal.
func cartItems(t *testing.T, a *api, tok string) ([]map[string]any, int64) {
	t.Helper()
	r := a.do("GET", "/v1/cart", tok, nil)
	if r.status != 200 {
		t.Fatalf("GET /v1/cart: %d %s", r.status, r.raw)
	}
	var out []map[string]any
	for _, it := range r.body["items"].([]any) {
		out = append(out, it.(map[string]any))
	}
	var sub int64
	if q, ok := r.body["quote"].(map[string]any); ok {
		sub = num(q["subtotal"])
	}
	return out, sub
}

// TestCartItemChangeAPI (issue 17 "Cart"): PATCH /v1/cart/items/{id}
// changes an item's licenses and term in place and the cart is priced
// anew; the plan's limits are the contract's errors naming the field, a
// field the item has not is invalid_request, another customer's item is
// 404, and nothing changes on an error.
func TestCartItemChangeAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st)
		tok := a.signup("cartedit@acme.test", "CHF")
		other := a.signup("other@acme.test", "CHF")
		if r := a.do("POST", "/v1/cart/items", tok, map[string]any{"type": "subscription", "plan": "business", "quantity": 2, "term_months": 1}); r.status != 201 {
			t.Fatalf("add: %d %s", r.status, r.raw)
		}
		if r := a.do("POST", "/v1/cart/items", tok, map[string]any{"type": "balance_top_up", "amount": 5000}); r.status != 201 {
			t.Fatalf("add top-up: %d %s", r.status, r.raw)
		}
		items, sub := cartItems(t, a, tok)
		id, topUp := items[0]["id"].(string), items[1]["id"].(string)
		if sub != 2*4000+5000 {
			t.Fatalf("subtotal %d, want %d", sub, 2*4000+5000)
		}

		r := a.do("PATCH", "/v1/cart/items/"+id, tok, map[string]any{"quantity": 3, "term_months": 12})
		if r.status != 200 {
			t.Fatalf("PATCH: %d %s", r.status, r.raw)
		}
		q := r.body["quote"].(map[string]any)
		if got, want := num(q["subtotal"]), int64(3*38400+5000); got != want {
			t.Errorf("subtotal after 3 x 12 months: %d, want %d (%s)", got, want, r.raw)
		}
		it := r.body["items"].([]any)[0].(map[string]any)
		if it["id"] != id || num(it["item"].(map[string]any)["quantity"]) != 3 || num(it["item"].(map[string]any)["term_months"]) != 12 {
			t.Errorf("item after the change: %v", it)
		}
		if r := a.do("PATCH", "/v1/cart/items/"+id, tok, map[string]any{"quantity": 4}); r.status != 200 ||
			num(r.body["items"].([]any)[0].(map[string]any)["item"].(map[string]any)["term_months"]) != 12 {
			t.Errorf("quantity alone keeps the term: %d %s", r.status, r.raw)
		}

		for _, c := range []struct {
			name   string
			id     string
			tok    string
			body   map[string]any
			status int
			code   string
			param  string
		}{
			{"ErrMinLicenses", id, tok, map[string]any{"quantity": 1}, 422, "min_licenses", "quantity"},
			{"ErrMaxLicenses", id, tok, map[string]any{"quantity": 501}, 422, "max_licenses", "quantity"},
			{"ErrInvalidTerm", id, tok, map[string]any{"term_months": 3}, 422, "invalid_term", "term_months"},
			{"ErrZero", id, tok, map[string]any{"quantity": 0}, 400, "invalid_request", "quantity"},
			{"ErrTopUpQuantity", topUp, tok, map[string]any{"quantity": 2}, 400, "invalid_request", "quantity"},
			{"ErrTopUpTerm", topUp, tok, map[string]any{"term_months": 1}, 400, "invalid_request", "term_months"},
			{"ErrOtherCustomer", id, other, map[string]any{"quantity": 2}, 404, "not_found", ""},
			{"ErrUnknown", "cit_nope", tok, map[string]any{"quantity": 2}, 404, "not_found", ""},
		} {
			t.Run(c.name, func(t *testing.T) {
				r := a.do("PATCH", "/v1/cart/items/"+c.id, c.tok, c.body)
				if r.status != c.status || r.errCode() != c.code || r.errParam() != c.param {
					t.Errorf("got %d %s %q, want %d %s %q: %s", r.status, r.errCode(), r.errParam(), c.status, c.code, c.param, r.raw)
				}
			})
		}
		if items, sub := cartItems(t, a, tok); len(items) != 2 || sub != 4*38400+5000 {
			t.Errorf("after the refused changes: %d items, subtotal %d, want 2 and %d", len(items), sub, 4*38400+5000)
		}
	})
}

// TestPortalCartItemChange (issue 17 "Cart"): each cart line has a form
// (no JavaScript needed) with its licenses and term; Update prices the
// cart anew; a number below the plan's minimum or a term the plan does
// not sell is refused next to that line's field with the API's status,
// and the cart stays as it was.
func TestPortalCartItemChange(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	acc := newAccount(t, a, "cartform@acme.test", 0)
	b := acc.b
	if p := b.post("/buy", url.Values{"plan": {"business"}, "quantity": {"2"}, "term": {"1"}}); p.url != "/cart" {
		t.Fatalf("Add to cart: %d at %s", p.status, p.url)
	}
	items, _ := cartItems(t, a, acc.tok)
	id := items[0]["id"].(string)
	p := b.get("/cart")
	p.has(t, `action="/cart/items/`+id+`"`, `id="quantity-`+id+`"`, `name="quantity-`+id+`"`, `value="2"`,
		`id="term-`+id+`"`, `<option value="12" >1 year</option>`, `data-testid="update-`+id+`"`, `data-testid="total">CHF 80.00<`)

	p = b.post("/cart/items/"+id, url.Values{"quantity-" + id: {"1"}, "term-" + id: {"12"}})
	if p.status != 422 {
		t.Errorf("1 license: %d", p.status)
	}
	p.has(t, `id="quantity-`+id+`-error"`, `aria-describedby="quantity-`+id+`-error"`, "at least 2", `value="1"`)
	p = b.post("/cart/items/"+id, url.Values{"quantity-" + id: {"3"}, "term-" + id: {"3"}})
	if p.status != 422 {
		t.Errorf("3 months: %d", p.status)
	}
	p.has(t, `id="term-`+id+`-error"`)
	p = b.post("/cart/items/"+id, url.Values{"quantity-" + id: {"two"}})
	if p.status != 400 {
		t.Errorf("two: %d", p.status)
	}
	p.has(t, `id="quantity-`+id+`-error"`)
	if _, sub := cartItems(t, a, acc.tok); sub != 8000 {
		t.Errorf("after the refused changes: subtotal %d, want 8000", sub)
	}

	p = b.post("/cart/items/"+id, url.Values{"quantity-" + id: {"3"}, "term-" + id: {"12"}})
	if p.url != "/cart" {
		t.Fatalf("Update: %d at %s", p.status, p.url)
	}
	p.has(t, "priced anew", `value="3"`, `<option value="12" selected>1 year</option>`, "CHF 1,152.00")
	if items, sub := cartItems(t, a, acc.tok); sub != 3*38400 || items[0]["id"] != id {
		t.Errorf("after Update: subtotal %d, item %v", sub, items[0]["id"])
	}
}
