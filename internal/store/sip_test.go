package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestSIPBindings: a refresh keeps since when, a lapsed binding starts
// anew, a nonce count is taken once, and deleting the account removes its
// bindings — alike on both stores.
func TestSIPBindings(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		t0 := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
		c := market.Customer{ID: "cus_sipb", Company: "Acme", Country: "DE", Currency: "EUR", Email: "a@example.com", CreatedAt: t0}
		a := market.SIPAccount{ID: "sip_b", CustomerID: c.ID, Kind: "trunk", Username: "trunk-b", Password: "pw", Domain: "d", CreatedAt: t0}
		put := func(q *store.Q, at time.Time, secs int) error {
			return q.PutSIPBinding(ctx, market.SIPBinding{ID: "reg_" + at.Format("150405"), SIPAccountID: a.ID, CustomerID: c.ID,
				Contact: "sip:p@h", UserAgent: "ua", Source: "127.0.0.1:5060", Transport: "UDP", CallID: "c", CSeq: at.Unix(),
				ExpiresAt: at.Add(time.Duration(secs) * time.Second), CreatedAt: at, UpdatedAt: at})
		}
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(st.Tx(ctx, func(q *store.Q) error {
			if err := q.InsertCustomer(ctx, c); err != nil {
				return err
			}
			if err := q.InsertSIPAccount(ctx, a); err != nil {
				return err
			}
			return put(q, t0, 60)
		}))
		must(st.Tx(ctx, func(q *store.Q) error { return put(q, t0.Add(30*time.Second), 60) }))
		bs, err := st.Read().SIPBindings(ctx, a.ID, t0.Add(31*time.Second))
		must(err)
		if len(bs) != 1 || !bs[0].CreatedAt.Equal(t0) || !bs[0].ExpiresAt.Equal(t0.Add(90*time.Second)) {
			t.Fatalf("refreshed: got %+v, want since %s until %s", bs, t0, t0.Add(90*time.Second))
		}
		if bs, _ := st.Read().SIPBindings(ctx, a.ID, t0.Add(90*time.Second)); len(bs) != 0 {
			t.Fatal("live at its expiry")
		}
		later := t0.Add(200 * time.Second)
		must(st.Tx(ctx, func(q *store.Q) error { return put(q, later, 60) }))
		if bs, _ := st.Read().CustomerSIPBindings(ctx, c.ID, later); len(bs) != 1 || !bs[0].CreatedAt.Equal(later) {
			t.Fatalf("after a lapse: got %+v, want since %s", bs, later)
		}
		if n, _ := st.Read().CountSIPBindings(ctx, later); n != 1 {
			t.Fatalf("count: got %d, want 1", n)
		}

		for _, tt := range []struct {
			nc   int64
			want bool
		}{{1, true}, {1, false}, {3, true}, {2, false}, {4, true}} {
			var got bool
			must(st.Tx(ctx, func(q *store.Q) error {
				var err error
				got, err = q.UseSIPNonce(ctx, "nonce-1", tt.nc, later.Add(time.Minute))
				return err
			}))
			if got != tt.want {
				t.Errorf("nonce count %d: got %v, want %v", tt.nc, got, tt.want)
			}
		}

		must(st.Tx(ctx, func(q *store.Q) error { return q.DeleteSIPAccount(ctx, c.ID, a.ID) }))
		if n, _ := st.Read().CountSIPBindings(ctx, later); n != 0 {
			t.Fatalf("a deleted account kept %d bindings", n)
		}
	})
}
