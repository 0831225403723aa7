package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/clock"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/payment"
	"github.com/dialtone/dialtone/internal/scheduler"
	"github.com/dialtone/dialtone/internal/store"
)

// BenchRenewalsCmd is the renewal run of issue #18: it seeds a fresh
// database with --subscriptions customers, each with a prepaid balance and
// one automatically renewed one-month IVR subscription, all due at the same
// moment; runs the scheduler in --processes processes at once until
// nothing is due; and reports renewals per second. Then it checks that
// nothing was doubled or lost: every subscription renewed exactly once (one
// new period, one renewal payment, one success notice, one invoice) and
// every balance equal to the sum of its postings, the ledger balanced.
type BenchRenewalsCmd struct {
	Subscriptions int    `default:"10000" help:"Due subscriptions to renew (one customer each)."`
	Numbers       int    `help:"Phone numbers each customer also holds, their monthly rental due with the subscription."`
	Processes     int    `default:"1" help:"Scheduler processes running the renewals at once."`
	DB            string `help:"A fresh database: a SQLite path or a postgres:// URL of an empty database (default: a temporary SQLite file)."`
	Profile       string `name:"cpu-profile" help:"Write a CPU profile of the (first) scheduler process to this file."`
	// Child runs one scheduler scan at --at on --db and exits: the
	// processes the benchmark starts (and the crash test kills).
	Child bool   `hidden:""`
	At    string `hidden:""`
}

// renewalsDue is when the benchmark's subscriptions fall due; the scheduler
// runs a minute later.
var renewalsDue = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func (c BenchRenewalsCmd) run(ctx context.Context, stdout, stderr io.Writer) error {
	if c.Child {
		return c.child(ctx, stdout, stderr)
	}
	if c.Subscriptions < 1 || c.Subscriptions > 1_000_000 || c.Processes < 1 || c.Processes > 16 || c.Numbers < 0 || c.Numbers > 10 {
		return errors.New("bench renewals: --subscriptions must be in [1, 1000000], --processes in [1, 16], --numbers in [0, 10]")
	}
	db := c.DB
	if db == "" {
		dir, err := os.MkdirTemp("", "dialtone-bench-renewals")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		db = filepath.Join(dir, "bench.db")
	}
	start := time.Now()
	if err := seedRenewals(ctx, db, c.Subscriptions, c.Numbers); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "bench renewals: %s, %d due subscriptions and %d due number rentals seeded in %s; %d scheduler process(es)\n",
		storeKind(db), c.Subscriptions, c.Subscriptions*c.Numbers, time.Since(start).Round(time.Millisecond), c.Processes)
	at := renewalsDue.Add(time.Minute).Format(time.RFC3339)
	start = time.Now()
	var wg sync.WaitGroup
	errs := make([]error, c.Processes)
	for i := range c.Processes {
		args := []string{"bench", "renewals", "--child", "--db", db, "--at", at}
		if c.Profile != "" && i == 0 {
			args = append(args, "--cpu-profile", c.Profile)
		}
		cmd := benchChild(args)
		cmd.Stdout, cmd.Stderr = stderr, stderr
		if err := cmd.Start(); err != nil {
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = cmd.Wait()
		}()
	}
	wg.Wait()
	el := time.Since(start)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("bench renewals: a scheduler process failed: %w", err)
	}
	fmt.Fprintf(stdout, "renewed %d subscriptions and %d number rentals in %s: %.0f per second\n", c.Subscriptions,
		c.Subscriptions*c.Numbers, el.Round(time.Millisecond), float64(c.Subscriptions*(1+c.Numbers))/el.Seconds())
	if err := checkRenewals(ctx, db, c.Subscriptions, c.Numbers, stdout); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "check: every subscription renewed exactly once, balances equal their postings, the ledger balances")
	return nil
}

// benchChild is the command that runs a scheduler process of the
// benchmark: this program again (tests run their own binary).
var benchChild = func(args []string) *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	return exec.Command(exe, args...)
}

