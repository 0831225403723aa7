package contracttest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/contracttest/openapicheck"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// binary is the dialtone built once for the package's run.
var binary string

// checker is the served document's, shared by all the servers of a run.
var checker atomic.Pointer[openapicheck.Checker]

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "contracttest")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "dialtone")
	build := exec.Command("go", "build", "-o", binary, "github.com/dialtone/dialtone/cmd/dialtone")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	// A whole run tries every operation of the document with success.
	if f := flag.Lookup("test.run"); f != nil && f.Value.String() == "" && checker.Load() != nil {
		if un := checker.Load().Untried(); len(un) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: the contract suite never succeeded with these operations: %s\n", strings.Join(un, ", "))
			code = 1
		}
	}
	os.Exit(code)
}

const adminToken = "adm_contract_suite"

// start is the fixed instant every test's sandbox clock starts at
// (--sandbox-start), so that no test depends on today's date.
var start = time.Date(2036, 1, 15, 10, 0, 0, 0, time.UTC)

// server is one running `dialtone serve`.
type server struct {
	t    testing.TB
	base string
	c    *http.Client
	seq  atomic.Int64
	mu   sync.Mutex
	who  map[string]string // token -> e-mail
}

// each runs f against a fresh server on every store (PostgreSQL only when
// configured; under CI=true it must be).
func each(t *testing.T, f func(t *testing.T, s *server)) {
	t.Parallel()
	for _, kind := range storetest.Kinds(t) {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			f(t, serve(t, storetest.URL(t, kind)))
		})
	}
}

