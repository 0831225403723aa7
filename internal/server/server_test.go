package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/clock"
	"github.com/dialtone/dialtone/internal/contracttest/openapicheck"
	"github.com/dialtone/dialtone/internal/payment"
	"github.com/dialtone/dialtone/internal/server"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

const adminToken = "adm_test"

type api struct {
	t   testing.TB
	srv *httptest.Server
	clk *clock.Sandbox
	oa  *openapicheck.Checker
}

// served wraps a test server: every /v1 response its clients (the API's
// and the portal browser's) get is validated against the served OpenAPI
// document, and a response the document does not describe fails the test.
func served(t testing.TB, h http.Handler, clk *clock.Sandbox) *api {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	oa, err := openapicheck.Fetch(srv.Client(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	a := &api{t: t, srv: srv, clk: clk, oa: oa}
	srv.Client().Transport = a.checked(srv.Client().Transport)
	return a
}

// checked wraps a transport with the document's check, reported on the
// api's current test.
func (a *api) checked(rt http.RoundTripper) http.RoundTripper {
	return a.oa.Transport(rt, func(err error) { a.t.Errorf("OpenAPI: %v", err) })
}

func newAPI(t testing.TB, st *store.Store) *api {
	t.Helper()
	clk := clock.NewFrozen(time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := billing.New(st, clk, payment.NewSandbox(), log,
		billing.Config{Argon2: &argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}})
	if _, err := svc.SeedDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := server.New(svc, log, prometheus.NewRegistry(), server.Config{AdminToken: adminToken, Sandbox: true, SandboxClock: clk})
	return served(t, h, clk)
}

type resp struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

func (r resp) errCode() string {
	e, _ := r.body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func (r resp) errParam() string {
	e, _ := r.body["error"].(map[string]any)
	c, _ := e["param"].(string)
	return c
}

func (a *api) do(method, path, token string, body any, hdr ...string) resp {
	a.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		buf, _ := json.Marshal(b)
		rd = bytes.NewReader(buf)
	}
	req, _ := http.NewRequest(method, a.srv.URL+path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := a.srv.Client().Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := resp{status: res.StatusCode, header: res.Header, raw: raw}
	_ = json.Unmarshal(raw, &r.body)
	if r.status >= 500 {
		a.t.Errorf("%s %s: %d %s", method, path, r.status, raw)
	}
	return r
}

func (a *api) signup(email, currency string) string {
	a.t.Helper()
	r := a.do("POST", "/v1/signup", "", map[string]any{"email": email, "password": "correct horse", "company": "Acme", "country": "CH", "currency": currency})
	if r.status != 201 {
		a.t.Fatalf("signup: %d %s", r.status, r.raw)
	}
	r = a.do("POST", "/v1/sessions", "", map[string]any{"email": email, "password": "correct horse"})
	if r.status != 201 {
		a.t.Fatalf("login: %d %s", r.status, r.raw)
	}
	if c := r.header.Get("Set-Cookie"); !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Lax") {
		a.t.Errorf("session cookie %q: want HttpOnly and SameSite", c)
	}
	return r.body["token"].(string)
}

func (a *api) address(tok string) string {
	a.t.Helper()
	r := a.do("POST", "/v1/billing_addresses", tok, map[string]any{"name": "Acme AG", "line1": "Bahnhofstrasse 1", "city": "Zürich", "postal_code": "8001", "country": "CH"})
	if r.status != 201 {
		a.t.Fatalf("address: %d %s", r.status, r.raw)
	}
	return r.body["id"].(string)
}

var card = map[string]any{"number": "4242 4242 4242 4242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}

func topUp(amount int) map[string]any {
	return map[string]any{"items": []any{map[string]any{"type": "balance_top_up", "amount": amount}},
		"payment": map[string]any{"method": "card", "card": card}}
}

func num(v any) int64 {
	f, _ := v.(float64)
	return int64(f)
}

func TestAPIFlow(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st)
		tok := a.signup("flow@acme.test", "CHF")
		adr := a.address(tok)

		r := a.do("POST", "/v1/orders", tok, topUp(50000))
		if r.status != 201 || num(r.body["total"]) != 50000 || num(r.body["tax"]) != 0 {
			t.Fatalf("top-up: %d %s", r.status, r.raw)
		}
		pay := r.body["payment"].(map[string]any)
		if pay["method"] != "card" || pay["card_last4"] != "4242" {
			t.Errorf("payment = %v", pay)
		}
		order := map[string]any{"items": []any{map[string]any{"type": "subscription", "plan": "business", "quantity": 2, "term_months": 1}},
			"billing_address": adr, "payment": map[string]any{"method": "balance"}}
		q := a.do("POST", "/v1/quotes", tok, order)
		// 2 x 40.00 = 80.00 + 8.1 % = 6.48 -> 86.48
		if q.status != 200 || num(q.body["subtotal"]) != 8000 || num(q.body["tax"]) != 648 || num(q.body["total"]) != 8648 {
			t.Fatalf("quote: %d %s", q.status, q.raw)
		}
		order["quote_token"] = q.body["quote_token"]
		placed := a.do("POST", "/v1/orders", tok, order)
		if placed.status != 201 || num(placed.body["total"]) != 8648 || placed.body["status"] != "paid" || placed.body["invoice"] == "" {
			t.Fatalf("order: %d %s", placed.status, placed.raw)
		}
		acct := a.do("GET", "/v1/account", tok, nil)
		if num(acct.body["balance"]) != 50000-8648 {
			t.Errorf("balance = %v, want %d", acct.body["balance"], 50000-8648)
		}
		// A stale quote token is price_changed with a fresh quote.
		order["quote_token"] = "qt_stale"
		r = a.do("POST", "/v1/orders", tok, order)
		if r.status != 409 || r.errCode() != "price_changed" || r.body["error"].(map[string]any)["quote"] == nil {
			t.Errorf("stale quote: %d %s", r.status, r.raw)
		}
		subs := a.do("GET", "/v1/subscriptions", tok, nil)
		data := subs.body["data"].([]any)
		if len(data) != 1 || subs.body["has_more"] != false {
			t.Fatalf("subscriptions: %s", subs.raw)
		}
		entries := a.do("GET", "/v1/balance/entries", tok, nil)
		es := entries.body["data"].([]any)
		if len(es) != 2 || num(es[0].(map[string]any)["balance_after"]) != 50000-8648 {
			t.Errorf("entries: %s", entries.raw)
		}
		tx := a.do("GET", "/v1/transactions?format=csv", tok, nil)
		if !strings.HasPrefix(tx.header.Get("Content-Type"), "text/csv") || !strings.Contains(string(tx.raw), "subscription_purchase") {
			t.Errorf("csv: %s %s", tx.header.Get("Content-Type"), tx.raw)
		}
		invID := placed.body["invoice"].(string)
		inv := a.do("GET", "/v1/invoices/"+invID, tok, nil)
		if inv.status != 200 || num(inv.body["total"]) != 8648 || !strings.HasPrefix(inv.body["number"].(string), "2026-") {
			t.Errorf("invoice: %d %s", inv.status, inv.raw)
		}
		pdf := a.do("GET", "/v1/invoices/"+invID+".pdf", tok, nil)
		if pdf.status != 200 || !bytes.HasPrefix(pdf.raw, []byte("%PDF")) || pdf.header.Get("Content-Type") != "application/pdf" {
			t.Errorf("invoice pdf: %d %s %.40s", pdf.status, pdf.header.Get("Content-Type"), pdf.raw)
		}
		html := a.do("GET", "/v1/invoices/"+invID+".html", tok, nil)
		if html.status != 200 || !strings.Contains(string(html.raw), inv.body["number"].(string)) {
			t.Errorf("invoice html: %d %.200s", html.status, html.raw)
		}
	})
}

