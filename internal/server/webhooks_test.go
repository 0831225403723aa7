package server_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/clock"
	"github.com/dialtone/dialtone/internal/payment"
	"github.com/dialtone/dialtone/internal/scheduler"
	"github.com/dialtone/dialtone/internal/server"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// newHookAPI is newAPI wired as `dialtone serve` is (clock moves run the
// scheduler, which delivers webhooks), with its service for calling the
// delivery directly.
func newHookAPI(t testing.TB, st *store.Store) (*api, *billing.Service) {
	t.Helper()
	clk := clock.NewFrozen(time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := billing.New(st, clk, payment.NewSandbox(), log,
		billing.Config{Argon2: &argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}})
	if _, err := svc.SeedDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := server.New(svc, log, prometheus.NewRegistry(), server.Config{AdminToken: adminToken, Sandbox: true, SandboxClock: clk,
		Advance: scheduler.New(svc, log).Advance})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &api{t: t, srv: srv, clk: clk}, svc
}

// hookCall is a request a receiver got.
type hookCall struct {
	sig  string
	body []byte
	evt  struct {
		ID        string         `json:"id"`
		Type      string         `json:"type"`
		CreatedAt time.Time      `json:"created_at"`
		Data      map[string]any `json:"data"`
	}
}

func (c hookCall) object() map[string]any {
	o, _ := c.evt.Data["object"].(map[string]any)
	return o
}

// receiver is an httptest webhook receiver that answers with status(n),
// n counting its requests from 1, and keeps what it got.
type receiver struct {
	mu     sync.Mutex
	calls  []hookCall
	srv    *httptest.Server
	status func(n int) int
}

func newReceiver(t *testing.T, status func(n int) int) *receiver {
	rc := &receiver{status: status}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var c hookCall
		c.body, _ = io.ReadAll(r.Body)
		c.sig = r.Header.Get("Dialtone-Signature")
		_ = json.Unmarshal(c.body, &c.evt)
		rc.mu.Lock()
		rc.calls = append(rc.calls, c)
		n := len(rc.calls)
		rc.mu.Unlock()
		code := 200
		if rc.status != nil {
			code = rc.status(n)
		}
		w.WriteHeader(code)
		fmt.Fprintf(w, "answer %d", n)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) got() []hookCall {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]hookCall(nil), rc.calls...)
}

// verifySignature checks a Dialtone-Signature header as a receiver would,
// by the algorithm of API.md, written out here independently: t=<unix
// seconds>,v1=<hex HMAC-SHA256 of "t.body" with the secret>.
func verifySignature(header, secret string, body []byte, now time.Time) error {
	var t, v1 string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			t = v
		case "v1":
			v1 = v
		}
	}
	sec, err := strconv.ParseInt(t, 10, 64)
	if err != nil {
		return fmt.Errorf("t=%q: %v", t, err)
	}
	if d := now.Sub(time.Unix(sec, 0)); d < -5*time.Minute || d > 5*time.Minute {
		return fmt.Errorf("t is %s away from now", d)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(t + "." + string(body)))
	want := mac.Sum(nil)
	got, err := hex.DecodeString(v1)
	if err != nil || !hmac.Equal(got, want) {
		return fmt.Errorf("v1=%q does not match", v1)
	}
	return nil
}

// createHook registers an endpoint and returns its id and secret.
func createHook(t *testing.T, a *api, url string, events ...string) (string, string) {
	t.Helper()
	r := a.do("POST", "/v1/admin/webhook_endpoints", adminToken, map[string]any{"url": url, "events": events})
	if r.status != 201 {
		t.Fatalf("create endpoint: %d %s", r.status, r.raw)
	}
	sec, _ := r.body["secret"].(string)
	if !strings.HasPrefix(sec, "whsec_") {
		t.Fatalf("create endpoint: secret %q", sec)
	}
	return r.body["id"].(string), sec
}

func deliver(t *testing.T, svc *billing.Service) int {
	t.Helper()
	n, err := svc.DeliverWebhooks(context.Background())
	if err != nil {
		t.Fatalf("deliver: %v", err)
	}
	return n
}

func deliveriesOf(t *testing.T, a *api, endpoint string) []map[string]any {
	t.Helper()
	r := a.do("GET", "/v1/admin/webhook_endpoints/"+endpoint+"/deliveries", adminToken, nil)
	if r.status != 200 {
		t.Fatalf("deliveries: %d %s", r.status, r.raw)
	}
	return dataOf(r)
}

