package main

import (
	"context"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/alexedwards/argon2id"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/clock"
	"github.com/dialtone/dialtone/internal/payment"
	"github.com/dialtone/dialtone/internal/store"
)

// BenchCmd groups the benchmarks that drive a dialtone from outside.
type BenchCmd struct {
	SIP      BenchSIPCmd      `cmd:"" name:"sip" help:"REGISTER throughput and latency of the SIP registrar, measured with sipp (Debian's sip-tester)."`
	Orders   BenchOrdersCmd   `cmd:"" name:"orders" help:"Balance-paid orders over HTTP: orders/s and latency percentiles."`
	Renewals BenchRenewalsCmd `cmd:"" name:"renewals" help:"A renewal run: N due subscriptions in a fresh database renewed by the scheduler in one or more processes; renewals/s, and a check that nothing was doubled or lost."`
}

// BenchSIPCmd starts serve on a database, opens --accounts customers (each
// with its SIP trunk account), and runs sipp against the registrar: each
// sipp call is one registration (REGISTER, 401, REGISTER with digest, 200)
// of the next account of an injection file, at --rate calls per second for
// --duration. It reports the registrations that succeeded per second and
// the latency of a whole registration (both round trips).
type BenchSIPCmd struct {
	DB        string        `help:"The database of the server to start: a SQLite path or a postgres:// URL (default: a temporary SQLite file). Bench accounts are added to it."`
	Accounts  int           `default:"500" help:"SIP accounts registering in turn (one customer each)."`
	Rate      int           `default:"1000" help:"Registrations started per second."`
	Duration  time.Duration `default:"10s" help:"How long to send."`
	Transport string        `default:"udp" enum:"udp,tcp" help:"udp or tcp."`
	Sipp      string        `default:"sipp" help:"The sipp binary."`
	Keep      string        `help:"Keep sipp's files (scenario, injection file, traces) in this directory."`
	Profile   string        `name:"cpu-profile" help:"Write a CPU profile of the server (this process) while sipp runs to this file (go tool pprof)."`
}

//go:embed sipp/bench_register.xml
var benchRegisterScenario []byte