func TestAPIErrors(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	a := newAPI(t, st)
	tok := a.signup("err@acme.test", "EUR")
	other := a.signup("other@acme.test", "EUR")
	otherAdr := a.address(other)
	tests := []struct {
		name, method, path, token string
		body                      any
		status                    int
		code, param               string
	}{
		{"MalformedJSON", "POST", "/v1/orders", tok, "{", 400, "invalid_request", ""},
		{"MissingField", "POST", "/v1/signup", "", map[string]any{"email": "x@y.z", "company": "A", "country": "CH", "currency": "CHF"}, 400, "invalid_request", "password"},
		{"WrongType", "POST", "/v1/orders", tok, map[string]any{"items": "x"}, 400, "invalid_request", "items"},
		{"BadEmail", "POST", "/v1/signup", "", map[string]any{"email": "nope", "password": "12345678", "company": "A", "country": "CH", "currency": "CHF"}, 400, "invalid_request", "email"},
		{"NoAuth", "GET", "/v1/account", "", nil, 401, "unauthenticated", ""},
		{"BadToken", "GET", "/v1/account", "dt_nope", nil, 401, "unauthenticated", ""},
		{"OtherCustomersAddress", "GET", "/v1/billing_addresses/" + otherAdr, tok, nil, 404, "not_found", ""},
		{"OtherCustomersAddressInOrder", "POST", "/v1/quotes", tok, map[string]any{"items": []any{map[string]any{"type": "subscription", "plan": "start", "quantity": 2, "term_months": 1}}, "billing_address": otherAdr}, 400, "invalid_request", "billing_address"},
		{"AdminWithoutToken", "GET", "/v1/admin/customers", "", nil, 401, "unauthenticated", ""},
		{"AdminAsCustomer", "GET", "/v1/admin/customers", tok, nil, 403, "forbidden", ""},
		{"MinLicenses", "POST", "/v1/quotes", tok, map[string]any{"items": []any{map[string]any{"type": "subscription", "plan": "start", "quantity": 1, "term_months": 1}}}, 422, "min_licenses", "items[0].quantity"},
		{"InvalidTerm", "POST", "/v1/quotes", tok, map[string]any{"items": []any{map[string]any{"type": "subscription", "plan": "start", "quantity": 2, "term_months": 2}}}, 422, "invalid_term", "items[0].term_months"},
		{"UnknownItemType", "POST", "/v1/quotes", tok, map[string]any{"items": []any{map[string]any{"type": "pony"}}}, 400, "invalid_request", ""},
		{"UnknownRoute", "GET", "/v1/nope", tok, nil, 404, "not_found", ""},
		{"HugeQuantity", "POST", "/v1/quotes", tok, map[string]any{"items": []any{map[string]any{"type": "subscription", "plan": "start", "quantity": 1 << 40, "term_months": 1}}}, 422, "max_licenses", "items[0].quantity"},
	}
	for _, tt := range tests {
		r := a.do(tt.method, tt.path, tt.token, tt.body)
		if r.status != tt.status || r.errCode() != tt.code || (tt.param != "" && r.errParam() != tt.param) {
			t.Errorf("%s: %d %s; want %d %s %s", tt.name, r.status, r.raw, tt.status, tt.code, tt.param)
		}
	}
	// Insufficient funds carries missing and currency.
	adr := a.address(tok)
	r := a.do("POST", "/v1/orders", tok, map[string]any{"items": []any{map[string]any{"type": "subscription", "plan": "start", "quantity": 2, "term_months": 1}},
		"billing_address": adr, "payment": map[string]any{"method": "balance"}})
	e := r.body["error"].(map[string]any)
	// 2 x 25.00 + 8.1 % (4.05) = 54.05 missing from an empty balance.
	if r.status != 402 || r.errCode() != "insufficient_funds" || num(e["missing"]) != 5405 || e["currency"] != "EUR" {
		t.Errorf("insufficient funds: %d %s", r.status, r.raw)
	}
	r = a.do("POST", "/v1/payment_methods", tok, map[string]any{"card": map[string]any{"number": "4242424242424241", "exp_month": 1, "exp_year": 2030, "cvc": "123"}})
	if r.status != 400 || !strings.Contains(r.errParam(), "number") || strings.Contains(string(r.raw), "4242424242424241") {
		t.Errorf("bad card: %d %s", r.status, r.raw)
	}
	r = a.do("POST", "/v1/orders", tok, map[string]any{"items": []any{map[string]any{"type": "balance_top_up", "amount": 5000}},
		"payment": map[string]any{"method": "card", "card": map[string]any{"number": "4000000000000002", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}})
	if r.status != 402 || r.errCode() != "card_declined" {
		t.Errorf("declined: %d %s", r.status, r.raw)
	}
}

func TestIdempotency(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st)
		tok := a.signup("idem@acme.test", "EUR")
		first := a.do("POST", "/v1/orders", tok, topUp(1000), "Idempotency-Key", "k1")
		again := a.do("POST", "/v1/orders", tok, topUp(1000), "Idempotency-Key", "k1")
		if first.status != 201 || again.status != 201 || !bytes.Equal(first.raw, again.raw) || again.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("replay: %d %s / %d %s", first.status, first.raw, again.status, again.raw)
		}
		other := a.do("POST", "/v1/orders", tok, topUp(2000), "Idempotency-Key", "k1")
		if other.status != 422 || other.errCode() != "idempotency_key_reused" {
			t.Errorf("reused: %d %s", other.status, other.raw)
		}
		// 50 parallel requests with one key: one order.
		var wg sync.WaitGroup
		statuses := make([]int, 50)
		for i := range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = a.do("POST", "/v1/orders", tok, topUp(500), "Idempotency-Key", "race").status
			}()
		}
		wg.Wait()
		for _, s := range statuses {
			if s != 201 && s != 409 {
				t.Errorf("parallel status %d, want 201 or 409", s)
			}
		}
		orders := a.do("GET", "/v1/orders", tok, nil).body["data"].([]any)
		if len(orders) != 2 {
			t.Errorf("%d orders, want 2 (k1 and race)", len(orders))
		}
		if b := num(a.do("GET", "/v1/account", tok, nil).body["balance"]); b != 1500 {
			t.Errorf("balance = %d, want 1500", b)
		}
		// Keys are per customer: another customer may use "k1".
		tok2 := a.signup("idem2@acme.test", "EUR")
		if r := a.do("POST", "/v1/orders", tok2, topUp(700), "Idempotency-Key", "k1"); r.status != 201 || num(r.body["total"]) != 700 {
			t.Errorf("other customer same key: %d %s", r.status, r.raw)
		}
	})
}

