package store

import (
	"context"
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
	var r IdempotentResponse
	var created int64
	err = q.ex.QueryRowContext(ctx, `SELECT request_hash, status, response, content_type, created_at FROM idempotency_keys
		WHERE scope = $1 AND key = $2`, scope, key).Scan(&r.RequestHash, &r.Status, &r.Body, &r.ContentType, &created)
	r.CreatedAt = fromTS(created)
	return r, false, err
}

// CompleteIdempotencyKey stores the response of the request that claimed
// the key.
func (q *Q) CompleteIdempotencyKey(ctx context.Context, scope, key string, status int, body, contentType string) error {
	_, err := q.ex.ExecContext(ctx, `UPDATE idempotency_keys SET status = $3, response = $4, content_type = $5
		WHERE scope = $1 AND key = $2`, scope, key, status, body, contentType)
	return err
}

// ReleaseIdempotencyKey forgets a claim whose request failed without
// changing anything, so that the client may retry with the same key.
func (q *Q) ReleaseIdempotencyKey(ctx context.Context, scope, key string) error {
	_, err := q.ex.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND status = 0`, scope, key)
	return err
}

// PurgeIdempotencyKeys deletes records older than before.
func (q *Q) PurgeIdempotencyKeys(ctx context.Context, before time.Time) error {
	_, err := q.ex.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE created_at < $1`, ts(before))
	return err
}
