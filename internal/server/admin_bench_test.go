package server_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// adminScale is the data set of BenchmarkAdminPages: 10,000 customers,
// 100,000 orders (each with its payment, invoice, item and ledger
// postings) and 1,000,000 numbers by default; DIALTONE_BENCH_ADMIN_SCALE
// divides them (10: a tenth).
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

// seeder writes rows straight into the tables: on PostgreSQL with COPY,
// on SQLite with INSERTs of 400 rows in one transaction.
type seeder struct {
	tb   testing.TB
	ctx  context.Context
	st   *store.Store
	tx   *sql.Tx   // SQLite
	conn *sql.Conn // PostgreSQL
	rows int
}

func newSeeder(tb testing.TB, st *store.Store) *seeder {
	s := &seeder{tb: tb, ctx: context.Background(), st: st}
	var err error
	if st.Dialect() == store.Postgres {
		s.conn, err = st.DB().Conn(s.ctx)
	} else {
		s.tx, err = st.DB().BeginTx(s.ctx, nil)
	}
	if err != nil {
		tb.Fatal(err)
	}
	if s.tx != nil {
		// A bigger page cache for the seeding's connection: the indexes of
		// 1,000,000 numbers do not fit in the default 2 MB.
		s.exec(`PRAGMA cache_size = -500000`)
	}
	return s
}

// exec runs a statement in the seeder's transaction or connection.
func (s *seeder) exec(query string, args ...any) {
	s.tb.Helper()
	var err error
	if s.tx != nil {
		_, err = s.tx.ExecContext(s.ctx, query, args...)
	} else {
		_, err = s.conn.ExecContext(s.ctx, query, args...)
	}
	if err != nil {
		s.tb.Fatalf("%.80s: %v", query, err)
	}
}

// bulk writes n rows of cols into table; row returns the i-th row, or nil
// to skip it.
func (s *seeder) bulk(table, cols string, n int, row func(i int) []any) {
	s.tb.Helper()
	t0, r0 := time.Now(), s.rows
	defer func() { s.tb.Logf("seed %s: %d rows in %v", table, s.rows-r0, time.Since(t0).Round(time.Millisecond)) }()
	names := strings.Split(cols, ", ")
	if s.conn != nil {
		i := 0
		src := pgx.CopyFromFunc(func() ([]any, error) {
			for ; i < n; i++ {
				if r := row(i); r != nil {
					i++
					s.rows++
					return r, nil
				}
			}
			return nil, nil
		})
		err := s.conn.Raw(func(dc any) error {
			_, err := dc.(*stdlib.Conn).Conn().CopyFrom(s.ctx, pgx.Identifier{table}, names, src)
			return err
		})
		if err != nil {
			s.tb.Fatalf("copy %s: %v", table, err)
		}
		return
	}
	const per = 400
	var sb strings.Builder
	var args []any
	flush := func() {
		if len(args) == 0 {
			return
		}
		s.exec(sb.String(), args...)
		sb.Reset()
		args = args[:0]
	}
	rowsIn := 0
	for i := range n {
		vals := row(i)
		if vals == nil {
			continue
		}
		if rowsIn == 0 {
			sb.WriteString("INSERT INTO " + table + " (" + cols + ") VALUES ")
		} else {
			sb.WriteString(", ")
		}
		sb.WriteByte('(')
		for j := range vals {
			if j > 0 {
				sb.WriteString(", ")
			}
			sb.WriteByte('?') // positional: the driver looks $n names up one by one
		}
		sb.WriteByte(')')
		args = append(args, vals...)
		s.rows++
		if rowsIn++; rowsIn == per {
			flush()
			rowsIn = 0
		}
	}
	flush()
}

// dropIndexes drops the secondary indexes of a table (not those of its
// keys and unique constraints) and returns the statements that create
// them again: building an index once is faster than inserting a million
// rows into a dozen.
func (s *seeder) dropIndexes(table string) []string {
	s.tb.Helper()
	query := `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'`
	if s.conn != nil {
		query = `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = $1 AND indexdef NOT LIKE 'CREATE UNIQUE%'`
	}
	var rows *sql.Rows
	var err error
	if s.tx != nil {
		rows, err = s.tx.QueryContext(s.ctx, query, table)
	} else {
		rows, err = s.conn.QueryContext(s.ctx, query, table)
	}
	if err != nil {
		s.tb.Fatal(err)
	}
	var names, defs []string
	for rows.Next() {
		var n, d string
		if err := rows.Scan(&n, &d); err != nil {
			s.tb.Fatal(err)
		}
		names, defs = append(names, n), append(defs, d)
	}
	rows.Close()
	for _, n := range names {
		s.exec(`DROP INDEX ` + n)
	}
	return defs
}

func (s *seeder) done() {
	s.tb.Helper()
	var err error
	if s.tx != nil {
		err = s.tx.Commit()
	} else {
		err = s.conn.Close()
	}
	if err != nil {
		s.tb.Fatal(err)
	}
}