func TestOpenAPIAndOps(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	r := a.do("GET", "/v1/openapi.json", "", nil)
	paths, _ := r.body["paths"].(map[string]any)
	for _, p := range []string{"/v1/orders", "/v1/quotes", "/v1/cart/checkout", "/v1/admin/clock/advance", "/v1/numbers/available", "/v1/transactions"} {
		if _, ok := paths[p]; !ok {
			t.Errorf("openapi lacks %s", p)
		}
	}
	get := func(path string) map[string]any {
		m, _ := paths[path].(map[string]any)["get"].(map[string]any)["responses"].(map[string]any)["200"].(map[string]any)["content"].(map[string]any)
		return m
	}
	if get("/v1/transactions")["text/csv"] == nil || get("/v1/invoices/{id}")["application/pdf"] == nil {
		t.Errorf("openapi lacks the CSV or PDF representations")
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if r := a.do("GET", p, "", nil); r.status != 200 {
			t.Errorf("%s: %d", p, r.status)
		}
	}
	a.do("GET", "/v1/plans", "", nil)
	if r := a.do("GET", "/metrics", "", nil); r.status != 200 || !strings.Contains(string(r.raw), `dialtone_http_requests_total{method="GET",route="GET /v1/plans",status="200"}`) {
		t.Errorf("metrics: %d %.300s", r.status, r.raw)
	}
	plans := a.do("GET", "/v1/plans", "", nil).body["data"].([]any)
	if len(plans) != 4 {
		t.Errorf("%d products, want 4", len(plans))
	}
	// Cross-origin form posts are refused.
	r = a.do("POST", "/v1/sessions", "", map[string]any{"email": "a@b.c", "password": "x"}, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
	if r.status != 403 {
		t.Errorf("cross-origin post: %d", r.status)
	}
	clk := a.do("POST", "/v1/admin/clock/advance", adminToken, map[string]any{"seconds": 86400})
	if clk.status != 200 || !strings.HasPrefix(clk.body["now"].(string), "2026-03-11T09:00:00") {
		t.Errorf("clock: %d %s", clk.status, clk.raw)
	}
}

// FuzzAPI sends arbitrary bodies to the POST endpoints: nothing may answer
// 500, and nothing malformed may be accepted.
func FuzzAPI(f *testing.F) {
	a := newAPI(f, storetest.Open(f, "sqlite"))
	tok := a.signup("fuzz@acme.test", "EUR")
	for _, s := range []string{`{}`, `{"items":[]}`, `{"items":[{"type":"subscription","plan":"start","quantity":-1,"term_months":1e9}]}`,
		`{"items":[{"type":"renewal","subscription":"sub_x"}],"payment":{"method":"card","card":{"number":"4242"}}}`, `[]`, `null`, "\x00"} {
		f.Add(s, uint8(0))
	}
	paths := []string{"/v1/orders", "/v1/quotes", "/v1/cart/items", "/v1/billing_addresses", "/v1/payment_methods", "/v1/users", "/v1/signup", "/v1/cart/checkout"}
	f.Fuzz(func(t *testing.T, body string, which uint8) {
		a.t = t
		path := paths[int(which)%len(paths)]
		r := a.do("POST", path, tok, body)
		if r.status >= 500 {
			t.Fatalf("%s %q: %d %s", path, body, r.status, r.raw)
		}
		if r.status >= 400 && r.errCode() == "" {
			t.Fatalf("%s %q: %d without an error code: %s", path, body, r.status, r.raw)
		}
		_ = fmt.Sprint()
	})
}
