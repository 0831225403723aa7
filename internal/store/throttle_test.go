package store_test

import (
	"sync"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestThrottleCountsEveryCharge: charges made at once by many connections
// (as by several processes) all count; a key owing nothing is pruned; a
// cleared key is gone.
func TestThrottleCountsEveryCharge(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		const n = 20
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for range n {
			wg.Go(func() {
				errs <- st.Tx(ctx, func(q *store.Q) error { return q.ChargeThrottle(ctx, "email:k", t0, time.Minute) })
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := st.Tx(ctx, func(q *store.Q) error { return q.ChargeThrottle(ctx, "addr:old", t0.Add(-2*time.Hour), time.Second) }); err != nil {
			t.Fatal(err)
		}
		got, err := st.Read().Throttles(ctx, "email:k", "addr:old", "addr:none")
		if err != nil {
			t.Fatal(err)
		}
		if want := t0.Add(n * time.Minute); !got["email:k"].Equal(want) || len(got) != 2 {
			t.Errorf("throttles %v, want email:k at %v and addr:old", got, want)
		}
		// Charged after its debt ran out, a key starts from now again.
		if err := st.Tx(ctx, func(q *store.Q) error { return q.ChargeThrottle(ctx, "addr:old", t0, time.Second) }); err != nil {
			t.Fatal(err)
		}
		if got, _ := st.Read().Throttles(ctx, "addr:old"); !got["addr:old"].Equal(t0.Add(time.Second)) {
			t.Errorf("addr:old at %v, want %v", got["addr:old"], t0.Add(time.Second))
		}
		if err := st.Read().PruneThrottles(ctx, t0.Add(2*time.Second)); err != nil {
			t.Fatal(err)
		}
		if err := st.Read().ClearThrottle(ctx, "email:k"); err != nil {
			t.Fatal(err)
		}
		if got, _ := st.Read().Throttles(ctx, "email:k", "addr:old"); len(got) != 0 {
			t.Errorf("after prune and clear: %v, want none", got)
		}
	})
}
