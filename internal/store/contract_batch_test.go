package store_test

import (
	"testing"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
)

// batchPost moves amount into a customer's balance from the adjustments
// account, through Post.
func batchPost(q *store.Q, id, customerID string, amount int64) error {
	return q.Post(ctx, market.LedgerTx{ID: id, CustomerID: customerID, Kind: "adjustment", Description: "d", Currency: "CHF",
		CreatedAt: tµ, Postings: []market.Posting{{Account: market.BalanceAccount(customerID), Amount: amount},
			{Account: market.SystemAccount("adjustments", "CHF"), Amount: -amount}}})
}

// balancesAfter lists the balance after each of a customer's postings,
// newest first (BalanceEntries).
func balancesAfter(t *testing.T, q *store.Q, customerID string) []int64 {
	t.Helper()
	es, err := q.BalanceEntries(ctx, customerID, store.Page{Limit: 10})
	must(t, err)
	var after []int64
	for _, e := range es {
		after = append(after, e.BalanceAfter)
	}
	return after
}

// Contract: the write batch of the batched runs (store/batch.go).
func init() {
	addContract(map[string]contractCase{
		"Q.BeginBatch": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			must(t, batchPost(q, "ltx_0", "cus_1", 500))
			q.BeginBatch()
			must(t, q.PreloadRenewals(ctx, []store.DueItem{{ID: "sub_none", CustomerID: "cus_1", DueAt: tµ}}))
			before := st.Statements()
			must(t, batchPost(q, "ltx_1", "cus_1", -200))
			must(t, batchPost(q, "ltx_2", "cus_1", -100))
			eq(t, "statements while kept", st.Statements()-before, int64(0))
			c, err := q.LockCustomer(ctx, "cus_1")
			must(t, err)
			eq(t, "the balance as the batch moved it", c.Balance, int64(200))
			wantCode(t, batchPost(q, "ltx_3", "cus_1", -201), market.CodeInsufficientFunds, "")
			// Any other statement sees the kept writes: they are written first.
			sum, err := q.AccountSum(ctx, market.BalanceAccount("cus_1"))
			must(t, err)
			eq(t, "postings written before a read", sum, int64(200))
			eq(t, "balance after each posting, newest first", balancesAfter(t, q, "cus_1"), []int64{200, 300, 500})
			must(t, q.FlushBatch(ctx))
			c, err = q.Customer(ctx, "cus_1")
			must(t, err)
			eq(t, "stored balance", c.Balance, int64(200))
		},
		"Q.FlushBatch": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxPlan(t, q, "p1")
			s := fxSub(t, q, "cus_1", "sub_1", "p1", tµ)
			must(t, q.FlushBatch(ctx)) // outside a batch: nothing to do
			q.BeginBatch()
			// What the database refuses is refused when the batch is written,
			// and every later statement of the batch fails alike.
			must(t, q.InsertPeriod(ctx, "sub_1", s.Periods[0]))
			err := q.FlushBatch(ctx)
			if err == nil {
				t.Fatal("a period inserted twice was written")
			}
			if again := q.FlushBatch(ctx); again == nil || again.Error() != err.Error() {
				t.Errorf("second flush: %v, want %v", again, err)
			}
		},
		"Q.PreloadRenewals": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxCustomer(t, q, "cus_2")
			fxPlan(t, q, "p1")
			fxSub(t, q, "cus_1", "sub_1", "p1", tµ)
			fxSub(t, q, "cus_2", "sub_2", "p1", tµ)
			must(t, q.InsertUser(ctx, market.User{ID: "usr_1", CustomerID: "cus_1", Name: "U", Email: "u1@x.test", Role: "member",
				Extension: "101", SubscriptionID: "sub_1", CreatedAt: tµ}))
			fxAddress(t, q, "cus_1", "adr_1")
			want := map[string]market.Subscription{}
			for _, id := range []string{"sub_1", "sub_2"} {
				s, err := q.Subscription(ctx, "", id)
				must(t, err)
				want[id] = s
			}
			addrs, err := q.BillingAddresses(ctx, "cus_1")
			must(t, err)
			cust, err := q.Customer(ctx, "cus_2")
			must(t, err)
			q.BeginBatch()
			must(t, q.PreloadRenewals(ctx, []store.DueItem{{ID: "sub_1", CustomerID: "cus_1", DueAt: tµ}, {ID: "sub_2", CustomerID: "cus_2", DueAt: tµ}}))
			before := st.Statements()
			for id, w := range want {
				s, err := q.Subscription(ctx, w.CustomerID, id)
				must(t, err)
				eq(t, "preloaded "+id, s, w)
				r, err := q.SubscriptionRow(ctx, w.CustomerID, id)
				must(t, err)
				eq(t, "preloaded row "+id, r.ExpiresAt, w.ExpiresAt)
			}
			as, err := q.BillingAddresses(ctx, "cus_1")
			must(t, err)
			eq(t, "preloaded addresses", as, addrs)
			a, err := q.BillingAddress(ctx, "cus_1", "adr_1")
			must(t, err)
			eq(t, "preloaded address", a, addrs[0])
			c, err := q.LockCustomer(ctx, "cus_2")
			must(t, err)
			eq(t, "preloaded customer", c, cust)
			b, err := q.BalanceSettings(ctx, "cus_2")
			must(t, err)
			eq(t, "no settings", b, market.BalanceSettings{CustomerID: "cus_2"})
			eq(t, "statements for preloaded reads", st.Statements()-before, int64(0))
			// Not found stays not found.
			_, err = q.Subscription(ctx, "cus_2", "sub_1")
			wantNotFound(t, err)
			// A subscription updated twice before the batch is written: the
			// last values, as one statement after the other.
			s := want["sub_1"]
			s.ExpiresAt = tµ.AddDate(0, 1, 0)
			must(t, q.UpdateSubscription(ctx, s, tµ))
			s.ExpiresAt = tµ.AddDate(0, 2, 0)
			must(t, q.UpdateSubscription(ctx, s, tµ))
			got, err := q.SubscriptionRow(ctx, "cus_1", "sub_1")
			must(t, err)
			eq(t, "updated twice in a batch", got.ExpiresAt, µs(tµ.AddDate(0, 2, 0)))
			must(t, q.FlushBatch(ctx))
		},
		"Q.AfterCommitOnce": func(t *testing.T, st *store.Store) {
			var ran []string
			must(t, st.Tx(ctx, func(q *store.Q) error {
				q.AfterCommitOnce("a", func() { ran = append(ran, "a1") })
				q.AfterCommitOnce("a", func() { ran = append(ran, "a2") })
				q.AfterCommitOnce("b", func() { ran = append(ran, "b1") })
				eq(t, "before the commit", len(ran), 0)
				return nil
			}))
			eq(t, "after the commit, once a key", ran, []string{"a1", "b1"})
			st.Read().AfterCommitOnce("c", func() { ran = append(ran, "c1") })
			eq(t, "outside a transaction: at once", ran, []string{"a1", "b1", "c1"})
		},
	})
}

