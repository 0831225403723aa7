package main

import (
	"context"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestSIPThroughput measures REGISTER throughput and latency with sipp
// against serve on each store: sipp runs a REGISTER → 401 → REGISTER with
// digest → 200 per call at DIALTONE_SIP_BENCH calls per second for 10 s,
// and the test reports the calls that succeeded and the latency
// percentiles of whole calls (both round trips). It only runs when
// DIALTONE_SIP_BENCH is set (it loads the machine).
func TestSIPThroughput(t *testing.T) {
	rate, _ := strconv.Atoi(os.Getenv("DIALTONE_SIP_BENCH"))
	if rate <= 0 {
		t.Skip("set DIALTONE_SIP_BENCH=<calls per second> to measure")
	}
	sipp, err := exec.LookPath("sipp")
	if err != nil {
		t.Skip("sipp is not installed")
	}
	scenario := benchScenario(t)
	for _, kind := range storetest.Kinds(t) {
		t.Run(kind, func(t *testing.T) {
			base, printed, stop := startServer(t, storetest.URL(t, kind), map[string]string{"DIALTONE_ARGON2_MEMORY": "1024",
				"DIALTONE_SIP_ALGORITHMS": "MD5,SHA-256", "DIALTONE_LOG_LEVEL": "warn"})
			defer stop()
			addr := sipAddr(t, printed.String())
			_, acct := sipAccount(t, base, "bench-"+kind+"@example.com")
			user := acct["username"].(string)
			dir := t.TempDir()
			calls := rate * 10
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, sipp, addr, "-sf", scenario, "-m", strconv.Itoa(calls), "-r", strconv.Itoa(rate),
				"-l", strconv.Itoa(rate), "-s", user, "-au", user, "-ap", acct["password"].(string),
				"-key", "domain", acct["domain"].(string), "-key", "expires", "300", "-i", "127.0.0.1",
				"-p", strconv.Itoa(freeUDPPort(t)), "-t", "u1", "-nostdin", "-timeout", "60s", "-trace_rtt", "-rtt_freq", "1")
			cmd.Dir = dir
			start := time.Now()
			out, err := cmd.CombinedOutput()
			elapsed := time.Since(start)
			ok := regexp.MustCompile(`Successful call\s*\|\s*\d+\s*\|\s*(\d+)`).FindStringSubmatch(string(out))
			if err != nil || ok == nil {
				t.Fatalf("sipp: %v\n%s", err, out)
			}
			lat := rtts(t, dir)
			t.Logf("%s: %s of %d calls in %s (%.0f REGISTERs with digest/s); latency of a call p50 %.1f ms, p99 %.1f ms, max %.1f ms",
				kind, ok[1], calls, elapsed.Round(time.Millisecond), float64(calls)/elapsed.Seconds(),
				pct(lat, 0.50), pct(lat, 0.99), pct(lat, 1))
		})
	}
}

// benchScenario is register.xml's first round (challenge and answer),
// timed from the first REGISTER to the 200.
func benchScenario(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../internal/sip/testdata/sipp/register.xml")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	first200 := strings.Index(s, `<recv response="200"/>`)
	s = s[:first200] + `<recv response="200" rtd="1"/>` + "\n</scenario>\n"
	s = strings.Replace(s, `<send retrans="500">`, `<send retrans="500" start_rtd="1">`, 1)
	p := filepath.Join(t.TempDir(), "bench.xml")
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// rtts reads the call latencies (ms) sipp's -trace_rtt wrote in dir.
func rtts(t *testing.T, dir string) []float64 {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*_rtt.csv"))
	var out []float64
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		r := csv.NewReader(fh)
		r.Comma = ';'
		r.FieldsPerRecord = -1
		rows, _ := r.ReadAll()
		fh.Close()
		for _, row := range rows {
			if len(row) >= 2 {
				if v, err := strconv.ParseFloat(row[1], 64); err == nil {
					out = append(out, v)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

func pct(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return -1
	}
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}
