package store

import (
	"context"
	"math"
	"time"

	"github.com/dialtone/dialtone/internal/market"
)

// The scheduler's batched runs (billing/renew_batch.go): a transaction
// claims a batch of due work, renews it, numbers the batch's invoices in one
// block and inserts them in one statement.

// DueItem is a claimed piece of due work: a subscription or a number, its
// customer, and the due time it was claimed at (the claim's order).
type DueItem struct {
	ID         string
	CustomerID string
	DueAt      time.Time
}

// ClaimDueRenewals returns up to limit automatically renewed subscriptions
// due at now (in force and expired, or past due with a retry due), not set
// to end, after the cursor (by expires_at, then ID), and — inside a
// PostgreSQL transaction — locks their customers, skipping customers another
// transaction holds: two schedulers claiming at once get disjoint batches.
// The caller re-reads each subscription under the lock: the claim's rows
// may be a moment old.
func (q *Q) ClaimDueRenewals(ctx context.Context, now time.Time, after DueItem, limit int) ([]DueItem, error) {
	from, lock := q.claim(after)
	return q.dueItems(ctx, `SELECT s.id, s.customer_id, s.expires_at FROM subscriptions s JOIN customers c ON c.id = s.customer_id
		WHERE s.expires_at <= $1 AND s.auto_renew AND NOT s.cancel_at_period_end
		AND (s.status IN ('active', 'trialing') OR (s.status = 'past_due' AND s.next_attempt_at <= $1))
		AND (s.expires_at, s.id) > ($2, $3)
		ORDER BY s.expires_at, s.id LIMIT $4`+lock, ts(now), from, after.ID, limit)
}

// ClaimDueRentals returns up to limit held numbers (active or in grace)
// whose monthly date is due at now, after the cursor (by renews_at, then
// ID), locking their customers as ClaimDueRenewals does.
func (q *Q) ClaimDueRentals(ctx context.Context, now time.Time, after DueItem, limit int) ([]DueItem, error) {
	from, lock := q.claim(after)
	return q.dueItems(ctx, `SELECT n.id, n.customer_id, n.renews_at FROM numbers n JOIN customers c ON c.id = n.customer_id
		WHERE n.renews_at IS NOT NULL AND n.renews_at <= $1 AND n.status IN ('active', 'grace')
		AND (n.renews_at, n.id) > ($2, $3)
		ORDER BY n.renews_at, n.id LIMIT $4`+lock, ts(now), from, after.ID, limit)
}

// claim returns a claim's cursor (the due time after which to read; the
// earliest there is from the start) and its lock of the customers (c)
// inside a PostgreSQL transaction.
func (q *Q) claim(after DueItem) (from int64, lock string) {
	from = int64(math.MinInt64)
	if !after.DueAt.IsZero() {
		from = ts(after.DueAt)
	}
	if q.dialect == Postgres && q.inTx {
		lock = " FOR UPDATE OF c SKIP LOCKED"
	}
	return from, lock
}

func (q *Q) dueItems(ctx context.Context, query string, args ...any) ([]DueItem, error) {
	rows, err := q.ex.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DueItem
	for rows.Next() {
		var d DueItem
		var at int64
		if err := rows.Scan(&d.ID, &d.CustomerID, &at); err != nil {
			return nil, err
		}
		d.DueAt = fromTS(at)
		out = append(out, d)
	}
	return out, rows.Err()
}

// CountDueRenewals counts the subscriptions ClaimDueRenewals would claim
// at now, for the scheduler's progress.
func (q *Q) CountDueRenewals(ctx context.Context, now time.Time) (int, error) {
	var n int
	err := q.ex.QueryRowContext(ctx, `SELECT COUNT(*) FROM subscriptions s
		WHERE s.expires_at <= $1 AND s.auto_renew AND NOT s.cancel_at_period_end
		AND (s.status IN ('active', 'trialing') OR (s.status = 'past_due' AND s.next_attempt_at <= $1))`, ts(now)).Scan(&n)
	return n, err
}

// CountDueRentals counts the numbers ClaimDueRentals would claim at now.
func (q *Q) CountDueRentals(ctx context.Context, now time.Time) (int, error) {
	var n int
	err := q.ex.QueryRowContext(ctx, `SELECT COUNT(*) FROM numbers
		WHERE renews_at IS NOT NULL AND renews_at <= $1 AND status IN ('active', 'grace') AND customer_id IS NOT NULL`, ts(now)).Scan(&n)
	return n, err
}

// SubscriptionRow returns a subscription of a customer ("" = any) without
// its periods and users (one statement: what a batch re-checks under the
// customer's lock before it renews). Error: not_found.
func (q *Q) SubscriptionRow(ctx context.Context, customerID, id string) (market.Subscription, error) {
	if s, ok := q.batchSub(customerID, id); ok {
		return s, nil
	}
	s, err := scanSub(q.ex.QueryRowContext(ctx, `SELECT `+subCols+` FROM subscriptions
		WHERE id = $1 AND ($2 = '' OR customer_id = $2)`+q.forUpdate(), id, customerID))
	return s, notFound(err, "subscription")
}
