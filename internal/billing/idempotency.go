package billing

import (
	"context"
	"strings"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
)

// Idempotency inside the use case's transaction (Formance Ledger's
// log_process.go): the server (an API request's Idempotency-Key, a portal
// or back-office form's key) claims a key in a short statement of its own
// before the handler runs and stores the answer after it, but a use case
// that moves money or sells something — an order (also a top-up or a
// cart's checkout), a refund, a balance adjustment and a card saved on its
// own — is given the key (Key, in
// its input) and, in its own transaction:
//
//   - locks the key's row (store.LockIdempotencyKey; on PostgreSQL a
//     second request with the key waits there until the first commits or
//     rolls back, on SQLite the one writer runs them in turn);
//   - if the row names a result already (a first request committed it),
//     returns that result re-read from the store, doing nothing more —
//     the handler renders it as the first answer was rendered;
//   - else runs, and writes its result's ID into the row
//     (store.BindIdempotencyKey), committing with the result.
//
// So a crash between the use case's commit and the stored answer leaves a
// key "in progress" that names its result, and a retry answers with it; a
// key in progress without a result (its use case never committed) is
// taken by the retry at once, since the lock makes sure that the use case
// runs once. Requests whose handler is not such a use case keep the
// server's claim alone (server/idempotency.go).

// KeyTTL is how long an idempotency key is remembered (API.md: 24 hours).
const KeyTTL = 24 * time.Hour

// Key is the idempotency key of the request a use case serves: whose keys
// it is among (Scope: "customer:<id>", "portal:<id>", "admin:<id>"), the
// key itself, and the digest of the request it was first used with. The
// zero Key is none.
type Key struct {
	Scope, Key, Hash string
}

func (k Key) none() bool { return k.Key == "" }

// Keyed returns the order input with the request's idempotency key.
func (in OrderInput) Keyed(k Key) OrderInput { in.key = k; return in }

// Keyed returns the checkout input with the request's idempotency key.
func (in CheckoutInput) Keyed(k Key) CheckoutInput { in.key = k; return in }

// Keyed returns the card input (a card saved on its own, AddCard) with the
// request's idempotency key.
func (in CardInput) Keyed(k Key) CardInput { in.key = k; return in }

// Keyed returns the refund input with the request's idempotency key.
func (in RefundInput) Keyed(k Key) RefundInput { in.key = k; return in }

// Keyed returns the adjustment input with the request's idempotency key.
func (in AdjustmentInput) Keyed(k Key) AdjustmentInput { in.key = k; return in }

// firstResult is, inside a use case's transaction, what the first request
// with key made: the ID it bound, or "" when nothing committed yet (the
// use case runs, then bindResult). Errors: idempotency_key_reused (the key
// was first used with another request), idempotency_key_in_use (the first
// request was answered without a result — a refusal — while this one
// waited: its answer is the server's to replay).
func (s *Service) firstResult(ctx context.Context, q *store.Q, key Key) (string, error) {
	if key.none() {
		return "", nil
	}
	r, err := q.LockIdempotencyKey(ctx, key.Scope, key.Key, key.Hash, s.wallNow(), KeyTTL)
	if err != nil {
		return "", err
	}
	switch {
	case r.RequestHash != key.Hash:
		return "", &market.Error{Code: market.CodeIdempotencyKeyReused, Param: "Idempotency-Key",
			Message: "this Idempotency-Key was used with a different request"}
	case r.ResultRef != "":
		return r.ResultRef, nil
	case r.Status != 0:
		return "", &market.Error{Code: market.CodeIdempotencyKeyInUse, Param: "Idempotency-Key",
			Message: "the first request with this Idempotency-Key was answered meanwhile: send it again to get that answer"}
	}
	return "", nil
}

// bindResult writes the use case's result (ref) into key's row, in the
// use case's transaction.
func bindResult(ctx context.Context, q *store.Q, key Key, ref string) error {
	if key.none() {
		return nil
	}
	return q.BindIdempotencyKey(ctx, key.Scope, key.Key, ref)
}

// committedResult is what a first request with key committed, read
// without a lock before a use case's work outside its transaction (a card
// saved with the gateway, an empty cart's check): "" when nothing did.
func (s *Service) committedResult(ctx context.Context, key Key) (string, error) {
	if key.none() {
		return "", nil
	}
	r, err := s.store.Read().IdempotencyKey(ctx, key.Scope, key.Key)
	if market.IsCode(err, market.CodeNotFound) || err == nil && r.RequestHash != key.Hash {
		return "", nil // the transaction's firstResult decides
	}
	return r.ResultRef, err
}

// replayedOrder is the answer to a request whose first request with key
// committed an order (ok): that order, or — when the first one's payment
// waited for the bank (keepPending) — what its pending order says now, as
// confirming it would (CompletePendingOrder: the order once paid,
// authentication_required while the bank waits, card_declined).
func (s *Service) replayedOrder(ctx context.Context, p Principal, key Key) (o market.Order, ok bool, err error) {
	ref, err := s.committedResult(ctx, key)
	if err != nil || ref == "" {
		return market.Order{}, false, err
	}
	o, err = s.store.Read().Order(ctx, p.CustomerID, ref)
	if market.IsCode(err, market.CodeNotFound) {
		po, perr := s.store.Read().PendingOrder(ctx, p.CustomerID, ref)
		if perr != nil {
			return market.Order{}, true, perr
		}
		o, err = s.settlePending(context.WithoutCancel(ctx), po, nil, nil)
	}
	return o, true, err
}

// refundOf is a refund made before, re-read from its payment (pay_…): its
// split from the payment's ledger postings, its reason from its
// description, its credit note, and the order as it is now.
func refundOf(ctx context.Context, q *store.Q, paymentID string) (Refund, error) {
	pay, err := q.PaymentByID(ctx, paymentID)
	if err != nil {
		return Refund{}, err
	}
	o, err := q.Order(ctx, pay.CustomerID, pay.OrderID)
	if err != nil {
		return Refund{}, err
	}
	cn, err := q.Invoice(ctx, pay.CustomerID, pay.InvoiceID)
	if err != nil {
		return Refund{}, err
	}
	posts, err := q.PaymentPostings(ctx, pay.ID)
	if err != nil {
		return Refund{}, err
	}
	r := Refund{Payment: pay, Order: o, Before: o, Amount: -pay.Amount, CreditNote: cn,
		Reason: strings.TrimPrefix(pay.Description, "Refund of order "+o.ID+": ")}
	for _, p := range posts { // as refund posted them
		switch {
		case p.Account == market.SystemAccount("revenue", pay.Currency):
			r.Net -= p.Amount
		case p.Account == market.SystemAccount("tax", pay.Currency):
			r.Tax -= p.Amount
		case p.Account == market.BalanceAccount(pay.CustomerID) && p.Amount < 0:
			r.TopUp -= p.Amount
		}
	}
	return r, nil
}