// serve starts the binary on a free port with its own database and waits
// until it answers; the clock is at start.
func serve(t *testing.T, db string, extraEnv ...string) *server {
	t.Helper()
	cmd := exec.Command(binary, "serve", "--addr", "127.0.0.1:0", "--db", db)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DIALTONE_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "DIALTONE_ADMIN_TOKEN="+adminToken, "DIALTONE_ARGON2_MEMORY=1024",
		"DIALTONE_SIP_ADDR=127.0.0.1:0", "DIALTONE_SANDBOX=true", "DIALTONE_SANDBOX_START="+start.Format(time.RFC3339), "DIALTONE_DEMO=true", "DIALTONE_LOG_LEVEL=warn")
	cmd.Env = append(cmd.Env, extraEnv...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() && stderr.Len() > 0 {
			t.Logf("server's log:\n%.4000s", stderr.String())
		}
	})
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		re := regexp.MustCompile(`listening on (http://\S+)`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				urlc <- m[1]
			}
		}
	}()
	s := &server{t: t, who: map[string]string{}}
	select {
	case s.base = <-urlc:
	case <-exited:
		t.Fatalf("dialtone serve ended: %s", stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatal("dialtone serve did not start in 60 s")
	}
	oa, err := openapicheck.Fetch(http.DefaultClient, s.base)
	if err != nil {
		t.Fatal(err)
	}
	checker.Store(oa)
	s.c = &http.Client{Timeout: 2 * time.Minute, Transport: oa.Transport(nil, func(err error) { t.Errorf("OpenAPI: %v", err) }),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return s
}

// resp is an answer.
type resp struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

func (r resp) code() string  { return str(obj(r.body["error"])["code"]) }
func (r resp) param() string { return str(obj(r.body["error"])["param"]) }

func (r resp) data() []map[string]any {
	var out []map[string]any
	for _, v := range arr(r.body["data"]) {
		out = append(out, obj(v))
	}
	return out
}

// do sends a request; body is JSON unless it is a string (sent as is).
// hdr are header name/value pairs. A 5xx always fails the test.
func (s *server) do(method, path, token string, body any, hdr ...string) resp {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		buf, _ := json.Marshal(b)
		rd = bytes.NewReader(buf)
	}
	req, _ := http.NewRequest(method, s.base+path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := s.c.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := resp{status: res.StatusCode, header: res.Header, raw: raw}
	_ = json.Unmarshal(raw, &r.body)
	if r.status >= 500 {
		s.t.Errorf("%s %s: %d %s", method, path, r.status, raw)
	}
	return r
}

// must is do that fails the test unless the status is want.
func (s *server) must(want int, method, path, token string, body any, hdr ...string) resp {
	s.t.Helper()
	r := s.do(method, path, token, body, hdr...)
	if r.status != want {
		s.t.Fatalf("%s %s: got %d, want %d: %.600s", method, path, r.status, want, r.raw)
	}
	return r
}

// fails checks an error answer: its status, code and (if given) param.
func (s *server) fails(status int, code, param string, method, path, token string, body any, hdr ...string) resp {
	s.t.Helper()
	r := s.do(method, path, token, body, hdr...)
	if r.status != status || r.code() != code || (param != "" && r.param() != param) {
		b, _ := json.Marshal(body)
		s.t.Errorf("%s %s %.300s: got %d %s (param %q), want %d %s (param %q): %.400s", method, path, b,
			r.status, r.code(), r.param(), status, code, param, r.raw)
	}
	if ct := r.header.Get("Content-Type"); r.status >= 400 && !strings.HasPrefix(ct, "application/json") {
		s.t.Errorf("%s %s: an error as %q, want application/json", method, path, ct)
	}
	return r
}

// customer signs up a new customer (a unique e-mail from prefix), logs in
// and returns its token.
func (s *server) customer(prefix, currency string) string {
	s.t.Helper()
	email := fmt.Sprintf("%s-%d@contract.test", prefix, s.seq.Add(1))
	r := s.must(201, "POST", "/v1/signup", "", map[string]any{"email": email, "password": "correct horse battery",
		"company": "Contract " + prefix, "country": "DE", "currency": currency})
	if obj(r.body["customer"])["id"] == nil || obj(r.body["user"])["id"] == nil {
		s.t.Errorf("signup: want {customer, user}: %s", r.raw)
	}
	return s.login(email)
}

// login opens a session of a customer made by customer.
func (s *server) login(email string) string {
	s.t.Helper()
	r := s.must(201, "POST", "/v1/sessions", "", map[string]any{"email": email, "password": "correct horse battery"})
	tok := str(r.body["token"])
	s.mu.Lock()
	s.who[tok] = email
	s.mu.Unlock()
	return tok
}

// relogin opens a new session of tok's customer: journeys that are not
// about sessions do not depend on one surviving a clock move.
func (s *server) relogin(tok string) string {
	s.t.Helper()
	s.mu.Lock()
	email := s.who[tok]
	s.mu.Unlock()
	return s.login(email)
}

// address adds a German billing address.
func (s *server) address(tok string) string {
	s.t.Helper()
	r := s.must(201, "POST", "/v1/billing_addresses", tok, map[string]any{"name": "Contract GmbH", "line1": "Unter den Linden 1",
		"city": "Berlin", "postal_code": "10117", "country": "DE"})
	return str(r.body["id"])
}

// topUp credits the balance by card.
func (s *server) topUp(tok string, amount int64) {
	s.t.Helper()
	s.must(201, "POST", "/v1/orders", tok, map[string]any{"items": []any{map[string]any{"type": "balance_top_up", "amount": amount}},
		"payment": map[string]any{"method": "card", "card": goodCard}})
}

// buy orders items from the balance.
func (s *server) buy(tok, adr string, items ...map[string]any) resp {
	s.t.Helper()
	return s.do("POST", "/v1/orders", tok, order(adr, items...))
}

func order(adr string, items ...map[string]any) map[string]any {
	return map[string]any{"items": items, "billing_address": adr, "payment": map[string]any{"method": "balance"}}
}

// advance moves the sandbox clock.
func (s *server) advance(d time.Duration) time.Time {
	s.t.Helper()
	r := s.must(200, "POST", "/v1/admin/clock/advance", adminToken, map[string]any{"seconds": int64(d / time.Second)})
	return tm(s.t, r.body["now"])
}

// now is the sandbox clock.
func (s *server) now() time.Time {
	s.t.Helper()
	return tm(s.t, s.must(200, "GET", "/v1/admin/clock", adminToken, nil).body["now"])
}

var goodCard = map[string]any{"number": "4242424242424242", "exp_month": 12, "exp_year": 2040, "cvc": "123"}

func sub(plan string, qty, term int) map[string]any {
	return map[string]any{"type": "subscription", "plan": plan, "quantity": qty, "term_months": term}
}

func obj(v any) map[string]any { m, _ := v.(map[string]any); return m }
func arr(v any) []any          { a, _ := v.([]any); return a }
func str(v any) string         { s, _ := v.(string); return s }
func num(v any) int64          { f, _ := v.(float64); return int64(f) }

func tm(t testing.TB, v any) time.Time {
	t.Helper()
	x, err := time.Parse(time.RFC3339Nano, str(v))
	if err != nil {
		t.Fatalf("time %v: %v", v, err)
	}
	return x
}
