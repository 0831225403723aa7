package web

import (
	"context"
	"time"
)

// KeyTTL is how long an idempotency key (an API request's or a portal
// form's) is kept.
const KeyTTL = 24 * time.Hour

// Stored is what an idempotency key holds: the request it was first used
// with, and once that is done its answer (Status 0 while it runs).
type Stored struct {
	RequestHash string
	Status      int
	Body        string
	ContentType string
}

// Keys are the idempotency keys, by scope (whose keys they are): the
// server implements them on the store, the API's middleware and the
// portal's payment forms use them.
type Keys interface {
	// Claim takes key for a request (its hash) unless it was taken:
	// claimed is false and prev what the key holds then.
	Claim(ctx context.Context, scope, key, hash string) (prev Stored, claimed bool, err error)
	// Complete keeps the answer of the request that claimed key.
	Complete(ctx context.Context, scope, key string, status int, body, contentType string) error
	// Release gives key up (its request changed nothing).
	Release(ctx context.Context, scope, key string) error
}

// WithWithhold gives a request's handlers the flag WithholdAnswer sets.
func WithWithhold(ctx context.Context, flag *bool) context.Context {
	return context.WithValue(ctx, keyWithhold, flag)
}

// WithholdAnswer marks the request's answer as holding a secret shown
// once (a session token, a new SIP password): the idempotency middleware
// then stores only that the request was done, never the body, and answers
// a replay with 409 idempotency_key_in_use. Handlers call it once they
// succeed.
func WithholdAnswer(ctx context.Context) {
	if f, ok := ctx.Value(keyWithhold).(*bool); ok {
		*f = true
	}
}
