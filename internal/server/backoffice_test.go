package server_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
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
	"github.com/dialtone/dialtone/internal/payment"
	"github.com/dialtone/dialtone/internal/server"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// The operator's back office at /admin (issue 15), driven over HTTP as a
// browser would: log-in, roles refused by the server, the audit log, the
// lists walked to their end, cross-origin posts refused.

// backOffice is a server with its service (to create operators).
type backOffice struct {
	*api
	svc *billing.Service
}

func newBackOffice(t *testing.T, st *store.Store) *backOffice {
	t.Helper()
	clk := clock.NewFrozen(time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := billing.New(st, clk, payment.NewSandbox(), log,
		billing.Config{Argon2: &argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}})
	if _, err := svc.SeedDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := server.New(svc, log, prometheus.NewRegistry(), server.Config{AdminToken: adminToken, Sandbox: true, SandboxClock: clk})
	return &backOffice{api: served(t, h, clk), svc: svc}
}

const operatorPassword = "operator password 1"

// operator creates an operator of role and logs it in.
func (b *backOffice) operator(email, role string) *opClient {
	b.t.Helper()
	if _, err := b.svc.CreateOperator(context.Background(), billing.OperatorInput{Email: email, Role: role, Password: operatorPassword}); err != nil {
		b.t.Fatal(err)
	}
	c := b.client()
	if r := c.post("/admin/login", url.Values{"email": {email}, "password": {operatorPassword}}); r.status != 303 || r.location != "/admin/" {
		b.t.Fatalf("log-in of %s: %d %s", email, r.status, r.location)
	}
	return c
}

// opClient is a browser of the back office: cookies, no redirects
// followed, posts from the back office's own origin.
type opClient struct {
	b *backOffice
	c *http.Client
}