// The seeded data's shapes, derived from the index of a row so that the
// pages benchmarked can name what they look for.
var (
	benchCountries = []struct{ code, currency, prefix string }{
		{"CH", "CHF", "+41"}, {"DE", "EUR", "+49"}, {"US", "USD", "+1"}, {"GB", "GBP", "+44"}, {"FR", "EUR", "+33"}}
	benchWords    = []string{"Alpine", "Harbour", "Nordic", "Summit", "Meridian", "Cobalt", "Juniper", "Granite", "Lumen", "Orchard", "Vertex", "Willow"}
	benchSuffixes = []string{"Telecom", "Logistics", "Clinic", "Consulting", "Retail", "Labs", "Insurance", "Hotels"}
	benchPurposes = []string{"subscription_purchase", "subscription_purchase", "renewal", "renewal", "renewal", "renewal", "renewal", "renewal",
		"renewal", "renewal", "phone_number", "phone_number", "phone_number", "phone_number", "licenses", "licenses", "upgrade",
		"balance_refill", "order", "order"}
	benchItems = map[string]string{"subscription_purchase": "subscription", "renewal": "renewal", "phone_number": "phone_number",
		"licenses": "licenses", "upgrade": "upgrade", "balance_refill": "balance_top_up", "order": "subscription"}
	benchActions = []struct{ action, objectType string }{{"customer.balance_adjustment", "customer"}, {"order.refund", "order"},
		{"number.reserve", "number"}, {"plan.update", "plan"}, {"promo_code.update", "promo_code"}, {"number.retire", "number"}}
)

// benchBig is how many customers hold a big share of the orders (three in
// ten) and of the numbers: 3,000 orders each at full scale.
const benchBig = 10

func mix(i int) int { return int(uint32(i) * 2654435761 >> 1) }

// benchOrderCustomer is the customer of order j.
func benchOrderCustomer(j, nc int) int {
	if j%10 < 3 {
		return (j / 10) % benchBig
	}
	return benchBig + mix(j)%(nc-benchBig)
}

func benchCustomerID(i int) string { return fmt.Sprintf("cus_b%06d", i) }