func init() {
	addContract(map[string]contractCase{
		"Q.PreloadRentals": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxNumber(t, q, "num_1", "+12125550101", "212")
			n, err := q.Number(ctx, "num_1")
			must(t, err)
			n.Status, n.CustomerID, n.RenewsAt = market.NumberActive, "cus_1", ptr(tµ)
			must(t, q.UpdateNumberLifecycle(ctx, n))
			want, err := q.LockNumber(ctx, "cus_1", "num_1")
			must(t, err)
			q.BeginBatch()
			must(t, q.PreloadRentals(ctx, []store.DueItem{{ID: "num_1", CustomerID: "cus_1", DueAt: tµ}}))
			before := st.Statements()
			got, err := q.LockNumber(ctx, "cus_1", "num_1")
			must(t, err)
			eq(t, "preloaded number", got, want)
			_, err = q.LockNumber(ctx, "cus_2", "num_1")
			wantNotFound(t, err) // another customer's: read, and not found
			before = st.Statements()
			// A month's rental in the batch: kept, and a month paid twice
			// fails the batch when it is written.
			ok, err := q.RecordNumberRental(ctx, market.NumberRental{NumberID: "num_1", CustomerID: "cus_1", PeriodStart: tµ, CreatedAt: tµ})
			must(t, err)
			eq(t, "kept as new", ok, true)
			got.RenewsAt = ptr(tµ.AddDate(0, 1, 0))
			must(t, q.UpdateNumberLifecycle(ctx, got))
			eq(t, "statements while kept", st.Statements()-before, int64(0))
			after, err := q.LockNumber(ctx, "cus_1", "num_1")
			must(t, err)
			eq(t, "the update written before the read", after.RenewsAt, ptr(µs(tµ.AddDate(0, 1, 0))))
			_, err = q.RecordNumberRental(ctx, market.NumberRental{NumberID: "num_1", CustomerID: "cus_1", PeriodStart: tµ, CreatedAt: tµ})
			must(t, err)
			if err := q.FlushBatch(ctx); err == nil {
				t.Error("a month recorded twice in a batch was written")
			}
		},
	})
}