func (c BenchSIPCmd) run(ctx context.Context, stdout io.Writer) error {
	if c.Accounts < 1 || c.Accounts > 100_000 || c.Rate < 1 || c.Rate > 100_000 || c.Duration <= 0 || c.Duration > 10*time.Minute {
		return errors.New("bench sip: --accounts and --rate must be in [1, 100000], --duration in (0, 10m]")
	}
	sipp, err := exec.LookPath(c.Sipp)
	if err != nil {
		return fmt.Errorf("bench sip: sipp not found (apt-get install sip-tester): %w", err)
	}
	dir := c.Keep
	if dir == "" {
		if dir, err = os.MkdirTemp("", "dialtone-bench-sip"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	db := c.DB
	if db == "" {
		db = filepath.Join(dir, "bench.db")
	}
	serveDB := db
	if storeKind(db) == "PostgreSQL" {
		// Its database sessions are told apart by their application_name,
		// for the CPU they take (pgBackendsCPU).
		serveDB = withParam(db, "application_name", benchAppName)
	}
	sctx, stopServe := context.WithCancel(ctx)
	defer stopServe()
	printed, done, err := startServe(sctx, serveDB)
	if err != nil {
		return err
	}
	defer func() { stopServe(); <-done }()
	m := regexp.MustCompile(`SIP registrar on udp\+tcp (\S+)`).FindStringSubmatch(printed)
	if m == nil {
		return fmt.Errorf("bench sip: serve printed no SIP address: %s", printed)
	}
	addr := m[1]
	httpURL := ""
	if hm := regexp.MustCompile(`listening on (http://\S+)`).FindStringSubmatch(printed); hm != nil {
		httpURL = hm[1]
	}

	fmt.Fprintf(stdout, "bench sip: opening %d accounts on %s\n", c.Accounts, storeKind(db))
	accts, err := benchAccounts(ctx, db, c.Accounts)
	if err != nil {
		return err
	}
	inf := filepath.Join(dir, "accounts.csv")
	var b strings.Builder
	b.WriteString("SEQUENTIAL\n")
	for _, a := range accts {
		fmt.Fprintf(&b, "%s;[authentication username=%s password=%s]\n", a[0], a[0], a[1])
	}
	if err := os.WriteFile(inf, []byte(b.String()), 0o600); err != nil {
		return err
	}
	scenario := filepath.Join(dir, "bench_register.xml")
	if err := os.WriteFile(scenario, benchRegisterScenario, 0o644); err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	old, _ := filepath.Glob(filepath.Join(dir, "*_rtt.csv"))
	for _, f := range old {
		_ = os.Remove(f) // a rerun with --keep reads only its own
	}
	calls := int(float64(c.Rate) * c.Duration.Seconds())
	load := loadAverage()
	fmt.Fprintf(stdout, "bench sip: %d registrations at %d/s over %s to %s (%s), %d CPUs, load average %s\n",
		calls, c.Rate, c.Transport, addr, storeKind(db), runtime.NumCPU(), load)
	sctx2, cancel := context.WithTimeout(ctx, c.Duration+2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(sctx2, sipp, addr, "-sf", scenario, "-inf", inf, "-m", strconv.Itoa(calls),
		"-r", strconv.Itoa(c.Rate), "-l", strconv.Itoa(max(c.Rate, 100)), "-key", "domain", benchDomain, "-key", "expires", "300",
		"-i", "127.0.0.1", "-p", strconv.Itoa(port), "-t", map[string]string{"udp": "u1", "tcp": "t1"}[c.Transport],
		"-nostdin", "-timeout", fmt.Sprintf("%ds", int((c.Duration+time.Minute).Seconds())), "-trace_rtt", "-rtt_freq", "1", "-trace_stat", "-fd", "1")
	cmd.Dir = dir
	if c.Profile != "" {
		f, err := os.Create(c.Profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	selfBefore, ioBefore := selfCPU(), selfIO()
	pgBefore := pgBackendsCPU(ctx, db)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	elapsed := time.Since(start)
	if c.Profile != "" {
		pprof.StopCPUProfile()
	}
	selfUsed, pgAfter := selfCPU()-selfBefore, pgBackendsCPU(ctx, db)
	ioAfter := selfIO()
	var sippUsed time.Duration
	if cmd.ProcessState != nil {
		sippUsed = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	ok := regexp.MustCompile(`Successful call\s*\|\s*\d+\s*\|\s*(\d+)`).FindStringSubmatch(string(out))
	failed := regexp.MustCompile(`Failed call\s*\|\s*\d+\s*\|\s*(\d+)`).FindStringSubmatch(string(out))
	if ok == nil || failed == nil {
		return fmt.Errorf("bench sip: sipp: %v\n%s", err, out)
	}
	lat, err := readRTTs(dir)
	if err != nil {
		return err
	}
	n, _ := strconv.Atoi(ok[1])
	fmt.Fprintf(stdout, "registrations: %s succeeded, %s failed, in %s: %.0f registrations/s (%.0f REGISTER requests/s)\n",
		ok[1], failed[1], elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(), 2*float64(n)/elapsed.Seconds())
	fmt.Fprintf(stdout, "latency of a registration (REGISTER to 200, both round trips): p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
		pctile(lat, 0.50), pctile(lat, 0.90), pctile(lat, 0.99), pctile(lat, 1))
	if n > 0 {
		per := func(d time.Duration) string {
			return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond)/float64(n))
		}
		fmt.Fprintf(stdout, "CPU per registration: dialtone %s, sipp %s", per(selfUsed), per(sippUsed))
		total := selfUsed + sippUsed
		if pgBefore >= 0 && pgAfter >= 0 {
			fmt.Fprintf(stdout, ", PostgreSQL %s (its sessions of this run alive at the end)", per(pgAfter-pgBefore))
			total += pgAfter - pgBefore
		}
		fmt.Fprintf(stdout, "; %d idle CPUs would do about %.0f registrations/s\n", runtime.NumCPU(),
			float64(runtime.NumCPU())*float64(time.Second)/(float64(total)/float64(n)))
		if ioBefore[0] >= 0 && ioAfter[0] >= 0 {
			// syscw: each database round trip is one write (pgx writes a
			// whole pipelined batch at once), and so is each wakeup of the
			// Go runtime's poller (an eventfd); the UDP responses are
			// sendto calls, not counted.
			fmt.Fprintf(stdout, "system calls of dialtone per registration: %.2f writes (database round trips and runtime wakeups), %.2f reads\n",
				float64(ioAfter[1]-ioBefore[1])/float64(n), float64(ioAfter[0]-ioBefore[0])/float64(n))
		}
	}
	if failed[1] != "0" {
		// What the registrar answered, from its metrics (a few failed
		// digests from one address throttle it: every REGISTER from sipp
		// is then refused until the throttle lets it through again).
		fmt.Fprintf(stdout, "the registrar's answers: %s\n", sipMetrics(ctx, httpURL))
	}
	if err != nil || failed[1] != "0" {
		return fmt.Errorf("bench sip: sipp reported failures (%v); its files: rerun with --keep DIR", err)
	}
	return nil
}

// benchDomain is the SIP domain of the benchmark's server.
const benchDomain = "bench.dialtone.local"

// benchAppName is the application_name of the benchmark server's
// PostgreSQL sessions.
const benchAppName = "dialtone-bench-sip"

// withParam adds a query parameter to a database URL.
func withParam(url, k, v string) string {
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return url + sep + k + "=" + v
}

// selfCPU is the CPU time this process has used (user and system).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// sipMetrics is the registrar's REGISTER answers and failures by reason,
// read from serve's /metrics.
func sipMetrics(ctx context.Context, base string) string {
	if base == "" {
		return "unknown"
	}
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/metrics", nil)
	if err != nil {
		return err.Error()
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err.Error()
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return err.Error()
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, `dialtone_sip_requests_total{code=`) && strings.Contains(line, `method="REGISTER"`) ||
			strings.HasPrefix(line, "dialtone_sip_register_failures_total{") {
			out = append(out, strings.TrimPrefix(strings.TrimPrefix(line, "dialtone_sip_"), "register_"))
		}
	}
	return strings.Join(out, ", ")
}

// selfIO is this process's count of read and write system calls so far
// (/proc/self/io's syscr and syscw; -1 when it cannot be read).
func selfIO() [2]int64 {
	out := [2]int64{-1, -1}
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return out
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, ": ")
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		switch {
		case err != nil:
		case k == "syscr":
			out[0] = n
		case k == "syscw":
			out[1] = n
		}
	}
	return out
}

// pgBackendsCPU sums the CPU time of the PostgreSQL sessions of the
// benchmark's server, read from /proc (PostgreSQL on this machine, Linux);
// -1 when it cannot be read (SQLite, another machine). Sessions that ended
// are not counted.
func pgBackendsCPU(ctx context.Context, db string) time.Duration {
	if storeKind(db) != "PostgreSQL" {
		return -1
	}
	st, err := store.Open(ctx, db)
	if err != nil {
		return -1
	}
	defer st.Close()
	rows, err := st.DB().QueryContext(ctx, `SELECT pid FROM pg_stat_activity WHERE application_name = $1`, benchAppName)
	if err != nil {
		return -1
	}
	defer rows.Close()
	var total time.Duration
	for rows.Next() {
		var pid int
		if rows.Scan(&pid) != nil {
			return -1
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return -1
		}
		// Fields after the command's closing parenthesis: utime and
		// stime are the 14th and 15th of the line, in clock ticks (100/s).
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) < 13 {
			return -1
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		k, _ := strconv.ParseInt(f[12], 10, 64)
		total += time.Duration(u+k) * 10 * time.Millisecond
	}
	return total
}

// startServe runs serve on db in this process until ctx ends, and returns
// what it printed up to its HTTP address.
func startServe(ctx context.Context, db string) (string, <-chan error, error) {
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	getenv := func(k string) string {
		if k == "DIALTONE_ARGON2_MEMORY" {
			return "1024"
		}
		return ""
	}
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--sip-addr", "127.0.0.1:0", "--db", db, "--no-demo",
			"--sip-domain", benchDomain, "--sip-algorithms", "MD5,SHA-256", "--log-level", "warn"}, getenv, pw, io.Discard)
		pw.Close()
	}()
	buf := make([]byte, 4096)
	var out strings.Builder
	for !strings.Contains(out.String(), "listening on ") {
		n, err := pr.Read(buf)
		if err != nil {
			return "", nil, fmt.Errorf("bench sip: serve did not start: %s (%v)", out.String(), <-done)
		}
		out.Write(buf[:n])
	}
	go io.Copy(io.Discard, pr)
	return out.String(), done, nil
}