// seedAdmin writes the benchmark's data straight into the tables, as the
// service would have written it over two years:
//   - customers in five countries and four currencies, two logins each,
//     a balance credited by an adjustment (its postings);
//   - a monthly subscription each, started 1 to 24 months ago with a
//     period per month (active, canceled, expired or past due; most
//     auto-renewing);
//   - orders spread evenly over 24 months (ten customers with 3,000 each,
//     the others about 7), each with its item, card payment, invoice and
//     ledger postings (gateway, revenue, tax); one in 50 refunded and one in
//     50 half refunded with the refund's payment, credit note and postings;
//     one in ten with a promo code (one code with most redemptions);
//   - numbers in five countries, 60 areas each: 8 % sold (the ten big
//     customers hold a third of them), 1 % in grace, 1 % quarantined,
//     1 % reserved, 1 % retired, the rest available;
//   - an audit entry for every other order, by a few operators;
//   - webhook endpoints, one with 20,000 deliveries.
func seedAdmin(tb testing.TB, st *store.Store, now time.Time) {
	tb.Helper()
	nc, no, nn := adminScale(tb)
	us := func(t time.Time) int64 { return t.UnixMicro() }
	const span = 730 * 24 * time.Hour
	orderAt := func(j int) time.Time { return now.Add(-span + time.Duration(int64(span)/int64(no)*int64(j))) }
	country := func(c int) int { return c % len(benchCountries) }
	cur := func(c int) string { return benchCountries[country(c)].currency }
	t0 := time.Now()
	s := newSeeder(tb, st)
	s.bulk("customers", "id, company, country, currency, email, balance, created_at", nc, func(i int) []any {
		w := benchWords[i%len(benchWords)]
		return []any{benchCustomerID(i), fmt.Sprintf("%s %s %d", w, benchSuffixes[(i/len(benchWords))%len(benchSuffixes)], i),
			benchCountries[country(i)].code, cur(i), fmt.Sprintf("billing@%s%d.example", strings.ToLower(w), i), int64(10_000 + i%7*1_000),
			us(now.Add(-span - 30*24*time.Hour + time.Duration(i)*time.Minute))}
	})
	s.bulk("users", "id, customer_id, name, email, password_hash, role, extension, created_at", 2*nc, func(k int) []any {
		i, n := k/2, k%2
		role := "admin"
		if n == 1 {
			role = "member"
		}
		return []any{fmt.Sprintf("usr_b%06d%d", i, n), benchCustomerID(i), fmt.Sprintf("Person %d", k),
			fmt.Sprintf("person%d.%d@%s%d.example", n, i, strings.ToLower(benchWords[i%len(benchWords)]), i), "x", role, strconv.Itoa(100 + n),
			us(now.Add(-span))}
	})
	// The ledger's accounts: the provider's in each currency, a balance per
	// customer.
	var sys []string
	for _, c := range []string{"CHF", "EUR", "USD", "GBP"} {
		for _, k := range []string{"revenue", "gateway", "tax", "adjustments"} {
			sys = append(sys, market.SystemAccount(k, c))
		}
	}
	s.bulk("ledger_accounts", "id, customer_id, kind, currency", len(sys)+nc, func(i int) []any {
		if i < len(sys) {
			a := sys[i]
			return []any{a, nil, "system", a[len(a)-3:]}
		}
		c := i - len(sys)
		return []any{market.BalanceAccount(benchCustomerID(c)), benchCustomerID(c), "customer_balance", cur(c)}
	})
	s.bulk("ledger_transactions", "id, customer_id, kind, description, created_at", nc, func(i int) []any {
		return []any{fmt.Sprintf("ltx_c%06d", i), benchCustomerID(i), "adjustment", "Credit", us(now.Add(-span))}
	})
	s.bulk("ledger_postings", "transaction_id, seq, account_id, amount, currency, balance_after, created_at", 2*nc, func(k int) []any {
		i, seq := k/2, k%2
		amt := int64(10_000 + i%7*1_000)
		if seq == 1 {
			return []any{fmt.Sprintf("ltx_c%06d", i), 2, market.SystemAccount("adjustments", cur(i)), -amt, cur(i), nil, us(now.Add(-span))}
		}
		return []any{fmt.Sprintf("ltx_c%06d", i), 1, market.BalanceAccount(benchCustomerID(i)), amt, cur(i), amt, us(now.Add(-span))}
	})
	// Subscriptions: started m months ago (1 to 24), a period a month.
	subMonths := func(i int) int { return 1 + mix(i+7)%24 }
	subExpires := func(i int) time.Time {
		switch i % 20 {
		case 0, 1: // canceled, expired: ended 1 to 60 days ago
			return now.Add(-time.Duration(1+i%60) * 24 * time.Hour)
		case 2: // past due: its period ended in the last 3 days
			return now.Add(-time.Duration(1+i%3) * 24 * time.Hour)
		}
		return now.Add(time.Duration(i%30)*24*time.Hour + time.Hour)
	}
	s.bulk("subscriptions", "id, customer_id, product, plan, term_months, status, auto_renew, currency, started_at, expires_at, created_at, updated_at",
		nc, func(i int) []any {
			exp := subExpires(i)
			start := exp.AddDate(0, -subMonths(i), 0)
			status, updated := "active", exp.AddDate(0, -1, 0)
			switch i % 20 {
			case 0:
				status, updated = "canceled", exp.Add(-5*24*time.Hour)
			case 1:
				status, updated = "expired", exp
			case 2:
				status, updated = "past_due", exp
			}
			return []any{fmt.Sprintf("sub_b%06d", i), benchCustomerID(i), "contact-center", "start", 1, status, i%10 < 7, cur(i),
				us(start), us(exp), us(start), us(updated)}
		})
	s.bulk("periods", "subscription_id, seq, start_at, end_at, plan, quantity, unit_amount, term_months", nc*24, func(k int) []any {
		i, seq := k/24, k%24+1
		m := subMonths(i)
		if seq > m {
			return nil
		}
		exp := subExpires(i)
		return []any{fmt.Sprintf("sub_b%06d", i), seq, us(exp.AddDate(0, seq-m-1, 0)), us(exp.AddDate(0, seq-m, 0)), "start", 1 + i%5, int64(2500), 1}
	})
	// Orders, oldest first (their IDs sort as their times, as the service's
	// do).
	type order struct {
		c                             int
		purpose, promo                string
		sub, disc, tax, total, refund int64
		status                        string
	}
	ord := func(j int) order {
		o := order{c: benchOrderCustomer(j, nc), purpose: benchPurposes[j%len(benchPurposes)], status: "paid"}
		o.sub = int64(2500 * (1 + j%5))
		if j%10 == 0 {
			o.promo = fmt.Sprintf("BENCH%d", (j/10)%20)
			if (j/10)%20 >= 10 {
				o.promo = "BENCH0"
			}
			o.disc = o.sub / 10
		}
		o.tax = (o.sub - o.disc) * 81 / 1000
		o.total = o.sub - o.disc + o.tax
		switch j % 50 {
		case 3:
			o.status, o.refund = "refunded", o.total
		case 4:
			o.status, o.refund = "partially_refunded", o.total/2
		}
		return o
	}
	ordID := func(j int) string { return fmt.Sprintf("ord_b%07d", j) }
	s.bulk("orders", "id, customer_id, status, currency, subtotal, discount, tax, total, refunded, promo_code, payment_id, invoice_id, created_at",
		no, func(j int) []any {
			o := ord(j)
			return []any{ordID(j), benchCustomerID(o.c), o.status, cur(o.c), o.sub, o.disc, o.tax, o.total, o.refund, o.promo,
				fmt.Sprintf("pay_b%07d", j), fmt.Sprintf("inv_b%07d", j), us(orderAt(j))}
		})
	s.bulk("order_items", "order_id, seq, type, description, quantity, unit_amount, amount, discount, tax_rate, tax, plan, term_months, subscription_id",
		no, func(j int) []any {
			o := ord(j)
			q := int64(1 + j%5)
			return []any{ordID(j), 1, benchItems[o.purpose], "Start, 1 month", q, int64(2500), o.sub, o.disc, "8.1", o.tax, "start", 1,
				fmt.Sprintf("sub_b%06d", o.c)}
		})
	s.bulk("payments", "id, customer_id, order_id, invoice_id, purpose, description, method, amount, currency, card_brand, card_last4, refund_of, created_at",
		2*no, func(k int) []any {
			j, refund := k/2, k%2 == 1
			o := ord(j)
			if !refund {
				return []any{fmt.Sprintf("pay_b%07d", j), benchCustomerID(o.c), ordID(j), fmt.Sprintf("inv_b%07d", j), o.purpose, "Order " + ordID(j),
					"card", o.total, cur(o.c), "visa", "4242", "", us(orderAt(j))}
			}
			if o.refund == 0 {
				return nil
			}
			return []any{fmt.Sprintf("pay_r%07d", j), benchCustomerID(o.c), ordID(j), fmt.Sprintf("inv_r%07d", j), "refund", "Refund of order " + ordID(j),
				"card", -o.refund, cur(o.c), "visa", "4242", fmt.Sprintf("pay_b%07d", j), us(orderAt(j).Add(time.Hour))}
		})
	doc := func(kind, number string, at time.Time, c int, sub, disc, tax, total int64) string {
		b, err := json.Marshal(billing.InvoiceDoc{Kind: kind, Number: number, IssuedAt: at, BuyerName: fmt.Sprintf("Company %d", c),
			BuyerLines: []string{benchCountries[country(c)].code}, Currency: cur(c), Subtotal: sub, Discount: disc, Tax: tax, Total: total,
			Lines: []billing.InvoiceLine{{Description: "Start, 1 month", Quantity: 1, UnitAmount: sub, Amount: sub, Discount: disc, TaxRate: "8.1",
				Tax: tax, Total: total}}, PaymentNote: "Paid by card", Reference: "ord"})
		if err != nil {
			tb.Fatal(err)
		}
		return string(b)
	}
	s.bulk("invoices", "id, customer_id, order_id, kind, number, year, seq, currency, subtotal, discount, tax, total, document, issued_at", 2*no, func(k int) []any {
		j, credit := k/2, k%2 == 1
		o := ord(j)
		at := orderAt(j)
		if !credit {
			return []any{fmt.Sprintf("inv_b%07d", j), benchCustomerID(o.c), ordID(j), "invoice", fmt.Sprintf("%d-%07d", at.Year(), j+1), at.Year(), j + 1,
				cur(o.c), o.sub, o.disc, o.tax, o.total, doc("invoice", fmt.Sprintf("%d-%07d", at.Year(), j+1), at, o.c, o.sub, o.disc, o.tax, o.total), us(at)}
		}
		if o.refund == 0 {
			return nil
		}
		at = at.Add(time.Hour)
		return []any{fmt.Sprintf("inv_r%07d", j), benchCustomerID(o.c), ordID(j), "credit_note", fmt.Sprintf("%d-%07d", at.Year(), no+j+1), at.Year(), no + j + 1,
			cur(o.c), -o.refund, 0, 0, -o.refund, doc("credit_note", fmt.Sprintf("%d-%07d", at.Year(), no+j+1), at, o.c, -o.refund, 0, 0, -o.refund), us(at)}
	})
	s.bulk("ledger_transactions", "id, customer_id, kind, description, payment_id, order_id, created_at", 2*no, func(k int) []any {
		j, refund := k/2, k%2 == 1
		o := ord(j)
		if !refund {
			return []any{fmt.Sprintf("ltx_o%07d", j), benchCustomerID(o.c), "order", "Order " + ordID(j), fmt.Sprintf("pay_b%07d", j), ordID(j), us(orderAt(j))}
		}
		if o.refund == 0 {
			return nil
		}
		return []any{fmt.Sprintf("ltx_r%07d", j), benchCustomerID(o.c), "refund", "Refund of order " + ordID(j), fmt.Sprintf("pay_r%07d", j), ordID(j),
			us(orderAt(j).Add(time.Hour))}
	})
	s.bulk("ledger_postings", "transaction_id, seq, account_id, amount, currency, created_at", 6*no, func(k int) []any {
		j, refund, seq := k/6, k%6 >= 3, k%3
		o := ord(j)
		c := cur(o.c)
		gw, net, tax := -o.total, o.sub-o.disc, o.tax
		id, at := fmt.Sprintf("ltx_o%07d", j), orderAt(j)
		if refund {
			if o.refund == 0 {
				return nil
			}
			tax = o.tax * o.refund / o.total
			gw, net, tax = o.refund, -(o.refund - tax), -tax
			id, at = fmt.Sprintf("ltx_r%07d", j), at.Add(time.Hour)
		}
		acct, amt := market.SystemAccount("gateway", c), gw
		switch seq {
		case 1:
			acct, amt = market.SystemAccount("revenue", c), net
		case 2:
			acct, amt = market.SystemAccount("tax", c), tax
		}
		return []any{id, seq + 1, acct, amt, c, us(at)}
	})
	// The dashboard's revenue_rollup, as migration 00028 fills it (Post
	// keeps it in step; these postings did not go through it).
	s.exec(`INSERT INTO revenue_rollup (at, kind, currency, amount)
		SELECT p.created_at, t.kind, p.currency, p.amount FROM ledger_postings p JOIN ledger_transactions t ON t.id = p.transaction_id
		WHERE p.account_id LIKE 'system:revenue:%'`)
	// Promo codes and their redemptions.
	redemptions := map[string]int{}
	for j := 0; j < no; j += 10 {
		redemptions[ord(j).promo]++
	}
	s.bulk("promo_codes", "code, percent_off, max_per_customer, redemptions, created_at", 20, func(i int) []any {
		code := fmt.Sprintf("BENCH%d", i)
		return []any{code, "10", 0, redemptions[code], us(now.Add(-span))}
	})
	s.bulk("promo_redemptions", "code, order_id, customer_id, created_at", no, func(j int) []any {
		if j%10 != 0 {
			return nil
		}
		o := ord(j)
		return []any{o.promo, ordID(j), benchCustomerID(o.c), us(orderAt(j))}
	})
	// Numbers, their indexes built after them.
	numberIndexes := s.dropIndexes("numbers")
	s.bulk("numbers", "id, number, country, area, type, setup_amount, monthly_amount, currency, status, customer_id, purchased_at, renews_at, grace_until, quarantine_until, created_at",
		nn, func(i int) []any {
			cc := benchCountries[i%len(benchCountries)]
			area := (i / len(benchCountries)) % 60
			var cust, bought, renews, grace, quar any
			status := "available"
			switch i % 100 {
			case 0, 1, 2, 3, 4, 5, 6, 7, 8:
				status = "active"
				if i%100 == 8 {
					status, grace = "grace", us(now.Add(5*24*time.Hour))
				}
				c := benchBig + mix(i)%(nc-benchBig)
				if (i/100)%3 == 0 {
					c = (i / 300) % benchBig
				}
				cust, bought, renews = benchCustomerID(c), us(now.AddDate(0, -1-i%20, 0)), us(now.Add(time.Duration(i%30)*24*time.Hour))
			case 9:
				status, quar = "quarantine", us(now.Add(time.Duration(i%90)*24*time.Hour))
			case 10:
				status = "reserved"
			case 11:
				status = "retired"
			}
			return []any{fmt.Sprintf("num_b%07d", i), fmt.Sprintf("%s%d%07d", cc.prefix, 210+area, i/len(benchCountries)), cc.code, fmt.Sprintf("Area %02d", area),
				"local", int64(0), int64(500), cc.currency, status, cust, bought, renews, grace, quar, us(now.Add(-span))}
		})
	s.exec(`DELETE FROM number_stock`)
	s.exec(`INSERT INTO number_stock (country, state, area, type, currency, available)
		SELECT country, state, area, type, currency, SUM(CASE WHEN status = 'available' THEN 1 ELSE 0 END) FROM numbers GROUP BY country, state, area, type, currency`)
	// The dashboard's tallies, as migration 00032 fills them.
	s.exec(`INSERT INTO renewal_tally (day, n)
		SELECT start_at - start_at % 86400000000, COUNT(*) FROM periods WHERE seq > 1 GROUP BY start_at - start_at % 86400000000`)
	s.exec(`INSERT INTO number_tally (country, status, n)
		SELECT country, status, COUNT(*) FROM numbers WHERE status <> 'available' GROUP BY country, status`)
	// The audit log: an entry for every other order's time.
	ops := []string{"admin@op.test", "support@op.test", "finance@op.test", "admin token"}
	s.bulk("audit_log", "id, actor_id, actor, created_at, business_at, action, object_type, object_id, before_json, after_json", no/2, func(k int) []any {
		a := benchActions[k%len(benchActions)]
		obj := benchCustomerID(mix(k) % nc)
		switch a.objectType {
		case "order":
			obj = ordID(2 * k)
		case "number":
			obj = fmt.Sprintf("num_b%07d", mix(k)%nn)
		case "plan":
			obj = "start"
		case "promo_code":
			obj = fmt.Sprintf("BENCH%d", k%20)
		}
		at := us(orderAt(2 * k))
		return []any{fmt.Sprintf("aud_b%07d", k), "opr_b" + strconv.Itoa(k%len(ops)), ops[k%len(ops)], at, at, a.action, a.objectType, obj, `{"a":1}`, `{"a":2}`}
	})
	// Webhooks: three endpoints, the first with 20,000 deliveries.
	s.bulk("webhook_endpoints", "id, url, events, secret, created_at", 3, func(i int) []any {
		return []any{fmt.Sprintf("whe_b%d", i), fmt.Sprintf("https://hooks%d.example/dialtone", i), "order.paid,subscription.renewed", "whsec_bench", us(now.Add(-span))}
	})
	const nd = 20_000
	s.bulk("webhook_events", "id, type, payload, created_at", nd, func(i int) []any {
		return []any{fmt.Sprintf("evt_b%07d", i), "order.paid", `{"id":"ord"}`, us(orderAt(i * no / nd))}
	})
	s.bulk("webhook_deliveries", "id, endpoint_id, event_id, status, attempts, next_attempt_at, created_at, delivered_at", nd, func(i int) []any {
		at := us(orderAt(i * no / nd))
		return []any{fmt.Sprintf("whd_b%07d", i), "whe_b0", fmt.Sprintf("evt_b%07d", i), "succeeded", 1, at, at, at}
	})
	s.done()
	t1 := time.Now()
	for _, def := range numberIndexes {
		if _, err := st.DB().Exec(def); err != nil {
			tb.Fatalf("%s: %v", def, err)
		}
	}
	tb.Logf("%d indexes of numbers built in %v", len(numberIndexes), time.Since(t1).Round(time.Millisecond))
	seeded := time.Since(t0)
	if st.Dialect() == store.Postgres {
		if _, err := st.DB().Exec(`VACUUM ANALYZE`); err != nil {
			tb.Fatal(err)
		}
	} else if _, err := st.DB().Exec(`ANALYZE`); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("%s: seeded %d rows in %v, analyzed in %v", st.Dialect(), s.rows, seeded.Round(time.Millisecond), (time.Since(t0) - seeded).Round(time.Millisecond))
}

