package server_test

import (
	"sync"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestWebhookRetryDuringSend: POST /v1/admin/webhook_deliveries/{id}/retry
// while the delivery's send is in flight is not undone by that send's
// result: the delivery stays pending, due at the retry, and a pass sends
// it once more — whatever the in-flight send answered.
func TestWebhookRetryDuringSend(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a, svc := newHookAPI(t, st)
		inFlight, release := make(chan struct{}), make(chan struct{})
		var once sync.Once
		rc := newReceiver(t, func(n int) int {
			if n == 1 {
				once.Do(func() { close(inFlight) })
				<-release
			}
			return 200
		})
		ep, _ := createHook(t, a, rc.srv.URL, "order.paid")
		tok := a.signup("race@acme.test", "CHF")
		if r := a.do("POST", "/v1/orders", tok, topUp(1000)); r.status != 201 {
			t.Fatalf("top-up: %d %s", r.status, r.raw)
		}
		done := make(chan int)
		go func() { n, _ := svc.DeliverWebhooks(t.Context()); done <- n }()
		select {
		case <-inFlight:
		case <-time.After(10 * time.Second):
			t.Fatal("the delivery was not sent")
		}
		ds := deliveriesOf(t, a, ep)
		if len(ds) != 1 {
			t.Fatalf("deliveries: %v", ds)
		}
		id := ds[0]["id"].(string)
		if r := a.do("POST", "/v1/admin/webhook_deliveries/"+id+"/retry", adminToken, nil); r.status != 200 || r.body["status"] != "pending" {
			t.Fatalf("retry: %d %s", r.status, r.raw)
		}
		close(release)
		<-done
		deliver(t, svc) // the next pass, if that one did not take the retry already
		if n := len(rc.got()); n != 2 {
			t.Errorf("%d sends, want 2 (the first, and the retry's)", n)
		}
		if ds = deliveriesOf(t, a, ep); ds[0]["status"] != "succeeded" || num(ds[0]["attempt_count"]) != 2 {
			t.Errorf("after the retry's send: %v; want succeeded after 2 attempts", ds[0])
		}
	})
}
