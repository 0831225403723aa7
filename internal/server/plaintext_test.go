package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestBadTextRefused sends NUL characters and invalid UTF-8 wherever a
// request carries text: PostgreSQL cannot store them and SQLite can, so
// both stores must refuse them alike, with 400 invalid_request (an error
// page in the portal), and nothing may change.
func TestBadTextRefused(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st)
		tok := a.signup("text@acme.test", "EUR")
		addr := a.address(tok)
		for _, c := range []struct {
			name, method, path, body string
			hdr                      []string
		}{
			{"QueryNUL", "GET", "/v1/numbers/available?country=%00%00", "", nil},
			{"QueryInvalidUTF8", "GET", "/v1/numbers/available?country=DE&area=%ff", "", nil},
			{"PathNUL", "GET", "/v1/numbers/countries/%00%00/states", "", nil},
			{"PathInvalidUTF8", "GET", "/v1/subscriptions/%ff", "", nil},
			{"PatchPath", "PATCH", "/v1/numbers/%ff", `{"sip_account":"sip_x"}`, nil},
			{"DeletePath", "DELETE", "/v1/numbers/a%00b", "", nil},
			{"SIPAccount", "GET", "/v1/sip_accounts/%ff", "", nil},
			{"JSONEscape", "POST", "/v1/quotes", `{"items":[{"type":"phone_number","country":"DE","area":"\u0000"}]}`, nil},
			{"JSONEscapeUpper", "POST", "/v1/billing_addresses", `{"name":"A\U0000","line1":"x","city":"Berlin","postal_code":"10117","country":"DE"}`, nil},
			{"JSONRawByte", "POST", "/v1/billing_addresses", "{\"name\":\"A\xff\",\"line1\":\"x\",\"city\":\"Berlin\",\"postal_code\":\"10117\",\"country\":\"DE\"}", nil},
			{"IdempotencyKey", "POST", "/v1/quotes", `{"items":[{"type":"balance_top_up","amount":100}]}`, []string{"Idempotency-Key", "k\xff"}},
		} {
			t.Run(c.name, func(t *testing.T) {
				var body any
				if c.body != "" {
					body = c.body
				}
				r := a.do(c.method, c.path, tok, body, c.hdr...)
				if r.status != http.StatusBadRequest || r.errCode() != "invalid_request" {
					t.Errorf("%s %s: %d %s, want 400 invalid_request", c.method, c.path, r.status, r.raw)
				}
			})
		}
		if r := a.do("GET", "/v1/billing_addresses", tok, nil); len(r.body["data"].([]any)) != 1 {
			t.Errorf("addresses after refused ones: %s, want the one there was", r.raw)
		}

		// The portal: a form field, and a query, with a NUL character.
		b := newBrowser(t, a)
		b.signup("text-portal@acme.test", "EUR")
		p := b.post("/addresses", url.Values{"name": {"Acme\x00"}, "line1": {"Unter den Linden 1"}, "city": {"Berlin"},
			"postal_code": {"10117"}, "country": {"DE"}})
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, "UTF-8") {
			t.Errorf("portal form with NUL: %d, want 400 and the reason in words\n%.500s", p.status, p.body)
		}
		if p := b.get("/marketplace/numbers?country=%00"); p.status != http.StatusBadRequest {
			t.Errorf("portal query with NUL: %d, want 400", p.status)
		}
		_ = addr
	})
}
