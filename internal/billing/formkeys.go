package billing

import (
	"context"

	"github.com/dialtone/dialtone/internal/store"
)

// Form keys: a server-rendered form that changes something carries a
// random key of its own (a hidden field), and the first submission of that
// key claims it, so that a second one — a double click, a browser retrying
// the post, a reload of the answer — is told what the first did instead of
// doing it again (the Idempotency-Key of the API, for pages). The keys
// live in the API's idempotency table, 24 hours, in a scope of their own
// per operator ("admin:<operator id>"), so they never meet the API's keys
// or another operator's.

// FormKeyTTL is how long a form key is remembered.
const FormKeyTTL = KeyTTL

// FormResult is what a form key's first submission did.
type FormResult struct {
	// Done: the first submission finished (else it is still running).
	Done bool
	// Hash is what the first submission sent (a digest of its values):
	// another form sent with the same key differs.
	Hash string
	// Location is where the first submission's answer sent the browser
	// ("" when it showed a page: a secret shown once, a report).
	Location string
	// Result is what the first submission's use case committed, if it
	// takes the key into its transaction (idempotency.go): "" if none.
	Result string
}

// ClaimFormKey claims key for a submission of the form whose values hash
// to hash, in scope. claimed is false when the key was claimed before
// (within FormKeyTTL): prev says what that submission did. A form without
// a key is the caller's to do (nothing is claimed).
func (s *Service) ClaimFormKey(ctx context.Context, scope, key, hash string) (prev FormResult, claimed bool, err error) {
	var r store.IdempotentResponse
	err = s.store.Tx(ctx, func(q *store.Q) error {
		var err error
		r, claimed, err = q.ClaimIdempotencyKey(ctx, scope, key, hash, s.wallNow(), FormKeyTTL)
		return err
	})
	if err != nil || claimed {
		return FormResult{}, claimed, err
	}
	return FormResult{Done: r.Status != 0, Hash: r.RequestHash, Location: r.Body, Result: r.ResultRef}, false, nil
}

// CompleteFormKey records that the submission that claimed key is done,
// and where its answer sent the browser (never a secret: "" when the
// answer was a page).
func (s *Service) CompleteFormKey(ctx context.Context, scope, key, location string) error {
	ctx = context.WithoutCancel(ctx)
	return s.store.Tx(ctx, func(q *store.Q) error {
		return q.CompleteIdempotencyKey(ctx, scope, key, 303, location, "text/uri-list")
	})
}

// ReleaseFormKey forgets the claim of a submission that changed nothing
// (it was refused, or showed a confirmation step), so that the form can
// be sent again with the same key.
func (s *Service) ReleaseFormKey(ctx context.Context, scope, key string) error {
	ctx = context.WithoutCancel(ctx)
	return s.store.Tx(ctx, func(q *store.Q) error { return q.ReleaseIdempotencyKey(ctx, scope, key) })
}
