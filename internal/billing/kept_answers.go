package billing

import (
	"context"

	"github.com/dialtone/dialtone/internal/store"
)

// The answers kept under an idempotency key, for the API's middleware and
// the portal's payment forms (web.Keys): a key is claimed before the
// request runs and its answer kept after it. The use case binds its
// result to the key inside its own transaction (idempotency.go), so a
// retry after any crash gets the first result even when no answer was
// kept.

// KeptAnswer is what a key holds: the request's hash and, once answered,
// the answer and the reference of the result.
type KeptAnswer = store.IdempotentResponse

// ClaimKey takes key of scope for a request whose hash is hash, unless it
// was taken: claimed is false and prev what the key holds then. Keys
// expire after KeyTTL (real time, not the sandbox clock).
func (s *Service) ClaimKey(ctx context.Context, scope, key, hash string) (prev KeptAnswer, claimed bool, err error) {
	err = s.store.Tx(ctx, func(q *store.Q) error {
		var err error
		prev, claimed, err = q.ClaimIdempotencyKey(ctx, scope, key, hash, s.wallNow(), KeyTTL)
		return err
	})
	return prev, claimed, err
}

// CompleteKey keeps the answer of the request that claimed key.
func (s *Service) CompleteKey(ctx context.Context, scope, key string, status int, body, contentType string) error {
	return s.store.Tx(ctx, func(q *store.Q) error { return q.CompleteIdempotencyKey(ctx, scope, key, status, body, contentType) })
}

// ReleaseKey gives key up (its request changed nothing).
func (s *Service) ReleaseKey(ctx context.Context, scope, key string) error {
	return s.store.Tx(ctx, func(q *store.Q) error { return q.ReleaseIdempotencyKey(ctx, scope, key) })
}

// Ping checks that the database answers (for /readyz).
func (s *Service) Ping(ctx context.Context) error { return s.store.Ping(ctx) }