func (b *backOffice) client() *opClient {
	jar, _ := cookiejar.New(nil)
	return &opClient{b: b, c: &http.Client{Jar: jar, Transport: b.srv.Client().Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type opPage struct {
	status   int
	location string
	body     string
	header   http.Header
}

func (c *opClient) get(path string) opPage {
	c.b.t.Helper()
	return c.send("GET", path, nil, nil)
}

func (c *opClient) post(path string, form url.Values, hdr ...string) opPage {
	c.b.t.Helper()
	h := map[string]string{"Origin": c.b.srv.URL}
	for i := 0; i+1 < len(hdr); i += 2 {
		h[hdr[i]] = hdr[i+1]
	}
	return c.send("POST", path, strings.NewReader(form.Encode()), h)
}

func (c *opClient) send(method, path string, body io.Reader, hdr map[string]string) opPage {
	c.b.t.Helper()
	req, _ := http.NewRequest(method, c.b.srv.URL+path, body)
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := c.c.Do(req)
	if err != nil {
		c.b.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	loc := res.Header.Get("Location")
	if u, err := url.Parse(loc); err == nil && u.Host != "" {
		loc = u.RequestURI()
	}
	return opPage{status: res.StatusCode, location: loc, body: string(b), header: res.Header}
}

// customerWithOrder signs a customer up, tops its balance up and buys a
// subscription and a number from it; it returns the customer's ID, token
// and the order of the subscription.
func (b *backOffice) customerWithOrder(email string) (cus, tok, order string) {
	b.t.Helper()
	tok = b.signup(email, "CHF")
	adr := b.address(tok)
	b.do("POST", "/v1/orders", tok, topUp(500000))
	r := b.do("POST", "/v1/orders", tok, map[string]any{"items": []any{
		map[string]any{"type": "subscription", "plan": "start", "quantity": 2, "term_months": 1},
		map[string]any{"type": "balance_top_up", "amount": 1000}},
		"billing_address": adr, "payment": map[string]any{"method": "card", "card": card}})
	if r.status != 201 {
		b.t.Fatalf("order: %d %s", r.status, r.raw)
	}
	acct := b.do("GET", "/v1/account", tok, nil)
	return acct.body["id"].(string), tok, r.body["id"].(string)
}

func (b *backOffice) balance(tok string) int64 {
	b.t.Helper()
	return num(b.do("GET", "/v1/account", tok, nil).body["balance"])
}

// audit reads the audit log through the API.
func (b *backOffice) audit(query string) []map[string]any {
	b.t.Helper()
	r := b.do("GET", "/v1/admin/audit_log?"+query, adminToken, nil)
	if r.status != 200 {
		b.t.Fatalf("audit log: %d %s", r.status, r.raw)
	}
	var out []map[string]any
	for _, e := range r.body["data"].([]any) {
		out = append(out, e.(map[string]any))
	}
	return out
}

// TestBackOfficeRoles: the server refuses what a role may not do, with
// 403 and no change; the pages it may use work.
func TestBackOfficeRoles(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBackOffice(t, st)
		admin := b.operator("boss@op.test", "admin")
		support := b.operator("help@op.test", "support")
		finance := b.operator("money@op.test", "finance")
		cus, tok, order := b.customerWithOrder("roles@acme.test")
		before := b.balance(tok)
		adjust := url.Values{"amount": {"10.00"}, "reason": {"goodwill"}}
		refund := url.Values{"items": {"2"}, "reason": {"top-up by mistake"}}

		// finance reads everything and changes nothing.
		for _, p := range []string{"/admin/", "/admin/customers", "/admin/customers/" + cus, "/admin/orders", "/admin/orders/" + order, "/admin/audit", "/admin/operators"} {
			if r := finance.get(p); r.status != 200 {
				t.Errorf("finance GET %s: %d", p, r.status)
			}
		}
		for _, p := range []struct {
			path string
			form url.Values
		}{
			{"/admin/customers/" + cus + "/balance-adjustments", adjust},
			{"/admin/orders/" + order + "/refunds", refund},
			{"/admin/operators", url.Values{"email": {"x@op.test"}, "role": {"admin"}}},
		} {
			if r := finance.post(p.path, p.form); r.status != 403 {
				t.Errorf("finance POST %s: %d, want 403", p.path, r.status)
			}
		}
		if got := b.balance(tok); got != before {
			t.Errorf("balance %d after finance's refusals, want %d", got, before)
		}
		if r := b.do("GET", "/v1/orders/"+order, tok, nil); num(r.body["refunded"]) != 0 {
			t.Errorf("order refunded %v after finance's refusal", r.body["refunded"])
		}
		if page := finance.get("/admin/customers/" + cus); strings.Contains(page.body, "Adjust balance") || strings.Contains(finance.get("/admin/orders/"+order).body, ">Refund</button>") {
			t.Error("finance is shown buttons it may not use")
		}

		// support changes customers and orders, not operators.
		if r := support.get("/admin/operators"); r.status != 403 {
			t.Errorf("support GET /admin/operators: %d, want 403", r.status)
		}
		ops, err := b.svc.Operators(context.Background(), billing.Page{})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []url.Values{{"email": {"new@op.test"}, "role": {"admin"}}} {
			if r := support.post("/admin/operators", f); r.status != 403 {
				t.Errorf("support creates an operator: %d, want 403", r.status)
			}
		}
		if r := support.post("/admin/operators/"+ops[0].ID, url.Values{"role": {"admin"}}); r.status != 403 {
			t.Errorf("support changes a role: %d, want 403", r.status)
		}
		if r := support.post("/admin/customers/"+cus+"/balance-adjustments", adjust); r.status != 303 {
			t.Errorf("support adjusts: %d %s", r.status, r.body)
		}
		if got := b.balance(tok); got != before+1000 {
			t.Errorf("balance %d after support's credit, want %d", got, before+1000)
		}
		if r := support.post("/admin/orders/"+order+"/refunds", refund); r.status != 303 {
			t.Errorf("support refunds: %d %s", r.status, r.body)
		}
		// admin manages operators.
		if r := admin.post("/admin/operators", url.Values{"email": {"new@op.test"}, "role": {"finance"}, "password": {"a new password!"}}); r.status != 303 {
			t.Errorf("admin creates an operator: %d %s", r.status, r.body)
		}
		if r := admin.get("/admin/operators"); !strings.Contains(r.body, "new@op.test") {
			t.Error("the new operator is not listed")
		}
		// Without a session: the log-in page, for GET and POST alike.
		anon := b.client()
		if r := anon.get("/admin/customers"); r.status != 303 || !strings.HasPrefix(r.location, "/admin/login?next=") {
			t.Errorf("visitor GET: %d %s", r.status, r.location)
		}
		if r := anon.post("/admin/customers/"+cus+"/balance-adjustments", adjust); r.status != 303 || r.location != "/admin/login" {
			t.Errorf("visitor POST: %d %s", r.status, r.location)
		}
		// A customer's session is no operator's.
		cust := b.client()
		cust.c.Jar.SetCookies(mustURL(t, b.srv.URL), []*http.Cookie{{Name: "dialtone_session", Value: tok}})
		if r := cust.get("/admin/customers"); r.status != 303 {
			t.Errorf("customer's cookie on /admin: %d", r.status)
		}
	})
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestBackOfficeAudit: every change by an operator, in the back office or
// with the admin token, is in the audit log with who, when, what, before
// and after.
func TestBackOfficeAudit(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBackOffice(t, st)
		support := b.operator("help@op.test", "support")
		admin := b.operator("boss@op.test", "admin")
		cus, tok, order := b.customerWithOrder("audit@acme.test")
		start := b.balance(tok)

		if r := support.post("/admin/customers/"+cus+"/balance-adjustments", url.Values{"amount": {"-5.50"}, "reason": {"correction"}}); r.status != 303 {
			t.Fatalf("debit: %d %s", r.status, r.body)
		}
		if r := b.do("POST", "/v1/admin/customers/"+cus+"/balance_adjustments", adminToken, map[string]any{"amount": 200, "reason": "api credit"}); r.status != 201 {
			t.Fatalf("API adjustment: %d %s", r.status, r.raw)
		}
		es := b.audit("object_type=customer&object_id=" + cus)
		if len(es) != 2 {
			t.Fatalf("%d entries for the customer, want 2: %v", len(es), es)
		}
		api, page := es[0], es[1]
		if api["actor"] != "admin token" || api["operator_id"] != nil || page["actor"] != "help@op.test" || page["operator_id"] == nil {
			t.Errorf("who: %v, %v", api["actor"], page["actor"])
		}
		for _, e := range es {
			if e["action"] != "customer.balance_adjustment" || e["created_at"] == nil || e["business_at"] != "2026-03-10T09:00:00Z" {
				t.Errorf("entry %v", e)
			}
		}
		var pb, pa map[string]any
		_ = json.Unmarshal([]byte(page["before"].(string)), &pb)
		_ = json.Unmarshal([]byte(page["after"].(string)), &pa)
		if num(pb["balance"]) != start || num(pa["balance"]) != start-550 || pa["reason"] != "correction" {
			t.Errorf("before %v after %v, want balance %d then %d", pb, pa, start, start-550)
		}

		// A refund with revoke from the back office.
		if r := support.post("/admin/orders/"+order+"/refunds", url.Values{"items": {"1"}, "reason": {"did not work"}, "revoke": {"yes"}}); r.status != 303 {
			t.Fatalf("refund: %d %s", r.status, r.body)
		}
		es = b.audit("object_id=" + order)
		if len(es) != 1 || es[0]["action"] != "order.refund" || !strings.Contains(es[0]["before"].(string), `"refunded":0`) ||
			!strings.Contains(es[0]["after"].(string), `"revoke":true`) || !strings.Contains(es[0]["after"].(string), `"items":[1]`) {
			t.Errorf("refund's entry: %v", es)
		}

		// A price change with the admin token: the plan before and after.
		plans := b.do("GET", "/v1/admin/plans", adminToken, nil).body["data"].([]any)
		var prices []any
		for _, p := range plans {
			if pm := p.(map[string]any); pm["code"] == "start" {
				for _, pr := range pm["prices"].([]any) {
					pr := pr.(map[string]any)
					if pr["currency"] == "CHF" && num(pr["term_months"]) == 1 {
						pr["unit_amount"] = 3100
					}
					prices = append(prices, pr)
				}
			}
		}
		if r := b.do("PATCH", "/v1/admin/plans/start", adminToken, map[string]any{"prices": prices}); r.status != 200 {
			t.Fatalf("patch plan: %d %s", r.status, r.raw)
		}
		es = b.audit("object_type=plan&object_id=start")
		if len(es) != 1 || es[0]["action"] != "plan.update" || !strings.Contains(es[0]["after"].(string), "3100") || strings.Contains(es[0]["before"].(string), "3100") {
			t.Errorf("plan's entry: %v", es)
		}
		// Tax rate, promo code and the clock: one entry each.
		b.do("PUT", "/v1/admin/tax_rates/DE", adminToken, map[string]any{"percent": "19"})
		if r := b.do("POST", "/v1/admin/promo_codes", adminToken, map[string]any{"code": "AUDIT10", "percent_off": "10"}); r.status != 201 {
			t.Errorf("promo: %d %s", r.status, r.raw)
		}
		b.do("POST", "/v1/admin/clock/advance", adminToken, map[string]any{"seconds": 3600})
		for _, what := range []string{"tax_rate", "promo_code", "clock"} {
			if es := b.audit("object_type=" + what); len(es) != 1 {
				t.Errorf("%d entries of %s, want 1", len(es), what)
			}
		}
		// Operators' changes, by the admin.
		admin.post("/admin/operators", url.Values{"email": {"temp@op.test"}, "role": {"support"}, "password": {"temporary password"}})
		es = b.audit("actor=boss@op.test&object_type=operator")
		if len(es) != 1 || es[0]["action"] != "operator.create" || strings.Contains(es[0]["after"].(string), "argon2") {
			t.Errorf("operator's entry: %v", es)
		}

		// The page and its CSV export say the same.
		if r := admin.get("/admin/audit?who=Help@OP.test"); r.status != 200 || strings.Count(r.body, `data-testid="audit-row"`) != 2 {
			t.Errorf("audit page for help@op.test: %d, %d rows", r.status, strings.Count(r.body, `data-testid="audit-row"`))
		}
		r := admin.get("/admin/audit?format=csv&who=help@op.test")
		rows, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
		if err != nil || len(rows) != 3 || rows[0][0] != "id" || r.header.Get("Content-Type") != "text/csv; charset=utf-8" {
			t.Errorf("CSV: %v %d rows %q", err, len(rows), r.header.Get("Content-Type"))
		}
		if r := admin.get("/admin/audit?from=yesterday"); r.status != 400 || !strings.Contains(r.body, "From must be a date") {
			t.Errorf("bad date: %d", r.status)
		}
		if r := b.do("GET", "/v1/admin/audit_log?to=soon", adminToken, nil); r.status != 400 || r.errParam() != "to" {
			t.Errorf("API bad date: %d %s", r.status, r.raw)
		}
	})
}

// TestBackOfficeLogin: failures are throttled per e-mail (Retry-After),
// the right password too while throttled; a disabled operator is logged
// out; sessions are HttpOnly, SameSite, path /admin/; log-out ends them.
func TestBackOfficeLogin(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBackOffice(t, st)
		admin := b.operator("boss@op.test", "admin")
		if _, err := b.svc.CreateOperator(context.Background(), billing.OperatorInput{Email: "guess@op.test", Role: "support", Password: operatorPassword}); err != nil {
			t.Fatal(err)
		}
		c := b.client()
		wrong := url.Values{"email": {"guess@op.test"}, "password": {"not the password"}}
		var last opPage
		for i := 0; i < 6; i++ {
			last = c.post("/admin/login", wrong)
			if i < 5 && last.status != 401 {
				t.Fatalf("failure %d: %d", i+1, last.status)
			}
		}
		if last.status != 429 || last.header.Get("Retry-After") == "" || !strings.Contains(last.body, "Too many failed log-ins") {
			t.Errorf("6th failure: %d Retry-After %q", last.status, last.header.Get("Retry-After"))
		}
		if r := c.post("/admin/login", url.Values{"email": {"guess@op.test"}, "password": {operatorPassword}}); r.status != 429 {
			t.Errorf("right password while throttled: %d, want 429", r.status)
		}
		// Another operator's log-in is not throttled by these failures.
		fresh := b.client()
		r := fresh.post("/admin/login", url.Values{"email": {"boss@op.test"}, "password": {operatorPassword}})
		if r.status != 303 {
			t.Fatalf("other log-in: %d", r.status)
		}
		ck := r.header.Get("Set-Cookie")
		for _, want := range []string{"dialtone_admin_session=dto_", "Path=/admin/", "HttpOnly", "SameSite=Lax"} {
			if !strings.Contains(ck, want) {
				t.Errorf("cookie %q lacks %s", ck, want)
			}
		}
		if r := fresh.post("/admin/login", url.Values{"email": {"boss@op.test"}, "password": {operatorPassword}}, "X-Forwarded-Proto", "https"); !strings.Contains(r.header.Get("Set-Cookie"), "Secure") {
			t.Errorf("cookie over TLS %q: not Secure", r.header.Get("Set-Cookie"))
		}
		// Disabling logs out at once; the last admin stays.
		ops, _ := b.svc.Operators(context.Background(), billing.Page{})
		ids := map[string]string{}
		for _, o := range ops {
			ids[o.Email] = o.ID
		}
		if r := admin.post("/admin/operators/"+ids["boss@op.test"], url.Values{"role": {"support"}}); r.status != 400 || !strings.Contains(r.body, "last active admin") {
			t.Errorf("demote the last admin: %d", r.status)
		}
		sup := b.operator("help@op.test", "support")
		if r := admin.post("/admin/operators/"+ids["guess@op.test"], url.Values{"role": {"support"}, "disabled": {"yes"}}); r.status != 303 {
			t.Errorf("disable: %d %s", r.status, r.body)
		}
		opsNow, _ := b.svc.Operators(context.Background(), billing.Page{})
		for _, o := range opsNow {
			if o.Email == "help@op.test" {
				if r := admin.post("/admin/operators/"+o.ID, url.Values{"role": {"finance"}}); r.status != 303 {
					t.Errorf("change role: %d", r.status)
				}
			}
		}
		if r := sup.get("/admin/customers"); r.status != 303 {
			t.Errorf("a changed role keeps its session: %d", r.status)
		}
		// Log-out ends the session in the database.
		if r := admin.post("/admin/logout", nil); r.status != 303 || r.location != "/admin/login" {
			t.Errorf("log-out: %d %s", r.status, r.location)
		}
		if r := admin.get("/admin/customers"); r.status != 303 {
			t.Errorf("after log-out: %d", r.status)
		}
	})
}

// TestBackOfficeCrossOrigin: a post from another site is refused before
// it does anything (the portal's CSRF defence).
func TestBackOfficeCrossOrigin(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBackOffice(t, st)
		admin := b.operator("boss@op.test", "admin")
		cus, tok, order := b.customerWithOrder("csrf@acme.test")
		before := b.balance(tok)
		for _, hdr := range [][]string{{"Origin", "https://evil.example"}, {"Origin", "", "Sec-Fetch-Site", "cross-site"}} {
			if r := admin.post("/admin/customers/"+cus+"/balance-adjustments", url.Values{"amount": {"100"}, "reason": {"x"}}, hdr...); r.status != 403 {
				t.Errorf("cross-origin adjustment %v: %d", hdr, r.status)
			}
			if r := admin.post("/admin/orders/"+order+"/refunds", url.Values{"reason": {"x"}}, hdr...); r.status != 403 {
				t.Errorf("cross-origin refund %v: %d", hdr, r.status)
			}
		}
		if got := b.balance(tok); got != before {
			t.Errorf("balance %d, want %d", got, before)
		}
		if es := b.audit("object_type=customer"); len(es) != 0 {
			t.Errorf("%d audit entries after refused posts", len(es))
		}
	})
}