// adminBenchPages are the back office's pages and searches and the admin
// API's lists, over seedAdmin's data: each list's first page, its filters
// and a page deep in it (by cursor), and the CSV exports of a big
// customer's orders.
func adminBenchPages(nc, no, nn int) []string {
	big, small := benchCustomerID(0), benchCustomerID(benchBig+3)
	bigOrder := fmt.Sprintf("ord_b%07d", no-10) // customer 0's newest
	deepOrder := fmt.Sprintf("ord_b%07d", 60)
	deepCust := benchCustomerID(60)
	deepNumber := fmt.Sprintf("+41%d%07d", 210+59, nn/5-30)
	return []string{
		"/admin/",
		// Customers: the list, each kind of search, deep, a customer's page.
		"/admin/customers", "/admin/customers?q=harbour", "/admin/customers?q=Meridian+Clinic", "/admin/customers?q=nomatch-anywhere",
		"/admin/customers?q=billing%40cobalt5.example", "/admin/customers?q=person1.77%40", "/admin/customers?q=" + small,
		"/admin/customers?q=%2B4121", fmt.Sprintf("/admin/customers?q=%%2B41%d%07d", 210, 0), "/admin/customers?after=" + deepCust,
		"/admin/customers/" + big, "/admin/customers/" + small,
		// Orders: the list, each filter, deep, an order, the CSV export.
		"/admin/orders", "/admin/orders?customer=" + big, "/admin/orders?customer=" + small, "/admin/orders?status=refunded",
		"/admin/orders?status=partially_refunded", "/admin/orders?purpose=upgrade", "/admin/orders?purpose=balance_refill",
		"/admin/orders?from=2024-04-01&to=2024-04-30", "/admin/orders?from=2026-03-01", "/admin/orders?customer=" + big + "&status=refunded",
		"/admin/orders?status=refunded&purpose=upgrade&from=2024-06-01&to=2025-06-30",
		"/admin/orders?after=" + deepOrder, "/admin/orders?customer=" + big + "&after=" + fmt.Sprintf("ord_b%07d", 200),
		"/admin/orders/" + bigOrder, "/admin/orders/" + fmt.Sprintf("ord_b%07d", 3), "/admin/orders?customer=" + small + "&format=csv",
		"/admin/invoices/" + fmt.Sprintf("inv_b%07d", no-10),
		// Subscriptions.
		"/admin/subscriptions", "/admin/subscriptions?status=past_due", "/admin/subscriptions?status=canceled", "/admin/subscriptions?customer=" + big,
		"/admin/subscriptions?plan=start&expires_before=2026-03-20", "/admin/subscriptions?after=sub_b000060",
		// Catalog, promo codes and redemptions.
		"/admin/catalog", "/admin/catalog/start", "/admin/promo-codes", "/admin/promo-codes/BENCH0", "/admin/promo-codes/BENCH3",
		// Numbers.
		"/admin/numbers", "/admin/numbers?country=CH", "/admin/numbers?country=CH&area=Area+07", "/admin/numbers?number=%2B4133",
		"/admin/numbers?number=%2B41215", "/admin/numbers?status=active", "/admin/numbers?status=quarantine", "/admin/numbers?status=retired",
		"/admin/numbers?country=US&status=active", "/admin/numbers?country=GB&area=Area+33&status=reserved", "/admin/numbers?status=available",
		"/admin/numbers?country=CH&after=" + url.QueryEscape(deepNumber),
		// Settings, webhooks, audit, operators, clock.
		"/admin/tax-rates", "/admin/webhooks", "/admin/webhooks/whe_b0", "/admin/audit", "/admin/audit?who=support%40op.test",
		"/admin/audit?object_type=order", "/admin/audit?object_type=customer&object=" + benchCustomerID(mix(0)%nc),
		"/admin/audit?from=2024-05-01&to=2024-05-31", "/admin/audit?who=finance%40op.test&object_type=plan&from=2024-05-01",
		"/admin/audit?after=aud_b0000060", "/admin/operators", "/admin/clock",
		// The admin API's lists.
		"/v1/admin/customers", "/v1/admin/customers?q=harbour", "/v1/admin/customers?q=%2B4121", "/v1/admin/customers/" + big,
		"/v1/admin/orders", "/v1/admin/orders?customer=" + big, "/v1/admin/orders?status=refunded", "/v1/admin/orders?purpose=upgrade",
		"/v1/admin/orders?from=2024-04-01&to=2024-04-30", "/v1/admin/orders?limit=100&starting_after=" + deepOrder,
		"/v1/admin/subscriptions", "/v1/admin/subscriptions?status=active", "/v1/admin/subscriptions?status=expired",
		"/v1/admin/audit_log", "/v1/admin/audit_log?actor=support%40op.test", "/v1/admin/audit_log?object_type=number",
		"/v1/admin/numbers", "/v1/admin/numbers?status=active", "/v1/admin/numbers?status=quarantine", "/v1/admin/numbers?status=available&limit=100",
		"/v1/admin/promo_codes", "/v1/admin/plans", "/v1/admin/tax_rates", "/v1/admin/webhook_endpoints",
		"/v1/admin/webhook_endpoints/whe_b0/deliveries", "/v1/admin/mailbox",
	}
}

