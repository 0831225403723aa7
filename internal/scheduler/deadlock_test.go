package scheduler_test

import (
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/payment"
	"github.com/dialtone/dialtone/internal/scheduler"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestBatchedRenewalsBesideSalesNoDeadlock: on PostgreSQL, two schedulers
// (two services, two connection pools, one database: two processes, each
// with its batch workers) renew 300 due subscriptions and charge 300 due
// number rentals in batches while four shoppers, on both services, buy
// numbers and subscriptions. No transaction meets a deadlock or a
// serialization failure — none is retried (Store.Retries) and the
// database counts no deadlock — every subscription and rental is renewed
// once, and the dashboard's tallies equal a recount. The reverted first
// version of the tallies (UPSERT increments of shared rows, taken in each
// batch's renewal order) failed it: renewals of one day took the day's
// slots in different orders in different batches.
func TestBatchedRenewalsBesideSalesNoDeadlock(t *testing.T) {
	if !slices.Contains(storetest.Kinds(t), "postgres") {
		t.Skip("PostgreSQL only: SQLite has one writer")
	}
	t.Parallel()
	const n = 300
	url := storetest.URL(t, "postgres")
	st1, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer st1.Close()
	if err := st1.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	svc1, clk := seedRenewals(t, st1, 0)
	// Numbers: one for each renewing customer (its rental due with its
	// subscription), and stock for the shoppers.
	var stock []market.Number
	for i := range 2*n + 400 {
		stock = append(stock, market.Number{ID: fmt.Sprintf("num_dl%04d", i), Number: fmt.Sprintf("+4144600%04d", i), Country: "CH",
			Area: "Zurich", Type: "local", MonthlyAmount: 500, Currency: "CHF", CreatedAt: clk.Now()})
	}
	if err := st1.Tx(ctx, func(q *store.Q) error { _, err := q.InsertNumbers(ctx, stock); return err }); err != nil {
		t.Fatal(err)
	}
	// A renewing customer: a balance, an address, and one order of an
	// automatically renewed IVR and a number.
	seedWithNumber := func(i int) error {
		c, u, err := svc1.Signup(ctx, billing.SignupInput{Email: fmt.Sprintf("r%d@renew.test", i), Password: "correct horse",
			Company: fmt.Sprintf("Renew %d", i), Country: "CH", Currency: "CHF"})
		if err != nil {
			return err
		}
		p := billing.Principal{CustomerID: c.ID, UserID: u.ID, Role: "owner"}
		a, err := svc1.SaveAddress(ctx, p, "", billing.AddressInput{Name: "Renew", Line1: "Gasse 1", City: "Bern", PostalCode: "3000", Country: "CH"})
		if err != nil {
			return err
		}
		if _, err := svc1.AdjustBalance(ctx, c.ID, billing.AdjustmentInput{Amount: 100000, Reason: "credit"}); err != nil {
			return err
		}
		_, err = svc1.PlaceOrder(ctx, p, billing.OrderInput{Items: []billing.ItemInput{
			{Type: "subscription", Plan: "ivr", Quantity: 1, TermMonths: 1, AutoRenew: true},
			{Type: "phone_number", Number: stock[i].Number}}, BillingAddress: a.ID, Payment: billing.PaymentInput{Method: "balance"}}, "")
		return err
	}
	var wg sync.WaitGroup
	next := make(chan int)
	var seedErr atomic.Pointer[error]
	for range 8 {
		wg.Go(func() {
			for i := range next {
				if err := seedWithNumber(i); err != nil {
					seedErr.CompareAndSwap(nil, &err)
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := seedErr.Load(); err != nil {
		t.Fatal(*err)
	}

	st2, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc2 := billing.New(st2, clk, payment.NewSandbox(), log, billing.Config{Argon2: cheapParams()})
	// The shoppers: customers with a balance, an address and nothing due.
	type shopper struct {
		svc  *billing.Service
		p    billing.Principal
		addr string
	}
	var shoppers []shopper
	for i := range 4 {
		svc := []*billing.Service{svc1, svc2}[i%2]
		c, u, err := svc.Signup(ctx, billing.SignupInput{Email: fmt.Sprintf("shop%d@shop.test", i), Password: "correct horse",
			Company: fmt.Sprintf("Shop %d", i), Country: "CH", Currency: "CHF"})
		if err != nil {
			t.Fatal(err)
		}
		p := billing.Principal{CustomerID: c.ID, UserID: u.ID, Role: "owner"}
		a, err := svc.SaveAddress(ctx, p, "", billing.AddressInput{Name: "Shop", Line1: "Weg 1", City: "Bern", PostalCode: "3000", Country: "CH"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AdjustBalance(ctx, c.ID, billing.AdjustmentInput{Amount: 10_000_000, Reason: "shopping"}); err != nil {
			t.Fatal(err)
		}
		shoppers = append(shoppers, shopper{svc, p, a.ID})
	}
	deadlocks := func() int64 {
		var d int64
		if err := st1.DB().QueryRowContext(ctx, `SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()`).Scan(&d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	deadlocksBefore := deadlocks()
	retriesBefore := st1.Retries() + st2.Retries()

	clk.Advance(31*24*time.Hour + time.Minute) // every subscription and rental due
	done := make(chan struct{})
	var runs sync.WaitGroup
	for _, svc := range []*billing.Service{svc1, svc2} {
		runs.Go(func() {
			if err := scheduler.New(svc, log).RunDue(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	var bought atomic.Int64
	free := make(chan string, len(stock)-n)
	for _, num := range stock[n:] {
		free <- num.Number
	}
	close(free)
	var shopping sync.WaitGroup
	for i, s := range shoppers {
		shopping.Go(func() {
			for k := 0; ; k++ {
				select {
				case <-done:
					return
				default:
				}
				item := billing.ItemInput{Type: "subscription", Plan: "ivr", Quantity: 1, TermMonths: 1, AutoRenew: true}
				if (i+k)%3 != 0 {
					num, ok := <-free
					if !ok {
						return
					}
					item = billing.ItemInput{Type: "phone_number", Number: num}
				}
				if _, err := s.svc.PlaceOrder(ctx, s.p, billing.OrderInput{Items: []billing.ItemInput{item},
					BillingAddress: s.addr, Payment: billing.PaymentInput{Method: "balance"}}, ""); err != nil {
					t.Errorf("shopper %d: %v", i, err)
					return
				}
				bought.Add(1)
			}
		})
	}
	runs.Wait()
	close(done)
	shopping.Wait()
	if bought.Load() < 8 {
		t.Errorf("the shoppers bought only %d times during the run", bought.Load())
	}

	if r := st1.Retries() + st2.Retries() - retriesBefore; r != 0 {
		t.Errorf("%d transactions were run again after a deadlock or a serialization failure", r)
	}
	counted := func(query string) int {
		var k int
		if err := st1.DB().QueryRowContext(ctx, query).Scan(&k); err != nil {
			t.Fatal(err)
		}
		return k
	}
	if k := counted(`SELECT COUNT(*) FROM payments WHERE purpose = 'renewal'`); k != n {
		t.Errorf("%d renewal payments, want %d", k, n)
	}
	if k := counted(`SELECT COUNT(*) FROM payments WHERE purpose = 'number_rental'`); k != n {
		t.Errorf("%d rental payments, want %d", k, n)
	}
	if k := counted(`SELECT COUNT(*) FROM subscriptions WHERE expires_at <= ` + fmt.Sprint(clk.Now().UnixMicro()) +
		` AND status = 'active'`); k != 0 {
		t.Errorf("%d subscriptions still due", k)
	}
	// The tallies against a recount, after the schedulers' compactions.
	got, err := st1.Read().NumberCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var want []market.NumberCount
	rows, err := st1.DB().QueryContext(ctx, `SELECT country, status, COUNT(*) FROM numbers GROUP BY country, status ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c market.NumberCount
		if err := rows.Scan(&c.Country, &c.Status, &c.Count); err != nil {
			t.Fatal(err)
		}
		want = append(want, c)
	}
	rows.Close()
	got = slices.DeleteFunc(got, func(c market.NumberCount) bool { return c.Count == 0 }) // a group sold out
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("numbers per country and status: tallied %v, counted %v", got, want)
	}
	bounds := billing.MonthBounds(clk.Now(), 2)
	moves, err := st1.Read().SubscriptionMovements(ctx, bounds)
	if err != nil {
		t.Fatal(err)
	}
	renewed := 0
	for _, m := range moves {
		renewed += m.Renewed
	}
	if want := counted(fmt.Sprintf(`SELECT COUNT(*) FROM periods WHERE seq > 1 AND start_at >= %d AND start_at < %d`,
		bounds[0].UnixMicro(), bounds[len(bounds)-1].UnixMicro())); renewed != want || renewed < n {
		t.Errorf("renewals tallied %d, counted %d (want at least %d)", renewed, want, n)
	}
	// The database's own count: a deadlock of a statement outside Tx
	// would show here (a backend reports its counts when it ends: close
	// the second pool, then look).
	st2.Close()
	time.Sleep(500 * time.Millisecond)
	if d := deadlocks() - deadlocksBefore; d != 0 {
		t.Errorf("PostgreSQL detected %d deadlocks", d)
	}
}
