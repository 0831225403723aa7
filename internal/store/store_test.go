package store_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

var ctx = context.Background()

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func mustCustomer(t *testing.T, st *store.Store, id string) {
	t.Helper()
	if err := st.Tx(ctx, func(q *store.Q) error {
		return q.InsertCustomer(ctx, market.Customer{ID: id, Company: "C", Country: "CH", Currency: "CHF", Email: id + "@x.test", CreatedAt: t0})
	}); err != nil {
		t.Fatal(err)
	}
}

func TestLedgerInvariants(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		mustCustomer(t, st, "cus_a")
		post := func(id string, amount int64) error {
			return st.Tx(ctx, func(q *store.Q) error {
				if _, err := q.LockCustomer(ctx, "cus_a"); err != nil {
					return err
				}
				return q.Post(ctx, market.LedgerTx{ID: id, CustomerID: "cus_a", Kind: "test", Currency: "CHF", CreatedAt: t0,
					Postings: []market.Posting{{Account: market.BalanceAccount("cus_a"), Amount: amount}, {Account: market.SystemAccount("adjustments", "CHF"), Amount: -amount}}})
			})
		}
		if err := post("ltx_1", 1000); err != nil {
			t.Fatal(err)
		}
		if err := post("ltx_2", -400); err != nil {
			t.Fatal(err)
		}
		// Below zero is refused, and nothing of it stays.
		if err := post("ltx_3", -601); market.ErrorCode(err) != market.CodeInsufficientFunds {
			t.Errorf("overdraw: %v, want insufficient_funds", err)
		}
		// Unbalanced transactions are refused.
		err := st.Tx(ctx, func(q *store.Q) error {
			return q.Post(ctx, market.LedgerTx{ID: "ltx_4", CustomerID: "cus_a", Currency: "CHF", CreatedAt: t0,
				Postings: []market.Posting{{Account: market.BalanceAccount("cus_a"), Amount: 5}, {Account: market.SystemAccount("adjustments", "CHF"), Amount: -4}}})
		})
		if err == nil {
			t.Error("an unbalanced transaction was accepted")
		}
		c, _ := st.Read().Customer(ctx, "cus_a")
		sum, _ := st.Read().AccountSum(ctx, market.BalanceAccount("cus_a"))
		total, unbalanced, _ := st.Read().LedgerImbalance(ctx)
		if c.Balance != 600 || sum != 600 || total != 0 || unbalanced != 0 {
			t.Errorf("balance %d, postings %d, total %d, unbalanced %d; want 600, 600, 0, 0", c.Balance, sum, total, unbalanced)
		}
		es, _ := st.Read().BalanceEntries(ctx, "cus_a", store.Page{})
		if len(es) != 2 || es[0].BalanceAfter != 600 || es[1].BalanceAfter != 1000 {
			t.Errorf("entries = %+v", es)
		}
		// The schema refuses a negative balance even past the code.
		_, err = st.DB().ExecContext(ctx, `UPDATE customers SET balance = -1 WHERE id = 'cus_a'`)
		if err == nil {
			t.Error("the schema accepted a negative balance")
		}
	})
}

func TestIdempotencyClaimRace(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		var claimed atomic.Int32
		var wg sync.WaitGroup
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_ = st.Tx(ctx, func(q *store.Q) error {
					_, ok, err := q.ClaimIdempotencyKey(ctx, "customer:x", "k", "h", t0, 24*time.Hour)
					if ok {
						claimed.Add(1)
					}
					return err
				})
			}()
		}
		wg.Wait()
		if claimed.Load() != 1 {
			t.Errorf("%d claims of one key, want 1", claimed.Load())
		}
		_ = st.Tx(ctx, func(q *store.Q) error {
			return q.CompleteIdempotencyKey(ctx, "customer:x", "k", 201, `{"ok":true}`, "application/json")
		})
		var prev store.IdempotentResponse
		_ = st.Tx(ctx, func(q *store.Q) error {
			var err error
			prev, _, err = q.ClaimIdempotencyKey(ctx, "customer:x", "k", "h", t0.Add(time.Hour), 24*time.Hour)
			return err
		})
		if prev.Status != 201 || prev.Body != `{"ok":true}` {
			t.Errorf("stored response = %+v", prev)
		}
		// After 24 hours the key is free again.
		var ok bool
		_ = st.Tx(ctx, func(q *store.Q) error {
			var err error
			_, ok, err = q.ClaimIdempotencyKey(ctx, "customer:x", "k", "other", t0.Add(25*time.Hour), 24*time.Hour)
			return err
		})
		if !ok {
			t.Error("an expired key was not released")
		}
	})
}

