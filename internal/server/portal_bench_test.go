package server_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/gcpolicy"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// portalAccount is a customer with a long history: 1,000 transactions
// and 100 numbers (PRODUCT's "fast portal" bar), plus subscriptions,
// invoices and notifications.
func portalAccount(tb testing.TB, a *api) string {
	tb.Helper()
	tok := a.signup("heavy@acme.test", "EUR")
	cust := a.do("GET", "/v1/account", tok, nil).body["id"].(string)
	for i := 0; i < 1000; i++ {
		if r := a.do("POST", "/v1/admin/customers/"+cust+"/balance_adjustments", adminToken, map[string]any{"amount": 1000 + i, "reason": fmt.Sprintf("credit %d", i)}); r.status != 201 {
			tb.Fatalf("adjustment: %d %s", r.status, r.raw)
		}
	}
	var nums []map[string]any
	for i := 0; i < 100; i++ {
		nums = append(nums, map[string]any{"number": fmt.Sprintf("+4930555%05d", i), "country": "DE", "area": "Berlin", "type": "local",
			"setup_amount": 100, "monthly_amount": 200, "currency": "EUR"})
	}
	if r := a.do("POST", "/v1/admin/numbers", adminToken, nums); r.status >= 300 {
		tb.Fatalf("import: %d %s", r.status, r.raw)
	}
	adr := a.do("POST", "/v1/billing_addresses", tok, map[string]any{"name": "Acme", "line1": "Unter den Linden 1", "city": "Berlin", "postal_code": "10117", "country": "DE"})
	for part := 0; part < 2; part++ {
		var items []any
		for i := part * 50; i < part*50+50; i++ {
			items = append(items, map[string]any{"type": "phone_number", "number": fmt.Sprintf("+4930555%05d", i)})
		}
		if r := a.do("POST", "/v1/orders", tok, map[string]any{"items": items, "billing_address": adr.body["id"], "payment": map[string]any{"method": "balance"}}); r.status != 201 {
			tb.Fatalf("numbers: %d %s", r.status, r.raw)
		}
	}
	for _, plan := range []string{"business", "hosted-pbx", "ivr"} {
		q := 2
		if r := a.do("POST", "/v1/orders", tok, map[string]any{"items": []any{map[string]any{"type": "subscription", "plan": plan, "quantity": q, "term_months": 1}},
			"billing_address": adr.body["id"], "payment": map[string]any{"method": "balance"}}); r.status != 201 {
			tb.Fatalf("%s: %d %s", plan, r.status, r.raw)
		}
	}
	return tok
}

// portalPages are the pages a customer opens most.
var portalPages = []string{"/", "/marketplace/plans", "/marketplace/numbers", "/marketplace/billing", "/subscriptions",
	"/buy", "/cart", "/users", "/sip", "/notifications", "/invoices", "/payment-methods", "/addresses", "/settings"}

// BenchmarkPortalPages measures each page of the portal in-process, with
// the account of portalAccount, and reports the median and the 99th
// percentile, on SQLite and (with DIALTONE_TEST_POSTGRES_URL) PostgreSQL.
// go test -run '^$' -bench PortalPages -benchtime 500x ./internal/server/
func BenchmarkPortalPages(b *testing.B) {
	servePolicy(b)
	for _, kind := range storetest.Kinds(b) {
		b.Run(kind, func(b *testing.B) { benchmarkPortalPages(b, kind) })
	}
}

func benchmarkPortalPages(b *testing.B, kind string) {
	a := newAPI(b, storetest.Open(b, kind))
	tok := portalAccount(b, a)
	h := a.srv.Config.Handler
	for _, path := range portalPages {
		b.Run(path, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			for b.Loop() {
				req := httptest.NewRequest("GET", path, nil)
				req.AddCookie(&http.Cookie{Name: "dialtone_session", Value: tok})
				rec := &pageWriter{h: http.Header{}}
				t0 := time.Now()
				h.ServeHTTP(rec, req)
				lat = append(lat, time.Since(t0))
				if rec.status != 200 || rec.n == 0 {
					b.Fatalf("%s: %d, %d bytes", path, rec.status, rec.n)
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}

// pageWriter is what BenchmarkPortalPages answers into: the status kept,
// the body counted and dropped, as a connection sends it on. (An
// httptest.ResponseRecorder grows a buffer for each page: a sixth of the
// numbers page's allocations were the recorder's, which the server does
// not make.)
type pageWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *pageWriter) Header() http.Header { return w.h }

func (w *pageWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *pageWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.n += len(p)
	return len(p), nil
}

// servePolicy runs a benchmark with serve's garbage-collector policy
// (gcpolicy: what `dialtone serve` sets unless GOGC or GOMEMLIMIT is in
// the environment), and puts the test binary's back after it.
func servePolicy(b *testing.B) {
	b.Cleanup(gcpolicy.Current().Restore)
	b.Logf("garbage collector: %s", gcpolicy.Apply(os.Getenv))
}
