package web

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/dialtone/dialtone/internal/billing"
)

// KeyTTL is how long an idempotency key (an API request's or a portal
// form's) is kept.
const KeyTTL = billing.KeyTTL

// Stored is what an idempotency key holds: the request it was first used
// with, and once that is done its answer (Status 0 while it runs).
type Stored struct {
	RequestHash string
	Status      int
	Body        string
	ContentType string
	// ResultRef is what the request's use case made, committed with it
	// (billing/idempotency.go): "" if none did.
	ResultRef string
}

// Keys are the idempotency keys, by scope (whose keys they are): the
// server implements them on billing (ClaimKey, CompleteKey, ReleaseKey),
// the API's middleware and the portal's payment forms use them.
type Keys interface {
	// Claim takes key for a request (its hash) unless it was taken:
	// claimed is false and prev what the key holds then.
	Claim(ctx context.Context, scope, key, hash string) (prev Stored, claimed bool, err error)
	// Complete keeps the answer of the request that claimed key.
	Complete(ctx context.Context, scope, key string, status int, body, contentType string) error
	// Release gives key up (its request changed nothing).
	Release(ctx context.Context, scope, key string) error
}

// WithKey gives a request's handler its idempotency key, for the use
// cases that take it into their transaction (billing.Key).
func WithKey(ctx context.Context, k billing.Key) context.Context {
	return context.WithValue(ctx, keyIdempotency, k)
}

// KeyOf is the request's idempotency key (the zero Key if it has none).
func KeyOf(ctx context.Context) billing.Key {
	k, _ := ctx.Value(keyIdempotency).(billing.Key)
	return k
}

// WithWithhold gives a request's handlers the flag WithholdAnswer sets.
func WithWithhold(ctx context.Context, flag *bool) context.Context {
	return context.WithValue(ctx, keyWithhold, flag)
}

// WithholdAnswer marks the request's answer as holding a secret shown
// once (a session token, a new SIP password): the idempotency middleware
// then stores only that the request was done, never the body, and answers
// a replay with 409 idempotency_key_in_use (WithheldWords). Handlers call
// it once they succeed; operations that do are listed by WithholdsAnswer.
func WithholdAnswer(ctx context.Context) {
	if f, ok := ctx.Value(keyWithhold).(*bool); ok {
		*f = true
	}
}

// WithholdsAnswer reports whether an operation's successful answer is not
// kept for Idempotency-Key replays (its handler calls WithholdAnswer).
func WithholdsAnswer(operationID string) bool {
	switch operationID {
	case "createSession", "rotateSIPPassword":
		return true
	}
	return false
}

// TakesKey reports whether an operation's use case takes the request's
// idempotency key into its transaction (billing/idempotency.go): its
// handler gives KeyOf to the use case's input, and the server runs a
// request whose key is still in progress again instead of refusing it.
func TakesKey(operationID string) bool {
	switch operationID {
	case "createOrder", "checkoutCart", "adminAdjustBalance", "adminRefundOrder", "createPaymentMethod":
		return true
	}
	return false
}

// TakesKeyWords is the OpenAPI description of TakesKey's behaviour.
const TakesKeyWords = "This operation's result commits with its key: a request with the key while the first is still in progress (or after a crash that lost the first answer) is not refused but answered with the first request's result (201, the same object) once that committed, and nothing is done twice."

// WithheldWords is the replay's answer to a request whose answer held a
// secret, and the OpenAPI description of that behaviour.
const WithheldWords = "the first request with this Idempotency-Key was done, but its answer held a secret that is shown once and not kept, so it cannot be replayed (nothing was done again): send the request with a new Idempotency-Key to do it anew"

// WriteJSON writes v as the JSON answer with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
