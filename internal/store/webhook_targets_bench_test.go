package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// BenchmarkWebhookTargets: what every event's outbox insert asks, with
// no live endpoint (every event of a system without webhooks) among
// deleted ones, and with live endpoints of which few take the type.
//
//	go test -run '^$' -bench BenchmarkWebhookTargets ./internal/store/
func BenchmarkWebhookTargets(b *testing.B) {
	for _, kind := range storetest.Kinds(b) {
		b.Run(kind, func(b *testing.B) { benchTargets(b, storetest.Open(b, kind)) })
	}
}

func benchTargets(b *testing.B, st *store.Store) {
	{
		now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
		add := func(id string, events ...string) {
			e := market.WebhookEndpoint{ID: id, URL: "https://hooks.test/" + id, Events: events, Secret: "whsec_" + id, CreatedAt: now}
			if err := st.Tx(ctx, func(q *store.Q) error { return q.InsertWebhookEndpoint(ctx, e) }); err != nil {
				b.Fatal(err)
			}
		}
		for i := range 300 {
			id := fmt.Sprintf("we_del%03d", i)
			add(id, "order.paid", "refund.created")
			if err := st.Tx(ctx, func(q *store.Q) error { return q.DeleteWebhookEndpoint(ctx, id, now) }); err != nil {
				b.Fatal(err)
			}
		}
		run := func(b *testing.B, want int) {
			for b.Loop() {
				ts, err := st.Read().WebhookTargets(ctx, "order.paid")
				if err != nil || len(ts) != want {
					b.Fatalf("targets %v %v, want %d", ts, err, want)
				}
			}
		}
		b.Run("NoLiveEndpoint", func(b *testing.B) { run(b, 0) })
		for i := range 20 {
			add(fmt.Sprintf("we_live%02d", i), "number.released")
		}
		add("we_paid", "order.paid")
		b.Run("TwentyOneLiveOneTakes", func(b *testing.B) { run(b, 1) })
	}
}
