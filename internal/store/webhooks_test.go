package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestWebhookOutbox: an event written in a transaction that rolls back
// leaves nothing to send; a committed one gets a delivery per endpoint
// taking its type, which one lease holds until it ends (and then, the
// sender having crashed, another takes it: at least once).
func TestWebhookOutbox(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
		wall := time.Date(2026, 12, 1, 20, 0, 0, 0, time.UTC)
		for _, e := range []market.WebhookEndpoint{
			{ID: "we_a", URL: "http://127.0.0.1:1/a", Events: []string{"order.paid", "refund.created"}, Secret: "whsec_a", CreatedAt: now},
			{ID: "we_b", URL: "http://127.0.0.1:1/b", Events: []string{"refund.created"}, Secret: "whsec_b", CreatedAt: now},
		} {
			if err := st.Tx(ctx, func(q *store.Q) error { return q.InsertWebhookEndpoint(ctx, e) }); err != nil {
				t.Fatal(err)
			}
		}
		emit := func(id, typ string, fail bool) error {
			return st.Tx(ctx, func(q *store.Q) error {
				targets, err := q.WebhookTargets(ctx, typ)
				if err != nil {
					return err
				}
				if err := q.InsertWebhookEvent(ctx, market.WebhookEvent{ID: id, Type: typ, Payload: []byte(`{}`), CreatedAt: now}, targets); err != nil {
					return err
				}
				if fail {
					return errors.New("the change failed")
				}
				return nil
			})
		}
		lease := func(at time.Time) []store.DueDelivery {
			t.Helper()
			var ds []store.DueDelivery
			if err := st.Tx(ctx, func(q *store.Q) error {
				var err error
				ds, err = q.LeaseWebhookDeliveries(ctx, now, at, at.Add(2*time.Minute), 10)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return ds
		}
		if err := emit("evt_rolled_back", "refund.created", true); err == nil {
			t.Fatal("the failing change committed")
		}
		if ds := lease(wall); len(ds) != 0 {
			t.Fatalf("rolled back: %d deliveries", len(ds))
		}
		if err := emit("evt_1", "refund.created", false); err != nil {
			t.Fatal(err)
		}
		if err := emit("evt_2", "order.paid", false); err != nil {
			t.Fatal(err)
		}
		ds := lease(wall)
		if len(ds) != 3 {
			t.Fatalf("leased %d deliveries, want 3 (refund.created to both, order.paid to one)", len(ds))
		}
		if again := lease(wall.Add(time.Minute)); len(again) != 0 {
			t.Fatalf("leased twice at once: %d", len(again))
		}
		// The sender crashed: the lease ends, another process sends them.
		if after := lease(wall.Add(2 * time.Minute)); len(after) != 3 {
			t.Fatalf("after the lease: %d", len(after))
		}
		if err := st.Tx(ctx, func(q *store.Q) error { return q.DeleteWebhookEndpoint(ctx, "we_b", now) }); err != nil {
			t.Fatal(err)
		}
		if after := lease(wall.Add(5 * time.Minute)); len(after) != 2 {
			t.Fatalf("after deleting an endpoint: %d", len(after))
		}
	})
}
