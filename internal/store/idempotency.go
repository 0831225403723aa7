package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// IdempotentResponse is a stored answer to a request made with an
// Idempotency-Key.
type IdempotentResponse struct {
	RequestHash string
	Status      int // 0 while the first request is still running
	Body        string
	ContentType string
	CreatedAt   time.Time
	// ResultRef names what the request's use case made (an order's or a
	// payment's ID), written in the use case's own transaction
	// (BindIdempotencyKey): "" when no use case committed one.
	ResultRef string
}

// ClaimIdempotencyKey records that a request with this key has started. If
// the key was claimed before (and is younger than ttl), it returns the
// stored record and claimed=false instead. Older records are replaced.
func (q *Q) ClaimIdempotencyKey(ctx context.Context, scope, key, hash string, now time.Time, ttl time.Duration) (IdempotentResponse, bool, error) {
	if _, err := q.ex.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND created_at < $3`,
		scope, key, ts(now.Add(-ttl))); err != nil {
		return IdempotentResponse{}, false, err
	}
	res, err := q.ex.ExecContext(ctx, `INSERT INTO idempotency_keys (scope, key, request_hash, status, created_at)
		VALUES ($1, $2, $3, 0, $4) ON CONFLICT (scope, key) DO NOTHING`, scope, key, hash, ts(now))
	if err != nil {
		return IdempotentResponse{}, false, err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return IdempotentResponse{}, true, nil
	}
	r, err := q.idempotencyKey(ctx, scope, key, "")
	return r, false, err
}

// IdempotencyKey reads a key's record. Error: not_found.
func (q *Q) IdempotencyKey(ctx context.Context, scope, key string) (IdempotentResponse, error) {
	r, err := q.idempotencyKey(ctx, scope, key, "")
	return r, notFound(err, "idempotency key")
}

func (q *Q) idempotencyKey(ctx context.Context, scope, key, lock string) (IdempotentResponse, error) {
	var r IdempotentResponse
	var created int64
	err := q.ex.QueryRowContext(ctx, `SELECT request_hash, status, response, content_type, created_at, result_ref FROM idempotency_keys
		WHERE scope = $1 AND key = $2`+lock, scope, key).Scan(&r.RequestHash, &r.Status, &r.Body, &r.ContentType, &created, &r.ResultRef)
	r.CreatedAt = fromTS(created)
	return r, err
}

// LockIdempotencyKey is a use case's look at its request's key inside its
// own transaction: it claims the key if nobody did (a caller without the
// middleware's claim, or one whose claim was released meanwhile) and
// returns the key's row (a record older than ttl is forgotten first, as
// ClaimIdempotencyKey does), locked until the transaction ends. On PostgreSQL
// a second transaction with the same key waits here until the first
// commits (and then sees its ResultRef) or rolls back; on SQLite the one
// writer runs them one after the other.
func (q *Q) LockIdempotencyKey(ctx context.Context, scope, key, hash string, now time.Time, ttl time.Duration) (IdempotentResponse, error) {
	// Mostly the server claimed the key just before: one locking read.
	r, err := q.idempotencyKey(ctx, scope, key, q.forUpdate())
	if err == nil && !r.CreatedAt.Before(now.Add(-ttl)) || err != nil && !errors.Is(err, sql.ErrNoRows) {
		return r, err
	}
	if _, err := q.ex.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND created_at < $3`,
		scope, key, ts(now.Add(-ttl))); err != nil {
		return IdempotentResponse{}, err
	}
	if _, err := q.ex.ExecContext(ctx, `INSERT INTO idempotency_keys (scope, key, request_hash, status, created_at)
		VALUES ($1, $2, $3, 0, $4) ON CONFLICT (scope, key) DO NOTHING`, scope, key, hash, ts(now)); err != nil {
		return IdempotentResponse{}, err
	}
	return q.idempotencyKey(ctx, scope, key, q.forUpdate())
}

// BindIdempotencyKey records, in the use case's transaction, what the
// request with the key made (ref: an order's or a payment's ID).
func (q *Q) BindIdempotencyKey(ctx context.Context, scope, key, ref string) error {
	_, err := q.ex.ExecContext(ctx, `UPDATE idempotency_keys SET result_ref = $3 WHERE scope = $1 AND key = $2`, scope, key, ref)
	return err
}

// CompleteIdempotencyKey stores the response of the request that claimed
// the key. The first response stored stays: a request run again with a
// key still in progress (a use case's, billing/idempotency.go) that ends
// after the first one does not replace its answer.
func (q *Q) CompleteIdempotencyKey(ctx context.Context, scope, key string, status int, body, contentType string) error {
	_, err := q.ex.ExecContext(ctx, `UPDATE idempotency_keys SET status = $3, response = $4, content_type = $5
		WHERE scope = $1 AND key = $2 AND status = 0`, scope, key, status, body, contentType)
	return err
}

// ReleaseIdempotencyKey forgets a claim whose request failed without
// changing anything, so that the client may retry with the same key. A
// claim whose use case committed a result (BindIdempotencyKey) is kept:
// the request did change something, and a retry answers with it.
func (q *Q) ReleaseIdempotencyKey(ctx context.Context, scope, key string) error {
	_, err := q.ex.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND status = 0 AND result_ref = ''`, scope, key)
	return err
}

// PurgeIdempotencyKeys deletes records older than before.
func (q *Q) PurgeIdempotencyKeys(ctx context.Context, before time.Time) error {
	_, err := q.ex.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE created_at < $1`, ts(before))
	return err
}
