package server_test

import (
	"encoding/csv"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/internal/store/storetest"
)

// csvRows fetches a CSV export with the browser's cookies.
func (b *browser) csvRows(path string) (string, [][]string) {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.a.srv.URL+path, nil)
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		b.t.Fatalf("%s: %d %s", path, res.StatusCode, raw)
	}
	rows, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
	if err != nil {
		b.t.Fatalf("%s: %v\n%s", path, err, raw)
	}
	return res.Header.Get("Content-Type"), rows
}

// TestPortalBilling: the Billing tab lists every payment with its method
// and invoice, filters by purpose and dates (bad dates are shown next to
// their field), pages 50 at a time, exports the same rows as CSV, and
// shows the balance's movements with the running balance.
func TestPortalBilling(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	b := newBrowser(t, a)
	b.signup("billing@acme.test", "CHF")
	tok := b.token("billing@acme.test")
	cust := a.do("GET", "/v1/account", tok, nil).body["id"].(string)

	p := b.get("/marketplace/billing")
	p.has(t, "Billing", `data-testid="no-transactions"`, `id="refill"`, "CHF 0.00")

	// 10 March: 55 operator credits of CHF 1.00 (two pages); 12 March: a
	// card top-up of CHF 50.00 through the refill page.
	for i := 0; i < 55; i++ {
		if r := a.do("POST", "/v1/admin/customers/"+cust+"/balance_adjustments", adminToken, map[string]any{"amount": 100, "reason": fmt.Sprintf("Credit %d", i)}); r.status != 201 {
			t.Fatalf("credit: %d %s", r.status, r.raw)
		}
	}
	if r := a.do("POST", "/v1/admin/clock/advance", adminToken, map[string]any{"seconds": 2 * 86400}); r.status != 200 {
		t.Fatalf("clock: %d %s", r.status, r.raw)
	}
	p = b.get("/marketplace/billing/refill?amount=50.00")
	p = b.post("/marketplace/billing/refill", url.Values{"amount": {"50.00"}, "key": {p.find(t, `name="key" value="([^"]+)"`)}, "pay": {"new"},
		"card_number": {"4242424242424242"}, "exp_month": {"12"}, "exp_year": {"2030"}, "cvc": {"123"}})
	if !strings.HasPrefix(p.url, "/orders/ord_") {
		t.Fatalf("a top-up without a return lands on %s (%d)", p.url, p.status)
	}
	p.has(t, "Your balance was topped up by CHF 50.00", "Payment completed")

	p = b.get("/marketplace/billing")
	if n := strings.Count(p.body, `data-testid="tx-row"`); n != 50 {
		t.Errorf("first page: %d rows, want 50", n)
	}
	p.has(t, "Balance refill", "Card •••• 4242", "12 Mar 2026", "Adjustment", "Provider", `href="/invoices/inv_`, `.pdf"`,
		`data-testid="billing-balance">CHF 105.00<`, `data-testid="all-entries"`)
	older := p.href(t, "older")
	p = b.get(older)
	if n := strings.Count(p.body, `data-testid="tx-row"`); n != 6 {
		t.Errorf("second page %s: %d rows, want 6", older, n)
	}
	p.has(t, `data-testid="newest"`)
	p.hasNot(t, `data-testid="older"`)

	// The latest balance movement shows the balance after it.
	p.has(t, `data-testid="balance-after">CHF 105.00<`)
	p = b.get("/marketplace/billing/balance")
	if n := strings.Count(p.body, `data-testid="entry-row"`); n != 50 {
		t.Errorf("balance page: %d rows, want 50", n)
	}
	p.has(t, `data-testid="balance-after">CHF 55.00<`, `data-testid="balance-after">CHF 7.00<`)
	p = b.get(p.href(t, "older"))
	if n := strings.Count(p.body, `data-testid="entry-row"`); n != 6 {
		t.Errorf("older balance page: %d rows, want 6", n)
	}
	p.has(t, `data-testid="balance-after">CHF 6.00<`, `data-testid="balance-after">CHF 1.00<`)

	for _, tc := range []struct {
		name  string
		query url.Values
		rows  int
		want  string // the purpose every row has
		csv   int
	}{
		{"Purpose", url.Values{"purpose": {"balance_refill"}}, 1, "balance_refill", 1},
		{"PurposeAdjustment", url.Values{"purpose": {"adjustment"}}, 50, "adjustment", 55},
		{"From", url.Values{"from": {"2026-03-11"}}, 1, "balance_refill", 1},
		{"To", url.Values{"to": {"2026-03-10"}}, 50, "adjustment", 55},
		{"FromTo", url.Values{"from": {"2026-03-10"}, "to": {"2026-03-12"}}, 50, "", 56},
		{"Nothing", url.Values{"purpose": {"refund"}}, 0, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := b.get("/marketplace/billing?" + tc.query.Encode())
			if p.status != 200 {
				t.Fatalf("status %d", p.status)
			}
			if n := strings.Count(p.body, `data-testid="tx-row"`); n != tc.rows {
				t.Errorf("%d rows, want %d", n, tc.rows)
			}
			if tc.want != "" && strings.Count(p.body, `data-purpose="`+tc.want+`"`) != tc.rows {
				t.Errorf("rows of another purpose than %s", tc.want)
			}
			if tc.rows == 0 {
				p.has(t, "No payment matches this filter")
			}
			link := html.UnescapeString(p.find(t, `href="([^"]+)" data-testid="csv"`))
			ct, rows := b.csvRows(link)
			if !strings.HasPrefix(ct, "text/csv") {
				t.Errorf("CSV export %s: content type %q", link, ct)
			}
			if len(rows) != tc.csv+1 || rows[0][0] != "date" {
				t.Errorf("CSV export %s: %d lines, want a header and %d rows", link, len(rows), tc.csv)
			}
			for _, r := range rows[1:] {
				if tc.want != "" && r[2] != tc.want {
					t.Errorf("CSV row of purpose %s, want %s", r[2], tc.want)
				}
			}
			if older := strings.Contains(p.body, `data-testid="older"`); older != (tc.csv > 50) {
				t.Errorf("Older link %v with %d rows", older, tc.csv)
			}
		})
	}

	for _, tc := range []struct {
		name  string
		query string
		field string
	}{
		{"ErrFrom", "from=10.03.2026", "from"},
		{"ErrTo", "to=2026-13-40", "to"},
		{"ErrToBeforeFrom", "from=2026-03-12&to=2026-03-10", "to"},
		{"ErrPurpose", "purpose=lottery", "purpose"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := b.get("/marketplace/billing?" + tc.query)
			if p.status != 400 {
				t.Errorf("status %d, want 400", p.status)
			}
			p.has(t, `id="`+tc.field+`-error"`, `aria-invalid="true"`, `data-testid="filter-error"`)
			p.hasNot(t, `data-testid="tx-row"`)
		})
	}

	t.Run("OtherCustomer", func(t *testing.T) {
		other := newBrowser(t, a)
		other.signup("other-billing@acme.test", "CHF")
		other.get("/marketplace/billing").has(t, `data-testid="no-transactions"`)
		if _, rows := other.csvRows("/v1/transactions?format=csv"); len(rows) != 1 {
			t.Errorf("another customer's CSV: %d lines", len(rows))
		}
	})
}

