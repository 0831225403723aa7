package billing_test

import (
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestKeyedOrderRunsOnce: an order given its request's idempotency key
// writes its ID into the key in its own transaction. Requests with the
// key at the same time make one order and all answer with it (the key's
// lock); one after the first committed — a client's retry after a crash
// that lost the first answer — gets the same order back and changes
// nothing; the same key with another request is idempotency_key_reused.
// Refunds and cards saved on their own likewise.
func TestKeyedOrderRunsOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e, p, addr := fundedEnv(t, st, "keys@acme.test")
		key := billing.Key{Scope: "customer:" + p.CustomerID, Key: "k-1", Hash: "h-1"}
		in := billing.OrderInput{Items: []billing.ItemInput{buy("business", 2, 1)}, BillingAddress: addr,
			Payment: billing.PaymentInput{Method: "balance"}}
		const n = 8
		got := make([]market.Order, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got[i], errs[i] = e.svc.PlaceOrder(ctx, p, in.Keyed(key), "test")
			}()
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil || got[i].ID != got[0].ID {
				t.Fatalf("request %d: order %s, %v; want order %s", i, got[i].ID, errs[i], got[0].ID)
			}
		}
		before := e.balance(t, p)
		again, err := e.svc.PlaceOrder(ctx, p, in.Keyed(key), "test")
		if err != nil || again.ID != got[0].ID || !reflect.DeepEqual(again.Totals, got[0].Totals) || len(again.Lines) != len(got[0].Lines) {
			t.Errorf("retry: %+v, %v; want the first order %+v", again, err, got[0])
		}
		if b := e.balance(t, p); b != before || b != 1_000_000-got[0].Totals.Total {
			t.Errorf("balance %d after the retry, %d before; want %d (one order paid)", b, before, 1_000_000-got[0].Totals.Total)
		}
		orders, err := e.svc.Orders(ctx, p, store.Page{Limit: 10})
		if err != nil || len(orders) != 2 {
			t.Errorf("%d orders (%v), want 2: the top-up and one order", len(orders), err)
		}
		other := key
		other.Hash = "h-2"
		if _, err := e.svc.PlaceOrder(ctx, p, in.Keyed(other), "test"); code(err) != market.CodeIdempotencyKeyReused {
			t.Errorf("the key with another request: %v, want idempotency_key_reused", err)
		}
		// A key whose first request was refused and answered (the server
		// stored the refusal) answers no order of its own.
		refused := billing.Key{Scope: key.Scope, Key: "k-refused", Hash: "h"}
		if err := st.Tx(ctx, func(q *store.Q) error {
			if _, _, err := q.ClaimIdempotencyKey(ctx, refused.Scope, refused.Key, refused.Hash, time.Now(), 24*time.Hour); err != nil {
				return err
			}
			return q.CompleteIdempotencyKey(ctx, refused.Scope, refused.Key, 402, "{}", "application/json")
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.PlaceOrder(ctx, p, in.Keyed(refused), "test"); code(err) != market.CodeIdempotencyKeyInUse {
			t.Errorf("a key answered with a refusal: %v, want idempotency_key_in_use", err)
		}
		// A refund retried with its key answers with the first refund,
		// re-read as it was made, and refunds once.
		rkey := billing.Key{Scope: "operator", Key: "refund-1", Hash: "h"}
		amt := int64(1000)
		rin := billing.RefundInput{Reason: "sent twice", Amount: &amt}
		r1, err := e.svc.RefundOrder(ctx, got[0].ID, rin.Keyed(rkey))
		if err != nil {
			t.Fatal(err)
		}
		r2, err := e.svc.RefundOrder(ctx, got[0].ID, rin.Keyed(rkey))
		if err != nil || r2.Payment.ID != r1.Payment.ID || r2.Amount != r1.Amount || r2.Net != r1.Net || r2.Tax != r1.Tax || r2.TopUp != r1.TopUp ||
			r2.Reason != r1.Reason || r2.CreditNote.ID != r1.CreditNote.ID || r2.Order.Refunded != r1.Order.Refunded {
			t.Errorf("refund retried: %+v, %v; want the first refund %+v", r2, err, r1)
		}
		if o, err := e.svc.Order(ctx, p, got[0].ID); err != nil || o.Refunded != 1000 {
			t.Errorf("order refunded %d (%v), want 1000 (once)", o.Refunded, err)
		}

		// A card saved with its key, sent again: the same card, saved once.
		ckey := billing.Key{Scope: key.Scope, Key: "card-1", Hash: "h"}
		c1, err := e.svc.AddCard(ctx, p, visa.Keyed(ckey))
		if err != nil {
			t.Fatal(err)
		}
		c2, err := e.svc.AddCard(ctx, p, visa.Keyed(ckey))
		cards, _ := e.svc.Cards(ctx, p)
		if err != nil || c2.ID != c1.ID || len(cards) != 1 {
			t.Errorf("card saved again with its key: %s (%v), %d cards; want %s, 1 card", c2.ID, err, len(cards), c1.ID)
		}
		e.checkLedger(t, p)
	})
}

// TestKeyedCheckoutAndAdjustment: a cart's checkout retried with its key
// after it committed (the cart is empty by then) answers with its order;
// a balance adjustment retried with its key answers with its payment and
// adjusts once.
func TestKeyedCheckoutAndAdjustment(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e, p, addr := fundedEnv(t, st, "cart-keys@acme.test")
		if _, err := e.svc.AddToCart(ctx, p, buy("business", 2, 1)); err != nil {
			t.Fatal(err)
		}
		key := billing.Key{Scope: "customer:" + p.CustomerID, Key: "cart-1", Hash: "h"}
		in := billing.CheckoutInput{BillingAddress: addr, Payment: billing.PaymentInput{Method: "balance"}}
		first, err := e.svc.CheckoutCart(ctx, p, in.Keyed(key))
		if err != nil {
			t.Fatal(err)
		}
		again, err := e.svc.CheckoutCart(ctx, p, in.Keyed(key))
		if err != nil || again.ID != first.ID {
			t.Errorf("checkout retried: %s, %v; want %s", again.ID, err, first.ID)
		}
		if _, err := e.svc.CheckoutCart(ctx, p, in); code(err) != market.CodeInvalidRequest {
			t.Errorf("checkout of the empty cart without the key: %v, want invalid_request", err)
		}

		adj := billing.AdjustmentInput{Amount: 500, Reason: "goodwill"}
		akey := billing.Key{Scope: "operator", Key: "adj-1", Hash: "h"}
		before := e.balance(t, p)
		pay1, err := e.svc.AdjustBalance(ctx, p.CustomerID, adj.Keyed(akey))
		if err != nil {
			t.Fatal(err)
		}
		pay2, err := e.svc.AdjustBalance(ctx, p.CustomerID, adj.Keyed(akey))
		if err != nil || pay2.ID != pay1.ID || pay2.Amount != 500 {
			t.Errorf("adjustment retried: %+v, %v; want payment %s", pay2, err, pay1.ID)
		}
		if b := e.balance(t, p); b != before+500 {
			t.Errorf("balance %d, want %d (adjusted once)", b, before+500)
		}
		e.checkLedger(t, p)
	})
}

// fundedEnv is a German customer with an address and 10,000.00 of balance.
func fundedEnv(t *testing.T, st *store.Store, email string) (*env, billing.Principal, string) {
	t.Helper()
	e := newEnv(t, st)
	p := e.mustSignup(t, email, "DE", "EUR")
	addr := e.mustAddress(t, p, "DE", "10115")
	e.mustTopUp(t, p, 1_000_000)
	return e, p, addr
}
