package server

import (
	"context"
	"time"

	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/web"
)

// keys are the idempotency keys on the store (web.Keys), for the API's
// middleware and the portal's payment forms.
type keys struct{ st *store.Store }

func (k keys) Claim(ctx context.Context, scope, key, hash string) (web.Stored, bool, error) {
	var prev store.IdempotentResponse
	var claimed bool
	err := k.st.Tx(ctx, func(q *store.Q) error {
		var err error
		prev, claimed, err = q.ClaimIdempotencyKey(ctx, scope, key, hash, time.Now().UTC(), web.KeyTTL)
		return err
	})
	return web.Stored{RequestHash: prev.RequestHash, Status: prev.Status, Body: prev.Body, ContentType: prev.ContentType, ResultRef: prev.ResultRef}, claimed, err
}

func (k keys) Complete(ctx context.Context, scope, key string, status int, body, contentType string) error {
	return k.st.Tx(ctx, func(q *store.Q) error { return q.CompleteIdempotencyKey(ctx, scope, key, status, body, contentType) })
}

func (k keys) Release(ctx context.Context, scope, key string) error {
	return k.st.Tx(ctx, func(q *store.Q) error { return q.ReleaseIdempotencyKey(ctx, scope, key) })
}
