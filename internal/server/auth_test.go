package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/clock"
	"github.com/dialtone/dialtone/internal/payment"
	"github.com/dialtone/dialtone/internal/server"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// from returns an HTTP client whose connections come from a loopback
// address of its own (127.0.0.n), so that a test can be many clients.
func from(n int) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(n))}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
}

// login posts an e-mail and password to POST /v1/sessions from a client
// and returns the status and the Retry-After header.
func login(t testing.TB, c *http.Client, base, email, password string) (int, string, []byte) {
	t.Helper()
	buf, _ := json.Marshal(map[string]string{"email": email, "password": password})
	res, err := c.Post(base+"/v1/sessions", "application/json", bytes.NewReader(buf))
	if err != nil {
		t.Fatalf("login %s: %v", email, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Retry-After"), raw
}

// signupOnly opens an account without logging in.
func signupOnly(a *api, email string) {
	a.t.Helper()
	r := a.do("POST", "/v1/signup", "", map[string]any{"email": email, "password": "correct horse", "company": "Acme", "country": "CH", "currency": "CHF"})
	if r.status != 201 {
		a.t.Fatalf("signup %s: %d %s", email, r.status, r.raw)
	}
}

// wantThrottled checks a 429 rate_limited with a Retry-After of 1 to max
// seconds.
func wantThrottled(t *testing.T, what string, status int, retry string, raw []byte, max int) {
	t.Helper()
	var body struct {
		Error struct{ Code, Message string }
	}
	_ = json.Unmarshal(raw, &body)
	n, err := strconv.Atoi(retry)
	if status != 429 || body.Error.Code != "rate_limited" || err != nil || n < 1 || n > max {
		t.Errorf("%s: %d Retry-After %q %s, want 429 rate_limited with Retry-After 1..%d", what, status, retry, raw, max)
	}
}

// TestLoginThrottleCountsFailures (PRODUCT.md "Logins and the operator"):
// correct log-ins are never counted, however many come from one address at
// once; failed ones are counted per e-mail (whatever the address) and per
// address (whatever the e-mail), on wall-clock time; a throttled e-mail is
// refused whatever the password, a throttled address only a wrong one.
func TestLoginThrottleCountsFailures(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st)
		base := a.srv.URL

		t.Run("OfficeBehindOneAddress", func(t *testing.T) {
			const n = 60
			for i := range n {
				signupOnly(a, fmt.Sprintf("office%d@acme.test", i))
			}
			office := from(10)
			var wg sync.WaitGroup
			statuses := make([]int, n)
			for i := range n {
				wg.Go(func() {
					statuses[i], _, _ = login(t, office, base, fmt.Sprintf("office%d@acme.test", i), "correct horse")
				})
			}
			wg.Wait()
			for i, s := range statuses {
				if s != 201 {
					t.Errorf("office%d: %d, want 201 (correct log-ins are never throttled)", i, s)
				}
			}
			// And again, one after another: still no 429.
			for i := range n {
				if s, _, raw := login(t, office, base, fmt.Sprintf("office%d@acme.test", i), "correct horse"); s != 201 {
					t.Fatalf("office%d again: %d %s", i, s, raw)
				}
			}
		})

		t.Run("OneEmailManyAddresses", func(t *testing.T) {
			signupOnly(a, "victim@acme.test")
			for i := range 10 {
				if s, _, raw := login(t, from(20+i), base, "victim@acme.test", "guess"); s != 401 {
					t.Fatalf("failure %d: %d %s, want 401", i+1, s, raw)
				}
			}
			s, retry, raw := login(t, from(40), base, "victim@acme.test", "guess")
			wantThrottled(t, "11th failure from a new address", s, retry, raw, 60)
			// Throttled, the e-mail is refused before its password is
			// checked, so that a guesser learns nothing from the answer.
			s, retry, raw = login(t, from(41), base, "victim@acme.test", "correct horse")
			wantThrottled(t, "the right password while throttled", s, retry, raw, 60)
			// The sandbox clock is no security timer: moving it a day does
			// not lift the throttle.
			if r := a.do("POST", "/v1/admin/clock/advance", adminToken, map[string]any{"seconds": 86400}); r.status != 200 {
				t.Fatalf("advance: %d %s", r.status, r.raw)
			}
			s, retry, raw = login(t, from(42), base, "victim@acme.test", "guess")
			wantThrottled(t, "after the sandbox clock moved a day", s, retry, raw, 60)
			// Another e-mail from the same addresses is not affected.
			signupOnly(a, "bystander@acme.test")
			if s, _, raw := login(t, from(40), base, "bystander@acme.test", "correct horse"); s != 201 {
				t.Errorf("another e-mail: %d %s, want 201", s, raw)
			}
		})

		t.Run("OneAddressManyEmails", func(t *testing.T) {
			sprayer := from(50)
			for i := range 50 {
				if s, _, raw := login(t, sprayer, base, fmt.Sprintf("spray%d@acme.test", i), "Winter2026!"); s != 401 {
					t.Fatalf("failure %d: %d %s, want 401", i+1, s, raw)
				}
			}
			s, retry, raw := login(t, sprayer, base, "spray-next@acme.test", "Winter2026!")
			wantThrottled(t, "51st failure from one address", s, retry, raw, 6)
			// A throttled address is refused only for wrong passwords: a
			// colleague behind it with the right one logs in.
			signupOnly(a, "colleague@acme.test")
			if s, _, raw := login(t, sprayer, base, "colleague@acme.test", "correct horse"); s != 201 {
				t.Errorf("the right password from a throttled address: %d %s, want 201", s, raw)
			}
			// Its wrong guesses still count for their e-mail: after 10 the
			// e-mail is throttled whatever the password and address.
			signupOnly(a, "sprayed@acme.test")
			for i := range 10 {
				s, retry, raw := login(t, sprayer, base, "sprayed@acme.test", "guess")
				wantThrottled(t, fmt.Sprintf("wrong guess %d from a throttled address", i+1), s, retry, raw, 6)
			}
			s, retry, raw = login(t, from(52), base, "sprayed@acme.test", "correct horse")
			wantThrottled(t, "the e-mail after 10 guesses from a throttled address", s, retry, raw, 60)
			// Other addresses log in as before.
			signupOnly(a, "elsewhere@acme.test")
			if s, _, raw := login(t, from(51), base, "elsewhere@acme.test", "correct horse"); s != 201 {
				t.Errorf("another address: %d %s, want 201", s, raw)
			}
		})

		t.Run("Portal", func(t *testing.T) {
			signupOnly(a, "portal-victim@acme.test")
			b := newBrowser(t, a)
			for i := range 10 {
				if p := b.post("/login", url.Values{"email": {"portal-victim@acme.test"}, "password": {"guess"}}); p.status != 401 {
					t.Fatalf("portal failure %d: %d", i+1, p.status)
				}
			}
			// The portal's form and the API share the count.
			s, retry, raw := login(t, from(60), base, "portal-victim@acme.test", "guess")
			wantThrottled(t, "API after 10 portal failures", s, retry, raw, 60)
			p := b.post("/login", url.Values{"email": {"portal-victim@acme.test"}, "password": {"correct horse"}})
			if p.status != 429 || !strings.Contains(p.body, "Too many failed log-ins") {
				t.Errorf("portal while throttled: %d, want 429 and words\n%s", p.status, p.body)
			}
		})
	})
}

