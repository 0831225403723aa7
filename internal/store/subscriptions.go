package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/dialtone/dialtone/internal/market"
)

const subCols = `id, customer_id, product, plan, term_months, status, auto_renew, currency, started_at, expires_at,
	trial_ends_at, renew_attempts, next_attempt_at, cancel_at_period_end`

func scanSub(row interface{ Scan(...any) error }) (market.Subscription, error) {
	var s market.Subscription
	var status string
	var started, expires int64
	var trial, next sql.NullInt64
	err := row.Scan(&s.ID, &s.CustomerID, &s.Product, &s.Plan, &s.TermMonths, &status, &s.AutoRenew, &s.Currency,
		&started, &expires, &trial, &s.RenewAttempts, &next, &s.CancelAtPeriodEnd)
	s.Status = market.Status(status)
	s.StartedAt, s.ExpiresAt = fromTS(started), fromTS(expires)
	s.TrialEndsAt, s.NextAttemptAt = fromNull(trial), fromNull(next)
	return s, err
}

// InsertSubscription stores a subscription and its periods.
func (q *Q) InsertSubscription(ctx context.Context, s market.Subscription, now time.Time) error {
	if _, err := q.ex.ExecContext(ctx, `INSERT INTO subscriptions (`+subCols+`, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)`,
		s.ID, s.CustomerID, s.Product, s.Plan, s.TermMonths, string(s.Status), s.AutoRenew, s.Currency,
		ts(s.StartedAt), ts(s.ExpiresAt), tsp(s.TrialEndsAt), s.RenewAttempts, tsp(s.NextAttemptAt), s.CancelAtPeriodEnd, ts(now)); err != nil {
		return err
	}
	for _, p := range s.Periods {
		if err := q.InsertPeriod(ctx, s.ID, p); err != nil {
			return err
		}
	}
	return nil
}

// UpdateSubscription saves a subscription's own fields (not its periods).
// Error: not_found.
func (q *Q) UpdateSubscription(ctx context.Context, s market.Subscription, now time.Time) error {
	args := []any{s.ID, s.Plan, s.TermMonths, string(s.Status), s.AutoRenew, ts(s.ExpiresAt), tsp(s.TrialEndsAt),
		s.RenewAttempts, tsp(s.NextAttemptAt), ts(now), s.CancelAtPeriodEnd}
	if q.batchKnows(s.ID) && q.update(subscriptionUpdate, args...) {
		q.forgetSub(s.ID)
		return nil // the batch read it: it exists
	}
	res, err := q.ex.ExecContext(ctx, `UPDATE subscriptions SET plan = $2, term_months = $3, status = $4, auto_renew = $5,
		expires_at = $6, trial_ends_at = $7, renew_attempts = $8, next_attempt_at = $9, updated_at = $10,
		cancel_at_period_end = $11 WHERE id = $1`, args...)
	return affected(res, err, "subscription")
}

// subscriptionUpdate is UpdateSubscription's statement in a batch.
var subscriptionUpdate = &keyedUpdate{table: "subscriptions", key: "id",
	cols: []string{"plan", "term_months", "status", "auto_renew", "expires_at", "trial_ends_at", "renew_attempts",
		"next_attempt_at", "updated_at", "cancel_at_period_end"},
	types: []string{"TEXT", "TEXT", "INTEGER", "TEXT", "BOOLEAN", "BIGINT", "BIGINT", "INTEGER", "BIGINT", "BIGINT", "BOOLEAN"}}

// InsertPeriod appends a period. Error: conflict if a period with that start
// exists (a renewal paid twice).
func (q *Q) InsertPeriod(ctx context.Context, subID string, p market.Period) error {
	q.forgetSub(subID)
	_, err := q.insertWith(ctx, `INSERT INTO periods (subscription_id, seq, start_at, end_at, plan, quantity, unit_amount,
		term_months, trial, order_id) VALUES`, "", [][]any{{
		subID, p.Seq, ts(p.Start), ts(p.End), p.Plan, p.Quantity, p.UnitAmount, p.TermMonths, p.Trial, nullStr(p.OrderID)}},
		insertOpts{mapErr: periodPaidTwice})
	if err != nil {
		return err
	}
	return q.tallyRenewals(ctx, 1, periodStart{p.Seq, ts(p.Start)})
}

// periodPaidTwice is InsertPeriod's failure for a period that exists.
func periodPaidTwice(err error) error {
	if isUnique(err) {
		return market.Errorf(market.CodeConflict, "this period of the subscription is already paid")
	}
	return nil
}

// UpdatePeriod saves a period's plan, quantity and unit price (after an
// upgrade or added licenses). Error: not_found.
func (q *Q) UpdatePeriod(ctx context.Context, subID string, p market.Period) error {
	res, err := q.ex.ExecContext(ctx, `UPDATE periods SET plan = $3, quantity = $4, unit_amount = $5
		WHERE subscription_id = $1 AND seq = $2`, subID, p.Seq, p.Plan, p.Quantity, p.UnitAmount)
	return affected(res, err, "period")
}

