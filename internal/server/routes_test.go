package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/clock"
	"github.com/dialtone/dialtone/internal/payment"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// noEvents stands for Stripe's webhooks, so that the routes only a
// gateway with events has are registered too.
type noEvents struct{}

func (noEvents) ParseEvent([]byte, string) (payment.Event, error) {
	return payment.Event{}, io.ErrUnexpectedEOF
}

func routesServer(t *testing.T) (*Server, http.Handler) {
	t.Helper()
	st := storetest.Open(t, "sqlite")
	clk := clock.NewFrozen(time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := billing.New(st, clk, payment.NewSandbox(), log,
		billing.Config{Argon2: &argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}})
	return newServer(svc, log, prometheus.NewRegistry(), Config{AdminToken: "adm_test", Sandbox: true,
		SandboxClock: clock.NewSandbox(0), GatewayEvents: noEvents{}})
}

// watchedBody is a request body that records whether it was read.
type watchedBody struct {
	io.Reader
	read bool
}

func (b *watchedBody) Read(p []byte) (int, error) {
	b.read = true
	return b.Reader.Read(p)
}

func (b *watchedBody) Close() error { return nil }

var wildcard = regexp.MustCompile(`\{[^}]*\}`)

// sample is a request path that a pattern's route answers.
func sample(pattern string) (method, path string) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = http.MethodGet, pattern
	}
	path = strings.ReplaceAll(path, "{$}", "")
	if strings.HasSuffix(path, "/") && !strings.HasSuffix(pattern, "{$}") {
		path += "x1" // a subtree's pattern: a path under it
	}
	return method, wildcard.ReplaceAllString(path, "x1")
}

// TestEveryRouteDeclaresWhoMayCallIt walks the route list of routes.go:
// each route has an access level, and is the route the mux gives its
// requests.
func TestEveryRouteDeclaresWhoMayCallIt(t *testing.T) {
	s, _ := routesServer(t)
	if len(s.routeList) < 150 {
		t.Fatalf("%d routes listed: routes.go lists every route of every face", len(s.routeList))
	}
	faces := map[string]int{}
	for _, rt := range s.routeList {
		if rt.Access == undeclared {
			t.Errorf("%s: no access declared", rt.Pattern)
		}
		method, path := sample(rt.Pattern)
		r := httptest.NewRequest(method, path, nil)
		if _, got := s.mux.Handler(r); got != rt.Pattern {
			t.Errorf("%s: the mux routes %s %s to %q", rt.Pattern, method, path, got)
		}
		faces[rt.Access.String()]++
	}
	for _, acc := range []access{forAnyone, forCustomer, forManager, forBilling, forOperator, forBackOffice} {
		if faces[acc.String()] == 0 {
			t.Errorf("no route is %s", acc)
		}
	}
}

// TestUndeclaredRouteRefused: a route registered without who may call it
// does not start.
func TestUndeclaredRouteRefused(t *testing.T) {
	s, _ := routesServer(t)
	defer func() {
		if recover() == nil {
			t.Error("a route without access was registered")
		}
	}()
	s.handle("GET /undeclared", undeclared, http.NotFoundHandler())
}

// TestProtectedRoutesRefuseStrangers: without credentials, every API route
// but the public ones answers 401 unauthenticated and every customer's
// page of the portal sends to the log-in page — before the body is read.
// A customer's session on the operator's API is 403.
func TestProtectedRoutesRefuseStrangers(t *testing.T) {
	s, h := routesServer(t)
	for _, rt := range s.routeList {
		switch rt.Access {
		case forAnyone, forBackOffice:
			continue
		}
		method, path := sample(rt.Pattern)
		for _, cred := range []string{"", "Bearer not-a-session"} {
			body := &watchedBody{Reader: strings.NewReader(`{"x":1}`)}
			r := httptest.NewRequest(method, path, body)
			r.Body = body
			r.Header.Set("Content-Type", "application/json")
			if cred != "" {
				r.Header.Set("Authorization", cred)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if strings.HasPrefix(path, "/v1/") {
				if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), `"unauthenticated"`) {
					t.Errorf("%s (%q): %d %s, want 401 unauthenticated", rt.Pattern, cred, w.Code, w.Body)
				}
			} else if loc := w.Header().Get("Location"); w.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/login") {
				t.Errorf("%s (%q): %d to %q, want 303 to /login", rt.Pattern, cred, w.Code, loc)
			}
			if body.read {
				t.Errorf("%s (%q): the body was read before the caller was refused", rt.Pattern, cred)
			}
		}
	}
	// A customer's session is not the operator's.
	if _, _, err := s.svc.Signup(context.Background(), billing.SignupInput{Company: "Acme", Email: "routes@example.com",
		Password: "correct horse battery", Country: "US", Currency: "USD"}); err != nil {
		t.Fatal(err)
	}
	tok, _, err := s.svc.Login(context.Background(), "routes@example.com", "correct horse battery", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range s.routeList {
		if rt.Access != forOperator {
			continue
		}
		method, path := sample(rt.Pattern)
		body := &watchedBody{Reader: strings.NewReader(`{}`)}
		r := httptest.NewRequest(method, path, body)
		r.Body = body
		r.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusForbidden || body.read {
			t.Errorf("%s as a customer: %d (body read: %v), want 403 before the body", rt.Pattern, w.Code, body.read)
		}
	}
}