var subItem = map[string]any{"type": "subscription", "plan": "start", "quantity": 2, "term_months": 1}

// TestWebhookOrderPaid: an order paid by card is reported to the endpoint
// as order.paid and subscription.created, signed as API.md says, with the
// objects as the API shows them; checkouts that fail (declined for
// insufficient funds, a balance that does not cover the total) report
// nothing; a change of automatic renewal is subscription.updated.
func TestWebhookOrderPaid(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a, svc := newHookAPI(t, st)
		rc := newReceiver(t, nil)
		hook, secret := createHook(t, a, rc.srv.URL+"/dialtone", "order.paid", "subscription.created", "subscription.updated")
		tok := a.signup("hooks@acme.test", "CHF")
		adr := a.address(tok)

		// Failed checkouts: nothing is queued, nothing sent.
		poor := map[string]any{"number": "4000000000009995", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
		if r := a.do("POST", "/v1/orders", tok, map[string]any{"items": []any{subItem}, "billing_address": adr,
			"payment": map[string]any{"method": "card", "card": poor}}); r.status != 402 {
			t.Fatalf("declined order: %d %s", r.status, r.raw)
		}
		if r := a.do("POST", "/v1/orders", tok, map[string]any{"items": []any{subItem}, "billing_address": adr,
			"payment": map[string]any{"method": "balance"}}); r.status != 402 || r.errCode() != "insufficient_funds" {
			t.Fatalf("order from an empty balance: %d %s", r.status, r.raw)
		}
		if n := deliver(t, svc); n != 0 || len(rc.got()) != 0 || len(deliveriesOf(t, a, hook)) != 0 {
			t.Fatalf("failed checkouts: %d delivered, %d received", n, len(rc.got()))
		}

		o := a.do("POST", "/v1/orders", tok, map[string]any{"items": []any{subItem}, "billing_address": adr,
			"payment": map[string]any{"method": "card", "card": card}})
		if o.status != 201 {
			t.Fatalf("order: %d %s", o.status, o.raw)
		}
		orderID := o.body["id"].(string)
		subID := o.body["items"].([]any)[0].(map[string]any)["subscription"].(string)
		if n := deliver(t, svc); n != 2 {
			t.Fatalf("delivered %d, want 2", n)
		}
		calls := rc.got()
		if len(calls) != 2 {
			t.Fatalf("received %d, want 2", len(calls))
		}
		types := map[string]hookCall{}
		for _, c := range calls {
			if err := verifySignature(c.sig, secret, c.body, time.Now()); err != nil {
				t.Errorf("%s: signature %q: %v", c.evt.Type, c.sig, err)
			}
			if err := verifySignature(c.sig, secret+"x", c.body, time.Now()); err == nil {
				t.Errorf("%s: signature verifies with the wrong secret", c.evt.Type)
			}
			if !strings.HasPrefix(c.evt.ID, "evt_") || !c.evt.CreatedAt.Equal(a.clk.Now()) {
				t.Errorf("event %s at %s: want evt_… at %s", c.evt.ID, c.evt.CreatedAt, a.clk.Now())
			}
			types[c.evt.Type] = c
		}
		paid, ok := types["order.paid"]
		if obj := paid.object(); !ok || obj["id"] != orderID || obj["status"] != "paid" || num(obj["total"]) != num(o.body["total"]) ||
			obj["currency"] != "CHF" || obj["customer"] == "" || obj["payment"].(map[string]any)["method"] != "card" {
			t.Errorf("order.paid: %s", paid.body)
		}
		created, ok := types["subscription.created"]
		if obj := created.object(); !ok || obj["id"] != subID || obj["plan"] != "start" || num(obj["quantity"]) != 2 ||
			obj["status"] != "active" || obj["customer"] != paid.object()["customer"] {
			t.Errorf("subscription.created: %s", created.body)
		}

		// Delivered: listed with one successful attempt each.
		ds := deliveriesOf(t, a, hook)
		if len(ds) != 2 {
			t.Fatalf("deliveries: %v", ds)
		}
		for _, d := range ds {
			at := d["attempts"].([]any)
			if d["status"] != "succeeded" || num(d["attempt_count"]) != 1 || len(at) != 1 ||
				num(at[0].(map[string]any)["status_code"]) != 200 || d["delivered_at"] == nil || d["next_attempt_at"] != nil {
				t.Errorf("delivery: %v", d)
			}
		}

		// Automatic renewal switched off: subscription.updated.
		if r := a.do("PATCH", "/v1/subscriptions/"+subID, tok, map[string]any{"auto_renew": false}); r.status != 200 {
			t.Fatalf("patch: %d %s", r.status, r.raw)
		}
		deliver(t, svc)
		calls = rc.got()
		if len(calls) != 3 || calls[2].evt.Type != "subscription.updated" || calls[2].object()["auto_renew"] != false {
			t.Errorf("after PATCH: %d calls, last %s", len(calls), calls[len(calls)-1].body)
		}
		// Nothing is sent twice.
		if n := deliver(t, svc); n != 0 || len(rc.got()) != 3 {
			t.Errorf("second pass delivered %d", n)
		}
	})
}

