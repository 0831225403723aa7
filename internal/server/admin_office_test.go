package server_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/clock"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/payment"
	"github.com/dialtone/dialtone/internal/server"
	"github.com/dialtone/dialtone/internal/store"
)

// office is a test server with the back office's three roles logged in,
// each with a browser-like client (cookie jar, no redirects followed).
type office struct {
	*api
	svc   *billing.Service
	roles map[string]*http.Client
}

// officePage is a back-office answer.
type officePage struct {
	status   int
	location string
	body     string
}

func newOffice(t testing.TB, st *store.Store, sandbox bool) *office {
	t.Helper()
	clk := clock.NewFrozen(time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := billing.New(st, clk, payment.NewSandbox(), log,
		billing.Config{Argon2: &argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}})
	if _, err := svc.SeedDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	cfg := server.Config{AdminToken: adminToken, Sandbox: sandbox}
	if sandbox {
		cfg.SandboxClock = clk
	}
	h := server.New(svc, log, prometheus.NewRegistry(), cfg)
	o := &office{api: served(t, h, clk), svc: svc, roles: map[string]*http.Client{}}
	for _, role := range billing.OperatorRoles {
		email := role + "@op.test"
		if _, err := svc.CreateOperator(billing.WithActor(context.Background(), billing.CommandLine),
			billing.OperatorInput{Email: email, Role: role, Password: "operator password " + role}); err != nil {
			t.Fatal(err)
		}
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		o.roles[role] = c
		if p := o.post(role, "/admin/login", url.Values{"email": {email}, "password": {"operator password " + role}}); p.status != 303 {
			t.Fatalf("log-in %s: %d %s", role, p.status, p.body)
		}
	}
	return o
}

func (o *office) send(role string, req *http.Request) officePage {
	o.t.Helper()
	res, err := o.roles[role].Do(req)
	if err != nil {
		o.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return officePage{status: res.StatusCode, location: res.Header.Get("Location"), body: string(b)}
}

func (o *office) get(role, path string) officePage {
	o.t.Helper()
	req, _ := http.NewRequest("GET", o.srv.URL+path, nil)
	return o.send(role, req)
}

func (o *office) post(role, path string, form url.Values) officePage {
	o.t.Helper()
	req, _ := http.NewRequest("POST", o.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return o.send(role, req)
}

// upload posts a file as the numbers page's form does.
func (o *office) upload(role, path, field, name, content string) officePage {
	o.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile(field, name)
	_, _ = fw.Write([]byte(content))
	_ = mw.Close()
	req, _ := http.NewRequest("POST", o.srv.URL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return o.send(role, req)
}

// audited returns the audit log's entries of an action, newest first.
func (o *office) audited(action string) []market.AuditEntry {
	o.t.Helper()
	es, err := o.svc.AuditLog(context.Background(), billing.AuditFilter{Page: billing.Page{Limit: 200}})
	if err != nil {
		o.t.Fatal(err)
	}
	var out []market.AuditEntry
	for _, e := range es {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}