// child runs the scheduler once at --at: every due renewal, in batches,
// with progress in the log.
func (c BenchRenewalsCmd) child(ctx context.Context, stdout, stderr io.Writer) error {
	at, err := time.Parse(time.RFC3339, c.At)
	if err != nil {
		return fmt.Errorf("bench renewals: --at: %w", err)
	}
	st, err := store.Open(ctx, c.DB)
	if err != nil {
		return err
	}
	defer st.Close()
	if c.Profile != "" {
		stop, err := startProfile(c.Profile)
		if err != nil {
			return err
		}
		defer stop()
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	svc := billing.New(st, clock.NewFrozen(at), payment.NewSandbox(), log, billing.Config{})
	start, cpu0, n0 := time.Now(), cpuUsed(), st.Statements()
	if err := scheduler.New(svc, log).RunDue(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "scheduler process %d: done in %s, %s CPU, %d statements\n", os.Getpid(), time.Since(start).Round(time.Millisecond),
		(cpuUsed() - cpu0).Round(time.Millisecond), st.Statements()-n0)
	return nil
}

// startProfile writes a CPU profile to path until the returned func.
func startProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// cpuUsed is the CPU time (user and system) this process has used.
func cpuUsed() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// seedRenewals migrates a fresh database, loads the demo catalog and adds n
// customers, each with an address in Switzerland, a balance of CHF 1,000
// (an operator's adjustment, in the ledger) and one automatically renewed
// one-month IVR subscription expiring at renewalsDue, and numbers phone
// numbers (Zurich, CHF 5.00 a month) bought a month before and due then
// too; 500 customers to a transaction, on PostgreSQL four transactions at
// once.
func seedRenewals(ctx context.Context, db string, n, numbers int) error {
	st, err := store.Open(ctx, db)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	var existing int
	if err := st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM customers`).Scan(&existing); err != nil {
		return err
	}
	if existing > 0 {
		return fmt.Errorf("bench renewals: %s is not a fresh database (%d customers)", db, existing)
	}
	svc := billing.New(st, clock.NewFrozen(renewalsDue.AddDate(0, -1, 0)), payment.NewSandbox(),
		slog.New(slog.NewTextHandler(io.Discard, nil)), billing.Config{})
	if _, err := svc.SeedDemo(ctx); err != nil {
		return err
	}
	plan, err := st.Read().Plan(ctx, "ivr")
	if err != nil {
		return err
	}
	price, err := plan.UnitPrice("CHF", 1)
	if err != nil {
		return fmt.Errorf("bench renewals: the demo catalog's ivr: %w", err)
	}
	const chunk = 500
	workers := 1
	if st.Dialect() == store.Postgres {
		workers = 4
	}
	next := make(chan int)
	errc := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for from := range next {
				if err := st.Tx(ctx, func(q *store.Q) error {
					var nums []market.Number
					for i := from; i < min(from+chunk, n); i++ {
						ns, err := seedCustomer(ctx, q, i, plan, price, numbers)
						if err != nil {
							return err
						}
						nums = append(nums, ns...)
					}
					return seedNumbers(ctx, q, nums)
				}); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	var sendErr error
	for from := 0; from < n && sendErr == nil; from += chunk {
		select {
		case next <- from:
		case sendErr = <-errc:
		}
	}
	close(next)
	wg.Wait()
	close(errc)
	if sendErr != nil {
		return sendErr
	}
	if err := <-errc; err != nil {
		return err
	}
	// The planner's statistics of the fresh rows, as autovacuum would
	// gather them (PostgreSQL) before a month's run: without them a
	// claim sorts every due subscription instead of reading a range.
	_, err = st.DB().ExecContext(ctx, `ANALYZE`)
	return err
}

// seedNumbers adds a chunk's numbers in multi-row statements (one per
// thousand: a number at a time, four seeding transactions on PostgreSQL
// queue on the inventory's count of the area) and sells each to its
// customer.
func seedNumbers(ctx context.Context, q *store.Q, nums []market.Number) error {
	if len(nums) == 0 {
		return nil
	}
	added, err := q.InsertNumbers(ctx, nums)
	if err != nil {
		return err
	}
	if len(added) != len(nums) {
		return fmt.Errorf("bench renewals: %d of %d numbers added", len(added), len(nums))
	}
	for _, num := range nums {
		if err := q.ClaimNumber(ctx, num.ID, num.CustomerID, "", num.CreatedAt, renewalsDue); err != nil {
			return err
		}
	}
	return nil
}

// seedCustomer adds a due customer with its subscription and returns the
// numbers it is to hold (CustomerID set, not yet in the inventory).
func seedCustomer(ctx context.Context, q *store.Q, i int, plan market.Plan, price int64, numbers int) ([]market.Number, error) {
	started := renewalsDue.AddDate(0, -1, 0)
	cust := market.Customer{ID: fmt.Sprintf("cus_bench%07d", i), Company: "Renew " + strconv.Itoa(i), Country: "CH", Currency: "CHF",
		Email: fmt.Sprintf("r%d@renew.test", i), CreatedAt: started}
	if err := q.InsertCustomer(ctx, cust); err != nil {
		return nil, err
	}
	if err := q.InsertBillingAddress(ctx, market.BillingAddress{ID: fmt.Sprintf("adr_bench%07d", i), CustomerID: cust.ID,
		Address: market.Address{Name: cust.Company, Line1: "Gasse 1", City: "Bern", PostalCode: "3000", Country: "CH"}, CreatedAt: started}); err != nil {
		return nil, err
	}
	pay := market.Payment{ID: fmt.Sprintf("pay_bench%07d", i), CustomerID: cust.ID, Purpose: market.PurposeAdjustment,
		Description: "bench credit", Method: "operator", Amount: 100_000, Currency: "CHF", CreatedAt: started}
	if err := q.InsertPayment(ctx, pay); err != nil {
		return nil, err
	}
	if err := q.Post(ctx, market.LedgerTx{ID: fmt.Sprintf("ltx_bench%07d", i), CustomerID: cust.ID, Kind: "adjustment",
		Description: "bench credit", PaymentID: pay.ID, Currency: "CHF", CreatedAt: started, Postings: []market.Posting{
			{Account: market.BalanceAccount(cust.ID), Amount: pay.Amount},
			{Account: market.SystemAccount("adjustments", "CHF"), Amount: -pay.Amount}}}); err != nil {
		return nil, err
	}
	var nums []market.Number
	for k := range numbers {
		nums = append(nums, market.Number{ID: fmt.Sprintf("num_bench%07d_%d", i, k), Number: fmt.Sprintf("+41445%06d%d", i, k), Country: "CH",
			Area: "Zurich", Type: "local", SetupAmount: 0, MonthlyAmount: 500, Currency: "CHF", CustomerID: cust.ID, CreatedAt: started})
	}
	return nums, q.InsertSubscription(ctx, market.Subscription{ID: fmt.Sprintf("sub_bench%07d", i), CustomerID: cust.ID, Product: plan.Product,
		Plan: plan.Code, TermMonths: 1, Status: market.StatusActive, AutoRenew: true, Currency: "CHF", StartedAt: started,
		ExpiresAt: renewalsDue, Periods: []market.Period{{Seq: 1, Start: started, End: renewalsDue, Plan: plan.Code, Quantity: 1,
			UnitAmount: price, TermMonths: 1}}}, started)
}

// checkRenewals checks a finished run: n subscriptions, each with exactly
// two periods, one renewal payment, one renewal_succeeded notice and one
// invoice of a renewal each; n × numbers numbers, each active with one
// rented month, its payment and invoice; every balance equal to the sum
// of its postings; every ledger transaction balanced.
func checkRenewals(ctx context.Context, db string, n, numbers int, stdout io.Writer) error {
	st, err := store.Open(ctx, db)
	if err != nil {
		return err
	}
	defer st.Close()
	var subs, notTwo, renewals, doubled, notices, invoices, off, rentals, rentalPays, notOne int
	for _, c := range []struct {
		dst   *int
		query string
	}{
		{&subs, `SELECT COUNT(*) FROM subscriptions`},
		{&notTwo, `SELECT COUNT(*) FROM subscriptions s WHERE (SELECT COUNT(*) FROM periods p WHERE p.subscription_id = s.id) <> 2`},
		{&renewals, `SELECT COUNT(*) FROM payments WHERE purpose = 'renewal'`},
		{&doubled, `SELECT COUNT(*) FROM (SELECT customer_id FROM payments WHERE purpose = 'renewal' GROUP BY customer_id HAVING COUNT(*) <> 1) x`},
		{&notices, `SELECT COUNT(*) FROM notifications WHERE type = 'renewal_succeeded'`},
		{&invoices, `SELECT COUNT(*) FROM invoices WHERE kind = 'invoice'`},
		{&rentals, `SELECT COUNT(*) FROM number_rentals`},
		{&rentalPays, `SELECT COUNT(*) FROM payments WHERE purpose = 'number_rental'`},
		{&notOne, `SELECT COUNT(*) FROM numbers n WHERE n.customer_id IS NOT NULL AND (n.status <> 'active' OR
			(SELECT COUNT(*) FROM number_rentals r WHERE r.number_id = n.id) <> 1)`},
		{&off, `SELECT COUNT(*) FROM customers c WHERE c.balance <> (SELECT COALESCE(SUM(p.amount), 0) FROM ledger_postings p
			WHERE p.account_id = 'customer:' || c.id || ':balance')`},
	} {
		if err := st.DB().QueryRowContext(ctx, c.query).Scan(c.dst); err != nil {
			return err
		}
	}
	total, unbalanced, err := st.Read().LedgerImbalance(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "check: %d subscriptions, %d without exactly 2 periods, %d renewal payments (%d customers with other than one), "+
		"%d renewal notices, %d number rentals, %d rental payments, %d numbers not rented exactly once, %d invoices, "+
		"%d balances off their postings, ledger sum %d, %d unbalanced transactions\n",
		subs, notTwo, renewals, doubled, notices, rentals, rentalPays, notOne, invoices, off, total, unbalanced)
	if subs != n || notTwo != 0 || renewals != n || doubled != 0 || notices != n || rentals != n*numbers || rentalPays != n*numbers ||
		notOne != 0 || invoices != n*(1+numbers) || off != 0 || total != 0 || unbalanced != 0 {
		return errors.New("bench renewals: the check failed: something was doubled or lost")
	}
	return nil
}
