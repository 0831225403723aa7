package server

import (
	"context"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/web"
)

// keys are the idempotency keys (web.Keys) kept by billing, for the API's
// middleware and the portal's payment forms.
type keys struct{ svc *billing.Service }

func (k keys) Claim(ctx context.Context, scope, key, hash string) (web.Stored, bool, error) {
	prev, claimed, err := k.svc.ClaimKey(ctx, scope, key, hash)
	return web.Stored{RequestHash: prev.RequestHash, Status: prev.Status, Body: prev.Body, ContentType: prev.ContentType, ResultRef: prev.ResultRef}, claimed, err
}

func (k keys) Complete(ctx context.Context, scope, key string, status int, body, contentType string) error {
	return k.svc.CompleteKey(ctx, scope, key, status, body, contentType)
}

func (k keys) Release(ctx context.Context, scope, key string) error {
	return k.svc.ReleaseKey(ctx, scope, key)
}
