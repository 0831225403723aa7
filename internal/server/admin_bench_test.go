package server_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// adminScale is the data set of BenchmarkAdminPages: 10,000 customers,
// 100,000 orders (each with its ledger postings) and 1,000,000 numbers by
// default; DIALTONE_BENCH_ADMIN_SCALE divides them (10: a tenth).
func adminScale(tb testing.TB) (customers, orders, numbers int) {
	div := 1
	if v := os.Getenv("DIALTONE_BENCH_ADMIN_SCALE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			tb.Fatalf("DIALTONE_BENCH_ADMIN_SCALE=%q", v)
		}
		div = n
	}
	return 10_000 / div, 100_000 / div, 1_000_000 / div
}

// bulk inserts rows of cols into table, 400 rows a statement.
func bulk(tb testing.TB, st *store.Store, table, cols string, n int, row func(i int) []any) {
	tb.Helper()
	const per = 400
	for start := 0; start < n; start += per {
		var sb strings.Builder
		var args []any
		sb.WriteString("INSERT INTO " + table + " (" + cols + ") VALUES ")
		for i := start; i < min(start+per, n); i++ {
			vals := row(i)
			if i > start {
				sb.WriteString(", ")
			}
			sb.WriteByte('(')
			for j := range vals {
				if j > 0 {
					sb.WriteString(", ")
				}
				fmt.Fprintf(&sb, "$%d", len(args)+j+1)
			}
			sb.WriteByte(')')
			args = append(args, vals...)
		}
		if _, err := st.DB().Exec(sb.String(), args...); err != nil {
			tb.Fatalf("%s: %v", table, err)
		}
	}
}

// seedAdmin writes the benchmark's data straight into the tables: customers
// with balances (and their postings), an auto-renewing subscription each,
// orders paid by card with their revenue postings over the last year, and
// the numbers (a tenth sold).
func seedAdmin(tb testing.TB, st *store.Store, now time.Time) {
	tb.Helper()
	nc, no, nn := adminScale(tb)
	us := func(t time.Time) int64 { return t.UnixMicro() }
	bulk(tb, st, "customers", "id, company, country, currency, email, balance, created_at", nc, func(i int) []any {
		return []any{fmt.Sprintf("cus_b%06d", i), fmt.Sprintf("Company %d", i), "CH", "CHF", fmt.Sprintf("c%d@bench.test", i), 10_000, us(now.AddDate(-1, 0, 0))}
	})
	accounts := []string{store.SystemAccount("revenue", "CHF"), store.SystemAccount("gateway", "CHF"), store.SystemAccount("adjustments", "CHF")}
	bulk(tb, st, "ledger_accounts", "id, customer_id, kind, currency", len(accounts)+nc, func(i int) []any {
		if i < len(accounts) {
			return []any{accounts[i], nil, "system", "CHF"}
		}
		c := fmt.Sprintf("cus_b%06d", i-len(accounts))
		return []any{store.BalanceAccount(c), c, "customer_balance", "CHF"}
	})
	// A transaction per customer's credit, one per order.
	bulk(tb, st, "ledger_transactions", "id, customer_id, kind, description, created_at", nc+no, func(i int) []any {
		if i < nc {
			return []any{fmt.Sprintf("ltx_c%06d", i), fmt.Sprintf("cus_b%06d", i), "adjustment", "credit", us(now.AddDate(-1, 0, 0))}
		}
		j := i - nc
		return []any{fmt.Sprintf("ltx_o%07d", j), fmt.Sprintf("cus_b%06d", j%nc), "order", "order", us(now.Add(-time.Duration(j%360) * 24 * time.Hour))}
	})
	bulk(tb, st, "ledger_postings", "transaction_id, seq, account_id, amount, currency, created_at", 2*(nc+no), func(k int) []any {
		i, seq := k/2, k%2
		if i < nc {
			acct, amt := store.BalanceAccount(fmt.Sprintf("cus_b%06d", i)), int64(10_000)
			if seq == 1 {
				acct, amt = accounts[2], -10_000
			}
			return []any{fmt.Sprintf("ltx_c%06d", i), seq + 1, acct, amt, "CHF", us(now.AddDate(-1, 0, 0))}
		}
		j := i - nc
		acct, amt := accounts[0], int64(5_000)
		if seq == 1 {
			acct, amt = accounts[1], -5_000
		}
		return []any{fmt.Sprintf("ltx_o%07d", j), seq + 1, acct, amt, "CHF", us(now.Add(-time.Duration(j%360) * 24 * time.Hour))}
	})
	bulk(tb, st, "orders", "id, customer_id, status, currency, subtotal, discount, tax, total, created_at", no, func(j int) []any {
		return []any{fmt.Sprintf("ord_b%07d", j), fmt.Sprintf("cus_b%06d", j%nc), "paid", "CHF", 5_000, 0, 0, 5_000, us(now.Add(-time.Duration(j%360) * 24 * time.Hour))}
	})
	bulk(tb, st, "subscriptions", "id, customer_id, product, plan, term_months, status, auto_renew, currency, started_at, expires_at, created_at, updated_at", nc, func(i int) []any {
		exp := now.Add(time.Duration(i%60) * 24 * time.Hour).Add(time.Hour)
		return []any{fmt.Sprintf("sub_b%06d", i), fmt.Sprintf("cus_b%06d", i), "contact-center", "start", 1, "active", i%2 == 0, "CHF",
			us(exp.AddDate(0, -1, 0)), us(exp), us(exp.AddDate(0, -1, 0)), us(exp.AddDate(0, -1, 0))}
	})
	bulk(tb, st, "periods", "subscription_id, seq, start_at, end_at, plan, quantity, unit_amount, term_months", nc, func(i int) []any {
		exp := now.Add(time.Duration(i%60) * 24 * time.Hour).Add(time.Hour)
		return []any{fmt.Sprintf("sub_b%06d", i), 1, us(exp.AddDate(0, -1, 0)), us(exp), "start", 2, 2500, 1}
	})
	bulk(tb, st, "numbers", "id, number, country, state, area, type, setup_amount, monthly_amount, currency, status, customer_id, purchased_at, renews_at, created_at", nn, func(i int) []any {
		var cust, bought, renews any
		status := "available"
		if i%10 == 7 {
			status, cust, bought, renews = "active", fmt.Sprintf("cus_b%06d", i%nc), us(now.AddDate(0, -1, 0)), us(now.AddDate(0, 0, 5))
		}
		return []any{fmt.Sprintf("num_b%07d", i), fmt.Sprintf("+41%02d%07d", 21+i%60, i), "CH", "", fmt.Sprintf("Area %02d", i%60), "local",
			0, 500, "CHF", status, cust, bought, renews, us(now.AddDate(-1, 0, 0))}
	})
	if _, err := st.DB().Exec(`DELETE FROM number_stock`); err != nil {
		tb.Fatal(err)
	}
	if _, err := st.DB().Exec(`INSERT INTO number_stock (country, state, area, type, currency, available)
		SELECT country, state, area, type, currency, SUM(CASE WHEN status = 'available' THEN 1 ELSE 0 END) FROM numbers GROUP BY country, state, area, type, currency`); err != nil {
		tb.Fatal(err)
	}
	if st.Dialect() == store.Postgres {
		if _, err := st.DB().Exec(`VACUUM ANALYZE`); err != nil {
			tb.Fatal(err)
		}
	} else if _, err := st.DB().Exec(`ANALYZE`); err != nil {
		tb.Fatal(err)
	}
}

