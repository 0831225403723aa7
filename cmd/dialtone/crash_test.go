package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/clock"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/payment"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestMain lets the test binary run as the server for the crash test.
func TestMain(m *testing.M) {
	if args := os.Getenv("DIALTONE_BENCH_CHILD_ARGS"); args != "" {
		// A scheduler process of `dialtone bench renewals` (bench_renewals_test.go).
		if err := run(context.Background(), strings.Split(args, "\x1f"), func(string) string { return "" }, os.Stdout, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if db := os.Getenv("DIALTONE_CRASH_CHILD_DB"); db != "" {
		// As main: SIGTERM shuts down gracefully (TestSIPGracefulStop).
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		err := run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--sip-addr", "127.0.0.1:0", "--db", db, "--no-demo"},
			func(k string) string {
				switch k {
				case "DIALTONE_ADMIN_TOKEN":
					return "adm_crash"
				case "DIALTONE_ARGON2_MEMORY":
					return "1024"
				}
				if k == "DIALTONE_PAYMENTS" || strings.HasPrefix(k, "DIALTONE_STRIPE_") {
					return os.Getenv(k) // the card payments crash test runs its children with Stripe (a fake)
				}
				return ""
			}, os.Stdout, io.Discard)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestCrashDuringRenewals: 1,000 auto-renewing subscriptions fall due while
// the server is killed with SIGKILL at random moments and restarted, ten
// times; in the end every subscription is renewed exactly once, every
// notice sent once, and the ledger balances.
func TestCrashDuringRenewals(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	for _, kind := range storetest.Kinds(t) {
		t.Run(kind, func(t *testing.T) {
			db := storetest.URL(t, kind)
			const customers, perCustomer, rounds = 10, 100, 10
			seeded := time.Now().UTC()
			seed(t, db, customers, perCustomer)
			// Every round moves the clock to one hour past the expiry of all
			// subscriptions (or by a second once it is there). The work —
			// 1,000 renewal notices, then 1,000 renewals — is killed when its
			// progress reaches each of ten random points, so every kill
			// lands in the middle of the run.
			target := seeded.Add(32 * 24 * time.Hour)
			advance := func(base string) {
				body := fmt.Sprintf(`{"to":%q}`, target.Format(time.RFC3339Nano))
				if time.Now().UTC().Add(clockOffset(base)).After(target) {
					body = `{"seconds":1}`
				}
				req, _ := http.NewRequest("POST", base+"/v1/admin/clock/advance", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer adm_crash")
				req.Header.Set("Content-Type", "application/json")
				res, err := http.DefaultClient.Do(req)
				if err == nil {
					res.Body.Close()
				}
			}
			n := customers * perCustomer
			rng := rand.New(rand.NewPCG(1, 2))
			points := make([]int, rounds)
			for i := range points {
				points[i] = 1 + rng.IntN(2*n-1)
			}
			slices.Sort(points)
			for round, at := range points {
				cmd, base := child(t, db)
				go advance(base)
				deadline := time.Now().Add(2 * time.Minute)
				for progress(t, db) < at && time.Now().Before(deadline) {
					time.Sleep(10 * time.Millisecond)
				}
				_ = cmd.Process.Signal(syscall.SIGKILL)
				_ = cmd.Wait()
				t.Logf("round %d: killed at progress %d (aimed at %d of %d)", round, progress(t, db), at, 2*n)
			}
			// A last run lets the work finish.
			cmd, base := child(t, db)
			for i := 0; i < 5 && progress(t, db) < 2*n; i++ {
				advance(base)
			}
			_ = cmd.Process.Signal(syscall.SIGTERM)
			_ = cmd.Wait()
			check(t, db, customers, perCustomer)
		})
	}
}

// progress counts the work done: renewal notices plus renewals.
func progress(t *testing.T, db string) int {
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var n, m int
	_ = st.DB().QueryRow(`SELECT COUNT(*) FROM notifications WHERE type = 'renewal_upcoming'`).Scan(&n)
	_ = st.DB().QueryRow(`SELECT COUNT(*) FROM payments WHERE purpose = 'renewal'`).Scan(&m)
	return n + m
}

// clockOffset reads how far the server's sandbox clock is ahead.
func clockOffset(base string) time.Duration {
	req, _ := http.NewRequest("GET", base+"/v1/admin/clock", nil)
	req.Header.Set("Authorization", "Bearer adm_crash")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer res.Body.Close()
	var c struct {
		Offset float64 `json:"offset_seconds"`
	}
	_ = json.NewDecoder(res.Body).Decode(&c)
	return time.Duration(c.Offset) * time.Second
}

func testService(t *testing.T, st *store.Store) *billing.Service {
	return billing.New(st, clock.Wall{}, payment.NewSandbox(), slog.New(slog.NewTextHandler(io.Discard, nil)),
		billing.Config{Argon2: &argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}})
}

// demoService migrates db, loads the demo catalog and returns a service
// on it, and the function that closes its store.
func demoService(t *testing.T, db string) (*billing.Service, func()) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		t.Fatal(err)
	}
	svc := testService(t, st)
	if _, err := svc.SeedDemo(ctx); err != nil {
		st.Close()
		t.Fatal(err)
	}
	return svc, func() { st.Close() }
}

func seed(t *testing.T, db string, customers, perCustomer int) {
	t.Helper()
	ctx := context.Background()
	svc, closeStore := demoService(t, db)
	defer closeStore()
	for c := range customers {
		cust, _, err := svc.Signup(ctx, billing.SignupInput{Email: fmt.Sprintf("crash%d@acme.test", c), Password: "correct horse",
			Company: "Crash", Country: "CH", Currency: "CHF"})
		if err != nil {
			t.Fatal(err)
		}
		p := billing.Principal{CustomerID: cust.ID, Role: "owner"}
		a, err := svc.SaveAddress(ctx, p, "", billing.AddressInput{Name: "Crash", Line1: "Weg 1", City: "Bern", PostalCode: "3000", Country: "CH"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AdjustBalance(ctx, cust.ID, billing.AdjustmentInput{Amount: 1_000_000, Reason: "credit"}); err != nil {
			t.Fatal(err)
		}
		items := make([]billing.ItemInput, 0, 50)
		for i := 0; i < perCustomer; i++ {
			items = append(items, billing.ItemInput{Type: "subscription", Plan: "ivr", Quantity: 1, TermMonths: 1, AutoRenew: true})
			if len(items) == 50 {
				if _, err := svc.PlaceOrder(ctx, p, billing.OrderInput{Items: items, BillingAddress: a.ID, Payment: billing.PaymentInput{Method: "balance"}}, "test"); err != nil {
					t.Fatal(err)
				}
				items = items[:0]
			}
		}
	}
}

// child starts the server in a new process and returns it with its URL.
func child(t *testing.T, db string, env ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), "DIALTONE_CRASH_CHILD_DB="+db), env...)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	re := regexp.MustCompile(`listening on (http://\S+)`)
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			go io.Copy(io.Discard, out)
			return cmd, m[1]
		}
	}
	t.Fatal("child server did not start")
	return nil, ""
}

