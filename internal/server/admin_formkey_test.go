package server_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/dialtone/dialtone/internal/admin"
	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

var formKeyRe = regexp.MustCompile(`<form method="post" action="([^"]+)"[^>]*><input type="hidden" name="form_key" value="([0-9a-f]{32})">`)

// officeFormKeys returns the form keys of a page's post forms by their action.
func officeFormKeys(t *testing.T, body string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range formKeyRe.FindAllStringSubmatch(body, -1) {
		out[strings.ReplaceAll(m[1], "&#43;", "+")] = m[2]
	}
	return out
}

// flashOf is the flash message a redirect set.
func flashOf(p opPage) string {
	for _, c := range (&http.Response{Header: p.header}).Cookies() {
		if c.Name == "dialtone_admin_flash" {
			v, _ := url.QueryUnescape(c.Value)
			return v
		}
	}
	return ""
}

// TestBackOfficeFormKey: every form of the back office that changes
// something carries a key of its own; the same form sent twice (a double
// click, a browser's retry) refunds once, adjusts once and writes one
// audit entry, and the second answer says so; a refused form can be sent
// again, corrected, with its key; the Idempotency-Key header does the same
// for clients that are not browsers; two submissions at once do it once.
func TestBackOfficeFormKey(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBackOffice(t, st)
		support := b.operator("keys@op.test", "support")
		cus, tok, order := b.customerWithOrder("keys@acme.test")

		// The refund form, sent twice with its key.
		page := support.get("/admin/orders/" + order)
		key := officeFormKeys(t, page.body)["/admin/orders/"+order+"/refunds"]
		if key == "" {
			t.Fatalf("the refund form has no key: %s", page.body)
		}
		refund := url.Values{"items": {"2"}, "reason": {"sent twice"}, "form_key": {key}}
		first := support.post("/admin/orders/"+order+"/refunds", refund)
		if first.status != 303 {
			t.Fatalf("refund: %d %s", first.status, first.body)
		}
		refunded := num(b.do("GET", "/v1/orders/"+order, tok, nil).body["refunded"])
		again := support.post("/admin/orders/"+order+"/refunds", refund)
		if again.status != 303 || again.location != first.location || !strings.Contains(flashOf(again), "sent already") {
			t.Errorf("refund sent again: %d %q %q", again.status, again.location, flashOf(again))
		}
		if got := num(b.do("GET", "/v1/orders/"+order, tok, nil).body["refunded"]); got != refunded || got == 0 {
			t.Errorf("refunded %d after the form was sent twice, want %d", got, refunded)
		}
		if es := b.audit("object_type=order&object_id=" + order); len(es) != 1 || es[0]["action"] != "order.refund" {
			t.Errorf("audit of the refund: %v", es)
		}

		// The adjustment form: a refusal releases the key; the corrected
		// form with the same key is done, once.
		page = support.get("/admin/customers/" + cus)
		key = officeFormKeys(t, page.body)["/admin/customers/"+cus+"/balance-adjustments"]
		if key == "" {
			t.Fatalf("the adjustment form has no key")
		}
		before := b.balance(tok)
		if r := support.post("/admin/customers/"+cus+"/balance-adjustments", url.Values{"amount": {"ten"}, "reason": {"x"}, "form_key": {key}}); r.status != 400 {
			t.Fatalf("bad amount: %d", r.status)
		}
		adjust := url.Values{"amount": {"10.00"}, "reason": {"goodwill"}, "form_key": {key}}
		for i := 0; i < 3; i++ {
			if r := support.post("/admin/customers/"+cus+"/balance-adjustments", adjust); r.status != 303 {
				t.Fatalf("adjust %d: %d %s", i, r.status, r.body)
			}
		}
		if got := b.balance(tok); got != before+1000 {
			t.Errorf("balance %d, want %d (one credit)", got, before+1000)
		}
		if es := b.audit("object_type=customer&object_id=" + cus); len(es) != 1 {
			t.Errorf("%d audit entries of the adjustment, want 1", len(es))
		}

		// The Idempotency-Key header, and two submissions at once.
		adjust = url.Values{"amount": {"1.00"}, "reason": {"header"}}
		var wg sync.WaitGroup
		codes := make([]int, 4)
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i] = support.post("/admin/customers/"+cus+"/balance-adjustments", adjust, "Idempotency-Key", "adj-header-1").status
			}()
		}
		wg.Wait()
		for _, c := range codes {
			if c != 303 && c != 409 {
				t.Errorf("concurrent submissions: %v", codes)
			}
		}
		if got := b.balance(tok); got != before+1100 {
			t.Errorf("balance %d after the header's key was sent four times, want %d", got, before+1100)
		}

		// Another operator's key is another key.
		other := b.operator("keys2@op.test", "support")
		if r := other.post("/admin/customers/"+cus+"/balance-adjustments", adjust, "Idempotency-Key", "adj-header-1"); r.status != 303 {
			t.Errorf("another operator's submission: %d", r.status)
		}
		if got := b.balance(tok); got != before+1200 {
			t.Errorf("balance %d, want %d", got, before+1200)
		}
	})
}