// adminBenchWalks are lists read page after page to the end (200 rows a
// page): a walk's iteration reads the next page, starting again at the
// first after the last.
var adminBenchWalks = []string{"/admin/orders?limit=200", "/admin/customers?limit=200", "/admin/audit?limit=200",
	"/admin/numbers?country=CH&area=Area+07&limit=200", "/admin/numbers?status=active&limit=200", "/admin/subscriptions?limit=200",
	"/admin/orders?customer=cus_b000000&limit=200", "/v1/admin/orders?limit=100", "/v1/admin/customers?limit=100"}

// adminBenchExports are CSV exports of whole lists, measured once each:
// how long to the first byte and to the last.
var adminBenchExports = []string{"/admin/orders?format=csv", "/admin/customers?format=csv", "/admin/numbers?status=active&format=csv",
	"/admin/audit?format=csv", "/admin/subscriptions?format=csv"}

// BenchmarkAdminPages measures each page in-process with adminScale's data
// and reports the median and the 99th percentile, on SQLite and (with
// DIALTONE_TEST_POSTGRES_URL) PostgreSQL.
// go test -run '^$' -bench AdminPages -benchtime 100x -timeout 60m ./internal/server/
func BenchmarkAdminPages(b *testing.B) {
	servePolicy(b)
	nc, no, nn := adminScale(b)
	for _, kind := range storetest.Kinds(b) {
		b.Run(kind, func(b *testing.B) {
			st := storetest.Open(b, kind)
			o := newOffice(b, st, true)
			seedAdmin(b, st, o.svc.Now())
			u, _ := url.Parse(o.srv.URL + "/admin/")
			cookies := o.roles[billing.RoleAdmin].Jar.Cookies(u)
			h := o.srv.Config.Handler
			get := func(path string) (*httptest.ResponseRecorder, time.Duration) {
				req := httptest.NewRequest("GET", path, nil)
				if strings.HasPrefix(path, "/v1/") {
					req.Header.Set("Authorization", "Bearer "+adminToken)
				} else {
					for _, c := range cookies {
						req.AddCookie(c)
					}
				}
				rec := httptest.NewRecorder()
				t0 := time.Now()
				h.ServeHTTP(rec, req)
				d := time.Since(t0)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d %.300s", path, rec.Code, rec.Body.String())
				}
				return rec, d
			}
			report := func(b *testing.B, lat []time.Duration) {
				b.ReportMetric(float64(cpuTime().Sub(b))/float64(len(lat))/1e6, "cpu-ms/op")
				slices.Sort(lat)
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
				b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
			}
			// The first dashboard after the seeding does what is done once
			// (see docs/BENCHMARKS.md).
			_, first := get("/admin/")
			b.Logf("%s: first dashboard %v", kind, first.Round(time.Millisecond))
			for _, path := range adminBenchPages(nc, no, nn) {
				b.Run(path, func(b *testing.B) {
					cpuStart(b)
					lat := make([]time.Duration, 0, b.N)
					for b.Loop() {
						_, d := get(path)
						lat = append(lat, d)
					}
					report(b, lat)
				})
			}
			// The dashboard's reads one by one.
			now := o.svc.Now()
			bounds := billing.MonthBounds(now, billing.DashboardMonths)
			q := st.Read()
			ctx := context.Background()
			for _, part := range []struct {
				name string
				read func() error
			}{
				{"MRR", func() error { _, err := q.MRR(ctx, now); return err }},
				{"RevenueByMonth", func() error { _, err := q.RevenueByMonth(ctx, bounds); return err }},
				{"SubscriptionMovements", func() error { _, err := q.SubscriptionMovements(ctx, bounds); return err }},
				{"BalanceTotals", func() error { _, err := q.BalanceTotals(ctx); return err }},
				{"NumberCounts", func() error { _, err := q.NumberCounts(ctx); return err }},
				{"DueRenewals", func() error {
					_, err := q.DueRenewals(ctx, now, now.Add(30*24*time.Hour), billing.DueRenewalsCounted+1)
					return err
				}},
				{"DueRenewals+priced", func() error { _, _, _, err := billing.DueRenewalSums(ctx, q, now); return err }},
			} {
				b.Run("dashboard:"+part.name, func(b *testing.B) {
					cpuStart(b)
					lat := make([]time.Duration, 0, b.N)
					for b.Loop() {
						t0 := time.Now()
						if err := part.read(); err != nil {
							b.Fatal(err)
						}
						lat = append(lat, time.Since(t0))
					}
					report(b, lat)
				})
			}
			for _, path := range adminBenchWalks {
				b.Run("walk:"+path, func(b *testing.B) {
					cpuStart(b)
					lat := make([]time.Duration, 0, b.N)
					next, pages, ends := path, 0, 0
					for b.Loop() {
						rec, d := get(next)
						lat = append(lat, d)
						pages++
						next = benchNextPage(path, rec.Body.String())
						if next == "" {
							next = path
							ends++
						}
					}
					b.ReportMetric(float64(ends), "ends")
					report(b, lat)
				})
			}
			for _, path := range adminBenchExports {
				b.Run("export:"+path, func(b *testing.B) {
					{ // once, whatever b.N
						req := httptest.NewRequest("GET", path, nil)
						for _, c := range cookies {
							req.AddCookie(c)
						}
						w := &firstByte{ResponseRecorder: httptest.NewRecorder(), t0: time.Now()}
						h.ServeHTTP(w, req)
						if w.Code != http.StatusOK {
							b.Fatalf("%s: %d", path, w.Code)
						}
						b.ReportMetric(float64(w.first.Microseconds())/1000, "first-byte-ms")
						b.ReportMetric(float64(time.Since(w.t0).Microseconds())/1000, "all-ms")
						b.ReportMetric(float64(strings.Count(w.Body.String(), "\n")-1), "rows")
					}
				})
			}
		})
	}
}