// adminBenchPages are the pages of the dashboard, catalog, promo codes,
// numbers (searches too), tax rates, webhooks and the clock.
var adminBenchPages = []string{"/admin/", "/admin/catalog", "/admin/catalog/start", "/admin/promo-codes", "/admin/numbers",
	"/admin/numbers?country=CH&area=Area+07", "/admin/numbers?number=%2B4133", "/admin/numbers?status=active", "/admin/numbers?status=retired",
	"/admin/tax-rates", "/admin/webhooks", "/admin/clock"}

// BenchmarkAdminPages measures each page in-process with adminScale's data
// and reports the median and the 99th percentile, on SQLite and (with
// DIALTONE_TEST_POSTGRES_URL) PostgreSQL.
// go test -run '^$' -bench AdminPages -benchtime 200x ./internal/server/
func BenchmarkAdminPages(b *testing.B) {
	for _, kind := range storetest.Kinds(b) {
		b.Run(kind, func(b *testing.B) {
			st := storetest.Open(b, kind)
			o := newOffice(b, st, true)
			seedAdmin(b, st, o.svc.Now())
			u, _ := url.Parse(o.srv.URL + "/admin/")
			cookies := o.roles[billing.RoleAdmin].Jar.Cookies(u)
			h := o.srv.Config.Handler
			for _, path := range adminBenchPages {
				b.Run(path, func(b *testing.B) {
					lat := make([]time.Duration, 0, b.N)
					for b.Loop() {
						req := httptest.NewRequest("GET", path, nil)
						for _, c := range cookies {
							req.AddCookie(c)
						}
						rec := httptest.NewRecorder()
						t0 := time.Now()
						h.ServeHTTP(rec, req)
						lat = append(lat, time.Since(t0))
						if rec.Code != http.StatusOK {
							b.Fatalf("%s: %d %.300s", path, rec.Code, rec.Body.String())
						}
					}
					slices.Sort(lat)
					b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
					b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
				})
			}
		})
	}
}
