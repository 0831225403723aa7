package main

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// testBenchChild makes the benchmark's scheduler processes this test
// binary (TestMain runs them).
func testBenchChild(t *testing.T) {
	t.Helper()
	was := benchChild
	benchChild = func(args []string) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "DIALTONE_BENCH_CHILD_ARGS="+strings.Join(args, "\x1f"))
		return cmd
	}
	t.Cleanup(func() { benchChild = was })
}

// TestBenchRenewals runs `dialtone bench renewals` small, with two
// scheduler processes, on each store: it seeds, renews and checks.
func TestBenchRenewals(t *testing.T) {
	testBenchChild(t)
	for _, kind := range storetest.Kinds(t) {
		t.Run(kind, func(t *testing.T) {
			db := storetest.URL(t, kind)
			var out bytes.Buffer
			err := run(context.Background(), []string{"bench", "renewals", "--subscriptions", "230", "--numbers", "1", "--processes", "2", "--db", db},
				func(string) string { return "" }, &out, io.Discard)
			if err != nil || !strings.Contains(out.String(), "number rentals in ") ||
				!strings.Contains(out.String(), "check: 230 subscriptions, 0 without exactly 2 periods, 230 renewal payments") ||
				!strings.Contains(out.String(), "check: every subscription renewed exactly once") {
				t.Fatalf("bench renewals: %v\n%s", err, out.String())
			}
			// Not a fresh database any more.
			out.Reset()
			err = run(context.Background(), []string{"bench", "renewals", "--subscriptions", "1", "--db", db}, func(string) string { return "" }, &out, io.Discard)
			if err == nil || !strings.Contains(err.Error(), "not a fresh database") {
				t.Errorf("a used database: %v", err)
			}
		})
	}
	if err := run(context.Background(), []string{"bench", "renewals", "--subscriptions", "0"}, func(string) string { return "" }, io.Discard, io.Discard); err == nil {
		t.Error("--subscriptions 0 was accepted")
	}
}

// TestCrashDuringBatchedRenewals: a renewal run of 600 due subscriptions
// and 600 number rentals, in batches, is killed with SIGKILL at random moments four times and
// restarted; at the end every subscription is renewed exactly once (one
// period, payment, notice and invoice each) and every number rented once,
// balances equal their postings and the ledger balances.
func TestCrashDuringBatchedRenewals(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	testBenchChild(t)
	const n = 600
	ctx := context.Background()
	for _, kind := range storetest.Kinds(t) {
		t.Run(kind, func(t *testing.T) {
			db := storetest.URL(t, kind)
			if err := seedRenewals(ctx, db, n, 1); err != nil {
				t.Fatal(err)
			}
			st, err := store.Open(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			renewed := func() int {
				var k int
				_ = st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM payments WHERE purpose IN ('renewal', 'number_rental')`).Scan(&k)
				return k
			}
			args := []string{"bench", "renewals", "--child", "--db", db, "--at", renewalsDue.Add(time.Minute).Format(time.RFC3339)}
			for round := range 4 {
				// Of 2n (the renewals, then the rentals): two kills in each.
				at := max(renewed()+1, (round+1)*2*n/5+rand.IntN(n/10))
				cmd := benchChild(args)
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				deadline := time.Now().Add(60 * time.Second)
				for renewed() < at && time.Now().Before(deadline) {
					time.Sleep(time.Millisecond)
				}
				_ = cmd.Process.Signal(syscall.SIGKILL)
				_ = cmd.Wait()
				t.Logf("round %d: killed at %d renewals and rentals (aimed at %d of %d)", round, renewed(), at, 2*n)
			}
			cmd := benchChild(args)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("the last run: %v\n%s", err, out)
			}
			var out bytes.Buffer
			if err := checkRenewals(ctx, db, n, 1, &out); err != nil {
				t.Errorf("%v\n%s", err, out.String())
			}
		})
	}
}

// TestBenchOrders runs `dialtone bench orders` for a moment.
func TestBenchOrders(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"bench", "orders", "--duration", "1s", "--concurrency", "2"}, func(string) string { return "" }, &out, io.Discard)
	if err != nil || !strings.Contains(out.String(), "orders/s, p50 ") || !strings.Contains(out.String(), " p99 ") || !strings.Contains(out.String(), "errors 0") {
		t.Fatalf("bench orders: %v\n%s", err, out.String())
	}
	if err := run(context.Background(), []string{"bench", "orders", "--url", "http://example.com"}, func(string) string { return "" }, io.Discard, io.Discard); err == nil ||
		!strings.Contains(err.Error(), "loopback") {
		t.Errorf("a remote target: %v", err)
	}
}