// TestPortalRefill: the refill page's errors appear next to their fields,
// and a top-up returns only to a path of this site.
func TestPortalRefill(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	b := newBrowser(t, a)
	b.signup("refill@acme.test", "EUR")
	tok := b.token("refill@acme.test")

	p := b.get("/marketplace/billing/refill?amount=12.34&return=%2Fmarketplace%2Fnumbers")
	p.has(t, "Top up the balance", `value="12.34"`, `name="return" value="/marketplace/numbers"`, "Save this payment information for future payments")
	p.hasNot(t, `data-testid="pay-balance"`, `data-testid="address-choice"`)
	key := p.find(t, `name="key" value="([^"]+)"`)

	good := url.Values{"amount": {"20.00"}, "pay": {"new"}, "card_number": {"4242 4242 4242 4242"}, "exp_month": {"12"}, "exp_year": {"2030"}, "cvc": {"123"}}
	with := func(k, v string) url.Values {
		f := url.Values{"key": {key}}
		for k, v := range good {
			f[k] = v
		}
		if v == "" {
			f.Del(k)
		} else {
			f.Set(k, v)
		}
		return f
	}
	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		field  string
	}{
		{"ErrAmountMissing", with("amount", ""), 400, "amount"},
		{"ErrAmountWords", with("amount", "fifty"), 400, "amount"},
		{"ErrAmountTooSmall", with("amount", "0.50"), 400, "amount"},
		{"ErrAmountDecimals", with("amount", "1.234"), 400, "amount"},
		{"ErrNoPayment", with("pay", ""), 400, "pay"},
		{"ErrBalance", with("pay", "balance"), 400, "pay"},
		{"ErrCardNumber", with("card_number", ""), 400, "card_number"},
		{"ErrDeclined", with("card_number", "4000 0000 0000 0002"), 402, "pay"},
		{"ErrNoFunds", with("card_number", "4000 0000 0000 9995"), 402, "pay"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := b.post("/marketplace/billing/refill", tc.form)
			if p.status != tc.status {
				t.Errorf("status %d, want %d", p.status, tc.status)
			}
			p.has(t, `id="`+tc.field+`-error"`)
		})
	}
	if bal := num(a.do("GET", "/v1/account", tok, nil).body["balance"]); bal != 0 {
		t.Fatalf("failed top-ups changed the balance to %d", bal)
	}

	f := with("return", "//evil.example/steal")
	f.Set("key", "k-evil")
	if p := b.post("/marketplace/billing/refill", f); !strings.HasPrefix(p.url, "/orders/ord_") {
		t.Errorf("a foreign return address led to %s", p.url)
	}
	f = with("return", "/marketplace/numbers?country=DE")
	f.Set("key", "k-local")
	p = b.post("/marketplace/billing/refill", f)
	if p.url != "/marketplace/numbers?country=DE" {
		t.Errorf("a local return address led to %s", p.url)
	}
	p.has(t, "Your balance was topped up by €20.00")
	if bal := num(a.do("GET", "/v1/account", tok, nil).body["balance"]); bal != 4000 {
		t.Errorf("balance %d, want 4000 after two top-ups of €20.00", bal)
	}
	tx := a.do("GET", "/v1/transactions?purpose=balance_refill", tok, nil).body["data"].([]any)
	if len(tx) != 2 || tx[0].(map[string]any)["method"] != "card" || tx[0].(map[string]any)["card_last4"] != "4242" {
		t.Errorf("transactions: %v", tx)
	}
}