// TestBackOfficeFormKeysEverywhere: every post form of every page an
// admin opens carries a key (the log-in and log-out forms need none).
func TestBackOfficeFormKeysEverywhere(t *testing.T) {
	t.Parallel()
	b := newBackOffice(t, storetest.Open(t, "sqlite"))
	boss := b.operator("boss@op.test", "admin")
	_, _, order := b.customerWithOrder("everywhere@acme.test")
	form := regexp.MustCompile(`<form method="post"[^>]*>(<input type="hidden" name="form_key")?`)
	for _, path := range []string{"/admin/", "/admin/customers", "/admin/orders", "/admin/orders/" + order, "/admin/catalog", "/admin/catalog/start",
		"/admin/promo-codes", "/admin/numbers", "/admin/tax-rates", "/admin/webhooks", "/admin/clock", "/admin/operators", "/admin/audit"} {
		p := boss.get(path)
		if p.status != 200 {
			t.Errorf("GET %s: %d", path, p.status)
			continue
		}
		for _, m := range form.FindAllStringSubmatch(p.body, -1) {
			if m[1] == "" && !strings.Contains(m[0], `"/admin/logout"`) {
				t.Errorf("%s: a form without a key: %s", path, m[0])
			}
		}
	}
}

// TestBackOfficeEveryPostRoute: every route the back office registers is
// tried with every role, from the route list (a new route cannot forget
// its role): finance changes nothing (every POST but log-out is 403, every
// page is readable), support changes customers and orders only and does
// not see the operators; nothing a refused post names changes.
func TestBackOfficeEveryPostRoute(t *testing.T) {
	t.Parallel()
	b := newBackOffice(t, storetest.Open(t, "sqlite"))
	adm, err := admin.New(b.svc, slog.New(slog.NewTextHandler(io.Discard, nil)), admin.Config{Sandbox: true,
		AdvanceClock: func(context.Context, string, string) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	clients := map[string]*opClient{
		billing.RoleSupport: b.operator("every-support@op.test", billing.RoleSupport),
		billing.RoleFinance: b.operator("every-finance@op.test", billing.RoleFinance),
	}
	fill := strings.NewReplacer("{id}", "x", "{code}", "start", "{action}", "retire", "{delivery}", "x", "{$}", "")
	// A form that would change something wherever it is sent.
	form := url.Values{"amount": {"1.00"}, "reason": {"refused"}, "country": {"CH"}, "percent": {"1"}, "days": {"1"},
		"email": {"new@op.test"}, "role": {"admin"}, "code": {"REFUSED"}, "url": {"https://example.com/hook"}, "confirm": {"yes"}}
	var posts, gets int
	for _, rt := range adm.Routes() {
		method, pattern, _ := strings.Cut(rt.Pattern, " ")
		path := fill.Replace(pattern)
		supportWrites := strings.HasPrefix(path, "/admin/customers/") || strings.HasPrefix(path, "/admin/orders/") || path == "/admin/logout"
		for role, c := range clients {
			switch method {
			case http.MethodPost:
				posts++
				if path == "/admin/logout" {
					continue // would end the session the loop goes on with
				}
				p := c.post(path, form)
				refused := role == billing.RoleFinance || !supportWrites
				if refused && p.status != 403 {
					t.Errorf("%s POST %s (area %s): %d, want 403", role, pattern, rt.Area, p.status)
				}
				if !refused && p.status == 403 {
					t.Errorf("%s POST %s: 403, but support changes customers and orders", role, pattern)
				}
			case http.MethodGet:
				gets++
				p := c.get(path)
				hidden := role == billing.RoleSupport && strings.HasPrefix(path, "/admin/operators")
				if hidden && p.status != 403 || !hidden && p.status == 403 {
					t.Errorf("%s GET %s: %d", role, pattern, p.status)
				}
			}
		}
	}
	if posts < 20 || gets < 20 {
		t.Errorf("only %d posts and %d gets tried", posts, gets)
	}
	// The refused posts changed nothing: no audit entry but the operators'
	// creation and the customer's order.
	for _, e := range b.audit("limit=100") {
		if e["actor"] != "system" && e["action"] != "operator.create" {
			t.Errorf("a refused post was audited: %v", e)
		}
	}
}

// TestBackOfficeLoginKey: a log-in sent twice with its Idempotency-Key
// logs in once: the second answer goes where the first went, with no new
// session; a refused log-in can be sent again with the same key.
func TestBackOfficeLoginKey(t *testing.T) {
	t.Parallel()
	b := newBackOffice(t, storetest.Open(t, "sqlite"))
	if _, err := b.svc.CreateOperator(context.Background(), billing.OperatorInput{Email: "login-key@op.test", Role: "support", Password: operatorPassword}); err != nil {
		t.Fatal(err)
	}
	c := b.client()
	if r := c.post("/admin/login", url.Values{"email": {"login-key@op.test"}, "password": {"wrong password 1"}}, "Idempotency-Key", "login-1"); r.status != 401 {
		t.Fatalf("wrong password: %d", r.status)
	}
	form := url.Values{"email": {"login-key@op.test"}, "password": {operatorPassword}}
	first := c.post("/admin/login", form, "Idempotency-Key", "login-1")
	if first.status != 303 || !strings.Contains(strings.Join(first.header.Values("Set-Cookie"), "\n"), "dialtone_admin_session=") {
		t.Fatalf("log-in: %d %v", first.status, first.header)
	}
	again := b.client().post("/admin/login", form, "Idempotency-Key", "login-1")
	if again.status != 303 || again.location != first.location || strings.Contains(strings.Join(again.header.Values("Set-Cookie"), "\n"), "dialtone_admin_session=") {
		t.Errorf("log-in sent again: %d %q %v", again.status, again.location, again.header)
	}
}

// TestBackOfficeUploadKey: the numbers upload sent twice with its key
// imports once (the second answer says it was done); another file sent
// with the same form's key is another upload.
func TestBackOfficeUploadKey(t *testing.T) {
	t.Parallel()
	b := newBackOffice(t, storetest.Open(t, "sqlite"))
	boss := b.operator("upload-key@op.test", "admin")
	key := officeFormKeys(t, boss.get("/admin/numbers").body)["/admin/numbers/import"]
	if key == "" {
		t.Fatal("the upload form has no key")
	}
	upload := func(csv string) opPage {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		_ = mw.WriteField("form_key", key)
		fw, _ := mw.CreateFormFile("file", "numbers.csv")
		_, _ = fw.Write([]byte(csv))
		_ = mw.Close()
		return boss.send("POST", "/admin/numbers/import", &buf, map[string]string{"Origin": b.srv.URL, "Content-Type": mw.FormDataContentType()})
	}
	const head = "number,country,state,area,type,setup_amount,monthly_amount,currency\n"
	one := head + "+41315550181,CH,,Bern,local,1500,500,CHF\n"
	if p := upload(one); p.status != 200 || !strings.Contains(p.body, `data-testid="imported">1<`) {
		t.Fatalf("upload: %d %s", p.status, p.body)
	}
	if p := upload(one); p.status != 409 || !strings.Contains(p.body, "done once, and not again") {
		t.Errorf("the same upload again: %d", p.status)
	}
	if es := b.audit("object_type=number"); len(es) != 1 {
		t.Errorf("%d number.import entries, want 1", len(es))
	}
	if p := upload(head + "+41315550182,CH,,Bern,local,1500,500,CHF\n"); p.status != 200 {
		t.Errorf("another file with the same form: %d", p.status)
	}
	if es := b.audit("object_type=number"); len(es) != 2 {
		t.Errorf("%d number.import entries, want 2", len(es))
	}
}
