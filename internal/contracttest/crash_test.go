package contracttest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestIdempotencyAfterCrash: the server dies after an order's transaction
// committed and before its answer was sent or stored (the test hook
// DIALTONE_TEST_CRASH_BEFORE_ANSWER), so the client never learnt of the
// order. Sent again with its Idempotency-Key to the restarted server, the
// request is answered with that order — 201 and the body the first answer
// would have had — and nothing is bought twice; sent once more it is the
// stored answer replayed; another body with the key is still 422
// idempotency_key_reused. The same for a balance adjustment, a cart's
// checkout and a refund.
func TestIdempotencyAfterCrash(t *testing.T) {
	t.Parallel()
	for _, kind := range storetest.Kinds(t) {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			db := storetest.URL(t, kind)
			s := serve(t, db, "DIALTONE_TEST_CRASH_BEFORE_ANSWER=crash-1")
			tok := s.customer("crash", "EUR")
			adr := s.address(tok)
			s.topUp(tok, 100000)
			balance := num(s.must(200, "GET", "/v1/account", tok, nil).body["balance"])
			body := order(adr, sub("start", 2, 1))
			crashOn(t, s, "/v1/orders", tok, body, "crash-1")

			s = serve(t, db, "DIALTONE_TEST_CRASH_BEFORE_ANSWER=crash-1") // the same database, after the crash
			again := s.must(201, "POST", "/v1/orders", tok, body, "Idempotency-Key", "crash-1")
			id := str(again.body["id"])
			orders := s.must(200, "GET", "/v1/orders", tok, nil).data()
			if len(orders) != 2 || str(orders[0]["id"]) != id && str(orders[1]["id"]) != id {
				t.Fatalf("orders after the retry: %v; want the top-up and the order %s", orders, id)
			}
			if got := s.must(200, "GET", "/v1/orders/"+id, tok, nil); string(got.raw) != string(again.raw) {
				t.Errorf("the retry's answer:\n%s\nwant the order as it is answered:\n%s", again.raw, got.raw)
			}
			if b := num(s.must(200, "GET", "/v1/account", tok, nil).body["balance"]); b != balance-num(again.body["total"]) {
				t.Errorf("balance %d after the retry, %d before the order of %s", b, balance, again.raw)
			}
			third := s.must(201, "POST", "/v1/orders", tok, body, "Idempotency-Key", "crash-1")
			if third.header.Get("Idempotent-Replayed") != "true" || string(third.raw) != string(again.raw) {
				t.Errorf("a third send: %v %s, want the stored answer replayed", third.header, third.raw)
			}
			s.fails(422, "idempotency_key_reused", "", "POST", "/v1/orders", tok, order(adr, sub("start", 3, 1)), "Idempotency-Key", "crash-1")

			// The operator's balance adjustment (the operator's keys: the
			// same key is another one there), and the cart's checkout.
			cus := str(s.must(200, "GET", "/v1/account", tok, nil).body["id"])
			adjust := map[string]any{"amount": 700, "reason": "crash test"}
			path := "/v1/admin/customers/" + cus + "/balance_adjustments"
			before := num(s.must(200, "GET", "/v1/account", tok, nil).body["balance"])
			crashOn(t, s, path, adminToken, adjust, "crash-1")
			s = serve(t, db, "DIALTONE_TEST_CRASH_BEFORE_ANSWER=crash-2")
			adj := s.must(201, "POST", path, adminToken, adjust, "Idempotency-Key", "crash-1")
			if b := num(s.must(200, "GET", "/v1/account", tok, nil).body["balance"]); b != before+700 || num(adj.body["amount"]) != 700 {
				t.Errorf("balance %d after the adjustment's retry (%s), %d before the adjustment: want it adjusted once by 700", b, adj.raw, before)
			}
			s.must(201, "POST", "/v1/cart/items", tok, sub("start", 2, 1))
			checkout := map[string]any{"billing_address": adr, "payment": map[string]any{"method": "balance"}}
			crashOn(t, s, "/v1/cart/checkout", tok, checkout, "crash-2")
			s = serve(t, db, "DIALTONE_TEST_CRASH_BEFORE_ANSWER=crash-3")
			paid := s.must(201, "POST", "/v1/cart/checkout", tok, checkout, "Idempotency-Key", "crash-2")
			if got := s.must(200, "GET", "/v1/orders/"+str(paid.body["id"]), tok, nil); string(got.raw) != string(paid.raw) {
				t.Errorf("the checkout's retry:\n%s\nwant its order:\n%s", paid.raw, got.raw)
			}
			if n := len(s.must(200, "GET", "/v1/orders", tok, nil).data()); n != 3 {
				t.Errorf("%d orders, want 3 (a top-up, the order, the checkout)", n)
			}

			// The operator's refund of the checkout's order.
			refund := map[string]any{"amount": 1000, "reason": "crash test"}
			rpath := "/v1/admin/orders/" + str(paid.body["id"]) + "/refunds"
			crashOn(t, s, rpath, adminToken, refund, "crash-3")
			s = serve(t, db)
			rf := s.must(201, "POST", rpath, adminToken, refund, "Idempotency-Key", "crash-3")
			if num(rf.body["amount"]) != 1000 || str(rf.body["order"]) != str(paid.body["id"]) || str(rf.body["credit_note"]) == "" {
				t.Errorf("the refund's retry: %s", rf.raw)
			}
			if o := s.must(200, "GET", "/v1/orders/"+str(paid.body["id"]), tok, nil); num(o.body["refunded"]) != 1000 {
				t.Errorf("the order after the refund's retry: %s; want 1000 refunded (once)", o.raw)
			}
		})
	}
}

// crashOn sends a request with key to s, whose process dies before the
// answer (DIALTONE_TEST_CRASH_BEFORE_ANSWER=key): no answer comes.
func crashOn(t *testing.T, s *server, path, token string, body any, key string) {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", s.base+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Idempotency-Key", key)
	if res, err := http.DefaultClient.Do(req); err == nil {
		res.Body.Close()
		t.Fatalf("POST %s, on which the server dies, was answered %d", path, res.StatusCode)
	}
}