// TestWebhookRetries: a receiver answering 500 is retried after one
// minute, then two, on the clock the scheduler runs on; every attempt is
// logged; a manual retry sends a delivered event once more; after three
// days of failures the delivery is failed.
func TestWebhookRetries(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a, svc := newHookAPI(t, st)
		rc := newReceiver(t, func(n int) int {
			if n <= 2 {
				return 500
			}
			return 202
		})
		hook, _ := createHook(t, a, rc.srv.URL, "order.paid")
		tok := a.signup("retry@acme.test", "CHF")
		if r := a.do("POST", "/v1/orders", tok, topUp(5000)); r.status != 201 {
			t.Fatalf("top-up: %d %s", r.status, r.raw)
		}
		start := a.clk.Now()
		if deliver(t, svc) != 0 || len(rc.got()) != 1 {
			t.Fatalf("first attempt: %d received", len(rc.got()))
		}
		d := deliveriesOf(t, a, hook)[0]
		if d["status"] != "pending" || !parseAPITime(t, d["next_attempt_at"]).Equal(start.Add(time.Minute)) {
			t.Fatalf("after a 500: %v", d)
		}
		// Not due yet: nothing is sent.
		a.clk.Advance(59 * time.Second)
		if deliver(t, svc); len(rc.got()) != 1 {
			t.Fatalf("before its time: %d received", len(rc.got()))
		}
		// Due: the clock move runs the scheduler, which sends it.
		a.moveClock(map[string]any{"seconds": 1})
		if len(rc.got()) != 2 {
			t.Fatalf("after a minute: %d received", len(rc.got()))
		}
		d = deliveriesOf(t, a, hook)[0]
		if d["status"] != "pending" || !parseAPITime(t, d["next_attempt_at"]).Equal(start.Add(3*time.Minute)) {
			t.Fatalf("after a second 500: %v", d)
		}
		a.moveClock(map[string]any{"seconds": 120})
		calls := rc.got()
		if len(calls) != 3 || calls[0].evt.ID != calls[2].evt.ID || string(calls[0].body) != string(calls[2].body) {
			t.Fatalf("after three minutes: %d received", len(calls))
		}
		d = deliveriesOf(t, a, hook)[0]
		at := d["attempts"].([]any)
		if d["status"] != "succeeded" || num(d["attempt_count"]) != 3 || len(at) != 3 {
			t.Fatalf("delivered: %v", d)
		}
		for i, want := range []int64{500, 500, 202} {
			x := at[i].(map[string]any)
			if num(x["status_code"]) != want || (want == 500) != (x["error"] != "") || x["response"] != fmt.Sprintf("answer %d", i+1) {
				t.Errorf("attempt %d: %v", i+1, x)
			}
		}

		// A manual retry sends it once more, now.
		if r := a.do("POST", "/v1/admin/webhook_deliveries/"+d["id"].(string)+"/retry", adminToken, nil); r.status != 200 || r.body["status"] != "pending" {
			t.Fatalf("retry: %d %s", r.status, r.raw)
		}
		if deliver(t, svc) != 1 || len(rc.got()) != 4 {
			t.Fatalf("retried: %d received", len(rc.got()))
		}
		if r := a.do("POST", "/v1/admin/webhook_deliveries/whd_nope/retry", adminToken, nil); r.status != 404 {
			t.Errorf("retry of an unknown delivery: %d %s", r.status, r.raw)
		}

		// A receiver that never answers 2xx: given up after three days.
		down := newReceiver(t, func(int) int { return 503 })
		dead, _ := createHook(t, a, down.srv.URL, "order.paid")
		if r := a.do("POST", "/v1/orders", tok, topUp(5000)); r.status != 201 {
			t.Fatalf("top-up: %d %s", r.status, r.raw)
		}
		// One long clock move stops at every retry on the way, as many
		// short ones would.
		a.moveClock(map[string]any{"seconds": 4 * 86400})
		ds := deliveriesOf(t, a, dead)
		if len(ds) != 1 || ds[0]["status"] != "failed" || ds[0]["next_attempt_at"] != nil {
			t.Fatalf("given up: %v", ds)
		}
		n := len(down.got())
		if n < 10 || int64(n) != num(ds[0]["attempt_count"]) {
			t.Errorf("%d attempts received, %v logged", n, ds[0]["attempt_count"])
		}
		deliver(t, svc)
		if len(down.got()) != n {
			t.Errorf("a failed delivery was sent again")
		}
	})
}

