package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/store/storetest"
)

// startServer runs `dialtone serve` on a free port and returns its base URL
// and what it printed.
func startServer(t *testing.T, db string, env map[string]string) (string, *bytes.Buffer, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var printed bytes.Buffer
	getenv := func(k string) string { return env[k] }
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--sip-addr", "127.0.0.1:0", "--db", db}, getenv, pw, io.Discard)
		pw.Close()
	}()
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		re := regexp.MustCompile(`listening on (http://\S+)`)
		for sc.Scan() {
			printed.WriteString(sc.Text() + "\n")
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				urlc <- m[1]
			}
		}
	}()
	var base string
	select {
	case base = <-urlc:
	case err := <-done:
		t.Fatalf("serve ended: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("server did not start")
	}
	for i := 0; i < 100; i++ {
		if res, err := http.Get(base + "/healthz"); err == nil && res.StatusCode == 200 {
			res.Body.Close()
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop := func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve returned %v, want nil after graceful shutdown", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("server did not shut down")
		}
	}
	return base, &printed, stop
}

func call(t *testing.T, method, url, token string, body any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(res.Body)
	_ = json.Unmarshal(raw, &out)
	if res.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, url, res.StatusCode, raw)
	}
	return out
}

// TestServeEndToEnd starts the real program on each store, as the README
// does, and walks the first steps of the README's API tour.
func TestServeEndToEnd(t *testing.T) {
	for _, kind := range storetest.Kinds(t) {
		t.Run(kind, func(t *testing.T) {
			db := storetest.URL(t, kind)
			env := map[string]string{"DIALTONE_ARGON2_MEMORY": "1024"}
			base, printed, stop := startServer(t, db, env)
			m := regexp.MustCompile(`admin token .*: (adm_\S+)`).FindStringSubmatch(printed.String())
			if m == nil {
				t.Fatalf("no admin token printed: %q", printed.String())
			}
			admin := m[1]
			call(t, "POST", base+"/v1/signup", "", map[string]any{"email": "anna@example.com", "password": "correct horse", "company": "Acme AG", "country": "CH", "currency": "CHF"})
			tok := call(t, "POST", base+"/v1/sessions", "", map[string]any{"email": "anna@example.com", "password": "correct horse"})["token"].(string)
			plans := call(t, "GET", base+"/v1/plans", "", nil)["data"].([]any)
			if len(plans) != 4 {
				t.Errorf("%d products in the demo catalog, want 4", len(plans))
			}
			adj := call(t, "POST", base+"/v1/admin/customers/"+call(t, "GET", base+"/v1/account", tok, nil)["id"].(string)+"/balance_adjustments",
				admin, map[string]any{"amount": 20000, "reason": "welcome credit"})
			if adj["purpose"] != "adjustment" {
				t.Errorf("adjustment: %v", adj)
			}
			addr := call(t, "POST", base+"/v1/billing_addresses", tok, map[string]any{"name": "Acme AG", "line1": "Bahnhofstrasse 1", "city": "Zürich", "postal_code": "8001", "country": "CH"})["id"].(string)
			o := call(t, "POST", base+"/v1/orders", tok, map[string]any{"items": []any{map[string]any{"type": "subscription", "plan": "business", "quantity": 2, "term_months": 1}},
				"billing_address": addr, "payment": map[string]any{"method": "balance"}})
			// 2 x 40.00 + 8.1 % = 86.48
			if o["total"].(float64) != 8648 {
				t.Errorf("order total %v, want 8648", o["total"])
			}
			if bal := call(t, "GET", base+"/v1/account", tok, nil)["balance"].(float64); bal != 20000-8648 {
				t.Errorf("balance %v, want %d", bal, 20000-8648)
			}
			clk := call(t, "POST", base+"/v1/admin/clock/advance", admin, map[string]any{"seconds": 40 * 86400})
			if !strings.HasPrefix(clk["now"].(string), "20") {
				t.Errorf("clock: %v", clk)
			}
			// Sessions live on the wall clock: the token outlives a 40-day move.
			sub := call(t, "GET", base+"/v1/subscriptions", tok, nil)["data"].([]any)[0].(map[string]any)
			if sub["status"] != "expired" {
				t.Errorf("after 40 days a 1-month subscription is %v, want expired", sub["status"])
			}
			stop()

			// A restart keeps the data, the admin token and the clock.
			base, printed, stop = startServer(t, db, env)
			defer stop()
			if strings.Contains(printed.String(), "admin token") {
				t.Errorf("admin token printed again at restart")
			}
			// The sandbox clock runs with the wall clock while it steps
			// through due work, so its offset is 40 days less a few ms.
			if got := call(t, "GET", base+"/v1/admin/clock", admin, nil)["offset_seconds"].(float64); got < 40*86400-60 {
				t.Errorf("clock offset after restart = %v, want about %d", got, 40*86400)
			}
		})
	}
}

