package store

import (
	"context"
	"database/sql"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dialtone/dialtone/internal/market"
)

// DueDelivery is a leased delivery with what sending it takes.
type DueDelivery struct {
	market.WebhookDelivery
	URL            string
	Secret         string
	Payload        []byte
	EventCreatedAt time.Time
}

// InsertWebhookEndpoint stores a new endpoint.
func (q *Q) InsertWebhookEndpoint(ctx context.Context, e market.WebhookEndpoint) error {
	_, err := q.ex.ExecContext(ctx, `INSERT INTO webhook_endpoints (id, url, events, secret, created_at) VALUES ($1, $2, $3, $4, $5)`,
		e.ID, e.URL, strings.Join(e.Events, " "), e.Secret, ts(e.CreatedAt))
	if err != nil {
		return err
	}
	return q.catalogChanged(ctx)
}

const endpointCols = `id, url, events, secret, created_at`

func scanEndpoint(row interface{ Scan(...any) error }) (market.WebhookEndpoint, error) {
	var e market.WebhookEndpoint
	var events string
	var created int64
	if err := row.Scan(&e.ID, &e.URL, &events, &e.Secret, &created); err != nil {
		return e, err
	}
	e.Events, e.CreatedAt = strings.Fields(events), fromTS(created)
	return e, nil
}

// WebhookEndpoint reads an endpoint that is not deleted. Error: not_found.
func (q *Q) WebhookEndpoint(ctx context.Context, id string) (market.WebhookEndpoint, error) {
	e, err := scanEndpoint(q.ex.QueryRowContext(ctx, `SELECT `+endpointCols+` FROM webhook_endpoints WHERE id = $1 AND deleted_at IS NULL`, id))
	return e, notFound(err, "webhook endpoint")
}

