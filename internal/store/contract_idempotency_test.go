package store_test

import (
	"sync"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// The idempotency keys inside a use case's transaction (issue 13,
// billing/idempotency.go).
func init() {
	addContract(map[string]contractCase{
		"Q.LockIdempotencyKey": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			// A key nobody claimed is claimed in the transaction.
			r, err := q.LockIdempotencyKey(ctx, "s", "new", "h", tµ, time.Hour)
			must(t, err)
			eq(t, "claimed in the transaction", r, store.IdempotentResponse{RequestHash: "h", CreatedAt: µs(tµ)})
			// One claimed before keeps what it holds (its request's hash).
			_, _, err = q.ClaimIdempotencyKey(ctx, "s", "k", "h1", tµ, time.Hour)
			must(t, err)
			must(t, q.BindIdempotencyKey(ctx, "s", "k", "ord_1"))
			r, err = q.LockIdempotencyKey(ctx, "s", "k", "h2", tµ.Add(time.Minute), time.Hour)
			must(t, err)
			eq(t, "claimed before", r, store.IdempotentResponse{RequestHash: "h1", CreatedAt: µs(tµ), ResultRef: "ord_1"})
			// One older than ttl is forgotten.
			r, err = q.LockIdempotencyKey(ctx, "s", "k", "h3", tµ.Add(2*time.Hour), time.Hour)
			must(t, err)
			eq(t, "expired", r, store.IdempotentResponse{RequestHash: "h3", CreatedAt: µs(tµ.Add(2 * time.Hour))})
		},
		"Q.BindIdempotencyKey": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			_, _, err := q.ClaimIdempotencyKey(ctx, "s", "k", "h", tµ, time.Hour)
			must(t, err)
			must(t, q.BindIdempotencyKey(ctx, "s", "k", "pay_1"))
			// A bound key in progress is not released (its use case
			// committed), and a claim reads its result.
			must(t, q.ReleaseIdempotencyKey(ctx, "s", "k"))
			r, claimed, err := q.ClaimIdempotencyKey(ctx, "s", "k", "h", tµ, time.Hour)
			must(t, err)
			eq(t, "claimed", claimed, false)
			eq(t, "record", r, store.IdempotentResponse{RequestHash: "h", CreatedAt: µs(tµ), ResultRef: "pay_1"})
			must(t, q.BindIdempotencyKey(ctx, "s", "gone", "pay_2")) // nothing to bind: no error
		},
		"Q.PaymentPostings": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			none, err := q.PaymentPostings(ctx, "pay_none")
			must(t, err)
			eq(t, "postings of no payment", len(none), 0)
			fxCustomer(t, q, "cus_1")
			must(t, q.Post(ctx, market.LedgerTx{ID: "ltx_p", CustomerID: "cus_1", Kind: "refund", Description: "r", PaymentID: "pay_r", Currency: "CHF",
				CreatedAt: tµ, Postings: []market.Posting{{Account: market.SystemAccount("gateway", "CHF"), Amount: 50},
					{Account: market.SystemAccount("revenue", "CHF"), Amount: -40}, {Account: market.SystemAccount("tax", "CHF"), Amount: -10}}}))
			got, err := q.PaymentPostings(ctx, "pay_r")
			must(t, err)
			eq(t, "postings", got, []market.Posting{{Account: market.SystemAccount("gateway", "CHF"), Amount: 50},
				{Account: market.SystemAccount("revenue", "CHF"), Amount: -40}, {Account: market.SystemAccount("tax", "CHF"), Amount: -10}})
		},
		"Q.IdempotencyKey": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			_, err := q.IdempotencyKey(ctx, "s", "k")
			eq(t, "unknown key", market.ErrorCode(err), market.CodeNotFound)
			_, _, err = q.ClaimIdempotencyKey(ctx, "s", "k", "h", tµ, time.Hour)
			must(t, err)
			must(t, q.CompleteIdempotencyKey(ctx, "s", "k", 201, "{}", "application/json"))
			r, err := q.IdempotencyKey(ctx, "s", "k")
			must(t, err)
			eq(t, "record", r, store.IdempotentResponse{RequestHash: "h", Status: 201, Body: "{}", ContentType: "application/json", CreatedAt: µs(tµ)})
		},
	})
}

// TestIdempotencyLockSerializes: two transactions with one key, the
// first holding it while the second asks: the second waits for the
// first's commit and sees its result (PostgreSQL's row lock; SQLite's one
// writer).
func TestIdempotencyLockSerializes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		locked := make(chan struct{})
		release := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := st.Tx(ctx, func(q *store.Q) error {
				r, err := q.LockIdempotencyKey(ctx, "s", "k", "h", t0, time.Hour)
				if err != nil {
					return err
				}
				if r.ResultRef == "" {
					close(locked)
					<-release
				}
				return q.BindIdempotencyKey(ctx, "s", "k", "ord_first")
			}); err != nil {
				t.Error(err)
			}
		}()
		<-locked
		var seen string
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := st.Tx(ctx, func(q *store.Q) error {
				r, err := q.LockIdempotencyKey(ctx, "s", "k", "h", t0, time.Hour)
				seen = r.ResultRef
				return err
			}); err != nil {
				t.Error(err)
			}
		}()
		select {
		case <-done:
			t.Fatal("the second transaction did not wait for the first's key")
		case <-time.After(200 * time.Millisecond):
		}
		close(release)
		wg.Wait()
		<-done
		eq(t, "the second's view of the key", seen, "ord_first")
	})
}