// benchAccounts opens n customers on db and returns their SIP trunk
// accounts' usernames and passwords.
func benchAccounts(ctx context.Context, db string, n int) ([][2]string, error) {
	st, err := store.Open(ctx, db)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	// A run starts unthrottled: what an earlier run's failed digests
	// counted against sipp's address (one for every account) is forgotten.
	if _, err := st.DB().ExecContext(ctx, `DELETE FROM login_throttles WHERE key LIKE 'sip-%'`); err != nil {
		return nil, err
	}
	params := *argon2id.DefaultParams
	params.Memory = 1024
	svc := billing.New(st, clock.Wall{}, payment.NewSandbox(), slog.New(slog.DiscardHandler),
		billing.Config{SIPDomain: benchDomain, Argon2: &params})
	out := make([][2]string, n)
	run := fmt.Sprint(time.Now().UnixNano())
	var wg sync.WaitGroup
	errc := make(chan error, 4)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 4 {
				cus, _, err := svc.Signup(ctx, billing.SignupInput{Email: fmt.Sprintf("bench-%s-%d@example.com", run, i),
					Password: "correct horse", Company: "Bench", Country: "CH", Currency: "CHF"})
				if err != nil {
					errc <- err
					return
				}
				p := billing.Principal{CustomerID: cus.ID, Role: "owner"}
				list, err := svc.SIPAccounts(ctx, p)
				if err == nil && len(list) == 0 {
					err = errors.New("a new customer has no SIP account")
				}
				if err != nil {
					errc <- err
					return
				}
				a, err := svc.RevealSIPPassword(ctx, p, list[0].ID)
				// sipp reads a password that starts with "0x" as hex: its
				// digests would be wrong (one account in a thousand, and ten
				// failures from sipp's address throttle every account).
				for err == nil && strings.HasPrefix(a.Password, "0x") {
					a, err = svc.RotateSIPPassword(ctx, p, a.ID)
				}
				if err != nil {
					errc <- err
					return
				}
				out[i] = [2]string{a.Username, a.Password}
			}
		}()
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return nil, fmt.Errorf("bench sip: open the accounts: %w", err)
	}
	return out, nil
}

func storeKind(db string) string {
	if strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") {
		return "PostgreSQL"
	}
	return "SQLite"
}

// freePort returns a port free for UDP and TCP on 127.0.0.1 at the moment.
func freePort() (int, error) {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port, nil
}

// loadAverage is /proc/loadavg's first three figures, or "unknown".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "unknown"
}

// readRTTs reads the latencies (ms) sipp's -trace_rtt wrote in dir, sorted.
func readRTTs(dir string) ([]float64, error) {
	files, _ := filepath.Glob(filepath.Join(dir, "*_rtt.csv"))
	var out []float64
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return nil, err
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
	return out, nil
}

// pctile is the p-quantile of sorted (-1 when empty).
func pctile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return -1
	}
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}