// benchNextPage finds the next page's address in a list page (the back
// office's "Next page" link, the API's has_more with the last row's id).
func benchNextPage(path, body string) string {
	if strings.HasPrefix(path, "/v1/") {
		var l struct {
			Data    []struct{ ID string }
			HasMore bool `json:"has_more"`
		}
		if err := json.Unmarshal([]byte(body), &l); err != nil || !l.HasMore || len(l.Data) == 0 {
			return ""
		}
		base, _, _ := strings.Cut(path, "&starting_after=")
		return base + "&starting_after=" + url.QueryEscape(l.Data[len(l.Data)-1].ID)
	}
	i := strings.Index(body, `data-testid="next-page"`)
	if i < 0 {
		return ""
	}
	j := strings.LastIndex(body[:i], `href="`)
	if j < 0 {
		return ""
	}
	href, _, _ := strings.Cut(body[j+6:], `"`)
	return html.UnescapeString(href)
}

// firstByte records when the first byte of the body was written.
type firstByte struct {
	*httptest.ResponseRecorder
	t0    time.Time
	first time.Duration
}

func (w *firstByte) Write(p []byte) (int, error) {
	if w.first == 0 {
		w.first = time.Since(w.t0)
	}
	return w.ResponseRecorder.Write(p)
}

func (w *firstByte) Flush() { w.ResponseRecorder.Flush() }

