package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// LoadCmd drives a running dialtone (or one it starts itself on a temporary
// SQLite file) with customers signing in, quoting, buying and listing, for
// a bounded time, and reports latency per request kind. It only talks to
// loopback addresses.
type LoadCmd struct {
	URL         string        `help:"Base URL of a running dialtone on this machine (default: start one on a temporary SQLite file)."`
	DB          string        `help:"With no --url: the database of the server to start (default: a temporary SQLite file)."`
	Duration    time.Duration `default:"10s" help:"How long to send requests."`
	Concurrency int           `default:"8" help:"Parallel clients (each its own customer)."`
}

func (c LoadCmd) run(ctx context.Context, stdout io.Writer) error {
	if c.Duration <= 0 || c.Duration > 10*time.Minute || c.Concurrency < 1 || c.Concurrency > 256 {
		return fmt.Errorf("load: duration must be in (0, 10m] and concurrency in [1, 256]")
	}
	base, stop, err := localServer(ctx, c.URL, c.DB, "load")
	if err != nil {
		return err
	}
	defer stop()
	fmt.Fprintf(stdout, "load: %s, %d clients, %s\n", base, c.Concurrency, c.Duration)

	var mu sync.Mutex
	lat := map[string][]time.Duration{}
	errs := map[string]int{}
	record := func(kind string, d time.Duration, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs[kind]++
			return
		}
		lat[kind] = append(lat[kind], d)
	}
	deadline := time.Now().Add(c.Duration)
	var wg sync.WaitGroup
	for w := range c.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := &loadClient{base: base, http: &http.Client{Timeout: 30 * time.Second}}
			if err := cl.setup(w); err != nil {
				record("setup", 0, err)
				return
			}
			for i := 0; time.Now().Before(deadline) && ctx.Err() == nil; i++ {
				for _, step := range []struct {
					kind string
					f    func() error
				}{
					{"POST /v1/quotes", cl.quote},
					{"POST /v1/orders", cl.order},
					{"GET /v1/subscriptions", func() error { return cl.call("GET", "/v1/subscriptions", nil, nil) }},
					{"GET /v1/transactions", func() error { return cl.call("GET", "/v1/transactions?limit=50", nil, nil) }},
					{"GET /v1/plans", func() error { return cl.call("GET", "/v1/plans", nil, nil) }},
				} {
					t := time.Now()
					err := step.f()
					record(step.kind, time.Since(t), err)
				}
			}
		}()
	}
	wg.Wait()
	kinds := make([]string, 0, len(lat))
	for k := range lat {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	fmt.Fprintf(stdout, "%-24s %8s %10s %10s %10s %8s\n", "request", "count", "median", "p99", "max", "errors")
	total := 0
	for _, k := range kinds {
		d := lat[k]
		slices.Sort(d)
		total += len(d)
		fmt.Fprintf(stdout, "%-24s %8d %10s %10s %10s %8d\n", k, len(d), d[len(d)/2].Round(10*time.Microsecond),
			d[len(d)*99/100].Round(10*time.Microsecond), d[len(d)-1].Round(10*time.Microsecond), errs[k])
	}
	fmt.Fprintf(stdout, "total %d requests, %.0f req/s\n", total, float64(total)/c.Duration.Seconds())
	if n := errs["setup"]; n > 0 {
		return fmt.Errorf("load: %d clients failed to set up", n)
	}
	return nil
}

// localServer returns base if set (a running dialtone, which must be on a
// loopback address); else it starts one on db (default: a temporary SQLite
// file) and returns its URL and the func that stops it.
func localServer(ctx context.Context, base, db, name string) (string, func(), error) {
	if base != "" {
		if !strings.HasPrefix(base, "http://127.") && !strings.HasPrefix(base, "http://localhost") && !strings.HasPrefix(base, "http://[::1]") {
			return "", nil, fmt.Errorf("%s: only loopback targets are allowed, not %s", name, base)
		}
		return base, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "dialtone-load")
	if err != nil {
		return "", nil, err
	}
	if db == "" {
		db = filepath.Join(dir, "load.db")
	}
	sctx, cancel := context.WithCancel(ctx)
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	getenv := func(k string) string {
		if k == "DIALTONE_ARGON2_MEMORY" {
			return "8192"
		}
		return ""
	}
	go func() {
		done <- run(sctx, []string{"serve", "--addr", "127.0.0.1:0", "--sip-addr", "127.0.0.1:0", "--db", db}, getenv, pw, io.Discard)
		pw.Close()
	}()
	stop := func() { cancel(); <-done; os.RemoveAll(dir) }
	buf := make([]byte, 4096)
	var out strings.Builder
	for !strings.Contains(out.String(), "listening on ") {
		n, err := pr.Read(buf)
		if err != nil {
			stop()
			return "", nil, fmt.Errorf("%s: server did not start: %s", name, out.String())
		}
		out.Write(buf[:n])
	}
	go io.Copy(io.Discard, pr)
	s := out.String()
	return strings.Fields(s[strings.Index(s, "listening on ")+len("listening on "):])[0], stop, nil
}

type loadClient struct {
	base, token, addr string
	http              *http.Client
}

func (c *loadClient) call(method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, raw)
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

func (c *loadClient) setup(w int) error {
	email := fmt.Sprintf("load%d-%d@example.com", w, time.Now().UnixNano())
	if err := c.call("POST", "/v1/signup", map[string]any{"email": email, "password": "correct horse", "company": "Load", "country": "CH", "currency": "CHF"}, nil); err != nil {
		return err
	}
	var s struct{ Token string }
	for try := 0; ; try++ {
		err := c.call("POST", "/v1/sessions", map[string]any{"email": email, "password": "correct horse"}, &s)
		if err == nil {
			break
		}
		if !strings.Contains(err.Error(), ": 429 ") || try > 60 {
			return err
		}
		time.Sleep(2 * time.Second) // the server limits log-ins per address
	}
	c.token = s.Token
	var a struct{ ID string }
	if err := c.call("POST", "/v1/billing_addresses", map[string]any{"name": "Load", "line1": "Street 1", "city": "Bern", "postal_code": "3000", "country": "CH"}, &a); err != nil {
		return err
	}
	c.addr = a.ID
	return c.call("POST", "/v1/orders", map[string]any{"items": []any{map[string]any{"type": "balance_top_up", "amount": 10_000_000}},
		"payment": map[string]any{"method": "card", "card": map[string]any{"number": "4242424242424242", "exp_month": 12, "exp_year": 2035, "cvc": "123"}}}, nil)
}

func (c *loadClient) body() map[string]any {
	return map[string]any{"items": []any{map[string]any{"type": "subscription", "plan": "ivr", "quantity": 1, "term_months": 1}},
		"billing_address": c.addr, "payment": map[string]any{"method": "balance"}}
}

func (c *loadClient) quote() error { return c.call("POST", "/v1/quotes", c.body(), nil) }
func (c *loadClient) order() error { return c.call("POST", "/v1/orders", c.body(), nil) }