// TestWebhookEndpoints: the operator's endpoints: URLs that are not
// http(s), or point at link-local or metadata addresses, are 400 naming
// url; unknown event types are 400 naming events; loopback is allowed;
// lists page; the secret is shown on create only; customers are refused;
// a deleted endpoint gets nothing more.
func TestWebhookEndpoints(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a, svc := newHookAPI(t, st)
		for _, u := range []string{"ftp://example.com/x", "example.com/hook", "javascript:alert(1)", "http://", "http://user:pw@example.com/",
			"http://169.254.169.254/latest/meta-data/", "http://169.254.10.1:8080/", "http://[fe80::1]/", "http://[fe80::1%25eth0]/",
			"http://metadata.google.internal/computeMetadata/v1/", "http://METADATA.GOOGLE.INTERNAL./", "http://[fd00:ec2::254]/",
			"http://[::ffff:169.254.169.254]/", "http://0.0.0.0/", "http://example.com:99999/", " "} {
			r := a.do("POST", "/v1/admin/webhook_endpoints", adminToken, map[string]any{"url": u, "events": []string{"order.paid"}})
			if r.status != 400 || r.errCode() != "invalid_request" || r.errParam() != "url" || !strings.Contains(r.body["error"].(map[string]any)["message"].(string), "url") {
				t.Errorf("url %q: %d %s", u, r.status, r.raw)
			}
		}
		for _, ev := range []any{[]string{}, []string{"order.pay"}, []string{"order.paid", "*"}, nil} {
			r := a.do("POST", "/v1/admin/webhook_endpoints", adminToken, map[string]any{"url": "https://crm.example.com/hook", "events": ev})
			if r.status != 400 || !strings.HasPrefix(r.errParam(), "events") {
				t.Errorf("events %v: %d %s", ev, r.status, r.raw)
			}
		}
		tok := a.signup("nosy@acme.test", "CHF")
		if r := a.do("POST", "/v1/admin/webhook_endpoints", tok, map[string]any{"url": "https://x.example.com/", "events": []string{"order.paid"}}); r.status != 403 {
			t.Errorf("a customer creating an endpoint: %d", r.status)
		}
		if r := a.do("GET", "/v1/admin/webhook_endpoints", tok, nil); r.status != 403 {
			t.Errorf("a customer listing endpoints: %d", r.status)
		}
		if r := a.do("GET", "/v1/admin/webhook_endpoints", "", nil); r.status != 401 {
			t.Errorf("no credentials: %d", r.status)
		}
		if r := a.do("GET", "/v1/admin/webhook_endpoints", adminToken, nil); r.status != 200 || len(dataOf(r)) != 0 {
			t.Errorf("nothing refused was stored: %d %s", r.status, r.raw)
		}

		rc := newReceiver(t, nil)
		var ids []string
		for i := 0; i < 3; i++ {
			id, _ := createHook(t, a, strings.Replace(rc.srv.URL, "127.0.0.1", "localhost", 1)+fmt.Sprintf("/%d", i), "order.paid", "order.paid")
			ids = append(ids, id)
		}
		r := a.do("GET", "/v1/admin/webhook_endpoints?limit=2", adminToken, nil)
		if page := dataOf(r); r.status != 200 || len(page) != 2 || r.body["has_more"] != true || page[0]["id"] != ids[2] ||
			page[0]["secret"] != nil || len(page[0]["events"].([]any)) != 1 {
			t.Fatalf("page 1: %d %s", r.status, r.raw)
		}
		r = a.do("GET", "/v1/admin/webhook_endpoints?limit=2&starting_after="+ids[1], adminToken, nil)
		if page := dataOf(r); r.status != 200 || len(page) != 1 || r.body["has_more"] != false || page[0]["id"] != ids[0] {
			t.Fatalf("page 2: %d %s", r.status, r.raw)
		}
		for _, q := range []string{"?starting_after=we_nope", "?limit=0", "?limit=1001"} {
			if r := a.do("GET", "/v1/admin/webhook_endpoints"+q, adminToken, nil); r.status != 400 {
				t.Errorf("list%s: %d", q, r.status)
			}
		}
		if r := a.do("GET", "/v1/admin/webhook_endpoints/"+ids[0]+"/deliveries?starting_after=whd_nope", adminToken, nil); r.status != 400 || r.errParam() != "starting_after" {
			t.Errorf("deliveries with an unknown cursor: %d %s", r.status, r.raw)
		}

		// Deleted: no deliveries for it, its log is gone from the API.
		for _, id := range ids[1:] {
			if r := a.do("DELETE", "/v1/admin/webhook_endpoints/"+id, adminToken, nil); r.status != 200 {
				t.Fatalf("delete: %d %s", r.status, r.raw)
			}
		}
		if r := a.do("DELETE", "/v1/admin/webhook_endpoints/"+ids[1], adminToken, nil); r.status != 404 {
			t.Errorf("delete twice: %d", r.status)
		}
		if r := a.do("GET", "/v1/admin/webhook_endpoints/"+ids[1]+"/deliveries", adminToken, nil); r.status != 404 {
			t.Errorf("deliveries of a deleted endpoint: %d", r.status)
		}
		if r := a.do("POST", "/v1/orders", tok, topUp(5000)); r.status != 201 {
			t.Fatalf("top-up: %d %s", r.status, r.raw)
		}
		deliver(t, svc)
		if calls := rc.got(); len(calls) != 1 || len(deliveriesOf(t, a, ids[0])) != 1 {
			t.Errorf("after deleting two of three endpoints: %d received", len(calls))
		}

		// The OpenAPI document has the routes with their error answers.
		doc := a.do("GET", "/v1/openapi.json", "", nil)
		paths, _ := doc.body["paths"].(map[string]any)
		for path, method := range map[string]string{"/v1/admin/webhook_endpoints": "post", "/v1/admin/webhook_endpoints/{id}": "delete",
			"/v1/admin/webhook_endpoints/{id}/deliveries": "get", "/v1/admin/webhook_deliveries/{id}/retry": "post"} {
			op, _ := paths[path].(map[string]any)[method].(map[string]any)
			resps, _ := op["responses"].(map[string]any)
			for _, code := range []string{"400", "401", "403"} {
				if resps[code] == nil {
					t.Errorf("openapi %s %s lacks %s", method, path, code)
				}
			}
		}
	})
}

