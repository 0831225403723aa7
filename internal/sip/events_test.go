package sip_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/sip"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// events records what Config.Events is told, with the live bindings the
// transaction shows at that moment.
type events struct {
	mu  sync.Mutex
	got []string
}

func (e *events) SIPRegistrationChanged(ctx context.Context, q *store.Q, a market.SIPAccount, told []market.SIPBinding, why string, now time.Time) error {
	registered := len(told) > 0
	live, err := q.SIPBindings(ctx, a.ID, now)
	if err != nil {
		return err
	}
	if len(told) != len(live) || registered != (len(live) > 0) {
		return fmt.Errorf("told %d live bindings (registered=%v), the transaction shows %d", len(told), registered, len(live))
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.got = append(e.got, fmt.Sprintf("registered=%v why=%q live=%d", registered, why, len(live)))
	return nil
}

func (e *events) take() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := strings.Join(e.got, "; ")
	e.got = nil
	return s
}

// TestRegisterTellsChanges: a REGISTER tells Events of a change of state
// only, in the order of its writes, and its bindings end as asked.
func TestRegisterTellsChanges(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ev := &events{}
		r := newRig(t, st, sip.Config{MinExpires: 60, Events: ev})
		a := r.account
		p := newPhone(t, r, a)
		step := func(what string, res int, wantLive int, wantEvents string) {
			t.Helper()
			if res != 200 {
				t.Fatalf("%s: got %d, want 200", what, res)
			}
			if n := len(r.bindings(t, a)); n != wantLive {
				t.Fatalf("%s: %d live bindings, want %d", what, n, wantLive)
			}
			if got := ev.take(); got != wantEvents {
				t.Fatalf("%s: events %q, want %q", what, got, wantEvents)
			}
		}
		step("first contact", p.register(contact(5070), expires(60)).StatusCode, 1, `registered=true why="" live=1`)
		step("refresh", p.register(contact(5070), expires(60)).StatusCode, 1, "")
		step("second contact", p.register(contact(5071), expires(60)).StatusCode, 2, "")
		first := r.bindings(t, a)[1]

		// A contact removed and set again in one REGISTER is a new binding.
		step("removed and set again", p.register(contact(5071, "expires", "0"), contact(5071), expires(60)).StatusCode, 2, "")
		again := r.bindings(t, a)
		if again[1].Contact != first.Contact || again[1].ID == first.ID {
			t.Fatalf("removed and set again: %+v, was %+v", again[1], first)
		}

		// Both lapse; the next REGISTER deletes them (its registration
		// expired, seen with no live binding) before its own contact
		// (registered, seen with it).
		r.clock.Advance(61 * time.Second)
		step("after a lapse", p.register(contact(5072), expires(60)).StatusCode, 1,
			`registered=false why="its registration expired" live=0; registered=true why="" live=1`)
		all, err := st.Read().SIPBindingsOfAccountAll(context.Background(), a.ID)
		if err != nil || len(all) != 1 {
			t.Fatalf("the lapsed rows stayed: %d rows, %v", len(all), err)
		}
		step("unregister", p.register(contact(5072), expires(0)).StatusCode, 0, `registered=false why="its device unregistered" live=0`)
		step("unregister again", p.register(contact(5072), expires(0)).StatusCode, 0, "")
	})
}