// WebhookEndpoints lists the endpoints that are not deleted, newest first,
// with one row more than the page for has_more.
func (q *Q) WebhookEndpoints(ctx context.Context, p Page) ([]market.WebhookEndpoint, error) {
	rows, err := q.ex.QueryContext(ctx, `SELECT `+endpointCols+` FROM webhook_endpoints
		WHERE deleted_at IS NULL AND ($1 = '' OR id < $1) ORDER BY id DESC LIMIT $2`, p.After, p.limit()+1)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []market.WebhookEndpoint
	for rows.Next() {
		e, err := scanEndpoint(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// DeleteWebhookEndpoint deletes an endpoint: it gets nothing more, its
// pending deliveries are dropped, and its log stays. Error: not_found.
func (q *Q) DeleteWebhookEndpoint(ctx context.Context, id string, now time.Time) error {
	res, err := q.ex.ExecContext(ctx, `UPDATE webhook_endpoints SET deleted_at = $2 WHERE id = $1 AND deleted_at IS NULL`, id, ts(now))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound(sql.ErrNoRows, "webhook endpoint")
	}
	if err := q.catalogChanged(ctx); err != nil {
		return err
	}
	_, err = q.ex.ExecContext(ctx, `UPDATE webhook_deliveries SET status = 'failed' WHERE endpoint_id = $1 AND status = 'pending'`, id)
	return err
}

// WebhookTargets returns the endpoints (not deleted) that take events of
// type typ. It runs for every event, mostly in a system without endpoints
// for it: the database picks the candidates (the live endpoints, through
// the partial index webhook_endpoints_live, whose event list contains the
// type). The live endpoints are cached with the catalog
// (catalog_cache.go): inserting or deleting one writes a new catalog token,
// so this reads what every process sees.
func (q *Q) WebhookTargets(ctx context.Context, typ string) ([]string, error) {
	c, err := q.catalog(ctx)
	if err != nil {
		return nil, err
	}
	var targets []string
	for _, e := range c.endpoints {
		if slices.Contains(e.events, typ) {
			targets = append(targets, e.id)
		}
	}
	return targets, nil
}

// liveEndpoints reads every endpoint that is not deleted, by ID.
func (q *Q) liveEndpoints(ctx context.Context) ([]liveEndpoint, error) {
	rows, err := q.ex.QueryContext(ctx, `SELECT id, events FROM webhook_endpoints WHERE deleted_at IS NULL ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []liveEndpoint
	for rows.Next() {
		var e liveEndpoint
		var events string
		if err := rows.Scan(&e.id, &events); err != nil {
			return nil, err
		}
		e.events = strings.Fields(events)
		out = append(out, e)
	}
	return out, rows.Err()
}

// InsertWebhookEvent puts an event in the outbox with a delivery, due at
// its creation, for each endpoint of targets (from WebhookTargets). It runs
// in the transaction of the change the event reports.
func (q *Q) InsertWebhookEvent(ctx context.Context, ev market.WebhookEvent, targets []string) error {
	if err := q.execLater(ctx, `INSERT INTO webhook_events (id, type, payload, created_at) VALUES ($1, $2, $3, $4)`,
		ev.ID, ev.Type, string(ev.Payload), ts(ev.CreatedAt)); err != nil {
		return err
	}
	for _, eid := range targets {
		if err := q.execLater(ctx, `INSERT INTO webhook_deliveries (id, endpoint_id, event_id, status, next_attempt_at, created_at)
			VALUES ($1, $2, $3, 'pending', $4, $4)`, q.ids.New("whd"), eid, ev.ID, ts(ev.CreatedAt)); err != nil {
			return err
		}
	}
	return nil
}

// LeaseWebhookDeliveries takes up to limit pending deliveries due at now
// (the business clock) that no process holds at wall (the wall clock), and
// holds each until until (wall clock): a conditional update that only one
// of racing processes wins, so no delivery is sent twice at once.
func (q *Q) LeaseWebhookDeliveries(ctx context.Context, now, wall, until time.Time, limit int) ([]DueDelivery, error) {
	rows, err := q.ex.QueryContext(ctx, `SELECT d.id, d.endpoint_id, d.event_id, v.type, d.attempts, d.next_attempt_at, d.created_at,
		w.url, w.secret, v.payload, v.created_at
		FROM webhook_deliveries d JOIN webhook_endpoints w ON w.id = d.endpoint_id JOIN webhook_events v ON v.id = d.event_id
		WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND (d.leased_until IS NULL OR d.leased_until <= $2)
		AND w.deleted_at IS NULL ORDER BY d.next_attempt_at, d.id LIMIT $3`, ts(now), ts(wall), limit)
	if err != nil {
		return nil, err
	}
	var due []DueDelivery
	for rows.Next() {
		var d DueDelivery
		var next, created, evCreated int64
		var payload string
		if err := rows.Scan(&d.ID, &d.EndpointID, &d.EventID, &d.EventType, &d.Attempts, &next, &created,
			&d.URL, &d.Secret, &payload, &evCreated); err != nil {
			rows.Close()
			return nil, err
		}
		n := fromTS(next)
		d.Status, d.NextAttemptAt, d.CreatedAt = market.DeliveryPending, &n, fromTS(created)
		d.Payload, d.EventCreatedAt = []byte(payload), fromTS(evCreated)
		due = append(due, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var leased []DueDelivery
	for _, d := range due {
		res, err := q.ex.ExecContext(ctx, `UPDATE webhook_deliveries SET leased_until = $2, retry_requested = FALSE
			WHERE id = $1 AND status = 'pending' AND next_attempt_at <= $3 AND (leased_until IS NULL OR leased_until <= $4)`,
			d.ID, ts(until), ts(now), ts(wall))
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			leased = append(leased, d)
		}
	}
	return leased, nil
}

// RecordWebhookAttempt logs an attempt and sets its delivery's outcome:
// status, and for a pending one when to try next. It ends the lease. A
// delivery whose endpoint was deleted while it was being sent does not
// become pending again: it is failed, as deleting made it. A delivery the
// operator retried while it was being sent (RetryWebhookDelivery) keeps
// what the retry made of it — pending, due at the retry — whatever the
// attempt's outcome: the retry is not lost to the send it overtook.
func (q *Q) RecordWebhookAttempt(ctx context.Context, a market.WebhookAttempt, status string, next time.Time) error {
	if _, err := q.ex.ExecContext(ctx, `INSERT INTO webhook_attempts (id, delivery_id, attempted_at, status_code, error, duration_ms, response)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, a.ID, a.DeliveryID, ts(a.AttemptedAt), a.StatusCode, storable(a.Error, 500),
		a.Duration.Milliseconds(), storable(a.Response, 1000)); err != nil {
		return err
	}
	var delivered any
	if status == market.DeliverySucceeded {
		delivered = ts(a.AttemptedAt)
	}
	if status == market.DeliveryPending {
		var deleted bool
		if err := q.ex.QueryRowContext(ctx, `SELECT w.deleted_at IS NOT NULL FROM webhook_deliveries d
			JOIN webhook_endpoints w ON w.id = d.endpoint_id WHERE d.id = $1`, a.DeliveryID).Scan(&deleted); err != nil {
			return err
		}
		if deleted {
			status = market.DeliveryFailed
		}
	}
	_, err := q.ex.ExecContext(ctx, `UPDATE webhook_deliveries SET attempts = attempts + 1, leased_until = NULL,
		status = CASE WHEN retry_requested THEN status ELSE $2 END,
		next_attempt_at = CASE WHEN retry_requested THEN next_attempt_at ELSE $3 END,
		delivered_at = COALESCE($4, delivered_at), retry_requested = FALSE WHERE id = $1`, a.DeliveryID, status, ts(next), delivered)
	return err
}

// NextWebhookAttempt returns the earliest due date of a pending delivery
// after now, and false if there is none.
func (q *Q) NextWebhookAttempt(ctx context.Context, now time.Time) (time.Time, bool, error) {
	var v sql.NullInt64
	err := q.ex.QueryRowContext(ctx, `SELECT MIN(next_attempt_at) FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at > $1`,
		ts(now)).Scan(&v)
	if err != nil || !v.Valid {
		return time.Time{}, false, err
	}
	return fromTS(v.Int64), true, nil
}

// ReleaseWebhookLease gives a leased delivery back unsent.
func (q *Q) ReleaseWebhookLease(ctx context.Context, id string) error {
	_, err := q.ex.ExecContext(ctx, `UPDATE webhook_deliveries SET leased_until = NULL WHERE id = $1`, id)
	return err
}

// storable cuts s to at most n bytes and drops what PostgreSQL cannot
// store (NUL characters, invalid UTF-8): a receiver's answer may hold
// anything.
func storable(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, ""), "\x00", "")
}