// TestWebhookDeliverersRace: two processes (two services on one database)
// delivering at once, each with several passes in parallel, send every
// event once and never one event twice at the same time.
func TestWebhookDeliverersRace(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a, svc := newHookAPI(t, st)
		other := billing.New(st, a.clk, payment.NewSandbox(), slog.New(slog.NewTextHandler(io.Discard, nil)), billing.Config{})
		var mu sync.Mutex
		inFlight, seen := map[string]bool{}, map[string]int{}
		overlap := 0
		rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var e struct{ ID string }
			_ = json.NewDecoder(r.Body).Decode(&e)
			mu.Lock()
			if inFlight[e.ID] {
				overlap++
			}
			inFlight[e.ID] = true
			seen[e.ID]++
			mu.Unlock()
			time.Sleep(20 * time.Millisecond)
			mu.Lock()
			delete(inFlight, e.ID)
			mu.Unlock()
		}))
		t.Cleanup(rc.Close)
		createHook(t, a, rc.URL, "order.paid")
		tok := a.signup("race@acme.test", "CHF")
		const orders = 12
		for i := 0; i < orders; i++ {
			if r := a.do("POST", "/v1/orders", tok, topUp(1000+i)); r.status != 201 {
				t.Fatalf("top-up: %d %s", r.status, r.raw)
			}
		}
		var wg sync.WaitGroup
		var total int
		var tmu sync.Mutex
		for i := 0; i < 6; i++ {
			s := svc
			if i%2 == 1 {
				s = other
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := s.DeliverWebhooks(context.Background())
				if err != nil {
					t.Errorf("deliver: %v", err)
				}
				tmu.Lock()
				total += n
				tmu.Unlock()
			}()
		}
		wg.Wait()
		if overlap != 0 || len(seen) != orders || total != orders {
			t.Errorf("%d events received (%d delivered), %d sent twice at once; want %d, 0", len(seen), total, overlap, orders)
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("event %s sent %d times", id, n)
			}
		}
	})
}