// TestLoginThrottleSharedByProcesses: two dialtone servers on one database
// enforce one limit: failures on either count for both.
func TestLoginThrottleSharedByProcesses(t *testing.T) {
	t.Parallel()
	for _, kind := range storetest.Kinds(t) {
		t.Run(kind, func(t *testing.T) {
			u := storetest.URL(t, kind)
			one, two := serverOn(t, u), serverOn(t, u)
			signupOnly(one, "shared@acme.test")
			for i := range 10 {
				srv := []*api{one, two}[i%2]
				if s, _, raw := login(t, from(70+i), srv.srv.URL, "shared@acme.test", "guess"); s != 401 {
					t.Fatalf("failure %d: %d %s", i+1, s, raw)
				}
			}
			for _, srv := range []*api{one, two} {
				s, retry, raw := login(t, from(90), srv.srv.URL, "shared@acme.test", "guess")
				wantThrottled(t, "11th failure", s, retry, raw, 60)
			}
		})
	}
}

// serverOn starts a dialtone server of its own (its own pool, service and
// handler, as another process would have) on the database at u.
func serverOn(t *testing.T, u string) *api {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFrozen(time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := billing.New(st, clk, payment.NewSandbox(), log, billing.Config{Argon2: cheapArgon})
	if _, err := svc.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(svc, log, prometheus.NewRegistry(), server.Config{AdminToken: adminToken, Sandbox: true, SandboxClock: clk}))
	t.Cleanup(srv.Close)
	return &api{t: t, srv: srv, clk: clk}
}

// TestSessionsOutliveSandboxClock: sessions expire on wall-clock time, so
// moving the sandbox clock by months logs no one out, neither the API's
// token nor the portal's cookie.
func TestSessionsOutliveSandboxClock(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st)
		tok := a.signup("late@acme.test", "CHF")
		b := newBrowser(t, a)
		b.signup("late-portal@acme.test", "CHF")
		if r := a.do("POST", "/v1/admin/clock/advance", adminToken, map[string]any{"seconds": 92 * 86400}); r.status != 200 {
			t.Fatalf("advance: %d %s", r.status, r.raw)
		}
		if r := a.do("GET", "/v1/account", tok, nil); r.status != 200 {
			t.Errorf("API token 3 months on: %d %s, want 200", r.status, r.raw)
		}
		if p := b.get("/subscriptions"); p.status != 200 || p.url != "/subscriptions" {
			t.Errorf("portal 3 months on: %d at %s, want the page, not the log-in", p.status, p.url)
		}
	})
}