// RetryWebhookDelivery makes a delivery due again at now, whatever it
// became (succeeded, failed or waiting for its next try), and marks it
// retried: a send of it in flight then cannot overwrite this with its
// result (RecordWebhookAttempt); the next lease clears the mark. Error:
// not_found (also when its endpoint was deleted).
func (q *Q) RetryWebhookDelivery(ctx context.Context, id string, now time.Time) error {
	res, err := q.ex.ExecContext(ctx, `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $2, retry_requested = TRUE
		WHERE id = $1 AND endpoint_id IN (SELECT id FROM webhook_endpoints WHERE deleted_at IS NULL)`, id, ts(now))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound(sql.ErrNoRows, "webhook delivery")
	}
	return nil
}

const deliveryCols = `d.id, d.endpoint_id, d.event_id, v.type, d.status, d.attempts, d.next_attempt_at, d.created_at, d.delivered_at`

func scanDelivery(row interface{ Scan(...any) error }) (market.WebhookDelivery, error) {
	var d market.WebhookDelivery
	var next, created int64
	var delivered sql.NullInt64
	if err := row.Scan(&d.ID, &d.EndpointID, &d.EventID, &d.EventType, &d.Status, &d.Attempts, &next, &created, &delivered); err != nil {
		return d, err
	}
	if d.Status == market.DeliveryPending {
		n := fromTS(next)
		d.NextAttemptAt = &n
	}
	d.CreatedAt, d.DeliveredAt = fromTS(created), fromNull(delivered)
	return d, nil
}

// WebhookDelivery reads a delivery of an endpoint that is not deleted;
// endpointID "" means any such endpoint. Error: not_found.
func (q *Q) WebhookDelivery(ctx context.Context, endpointID, id string) (market.WebhookDelivery, error) {
	d, err := scanDelivery(q.ex.QueryRowContext(ctx, `SELECT `+deliveryCols+`
		FROM webhook_deliveries d JOIN webhook_events v ON v.id = d.event_id JOIN webhook_endpoints w ON w.id = d.endpoint_id
		WHERE d.id = $1 AND ($2 = '' OR d.endpoint_id = $2) AND w.deleted_at IS NULL`, id, endpointID))
	return d, notFound(err, "webhook delivery")
}

// WebhookDeliveries lists an endpoint's deliveries, newest first, with one
// row more than the page for has_more.
func (q *Q) WebhookDeliveries(ctx context.Context, endpointID string, p Page) ([]market.WebhookDelivery, error) {
	rows, err := q.ex.QueryContext(ctx, `SELECT `+deliveryCols+`
		FROM webhook_deliveries d JOIN webhook_events v ON v.id = d.event_id
		WHERE d.endpoint_id = $1 AND ($2 = '' OR d.id < $2) ORDER BY d.id DESC LIMIT $3`, endpointID, p.After, p.limit()+1)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []market.WebhookDelivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// WebhookAttempts returns the attempts of the deliveries ids, oldest first,
// by delivery.
func (q *Q) WebhookAttempts(ctx context.Context, ids []string) (map[string][]market.WebhookAttempt, error) {
	out := map[string][]market.WebhookAttempt{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	marks := make([]string, len(ids))
	for i, v := range ids {
		args[i] = v
		marks[i] = "$" + strconv.Itoa(i+1)
	}
	rows, err := q.ex.QueryContext(ctx, `SELECT id, delivery_id, attempted_at, status_code, error, duration_ms, response
		FROM webhook_attempts WHERE delivery_id IN (`+strings.Join(marks, ", ")+`) ORDER BY delivery_id, id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var a market.WebhookAttempt
		var at, ms int64
		if err := rows.Scan(&a.ID, &a.DeliveryID, &at, &a.StatusCode, &a.Error, &ms, &a.Response); err != nil {
			return nil, err
		}
		a.AttemptedAt, a.Duration = fromTS(at), time.Duration(ms)*time.Millisecond
		out[a.DeliveryID] = append(out[a.DeliveryID], a)
	}
	return out, rows.Err()
}

// WebhookEventPayload returns the stored body of an event. Error: not_found.
func (q *Q) WebhookEventPayload(ctx context.Context, id string) ([]byte, error) {
	var p string
	err := q.ex.QueryRowContext(ctx, `SELECT payload FROM webhook_events WHERE id = $1`, id).Scan(&p)
	return []byte(p), notFound(err, "webhook event")
}