// TestWebhookLifecycleEvents: every kind of change reports its event, with
// its object: a number ordered and released, a refund, an automatic
// renewal, a failed one (past due) and the expiry after the dunning
// retries.
func TestWebhookLifecycleEvents(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a, _ := newHookAPI(t, st)
		rc := newReceiver(t, nil)
		createHook(t, a, rc.srv.URL, "order.paid", "subscription.created", "subscription.renewed", "subscription.updated",
			"subscription.past_due", "subscription.expired", "number.ordered", "number.released", "refund.created")
		const number = "+41445550077"
		if r := a.do("POST", "/v1/admin/numbers", adminToken, []map[string]any{{"number": number, "country": "CH", "area": "Zürich",
			"type": "local", "setup_amount": 1000, "monthly_amount": 500, "currency": "CHF"}}); r.status != 201 {
			t.Fatalf("import: %d %s", r.status, r.raw)
		}
		tok := a.signup("life@acme.test", "CHF")
		adr := a.address(tok)
		o := a.do("POST", "/v1/orders", tok, map[string]any{"items": []any{subItem}, "billing_address": adr,
			"payment": map[string]any{"method": "card", "card": card}})
		if o.status != 201 {
			t.Fatalf("order: %d %s", o.status, o.raw)
		}
		subID := o.body["items"].([]any)[0].(map[string]any)["subscription"].(string)
		if r := a.do("PATCH", "/v1/subscriptions/"+subID, tok, map[string]any{"auto_renew": true}); r.status != 200 {
			t.Fatalf("patch: %d %s", r.status, r.raw)
		}
		if r := a.do("POST", "/v1/orders", tok, map[string]any{"items": []any{map[string]any{"type": "licenses", "subscription": subID, "quantity": 1}},
			"billing_address": adr, "payment": map[string]any{"method": "card", "card": card}}); r.status != 201 {
			t.Fatalf("licenses: %d %s", r.status, r.raw)
		}
		// The balance covers one automatic renewal, not two.
		rq := a.do("POST", "/v1/quotes", tok, map[string]any{"items": []any{map[string]any{"type": "renewal", "subscription": subID}},
			"billing_address": adr, "payment": map[string]any{"method": "balance"}})
		if rq.status != 200 {
			t.Fatalf("quote: %d %s", rq.status, rq.raw)
		}
		if r := a.do("POST", "/v1/orders", tok, topUp(int(num(rq.body["total"])))); r.status != 201 {
			t.Fatalf("top-up: %d %s", r.status, r.raw)
		}
		no := a.do("POST", "/v1/orders", tok, map[string]any{"items": []any{map[string]any{"type": "phone_number", "number": number}},
			"billing_address": adr, "payment": map[string]any{"method": "card", "card": card}})
		if no.status != 201 {
			t.Fatalf("number order: %d %s", no.status, no.raw)
		}
		numID := dataOf(a.do("GET", "/v1/numbers", tok, nil))[0]["id"].(string)
		if r := a.do("DELETE", "/v1/numbers/"+numID, tok, nil); r.status != 200 {
			t.Fatalf("release: %d %s", r.status, r.raw)
		}
		if r := a.do("POST", "/v1/admin/orders/"+no.body["id"].(string)+"/refunds", adminToken, map[string]any{"reason": "ordered by mistake"}); r.status != 201 {
			t.Fatalf("refund: %d %s", r.status, r.raw)
		}
		a.moveClock(map[string]any{"seconds": 32 * 86400}) // renewed from the balance
		a.moveClock(map[string]any{"seconds": 31 * 86400}) // not covered: past due
		a.moveClock(map[string]any{"seconds": 8 * 86400})  // the retries failed: expired

		byType := map[string][]map[string]any{}
		var seq []string
		for _, c := range rc.got() {
			byType[c.evt.Type] = append(byType[c.evt.Type], c.object())
			seq = append(seq, c.evt.Type)
		}
		want := map[string]int{"order.paid": 5, "subscription.created": 1, "subscription.renewed": 1, "subscription.past_due": 1,
			"subscription.expired": 1, "subscription.updated": 2, "number.ordered": 1, "number.released": 1, "refund.created": 1}
		for typ, n := range want {
			if len(byType[typ]) != n {
				t.Errorf("%s: %d events, want %d (got %v)", typ, len(byType[typ]), n, seq)
			}
		}
		for _, typ := range []string{"subscription.created", "subscription.updated", "subscription.renewed", "subscription.past_due", "subscription.expired"} {
			for _, obj := range byType[typ] {
				if obj["id"] != subID {
					t.Errorf("%s: object %v", typ, obj["id"])
				}
			}
		}
		if up := byType["subscription.updated"]; len(up) == 2 && (up[0]["auto_renew"] != true || num(up[1]["quantity"]) != 3) &&
			(up[1]["auto_renew"] != true || num(up[0]["quantity"]) != 3) {
			t.Errorf("subscription.updated: %v", up)
		}
		status := func(typ string) any {
			if objs := byType[typ]; len(objs) > 0 {
				return objs[0]["status"]
			}
			return nil
		}
		if status("subscription.past_due") != "past_due" || status("subscription.expired") != "expired" {
			t.Errorf("statuses: past_due event %v, expired event %v", status("subscription.past_due"), status("subscription.expired"))
		}
		if objs := byType["number.ordered"]; len(objs) == 1 && (objs[0]["number"] != number || objs[0]["status"] != "active" || objs[0]["customer"] == nil) {
			t.Errorf("number.ordered: %v", objs[0])
		}
		if objs := byType["number.released"]; len(objs) == 1 && (objs[0]["number"] != number || objs[0]["customer"] != byType["number.ordered"][0]["customer"] ||
			objs[0]["quarantine_until"] == nil) {
			t.Errorf("number.released: %v", objs[0])
		}
		if objs := byType["refund.created"]; len(objs) == 1 && (objs[0]["order"] != no.body["id"] || num(objs[0]["amount"]) != num(no.body["total"]) ||
			objs[0]["customer"] == nil) {
			t.Errorf("refund.created: %v", objs[0])
		}
	})
}