func check(t *testing.T, db string, customers, perCustomer int) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	q := st.Read()
	var subs, periods, renewals, upcoming, succeeded, orphanRenewals int
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM subscriptions`).Scan(&subs))
	must(st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM periods`).Scan(&periods))
	must(st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM payments WHERE purpose = 'renewal'`).Scan(&renewals))
	must(st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM notifications WHERE type = 'renewal_upcoming'`).Scan(&upcoming))
	must(st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM notifications WHERE type = 'renewal_succeeded'`).Scan(&succeeded))
	must(st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT subscription_id FROM periods GROUP BY subscription_id HAVING COUNT(*) <> 2) x`).Scan(&orphanRenewals))
	n := customers * perCustomer
	if subs != n || periods != 2*n || renewals != n || orphanRenewals != 0 {
		t.Errorf("subscriptions %d, periods %d, renewal payments %d, subscriptions without exactly 2 periods %d; want %d, %d, %d, 0",
			subs, periods, renewals, orphanRenewals, n, 2*n, n)
	}
	// One notice 7 days before the renewal, one success after it.
	if upcoming != n || succeeded != n {
		t.Errorf("renewal_upcoming %d, renewal_succeeded %d; want %d each", upcoming, succeeded, n)
	}
	// Every renewal's invoice numbered (none left queued by a kill between
	// its commit and the sequencer), the numbers of each year gapless.
	var queued, unbilled int
	must(st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM invoice_queue`).Scan(&queued))
	must(st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM payments p WHERE p.invoice_id <> '' AND p.amount > 0
		AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.id = p.invoice_id)`).Scan(&unbilled))
	if queued != 0 || unbilled != 0 {
		t.Errorf("invoices left unnumbered %d, payments without their invoice %d", queued, unbilled)
	}
	ns, err := q.InvoiceNumbers(ctx)
	must(err)
	for i := range ns {
		if want := 1; i > 0 && ns[i][0] == ns[i-1][0] {
			want = ns[i-1][1] + 1
			if ns[i][1] != want {
				t.Errorf("invoice numbers of %d: %d after %d", ns[i][0], ns[i][1], ns[i-1][1])
			}
		} else if ns[i][1] != want {
			t.Errorf("invoice numbers of %d start at %d", ns[i][0], ns[i][1])
		}
	}
	total, unbalanced, err := q.LedgerImbalance(ctx)
	must(err)
	if total != 0 || unbalanced != 0 {
		t.Errorf("ledger total %d, unbalanced %d", total, unbalanced)
	}
	cs, err := q.Customers(ctx, store.Page{Limit: 1000})
	must(err)
	for _, c := range cs {
		sum, err := q.AccountSum(ctx, market.BalanceAccount(c.ID))
		must(err)
		// 1,000,000 - 100 x 9.73 bought - 100 x 9.73 renewed = 805,400.
		want := 1_000_000 - 2*int64(perCustomer)*973
		if sum != c.Balance || c.Balance != want {
			t.Errorf("customer %s: balance %d, postings %d, want %d", c.ID, c.Balance, sum, want)
		}
	}
}
