package store_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// Contract: the pipelined transaction of an order (store/pipelined.go).
// On SQLite it is Tx; on PostgreSQL its writes are kept and sent together,
// and the locked customer's balance is worked out rather than read back.
// Both must behave as Tx does.
func init() {
	i64 := func(v int64) *int64 { return &v }
	addContract(map[string]contractCase{
		"Store.TxPipelined": func(t *testing.T, st *store.Store) {
			s := storetest.Open(t, string(st.Dialect()))
			var sub market.Subscription
			must(t, s.Tx(ctx, func(q *store.Q) error {
				fxCustomer(t, q, "cus_1")
				fxPlan(t, q, "p1")
				sub = fxSub(t, q, "cus_1", "sub_1", "p1", tµ)
				return batchPost(q, "ltx_0", "cus_1", 500)
			}))
			balance := func() int64 {
				t.Helper()
				c, err := s.Read().Customer(ctx, "cus_1")
				must(t, err)
				sum, err := s.Read().AccountSum(ctx, market.BalanceAccount("cus_1"))
				must(t, err)
				eq(t, "balance = sum of its postings", c.Balance, sum)
				return c.Balance
			}

			// Two debits: the balance as they moved it, to LockCustomer and
			// to a read of the same transaction, and committed.
			must(t, s.TxPipelined(ctx, "cus_1", func(q *store.Q) error {
				c, err := q.LockCustomer(ctx, "cus_1")
				must(t, err)
				eq(t, "locked balance", c.Balance, int64(500))
				must(t, batchPost(q, "ltx_1", "cus_1", -200))
				must(t, batchPost(q, "ltx_2", "cus_1", -100))
				c, err = q.LockCustomer(ctx, "cus_1")
				must(t, err)
				eq(t, "balance as moved", c.Balance, int64(200))
				eq(t, "balance after each posting, newest first", balancesAfter(t, q, "cus_1"), []int64{200, 300, 500})
				return nil
			}))
			eq(t, "committed", balance(), int64(200))

			// More than the balance: insufficient_funds, nothing written.
			err := s.TxPipelined(ctx, "cus_1", func(q *store.Q) error {
				must(t, batchPost(q, "ltx_3", "cus_1", -50))
				return batchPost(q, "ltx_4", "cus_1", -151)
			})
			wantCode(t, err, market.CodeInsufficientFunds, "")
			eq(t, "nothing of the refused", balance(), int64(200))

			// A kept write the database refuses fails the transaction with
			// its caller's error, and rolls back what came before it.
			err = s.TxPipelined(ctx, "cus_1", func(q *store.Q) error {
				must(t, batchPost(q, "ltx_5", "cus_1", -50))
				return q.InsertPeriod(ctx, "sub_1", sub.Periods[0]) // paid twice
			})
			wantCode(t, err, market.CodeConflict, "")
			eq(t, "nothing of the refused write's transaction", balance(), int64(200))

			// fn's error rolls back.
			errNo := errors.New("refused")
			if err := s.TxPipelined(ctx, "cus_1", func(q *store.Q) error {
				must(t, batchPost(q, "ltx_6", "cus_1", -50))
				return errNo
			}); !errors.Is(err, errNo) {
				t.Fatalf("fn's error: got %v", err)
			}
			eq(t, "rolled back", balance(), int64(200))

			// A customer that does not exist: LockCustomer says not_found.
			wantNotFound(t, s.TxPipelined(ctx, "cus_none", func(q *store.Q) error {
				_, err := q.LockCustomer(ctx, "cus_none")
				return err
			}))

			// Balance settings read with the lock, then changed in the
			// transaction: the change is what it reads.
			must(t, s.Tx(ctx, func(q *store.Q) error {
				return q.SetBalanceSettings(ctx, market.BalanceSettings{CustomerID: "cus_1", LowThreshold: i64(150)})
			}))
			must(t, s.TxPipelined(ctx, "cus_1", func(q *store.Q) error {
				b, err := q.BalanceSettings(ctx, "cus_1")
				must(t, err)
				eq(t, "read with the lock", b.LowThreshold, i64(150))
				must(t, q.SetBalanceSettings(ctx, market.BalanceSettings{CustomerID: "cus_1", LowThreshold: i64(120)}))
				b, err = q.BalanceSettings(ctx, "cus_1")
				must(t, err)
				eq(t, "after the change", b.LowThreshold, i64(120))
				return nil
			}))

			// Below the threshold: one balance_low notice per crossing (the
			// notice's insert is counted, not kept).
			notices := func() int {
				t.Helper()
				ns, err := s.Read().Notifications(ctx, "cus_1", store.Page{})
				must(t, err)
				return len(ns)
			}
			must(t, s.TxPipelined(ctx, "cus_1", func(q *store.Q) error { return batchPost(q, "ltx_7", "cus_1", -50) }))
			eq(t, "notices above the threshold", notices(), 0)
			must(t, s.TxPipelined(ctx, "cus_1", func(q *store.Q) error { return batchPost(q, "ltx_8", "cus_1", -50) }))
			eq(t, "notices once below", notices(), 1)
			eq(t, "balance", balance(), int64(100))

			// Concurrent debits of one customer never overdraw: of eight
			// debits of 30 from 100, three pass.
			var wg sync.WaitGroup
			var mu sync.Mutex
			passed, short := 0, 0
			for i := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					err := s.TxPipelined(ctx, "cus_1", func(q *store.Q) error {
						if _, err := q.LockCustomer(ctx, "cus_1"); err != nil {
							return err
						}
						return batchPost(q, "ltx_c"+string(rune('a'+i)), "cus_1", -30)
					})
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						passed++
					case market.IsCode(err, market.CodeInsufficientFunds):
						short++
					default:
						t.Errorf("debit %d: %v", i, err)
					}
				}()
			}
			wg.Wait()
			eq(t, "passed, refused", []int{passed, short}, []int{3, 5})
			eq(t, "left", balance(), int64(10))
			eq(t, "notices of the same crossing", notices(), 1)

			// Without a customer to lock, LockCustomer locks as in Tx and the
			// balance it read is moved the same way.
			must(t, s.TxPipelined(ctx, "", func(q *store.Q) error {
				if _, err := q.LockCustomer(ctx, "cus_1"); err != nil {
					return err
				}
				return batchPost(q, "ltx_10", "cus_1", 5)
			}))
			eq(t, "credited", balance(), int64(15))
		},
	})
}