// TestWebhookShutdownGivesDeliveriesBack: a delivery cut short because
// the process stops is not counted as the receiver's failure: it is sent
// again at once by the next pass, without waiting for a retry.
func TestWebhookShutdownGivesDeliveriesBack(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a, svc := newHookAPI(t, st)
		arrived, release := make(chan struct{}, 10), make(chan struct{})
		var once sync.Once
		rc := newReceiver(t, func(n int) int {
			if n == 1 {
				arrived <- struct{}{}
				<-release
			}
			return 200
		})
		t.Cleanup(func() { once.Do(func() { close(release) }) })
		hook, _ := createHook(t, a, rc.srv.URL, "order.paid")
		tok := a.signup("stop@acme.test", "CHF")
		if r := a.do("POST", "/v1/orders", tok, topUp(5000)); r.status != 201 {
			t.Fatalf("top-up: %d %s", r.status, r.raw)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { _, err := svc.DeliverWebhooks(ctx); done <- err }()
		<-arrived
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("deliver: %v, want context.Canceled", err)
		}
		once.Do(func() { close(release) })
		d := deliveriesOf(t, a, hook)[0]
		if d["status"] != "pending" || num(d["attempt_count"]) != 0 || !parseAPITime(t, d["next_attempt_at"]).Equal(a.clk.Now()) {
			t.Fatalf("after a shutdown: %v", d)
		}
		if n := deliver(t, svc); n != 1 || len(rc.got()) != 2 {
			t.Errorf("next pass: %d delivered, %d received", n, len(rc.got()))
		}
	})
}