// Subscription returns a subscription of a customer ("" = any) with its
// periods and user count; lock takes the row lock. Error: not_found.
func (q *Q) Subscription(ctx context.Context, customerID, id string) (market.Subscription, error) {
	if s, ok := q.batchSub(customerID, id); ok {
		return s, nil
	}
	s, err := scanSub(q.ex.QueryRowContext(ctx, `SELECT `+subCols+` FROM subscriptions
		WHERE id = $1 AND ($2 = '' OR customer_id = $2)`+q.forUpdate(), id, customerID))
	if err != nil {
		return s, notFound(err, "subscription")
	}
	return s, q.fill(ctx, &s)
}

func (q *Q) fill(ctx context.Context, s *market.Subscription) error {
	rows, err := q.ex.QueryContext(ctx, `SELECT seq, start_at, end_at, plan, quantity, unit_amount, term_months, trial,
		COALESCE(order_id, '') FROM periods WHERE subscription_id = $1 ORDER BY seq`, s.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	s.Periods = s.Periods[:0]
	for rows.Next() {
		var p market.Period
		var start, end int64
		if err := rows.Scan(&p.Seq, &start, &end, &p.Plan, &p.Quantity, &p.UnitAmount, &p.TermMonths, &p.Trial, &p.OrderID); err != nil {
			return err
		}
		p.Start, p.End = fromTS(start), fromTS(end)
		s.Periods = append(s.Periods, p)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	s.Users, err = q.CountUsers(ctx, s.ID)
	return err
}

// Subscriptions lists a customer's subscriptions, newest first, with
// periods.
func (q *Q) Subscriptions(ctx context.Context, customerID string, p Page) ([]market.Subscription, error) {
	return q.subs(ctx, `SELECT `+subCols+` FROM subscriptions WHERE customer_id = $1 AND ($2 = '' OR id < $2)
		ORDER BY id DESC LIMIT $3`, customerID, p.After, p.limit()+1)
}

// DueSubscriptions returns IDs of subscriptions with work due at or before
// now: expiry or a renewal attempt. Used by the scheduler.
func (q *Q) DueSubscriptions(ctx context.Context, now time.Time, limit int) ([]string, error) {
	rows, err := q.ex.QueryContext(ctx, `SELECT id FROM subscriptions
		WHERE (status IN ('active', 'trialing') AND expires_at <= $1)
		   OR (status = 'past_due' AND next_attempt_at <= $1)
		ORDER BY expires_at, id LIMIT $2`, ts(now), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func (q *Q) subs(ctx context.Context, query string, args ...any) ([]market.Subscription, error) {
	rows, err := q.ex.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	var out []market.Subscription
	for rows.Next() {
		s, err := scanSub(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	return out, q.fillMany(ctx, out)
}

// fillMany loads the periods and user counts of one customer's page of
// subscriptions (IDs descending) in two queries, not two per subscription.
func (q *Q) fillMany(ctx context.Context, subs []market.Subscription) error {
	idx := make(map[string]int, len(subs))
	for i, s := range subs {
		idx[s.ID] = i
	}
	cust, hi, lo := subs[0].CustomerID, subs[0].ID, subs[len(subs)-1].ID
	rows, err := q.ex.QueryContext(ctx, `SELECT p.subscription_id, p.seq, p.start_at, p.end_at, p.plan, p.quantity, p.unit_amount,
		p.term_months, p.trial, COALESCE(p.order_id, '') FROM periods p JOIN subscriptions s ON s.id = p.subscription_id
		WHERE s.customer_id = $1 AND s.id <= $2 AND s.id >= $3 ORDER BY p.subscription_id, p.seq`, cust, hi, lo)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id string
		var p market.Period
		var start, end int64
		if err := rows.Scan(&id, &p.Seq, &start, &end, &p.Plan, &p.Quantity, &p.UnitAmount, &p.TermMonths, &p.Trial, &p.OrderID); err != nil {
			rows.Close()
			return err
		}
		p.Start, p.End = fromTS(start), fromTS(end)
		if i, ok := idx[id]; ok {
			subs[i].Periods = append(subs[i].Periods, p)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	urows, err := q.ex.QueryContext(ctx, `SELECT subscription_id, COUNT(*) FROM users WHERE customer_id = $1
		AND subscription_id IS NOT NULL AND subscription_id <= $2 AND subscription_id >= $3 GROUP BY subscription_id`, cust, hi, lo)
	if err != nil {
		return err
	}
	defer urows.Close()
	for urows.Next() {
		var id string
		var n int
		if err := urows.Scan(&id, &n); err != nil {
			return err
		}
		if i, ok := idx[id]; ok {
			subs[i].Users = n
		}
	}
	return urows.Err()
}

// TrialUsed reports whether the customer has had a trial of the product.
func (q *Q) TrialUsed(ctx context.Context, customerID, product string) (bool, error) {
	var n int
	err := q.ex.QueryRowContext(ctx, `SELECT COUNT(*) FROM trials WHERE customer_id = $1 AND product = $2`, customerID, product).Scan(&n)
	return n > 0, err
}

// InsertTrial records a customer's trial of a product. Error:
// trial_already_used.
func (q *Q) InsertTrial(ctx context.Context, customerID, product, subID string, now time.Time) error {
	_, err := q.ex.ExecContext(ctx, `INSERT INTO trials (customer_id, product, subscription_id, created_at) VALUES ($1, $2, $3, $4)`,
		customerID, product, subID, ts(now))
	if isUnique(err) {
		return market.Errorf(market.CodeTrialAlreadyUsed, "the free trial of this product has already been used")
	}
	return err
}

// Upcoming is a subscription that ends within a window, for reminders.
type Upcoming struct {
	ID         string
	CustomerID string
	Plan       string
	Status     market.Status
	AutoRenew  bool
	ExpiresAt  time.Time
	TrialEnds  *time.Time
	// Canceled is set when the customer canceled it at the period's end.
	Canceled bool
}

// EndingBetween lists in-force subscriptions whose expires_at falls in
// (from, to].
func (q *Q) EndingBetween(ctx context.Context, from, to time.Time) ([]Upcoming, error) {
	rows, err := q.ex.QueryContext(ctx, `SELECT id, customer_id, plan, status, auto_renew, expires_at, trial_ends_at, cancel_at_period_end FROM subscriptions
		WHERE status IN ('active', 'trialing') AND expires_at > $1 AND expires_at <= $2 ORDER BY expires_at, id`, ts(from), ts(to))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Upcoming
	for rows.Next() {
		var u Upcoming
		var status string
		var exp int64
		var trial sql.NullInt64
		if err := rows.Scan(&u.ID, &u.CustomerID, &u.Plan, &status, &u.AutoRenew, &exp, &trial, &u.Canceled); err != nil {
			return nil, err
		}
		u.Status, u.ExpiresAt, u.TrialEnds = market.Status(status), fromTS(exp), fromNull(trial)
		out = append(out, u)
	}
	return out, rows.Err()
}

// NextSubscriptionEvent returns the earliest time after now at which a
// subscription becomes due or crosses one of the reminder offsets before
// its expiry, and false if there is none.
func (q *Q) NextSubscriptionEvent(ctx context.Context, now time.Time, offsets []time.Duration) (time.Time, bool, error) {
	var best int64
	found := false
	consider := func(v sql.NullInt64) {
		if v.Valid && (!found || v.Int64 < best) {
			best, found = v.Int64, true
		}
	}
	var v sql.NullInt64
	if err := q.ex.QueryRowContext(ctx, `SELECT MIN(expires_at) FROM subscriptions WHERE status IN ('active', 'trialing') AND expires_at > $1`,
		ts(now)).Scan(&v); err != nil {
		return time.Time{}, false, err
	}
	consider(v)
	if err := q.ex.QueryRowContext(ctx, `SELECT MIN(next_attempt_at) FROM subscriptions WHERE status = 'past_due' AND next_attempt_at > $1`,
		ts(now)).Scan(&v); err != nil {
		return time.Time{}, false, err
	}
	consider(v)
	for _, off := range offsets {
		var e sql.NullInt64
		if err := q.ex.QueryRowContext(ctx, `SELECT MIN(expires_at) FROM subscriptions WHERE status IN ('active', 'trialing') AND expires_at > $1`,
			ts(now.Add(off))).Scan(&e); err != nil {
			return time.Time{}, false, err
		}
		if e.Valid {
			e.Int64 -= off.Microseconds()
		}
		consider(e)
	}
	return fromTS(best), found, nil
}

// DeletePeriod removes a period of a subscription (an operator's refund
// with revoke of the renewal that bought it). Error: not_found.
func (q *Q) DeletePeriod(ctx context.Context, subID string, seq int) error {
	var start int64
	err := q.ex.QueryRowContext(ctx, `DELETE FROM periods WHERE subscription_id = $1 AND seq = $2 RETURNING start_at`, subID, seq).Scan(&start)
	if err != nil {
		return notFound(err, "period")
	}
	return q.tallyRenewals(ctx, -1, periodStart{seq, start})
}

// EndPeriodsAt cuts every period of a subscription that runs past at to end
// at at, and removes those that start at at or later: a subscription ended
// now by an operator's refund with revoke (one revoked the moment it was
// bought keeps no period).
func (q *Q) EndPeriodsAt(ctx context.Context, subID string, at time.Time) error {
	rows, err := q.ex.QueryContext(ctx, `DELETE FROM periods WHERE subscription_id = $1 AND start_at >= $2 RETURNING seq, start_at`, subID, ts(at))
	if err != nil {
		return err
	}
	var gone []periodStart
	for rows.Next() {
		var p periodStart
		if err := rows.Scan(&p.seq, &p.start); err != nil {
			rows.Close()
			return err
		}
		gone = append(gone, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if err := q.tallyRenewals(ctx, -1, gone...); err != nil {
		return err
	}
	_, err = q.ex.ExecContext(ctx, `UPDATE periods SET end_at = $2 WHERE subscription_id = $1 AND end_at > $2`, subID, ts(at))
	return err
}