func TestSharedResourcesCannotOversell(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		for i := range 20 {
			mustCustomer(t, st, fmt.Sprintf("cus_%02d", i))
		}
		_ = st.Tx(ctx, func(q *store.Q) error {
			if err := q.InsertNumber(ctx, market.Number{ID: "num_1", Number: "+41441234567", Country: "CH", Area: "Zürich", Type: "local",
				SetupAmount: 100, MonthlyAmount: 200, Currency: "CHF", CreatedAt: t0}); err != nil {
				return err
			}
			return q.InsertPromo(ctx, market.Promo{Code: "ONCE", PercentOff: money.MustRate("10"), HasPercent: true, MaxRedemptions: 3, Active: true}, t0)
		})
		var numbers, promos atomic.Int32
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cus := fmt.Sprintf("cus_%02d", i)
				if st.Tx(ctx, func(q *store.Q) error { return q.ClaimNumber(ctx, "num_1", cus, "", t0, t0.AddDate(0, 1, 0)) }) == nil {
					numbers.Add(1)
				}
				if st.Tx(ctx, func(q *store.Q) error { return q.Redeem(ctx, "ONCE", "ord_"+cus, cus, t0) }) == nil {
					promos.Add(1)
				}
			}()
		}
		wg.Wait()
		p, _ := st.Read().Promo(ctx, "ONCE", false)
		if numbers.Load() != 1 || promos.Load() != 3 || p.Redemptions != 3 {
			t.Errorf("number sold %d times, promo redeemed %d times (counter %d); want 1, 3, 3", numbers.Load(), promos.Load(), p.Redemptions)
		}
		// A duplicate number is a conflict, not a second row.
		err := st.Tx(ctx, func(q *store.Q) error {
			return q.InsertNumber(ctx, market.Number{ID: "num_2", Number: "+41441234567", Country: "CH", Area: "Zürich", Type: "local", Currency: "CHF", CreatedAt: t0})
		})
		if market.ErrorCode(err) != market.CodeConflict {
			t.Errorf("duplicate number: %v, want conflict", err)
		}
	})
}

func TestInvoiceSequenceAndNotFound(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		var wg sync.WaitGroup
		seen := make([]int, 30)
		for i := range 30 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_ = st.Tx(ctx, func(q *store.Q) error {
					n, err := q.NextInvoiceSeq(ctx, 2026)
					seen[i] = n
					return err
				})
			}()
		}
		wg.Wait()
		got := map[int]bool{}
		for _, n := range seen {
			got[n] = true
		}
		for n := 1; n <= 30; n++ {
			if !got[n] {
				t.Errorf("sequence misses %d: %v", n, seen)
			}
		}
		// A rolled-back number is given again: no gaps.
		_ = st.Tx(ctx, func(q *store.Q) error {
			_, _ = q.NextInvoiceSeq(ctx, 2026)
			return fmt.Errorf("roll back")
		})
		var n int
		_ = st.Tx(ctx, func(q *store.Q) error {
			var err error
			n, err = q.NextInvoiceSeq(ctx, 2026)
			return err
		})
		if n != 31 {
			t.Errorf("after a rollback the next number is %d, want 31", n)
		}
		// "Not found" is an error with its code, never a zero value.
		for name, err := range map[string]error{
			"customer": func() error { _, err := st.Read().Customer(ctx, "cus_none"); return err }(),
			"order":    func() error { _, err := st.Read().Order(ctx, "", "ord_none"); return err }(),
			"plan":     func() error { _, err := st.Read().Plan(ctx, "none"); return err }(),
			"sub":      func() error { _, err := st.Read().Subscription(ctx, "", "sub_none"); return err }(),
		} {
			if market.ErrorCode(err) != market.CodeNotFound {
				t.Errorf("%s: %v, want not_found", name, err)
			}
		}
	})
}
