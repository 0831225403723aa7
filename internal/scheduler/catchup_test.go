package scheduler_test

import (
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestRenewalCatchUp: one scan after a pause of three months and a bit
// (the scheduler was down) renews the automatic subscription period by
// period from where each ended, as the punctual scans would have: the
// periods follow one another, and expires_at keeps its time of day.
func TestRenewalCatchUp(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w, _, auto := newWorld(t, st)
		bought := w.svc.Now()
		w.clk.Advance(92*24*time.Hour + 7*time.Hour + 13*time.Second) // Jun 1 16:00:13
		if err := w.sched.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		s, err := w.svc.Subscription(ctx, w.p, auto)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Periods) != 4 || s.Status != market.StatusActive || !s.ExpiresAt.Equal(market.AddMonths(bought, 4)) {
			t.Fatalf("after the pause: %s until %s with %d periods, want active until %s with 4", s.Status, s.ExpiresAt, len(s.Periods), market.AddMonths(bought, 4))
		}
		for i, p := range s.Periods {
			if want := market.AddMonths(bought, i); !p.Start.Equal(want) {
				t.Errorf("period %d starts at %s, want %s", i+1, p.Start, want)
			}
		}
	})
}