// TestAdminQueryPlans prints the plans of the dashboard's heavier reads
// over seedAdmin's data (DIALTONE_BENCH_ADMIN_PLANS=1; with
// DIALTONE_BENCH_ADMIN_SCALE).
func TestAdminQueryPlans(t *testing.T) {
	if os.Getenv("DIALTONE_BENCH_ADMIN_PLANS") == "" {
		t.Skip("DIALTONE_BENCH_ADMIN_PLANS is not set")
	}
	for _, kind := range storetest.Kinds(t) {
		t.Run(kind, func(t *testing.T) {
			st := storetest.Open(t, kind)
			o := newOffice(t, st, true)
			seedAdmin(t, st, o.svc.Now())
			now := o.svc.Now().UnixMicro()
			explain := "EXPLAIN QUERY PLAN "
			if kind == "postgres" {
				explain = "EXPLAIN ANALYZE "
			}
			for _, qa := range []struct {
				q    string
				args []any
			}{
				{`SELECT s.id, s.customer_id, c.company, s.plan, s.term_months,
		COALESCE((SELECT p.quantity FROM periods p WHERE p.subscription_id = s.id ORDER BY p.seq DESC LIMIT 1), 1),
		s.currency, COALESCE((SELECT a.country FROM billing_addresses a WHERE a.customer_id = s.customer_id AND a.deleted_at IS NULL
			ORDER BY a.id DESC LIMIT 1), c.country),
		s.expires_at, c.balance,
		EXISTS (SELECT 1 FROM payment_methods pm WHERE pm.customer_id = s.customer_id AND pm.is_default AND pm.deleted_at IS NULL)
		FROM subscriptions s JOIN customers c ON c.id = s.customer_id
		WHERE s.expires_at >= $1 AND s.expires_at < $2 AND s.auto_renew AND NOT s.cancel_at_period_end
		AND s.status IN ('active', 'past_due', 'trialing')
		ORDER BY s.expires_at, s.id LIMIT $3`, []any{now, now + 30*86400e6, 20001}},
				{`SELECT s.product, s.currency,
		CAST(COALESCE(SUM(p.unit_amount * p.quantity / p.term_months), 0) AS BIGINT), COUNT(*)
		FROM subscriptions s JOIN periods p ON p.subscription_id = s.id AND p.start_at <= $1 AND p.end_at > $1
		WHERE s.status IN ('active', 'past_due') AND NOT p.trial
		GROUP BY s.product, s.currency ORDER BY s.product, s.currency`, []any{now}},
				{`SELECT COUNT(*) FROM periods WHERE seq > 1 AND start_at >= $1 AND start_at < $2`, []any{now - 365*86400e6, now}},
				{`SELECT COUNT(*) FROM subscriptions WHERE TRUE AND created_at >= $1 AND created_at < $2`, []any{now - 365*86400e6, now}},
				{`SELECT country, status, SUM(n) FROM number_tally GROUP BY country, status`, nil},
				{`SELECT SUM(n) FROM renewal_tally WHERE day >= $1 AND day < $2`, []any{now - 31*86400e6, now}},
				{`SELECT id FROM numbers WHERE TRUE AND status = 'available' ORDER BY number LIMIT 51`, nil},
				{`SELECT id FROM audit_log WHERE object_type = $1 ORDER BY id DESC LIMIT 51`, []any{"order"}},
				{`SELECT c.id FROM customers c WHERE (c.id = $1 OR lower(c.company) LIKE $2 OR lower(c.email) LIKE $3
			OR c.id IN (SELECT u.customer_id FROM users u WHERE lower(u.email) LIKE $4)
			OR c.id IN (SELECT n.customer_id FROM numbers n WHERE n.customer_id IS NOT NULL AND n.number LIKE $5)) ORDER BY c.id DESC LIMIT 51`,
					[]any{"+4121", "%+4121%", "%+4121%", "%+4121%", "%4121%"}},
			} {
				rows, err := st.DB().Query(explain+qa.q, qa.args...)
				if err != nil {
					t.Fatal(err)
				}
				cols, _ := rows.Columns()
				var out []string
				for rows.Next() {
					vals := make([]any, len(cols))
					ptrs := make([]any, len(cols))
					for i := range vals {
						ptrs[i] = &vals[i]
					}
					if err := rows.Scan(ptrs...); err != nil {
						t.Fatal(err)
					}
					out = append(out, fmt.Sprint(vals[len(vals)-1]))
				}
				rows.Close()
				t.Logf("%.90s\n%s", strings.Join(strings.Fields(qa.q), " "), strings.Join(out, "\n"))
			}
		})
	}
}

// The process's CPU time (user and system, every thread: the request's
// goroutine, the GC, the driver) from a sub-benchmark's start: what a
// page costs whatever the machine's load, as the wall time is not.
var cpuStarts = map[*testing.B]time.Duration{}

type cpuNow time.Duration

func cpuTime() cpuNow {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return cpuNow(time.Duration(ru.Utime.Nano() + ru.Stime.Nano()))
}

func cpuStart(b *testing.B) { cpuStarts[b] = time.Duration(cpuTime()) }

func (c cpuNow) Sub(b *testing.B) time.Duration { return time.Duration(c) - cpuStarts[b] }
