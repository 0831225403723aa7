package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// BenchOrdersCmd is the order-only workload (as ../shared/perf/orders and
// `dialtone load`, orders only): --concurrency clients, each its own
// customer with a topped-up balance, place balance-paid one-month IVR
// orders over HTTP for --duration; it reports orders per second and the
// latency percentiles of POST /v1/orders.
type BenchOrdersCmd struct {
	URL         string        `help:"Base URL of a running dialtone on this machine (default: start one, on --db)."`
	DB          string        `help:"With no --url: the database of the server to start (default: a temporary SQLite file)."`
	Duration    time.Duration `default:"10s" help:"How long to order."`
	Concurrency int           `default:"8" help:"Parallel clients (each its own customer)."`
	Profile     string        `name:"cpu-profile" help:"Write a CPU profile of this process (the server it started and the clients) while the clients order to this file."`
}

func (c BenchOrdersCmd) run(ctx context.Context, stdout io.Writer) error {
	if c.Duration <= 0 || c.Duration > 10*time.Minute || c.Concurrency < 1 || c.Concurrency > 256 {
		return errors.New("bench orders: --duration must be in (0, 10m] and --concurrency in [1, 256]")
	}
	base, stop, err := localServer(ctx, c.URL, c.DB, "bench orders")
	if err != nil {
		return err
	}
	defer stop()
	clients := make([]*loadClient, c.Concurrency)
	var wg sync.WaitGroup
	errs := make([]error, c.Concurrency)
	for w := range clients {
		clients[w] = &loadClient{base: base, http: &http.Client{Timeout: 30 * time.Second}}
		wg.Add(1)
		go func() { defer wg.Done(); errs[w] = clients[w].setup(w) }()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("bench orders: setting up the customers: %w", err)
	}
	fmt.Fprintf(stdout, "bench orders: %s, %d clients, %s\n", base, c.Concurrency, c.Duration)
	lat := make([][]time.Duration, c.Concurrency)
	failed := make([]int, c.Concurrency)
	if c.Profile != "" {
		stopProfile, err := startProfile(c.Profile)
		if err != nil {
			return err
		}
		defer stopProfile()
	}
	start := time.Now()
	deadline := start.Add(c.Duration)
	for w, cl := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) && ctx.Err() == nil {
				t := time.Now()
				if err := cl.order(); err != nil {
					failed[w]++
					continue
				}
				lat[w] = append(lat[w], time.Since(t))
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	var all []time.Duration
	bad := 0
	for w := range lat {
		all = append(all, lat[w]...)
		bad += failed[w]
	}
	if len(all) == 0 {
		return fmt.Errorf("bench orders: no order succeeded (%d failed)", bad)
	}
	slices.Sort(all)
	pct := func(p int) time.Duration { return all[min(len(all)-1, len(all)*p/100)].Round(10 * time.Microsecond) }
	fmt.Fprintf(stdout, "orders %d in %s: %.0f orders/s, p50 %s, p90 %s, p99 %s, max %s, errors %d\n", len(all), el.Round(time.Millisecond),
		float64(len(all))/el.Seconds(), pct(50), pct(90), pct(99), all[len(all)-1].Round(10*time.Microsecond), bad)
	if bad > 0 {
		return fmt.Errorf("bench orders: %d orders failed", bad)
	}
	return nil
}