// TestAuthorizeBeforeValidation walks every operation of the served
// OpenAPI document: without credentials a non-public one is 401
// unauthenticated, with the wrong kind of token 403 forbidden, and that
// before anything of the request is read: a malformed body, bad text, bad
// parameters or an overlong Idempotency-Key do not make it a 400.
// Public, customer and operator routes are told apart by API.md, not by
// the code.
func TestAuthorizeBeforeValidation(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	a := newAPI(t, st)
	tok := a.signup("authz@acme.test", "CHF")
	// A login of the account that is not an admin reads, but neither buys
	// nor manages (PRODUCT.md "Logins and the operator").
	acct := a.do("GET", "/v1/account", tok, nil)
	memberLogin(t, a, st, acct.body["id"].(string), "member@acme.test")
	member := a.do("POST", "/v1/sessions", "", map[string]any{"email": "member@acme.test", "password": "member horse"}).body["token"].(string)
	public := map[string]bool{"GET /v1/plans": true, "POST /v1/signup": true, "POST /v1/sessions": true, "POST /v1/webhooks/stripe": true,
		"POST /v1/password_resets": true, "POST /v1/password_resets/{token}": true}
	// Any login may price an order and log itself out.
	anyLogin := map[string]bool{"POST /v1/quotes": true, "DELETE /v1/sessions/current": true}
	spec := a.do("GET", "/v1/openapi.json", "", nil)
	paths, _ := spec.body["paths"].(map[string]any)
	var ops []string
	for p, item := range paths {
		for m := range item.(map[string]any) {
			switch m {
			case "get", "post", "put", "patch", "delete":
				ops = append(ops, strings.ToUpper(m)+" "+p)
			}
		}
	}
	sort.Strings(ops)
	if len(ops) < 50 {
		t.Fatalf("%d operations in the document, want every route", len(ops))
	}
	bodies := []string{`{"percent_off": 5, "code": [`, "{\"name\": \"\x00\xff\"}", `[1, 2, 3]`}
	for _, o := range ops {
		method, path, _ := strings.Cut(o, " ")
		if public[o] {
			continue
		}
		operatorRoute := strings.HasPrefix(path, "/v1/admin/")
		concrete := strings.NewReplacer("{id}", "x", "{code}", "x", "{country}", "x", "{cc}", "x").Replace(path) + "?limit=abc&starting_after=%00"
		callers := []struct {
			name, token, code string
			status            int
		}{{"NoToken", "", "unauthenticated", 401}, {"WrongToken", "dt_wrong", "unauthenticated", 401}}
		if operatorRoute {
			callers = append(callers, struct {
				name, token, code string
				status            int
			}{"Customer", tok, "forbidden", 403})
		} else {
			callers = append(callers, struct {
				name, token, code string
				status            int
			}{"Operator", adminToken, "forbidden", 403})
			if method != "GET" && !anyLogin[o] {
				callers = append(callers, struct {
					name, token, code string
					status            int
				}{"Member", member, "forbidden", 403})
			}
		}
		for _, c := range callers {
			for i, body := range bodies {
				var b any
				if method != "GET" && method != "DELETE" {
					b = body
				}
				r := a.do(method, concrete, c.token, b, "Idempotency-Key", strings.Repeat("k", 300))
				if r.status != c.status || r.errCode() != c.code {
					t.Errorf("%s %s body %d: %d %s, want %d %s", o, c.name, i, r.status, r.raw, c.status, c.code)
				}
			}
		}
	}
	// Public routes need no token and take the operator's too.
	if r := a.do("GET", "/v1/plans", adminToken, nil); r.status != 200 {
		t.Errorf("GET /v1/plans with the operator token: %d", r.status)
	}
	// The document says so: public operations have no security, the
	// operator's only the bearer token.
	for _, o := range ops {
		method, path, _ := strings.Cut(o, " ")
		sec, ok := paths[path].(map[string]any)[strings.ToLower(method)].(map[string]any)["security"].([]any)
		switch {
		case public[o] && (!ok || len(sec) != 0):
			t.Errorf("%s: security %v, want []", o, sec)
		case !public[o] && len(sec) == 0:
			t.Errorf("%s: no security", o)
		case strings.HasPrefix(path, "/v1/admin/") && len(sec) != 1:
			t.Errorf("%s: security %v, want the bearer token only", o, sec)
		}
	}
}

// TestPortalAuthorizeBeforeValidation: a portal form posted without a
// session goes to the log-in page, whatever its body holds.
func TestPortalAuthorizeBeforeValidation(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	for _, path := range []string{"/users", "/payment-methods", "/addresses", "/buy", "/cart/promo", "/checkout",
		"/settings/password", "/marketplace/billing/refill", "/subscriptions/x/auto-renew", "/marketplace/numbers/x/release"} {
		for _, body := range []string{"name=%zz", "name=a%00b", "name=\xff"} {
			req, _ := http.NewRequest("POST", a.srv.URL+path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
				t.Errorf("POST %s %q without a session: %d to %q, want 303 to /login", path, body, res.StatusCode, res.Header.Get("Location"))
			}
		}
	}
}
