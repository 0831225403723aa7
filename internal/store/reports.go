package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/dialtone/dialtone/internal/market"
)

// The operator's dashboard (admin/dashboard.go, billing/reports.go): a
// handful of grouped reads, each one statement. Months are given by the
// caller as boundaries (business time, UTC): bounds[i] to bounds[i+1] is
// month i.

// MRR sums, per product and currency, the monthly share of the paid (not
// trial) periods that are running at now of subscriptions that are active
// or past due.
func (q *Q) MRR(ctx context.Context, now time.Time) ([]market.MRRRow, error) {
	rows, err := q.ex.QueryContext(ctx, `SELECT s.product, s.currency,
		CAST(COALESCE(SUM(p.unit_amount * p.quantity / p.term_months), 0) AS BIGINT), COUNT(*)
		FROM subscriptions s JOIN periods p ON p.subscription_id = s.id AND p.start_at <= $1 AND p.end_at > $1
		WHERE s.status IN ('active', 'past_due') AND NOT p.trial
		GROUP BY s.product, s.currency ORDER BY s.product, s.currency`, ts(now))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []market.MRRRow
	for rows.Next() {
		var r market.MRRRow
		if err := rows.Scan(&r.Product, &r.Currency, &r.Monthly, &r.Count); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// monthCase is a CASE expression giving the month index of col for the
// boundaries bounds, whose parameters start at $first; and the arguments.
func monthCase(col string, bounds []time.Time, first int) (string, []any) {
	var sb strings.Builder
	args := make([]any, 0, len(bounds))
	sb.WriteString("CASE")
	for i := 1; i < len(bounds); i++ {
		fmt.Fprintf(&sb, " WHEN %s < $%d THEN %d", col, first+i+1, i-1)
	}
	sb.WriteString(" END")
	for _, b := range bounds {
		args = append(args, ts(b))
	}
	return sb.String(), args
}

// revenuePrefix starts the names of the revenue accounts.
const revenuePrefix = "system:revenue:"

// addRevenue keeps revenue_rollup in step with a posting of t to a
// revenue account, in the posting's transaction (Post's one hook).
func (q *Q) addRevenue(ctx context.Context, t market.LedgerTx, p market.Posting) error {
	_, err := q.insert(ctx, `INSERT INTO revenue_rollup (at, kind, currency, amount) VALUES`, "",
		ts(t.CreatedAt), t.Kind, t.Currency, p.Amount)
	return err
}

// RevenueByMonth sums the postings to the revenue accounts per month (of
// bounds, len(bounds)-1 months), transaction kind and currency, from
// revenue_rollup (migration 00028).
func (q *Q) RevenueByMonth(ctx context.Context, bounds []time.Time) ([]market.RevenueRow, error) {
	if len(bounds) < 2 {
		return nil, nil
	}
	mc, args := monthCase("at", bounds, 0)
	rows, err := q.ex.QueryContext(ctx, `SELECT m, kind, currency, CAST(SUM(amount) AS BIGINT), COUNT(*) FROM (SELECT `+mc+
		` AS m, kind, currency, amount FROM revenue_rollup WHERE at >= $1 AND at < $`+fmt.Sprint(len(bounds))+`) x
		GROUP BY m, kind, currency ORDER BY m, kind, currency`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []market.RevenueRow
	for rows.Next() {
		var r market.RevenueRow
		if err := rows.Scan(&r.Month, &r.Kind, &r.Currency, &r.Amount, &r.Entries); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// CompactRevenue replaces, for each month (UTC) that starts in [from, to),
// the rows of revenue_rollup by one per transaction kind and currency at
// the month's first instant, their sum; a month already so is left as it
// is. The rows are deleted with RETURNING and exactly what was deleted is
// inserted again as sums, so a posting written meanwhile (its row not
// deleted) still counts. It returns how many rows it removed, net. Run
// it in a transaction.
func (q *Q) CompactRevenue(ctx context.Context, from, to time.Time) (int, error) {
	from = from.UTC()
	m := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC)
	if m.Before(from) {
		m = m.AddDate(0, 1, 0)
	}
	removed := 0
	for ; m.Before(to); m = m.AddDate(0, 1, 0) {
		end := m.AddDate(0, 1, 0)
		var loose int
		if err := q.ex.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT kind, currency FROM revenue_rollup WHERE at >= $1 AND at < $2
			GROUP BY kind, currency HAVING COUNT(*) > 1 OR MIN(at) <> $1) x`, ts(m), ts(end)).Scan(&loose); err != nil {
			return removed, err
		}
		if loose == 0 {
			continue
		}
		rows, err := q.ex.QueryContext(ctx, `DELETE FROM revenue_rollup WHERE at >= $1 AND at < $2 RETURNING kind, currency, amount`, ts(m), ts(end))
		if err != nil {
			return removed, err
		}
		type key struct{ kind, currency string }
		sums := map[key]int64{}
		var keys []key
		n := 0
		for rows.Next() {
			var k key
			var amt int64
			if err := rows.Scan(&k.kind, &k.currency, &amt); err != nil {
				rows.Close()
				return removed, err
			}
			if _, ok := sums[k]; !ok {
				keys = append(keys, k)
			}
			sums[k] += amt
			n++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return removed, err
		}
		for _, k := range keys {
			if _, err := q.ex.ExecContext(ctx, `INSERT INTO revenue_rollup (at, kind, currency, amount) VALUES ($1, $2, $3, $4)`,
				ts(m), k.kind, k.currency, sums[k]); err != nil {
				return removed, err
			}
		}
		removed += n - len(keys)
	}
	return removed, nil
}

// SubscriptionMovements counts per month of bounds (len(bounds)-1 months).
func (q *Q) SubscriptionMovements(ctx context.Context, bounds []time.Time) ([]market.SubscriptionMonth, error) {
	n := len(bounds) - 1
	if n < 1 {
		return nil, nil
	}
	out := make([]market.SubscriptionMonth, n)
	// A count per month, each a range of an index (subscriptions_created,
	// periods_started, subscriptions_expires, subscriptions_canceled): no
	// expression per row, no grouping.
	args := make([]any, len(bounds))
	for i, b := range bounds {
		args[i] = ts(b)
	}
	count := func(col, from, where string, set func(m *market.SubscriptionMonth, c int), agg ...string) error {
		f := "COUNT(*)"
		if len(agg) > 0 {
			f = "CAST(COALESCE(" + agg[0] + ", 0) AS BIGINT)"
		}
		sel := make([]string, n)
		for i := range n {
			sel[i] = fmt.Sprintf(`(SELECT %s FROM %s WHERE %s AND %s >= $%d AND %s < $%d)`, f, from, where, col, i+1, col, i+2)
		}
		counts := make([]int, n)
		dest := make([]any, n)
		for i := range counts {
			dest[i] = &counts[i]
		}
		if err := q.ex.QueryRowContext(ctx, `SELECT `+strings.Join(sel, ", "), args...).Scan(dest...); err != nil {
			return err
		}
		for i, c := range counts {
			set(&out[i], c)
		}
		return nil
	}
	if err := count("created_at", "subscriptions", "TRUE", func(m *market.SubscriptionMonth, c int) { m.New = c }); err != nil {
		return nil, err
	}
	// Renewals from renewal_tally (tallies.go) when the months start at
	// midnight UTC, as MonthBounds' do; else from the periods.
	renewed := func(m *market.SubscriptionMonth, c int) { m.Renewed = c }
	var err error
	if daysAligned(bounds) {
		err = count("day", "renewal_tally", "TRUE", renewed, "SUM(n)")
	} else {
		err = count("start_at", "periods", "seq > 1", renewed)
	}
	if err != nil {
		return nil, err
	}
	if err := count("expires_at", "subscriptions", "status = 'expired'", func(m *market.SubscriptionMonth, c int) { m.Expired = c }); err != nil {
		return nil, err
	}
	if err := count("updated_at", "subscriptions", "status = 'canceled'", func(m *market.SubscriptionMonth, c int) { m.Canceled = c }); err != nil {
		return nil, err
	}
	return out, nil
}

// daysAligned says every bound is a UTC midnight: renewal_tally's days
// fall wholly inside a month of such bounds.
func daysAligned(bounds []time.Time) bool {
	for _, b := range bounds {
		if ts(b)%microsPerDay != 0 {
			return false
		}
	}
	return true
}

// DueRenewals lists up to limit auto-renewing subscriptions (active, past
// due or in trial, not canceled at the period's end) that expire in
// [from, to), soonest first, with their customer's balance and whether it
// has a default card.
func (q *Q) DueRenewals(ctx context.Context, from, to time.Time, limit int) ([]market.DueRenewal, error) {
	rows, err := q.ex.QueryContext(ctx, `SELECT s.id, s.customer_id, c.company, s.plan, s.term_months,
		COALESCE((SELECT p.quantity FROM periods p WHERE p.subscription_id = s.id ORDER BY p.seq DESC LIMIT 1), 1),
		s.currency, COALESCE((SELECT a.country FROM billing_addresses a WHERE a.customer_id = s.customer_id AND a.deleted_at IS NULL
			ORDER BY a.id DESC LIMIT 1), c.country),
		s.expires_at, c.balance,
		EXISTS (SELECT 1 FROM payment_methods pm WHERE pm.customer_id = s.customer_id AND pm.is_default AND pm.deleted_at IS NULL)
		FROM subscriptions s JOIN customers c ON c.id = s.customer_id
		WHERE s.expires_at >= $1 AND s.expires_at < $2 AND s.auto_renew AND NOT s.cancel_at_period_end
		AND s.status IN ('active', 'past_due', 'trialing')
		ORDER BY s.expires_at, s.id LIMIT $3`, ts(from), ts(to), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []market.DueRenewal
	for rows.Next() {
		var d market.DueRenewal
		var exp int64
		if err := rows.Scan(&d.SubscriptionID, &d.CustomerID, &d.Company, &d.Plan, &d.TermMonths, &d.Quantity, &d.Currency, &d.TaxCountry,
			&exp, &d.Balance, &d.HasCard); err != nil {
			return nil, err
		}
		d.ExpiresAt = fromTS(exp)
		out = append(out, d)
	}
	return out, rows.Err()
}

// BalanceTotals sums the customers' balances per currency (the cached
// balances, which the ledger's postings to the balance accounts equal).
func (q *Q) BalanceTotals(ctx context.Context) ([]market.CurrencyTotal, error) {
	rows, err := q.ex.QueryContext(ctx, `SELECT currency, CAST(COALESCE(SUM(balance), 0) AS BIGINT), COUNT(*) FROM customers
		GROUP BY currency ORDER BY currency`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []market.CurrencyTotal
	for rows.Next() {
		var c market.CurrencyTotal
		if err := rows.Scan(&c.Currency, &c.Amount, &c.Count); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// NumberCounts counts the inventory per country and status: the available
// ones from number_stock, the others from number_tally (tallies.go), both
// kept in step by every change of a number's status; one statement, one
// snapshot.
func (q *Q) NumberCounts(ctx context.Context) ([]market.NumberCount, error) {
	rows, err := q.ex.QueryContext(ctx, `SELECT country, 'available', CAST(SUM(available) AS BIGINT) FROM number_stock GROUP BY country
		UNION ALL SELECT country, status, CAST(SUM(n) AS BIGINT) FROM number_tally GROUP BY country, status HAVING SUM(n) <> 0
		ORDER BY 1, 2`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []market.NumberCount
	for rows.Next() {
		var c market.NumberCount
		if err := rows.Scan(&c.Country, &c.Status, &c.Count); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