func TestFlagsAndHelp(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--help"}, func(string) string { return "" }, &out, io.Discard); err != nil {
		t.Fatalf("--help: %v", err)
	}
	for _, want := range []string{"--addr", "--db", "--sandbox", "--demo", "--smtp-url"} {
		if !strings.Contains(out.String(), want) && !strings.Contains(out.String(), "serve") {
			t.Errorf("help lacks %s: %s", want, out.String())
		}
	}
	db := filepath.Join(t.TempDir(), "m.db")
	if err := run(context.Background(), []string{"migrate", "--db", db}, func(string) string { return "" }, io.Discard, io.Discard); err != nil {
		t.Errorf("migrate: %v", err)
	}
	if err := run(context.Background(), []string{"serve", "--sandbox=maybe"}, func(string) string { return "" }, io.Discard, io.Discard); err == nil {
		t.Error("a bad flag was accepted")
	}
}

// TestSandboxStart: --sandbox-start sets where a new database's sandbox
// clock starts; a restart keeps the clock it has; a malformed instant is
// refused before the server starts.
func TestSandboxStart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "start.db")
	env := map[string]string{"DIALTONE_ARGON2_MEMORY": "1024", "DIALTONE_ADMIN_TOKEN": "adm_start", "DIALTONE_DEMO": "false", "DIALTONE_SANDBOX_START": "2027-02-10T09:00:00Z"}
	at := func(base string) time.Time {
		got, err := time.Parse(time.RFC3339, call(t, "GET", base+"/v1/admin/clock", "adm_start", nil)["now"].(string))
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	want := time.Date(2027, 2, 10, 9, 0, 0, 0, time.UTC)
	base, _, stop := startServer(t, db, env)
	if got := at(base); got.Before(want) || got.After(want.Add(time.Minute)) {
		t.Errorf("sandbox clock at %v, want %v", got, want)
	}
	stop()

	env["DIALTONE_SANDBOX_START"] = "2030-01-01T00:00:00Z"
	base, _, stop = startServer(t, db, env)
	if got := at(base); got.Before(want) || got.After(want.Add(time.Minute)) {
		t.Errorf("after a restart with another start the clock is at %v, want it kept near %v", got, want)
	}
	stop()

	env["DIALTONE_SANDBOX_START"] = "10 Feb 2027"
	err := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--sip-addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "bad.db")}, func(k string) string { return env[k] }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "sandbox-start") {
		t.Errorf("serve with a malformed --sandbox-start: %v, want an error naming it", err)
	}
}

// TestStoreMetrics: on SQLite /metrics counts the writer's transactions,
// its commits and the checkpoints that keep the WAL short; PostgreSQL has
// no writer, and no such series.
func TestStoreMetrics(t *testing.T) {
	for _, kind := range storetest.Kinds(t) {
		t.Run(kind, func(t *testing.T) {
			base, _, stop := startServer(t, storetest.URL(t, kind), map[string]string{"DIALTONE_ARGON2_MEMORY": "1024"})
			defer stop()
			sipAccount(t, base, "metrics-"+kind+"@example.com") // a sign-up: writes
			m := portalPage(t, base+"/metrics", "")
			if kind != "sqlite" {
				if strings.Contains(m, "dialtone_sqlite_") {
					t.Errorf("PostgreSQL's metrics have SQLite's writer series")
				}
				return
			}
			for _, series := range []string{"dialtone_sqlite_write_transactions_total", "dialtone_sqlite_commits_total"} {
				v := regexp.MustCompile(`(?m)^` + series + ` (\S+)$`).FindStringSubmatch(m)
				if v == nil {
					t.Errorf("no %s in /metrics", series)
					continue
				}
				if n, err := strconv.ParseFloat(v[1], 64); err != nil || n < 1 {
					t.Errorf("%s = %s after a sign-up, want 1 or more", series, v[1])
				}
			}
			for _, s := range []string{
				`dialtone_sqlite_checkpoints_total{by="checkpointer",result="done"}`,
				`dialtone_sqlite_checkpoints_total{by="writer",result="whole"}`,
				`dialtone_sqlite_checkpoints_total{by="writer",result="partial"}`,
				`dialtone_sqlite_checkpoints_total{by="writer",result="failed"} 0`,
				`dialtone_sqlite_wal_frames`,
			} {
				if !strings.Contains(m, s) {
					t.Errorf("no %s in /metrics", s)
				}
			}
		})
	}
}
