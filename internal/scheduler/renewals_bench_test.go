package scheduler_test

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/clock"
	"github.com/dialtone/dialtone/internal/payment"
	"github.com/dialtone/dialtone/internal/scheduler"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// BenchmarkRenewals: DIALTONE_BENCH_RENEWALS customers (default 2,000),
// each with one automatically renewed subscription paid from its balance,
// all due at once; one scan renews them. Reported: renewals/s, by store and
// by the scheduler's workers. The seeding is not timed.
//
//	go test -run '^$' -bench Renewals -benchtime 1x ./internal/scheduler/
func BenchmarkRenewals(b *testing.B) {
	n := 2000
	if v, err := strconv.Atoi(os.Getenv("DIALTONE_BENCH_RENEWALS")); err == nil && v > 0 {
		n = v
	}
	for _, kind := range storetest.Kinds(b) {
		for _, mode := range []struct {
			name           string
			workers, batch int
		}{{"one-at-a-time/workers=8", 8, -1}, {"batched", 8, 0}} {
			workers := mode.workers
			b.Run(kind+"/"+mode.name, func(b *testing.B) {
				for range b.N {
					b.StopTimer()
					st := storetest.Open(b, kind)
					svc, clk := seedRenewals(b, st, n)
					sched := scheduler.New(svc, slog.New(slog.NewTextHandler(io.Discard, nil)))
					sched.Workers, sched.BatchSize = workers, mode.batch
					clk.Advance(31*24*time.Hour + time.Minute)
					b.StartTimer()
					s0 := st.Statements()
					cpu0 := cpuTime()
					start := time.Now()
					if err := sched.RunDue(ctx); err != nil {
						b.Fatal(err)
					}
					el := time.Since(start)
					cpu := cpuTime() - cpu0
					b.StopTimer()
					var renewed int
					if err := st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM payments WHERE purpose = 'renewal'`).Scan(&renewed); err != nil {
						b.Fatal(err)
					}
					if renewed != n {
						b.Fatalf("%d renewals, want %d", renewed, n)
					}
					b.ReportMetric(float64(n)/el.Seconds(), "renewals/s")
					b.ReportMetric(float64(cpu.Microseconds())/float64(n), "cpu-µs/renewal")
					b.ReportMetric(float64(st.Statements()-s0)/float64(n), "stmts/renewal")
					st.Close()
				}
			})
		}
	}
}

// seedRenewals makes n customers with a balance and one automatically
// renewed one-month IVR each, eight at a time.
func seedRenewals(b testing.TB, st *store.Store, n int) (*billing.Service, *clock.Sandbox) {
	b.Helper()
	clk := clock.NewFrozen(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	svc := billing.New(st, clk, payment.NewSandbox(), slog.New(slog.NewTextHandler(io.Discard, nil)), billing.Config{Argon2: cheapParams()})
	if _, err := svc.SeedDemo(ctx); err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	next := make(chan int)
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := seedOne(svc, i); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
	return svc, clk
}

func seedOne(svc *billing.Service, i int) error {
	c, u, err := svc.Signup(ctx, billing.SignupInput{Email: fmt.Sprintf("r%d@renew.test", i), Password: "correct horse",
		Company: fmt.Sprintf("Renew %d", i), Country: "CH", Currency: "CHF"})
	if err != nil {
		return err
	}
	p := billing.Principal{CustomerID: c.ID, UserID: u.ID, Role: "owner"}
	a, err := svc.SaveAddress(ctx, p, "", billing.AddressInput{Name: "Renew", Line1: "Gasse 1", City: "Bern", PostalCode: "3000", Country: "CH"})
	if err != nil {
		return err
	}
	if _, err := svc.AdjustBalance(ctx, c.ID, billing.AdjustmentInput{Amount: 100000, Reason: "bench credit"}); err != nil {
		return err
	}
	_, err = svc.PlaceOrder(ctx, p, billing.OrderInput{Items: []billing.ItemInput{{Type: "subscription", Plan: "ivr", Quantity: 1, TermMonths: 1, AutoRenew: true}},
		BillingAddress: a.ID, Payment: billing.PaymentInput{Method: "balance"}}, "")
	return err
}

// cpuTime is the CPU time (user and system) this process has used: the
// benchmark's own share, not the database server's.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
