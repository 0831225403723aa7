package contracttest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// hook is one POST a receiver got.
type hook struct {
	sig  string
	body []byte
	ev   map[string]any
}

// receiver is the operator's system: an HTTP server on 127.0.0.1 that
// records what it is sent and answers status.
type receiver struct {
	srv    *httptest.Server
	status atomic.Int32
	mu     sync.Mutex
	got    []hook
}

func newReceiver(t *testing.T, status int) *receiver {
	r := &receiver{}
	r.status.Store(int32(status))
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		h := hook{sig: req.Header.Get("Dialtone-Signature"), body: body}
		_ = json.Unmarshal(body, &h.ev)
		r.mu.Lock()
		r.got = append(r.got, h)
		r.mu.Unlock()
		w.WriteHeader(int(r.status.Load()))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// of returns what the receiver got of events of typ about the object id.
func (r *receiver) of(typ, id string) []hook {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []hook
	for _, h := range r.got {
		if h.ev["type"] == typ && obj(obj(h.ev["data"])["object"])["id"] == id {
			out = append(out, h)
		}
	}
	return out
}

// wait polls, for a few seconds at most, until cond holds.
func wait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited 5 s for %s", what)
		}
	}
}

// verifySignature checks a Dialtone-Signature as API.md says a receiver
// does: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body" keyed with the
// whole secret>, t the real time of sending.
func verifySignature(t *testing.T, h hook, secret string) {
	t.Helper()
	var ts, v1 string
	for _, part := range strings.Split(h.sig, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			v1 = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		t.Errorf("Dialtone-Signature %q: no t", h.sig)
		return
	}
	if d := time.Since(time.Unix(sec, 0)); d < -time.Minute || d > 5*time.Minute {
		t.Errorf("Dialtone-Signature %q: t is %s from now, want the real time of sending", h.sig, d)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(h.body)
	if want := hex.EncodeToString(mac.Sum(nil)); v1 != want {
		t.Errorf("Dialtone-Signature %q: v1 is not the HMAC-SHA256 of t.body with the secret (want %s)", h.sig, want)
	}
}

// deliveries lists an endpoint's deliveries (one page).
func (s *server) deliveries(endpoint string) []map[string]any {
	s.t.Helper()
	return s.must(200, "GET", "/v1/admin/webhook_endpoints/"+endpoint+"/deliveries", adminToken, nil).data()
}

func deliveryOf(ds []map[string]any, event string) map[string]any {
	for _, d := range ds {
		if d["event"] == event {
			return d
		}
	}
	return nil
}

// TestWebhooks: the operator's webhook endpoints (API.md, operator
// section; OPERATIONS.md "Webhooks"): registered, sent signed events of
// the types they take, retried when they fail, retried by hand, deleted;
// bad URLs and unknown types refused, customers kept out.
func TestWebhooks(t *testing.T) {
	each(t, func(t *testing.T, s *server) {
		const adm = adminToken
		const eps = "/v1/admin/webhook_endpoints"
		ok := newReceiver(t, 200)
		failing := newReceiver(t, 500)

		// Customers are kept out.
		tok := s.customer("hooks", "EUR")
		s.fails(403, "forbidden", "", "GET", eps, tok, nil)
		s.fails(403, "forbidden", "", "POST", eps, tok, map[string]any{"url": ok.srv.URL, "events": []string{"order.paid"}})
		s.fails(401, "unauthenticated", "", "GET", eps, "", nil)

		// URLs and event types are checked; nothing is created.
		for _, u := range []string{"ftp://example.com/hooks", "http://169.254.169.254/latest/meta-data", "http://[fe80::1]/x", "http://metadata.google.internal/computeMetadata/v1/",
			"https://user:pw@example.com/x", "not a url", ""} {
			s.fails(400, "invalid_request", "url", "POST", eps, adm, map[string]any{"url": u, "events": []string{"order.paid"}})
		}
		s.fails(400, "invalid_request", "events", "POST", eps, adm, map[string]any{"url": ok.srv.URL, "events": []string{"order.shipped"}})
		s.fails(400, "invalid_request", "events", "POST", eps, adm, map[string]any{"url": ok.srv.URL, "events": []string{"order.paid", "nope"}})
		s.fails(400, "invalid_request", "events", "POST", eps, adm, map[string]any{"url": ok.srv.URL, "events": []string{}})
		s.fails(400, "invalid_request", "events", "POST", eps, adm, map[string]any{"url": ok.srv.URL})
		s.fails(400, "invalid_request", "url", "POST", eps, adm, map[string]any{"events": []string{"order.paid"}})
		if n := len(s.must(200, "GET", eps, adm, nil).data()); n != 0 {
			t.Errorf("%d endpoints after refused creates", n)
		}

		// Register: the secret is shown on create only.
		e := s.must(201, "POST", eps, adm, map[string]any{"url": ok.srv.URL + "/dialtone", "events": []string{"order.paid", "subscription.created"}})
		epID, secret := str(e.body["id"]), str(e.body["secret"])
		if !strings.HasPrefix(epID, "we_") || !strings.HasPrefix(secret, "whsec_") || e.body["url"] != ok.srv.URL+"/dialtone" ||
			len(arr(e.body["events"])) != 2 {
			t.Fatalf("create: want {id: we_…, url, events, secret: whsec_…}: %s", e.raw)
		}
		f := s.must(201, "POST", eps, adm, map[string]any{"url": failing.srv.URL, "events": []string{"order.paid"}})
		failID, failSecret := str(f.body["id"]), str(f.body["secret"])
		if failSecret == secret {
			t.Error("two endpoints share a secret")
		}
		listed := s.must(200, "GET", eps, adm, nil)
		if strings.Contains(string(listed.raw), secret) || strings.Contains(string(listed.raw), failSecret) {
			t.Errorf("the list shows a secret: %s", listed.raw)
		}
		if ids := s.walk(eps, adm, 1); strings.Join(ids, " ") != failID+" "+epID {
			t.Errorf("endpoints walked by id: %v, want newest first [%s %s]", ids, failID, epID)
		}
		for _, d := range listed.data() {
			if _, has := d["secret"]; has {
				t.Errorf("listed endpoint with a secret: %v", d)
			}
		}

		// A customer pays an order: order.paid and subscription.created,
		// sent at the scheduler's next scan (a sandbox clock move runs one).
		cus := str(s.must(200, "GET", "/v1/account", tok, nil).body["id"])
		adr := s.address(tok)
		o := s.must(201, "POST", "/v1/orders", tok, map[string]any{"items": []any{sub("business", 2, 1)}, "billing_address": adr,
			"payment": map[string]any{"method": "card", "card": goodCard}})
		orderID := str(o.body["id"])
		subID := str(obj(arr(o.body["items"])[0])["subscription"])
		if subID == "" {
			t.Fatalf("order bought no subscription: %s", o.raw)
		}
		paidAt := s.advance(time.Second)
		wait(t, "order.paid and subscription.created", func() bool {
			return len(ok.of("order.paid", orderID)) > 0 && len(ok.of("subscription.created", subID)) > 0
		})
		paid := ok.of("order.paid", orderID)[0]
		verifySignature(t, paid, secret)
		verifySignature(t, ok.of("subscription.created", subID)[0], secret)
		evID := str(paid.ev["id"])
		if !strings.HasPrefix(evID, "evt_") || obj(obj(paid.ev["data"])["object"])["customer"] != cus ||
			obj(obj(paid.ev["data"])["object"])["status"] != "paid" {
			t.Errorf("order.paid: want {id: evt_…, type, created_at, data: {object: the order with customer}}: %s", paid.body)
		}
		if at := tm(t, paid.ev["created_at"]); at.Before(start) || at.After(paidAt) {
			t.Errorf("order.paid created_at %s: not on the sandbox clock (start %s, now %s)", at, start, paidAt)
		}
		if sc := ok.of("subscription.created", subID)[0]; obj(obj(sc.ev["data"])["object"])["customer"] != cus {
			t.Errorf("subscription.created without its customer: %s", sc.body)
		}

		// The deliveries, with their attempts.
		var delivered map[string]any
		wait(t, "the delivery recorded as succeeded", func() bool {
			delivered = deliveryOf(s.deliveries(epID), evID)
			return delivered != nil && delivered["status"] == "succeeded"
		})
		if delivered["endpoint"] != epID || delivered["event_type"] != "order.paid" || num(delivered["attempt_count"]) != 1 ||
			delivered["delivered_at"] == nil || delivered["next_attempt_at"] != nil || len(arr(delivered["attempts"])) != 1 ||
			num(obj(arr(delivered["attempts"])[0])["status_code"]) != 200 {
			t.Errorf("a succeeded delivery: %v", delivered)
		}
		if ids := s.walk(eps+"/"+epID+"/deliveries", adm, 1); len(ids) < 2 {
			t.Errorf("deliveries walked by id: %v, want order.paid and subscription.created", ids)
		}

		// The failing receiver: answered 500, so the delivery is pending,
		// retried a minute later (on the business clock).
		wait(t, "the failing receiver's first attempt", func() bool { return len(failing.of("order.paid", orderID)) == 1 })
		verifySignature(t, failing.of("order.paid", orderID)[0], failSecret)
		var pending map[string]any
		wait(t, "the failed attempt recorded", func() bool {
			pending = deliveryOf(s.deliveries(failID), evID)
			return pending != nil && num(pending["attempt_count"]) == 1
		})
		a0 := obj(arr(pending["attempts"])[0])
		if pending["status"] != "pending" || pending["next_attempt_at"] == nil || num(a0["status_code"]) != 500 || str(a0["error"]) == "" {
			t.Fatalf("a delivery answered 500: %v", pending)
		}
		if next := tm(t, pending["next_attempt_at"]); !next.After(paidAt) || next.After(paidAt.Add(2*time.Minute)) {
			t.Errorf("next attempt %s, want about a minute after %s", next, paidAt)
		}
		s.advance(2 * time.Minute)
		wait(t, "the retry after a clock move", func() bool { return len(failing.of("order.paid", orderID)) == 2 })
		wait(t, "the second attempt recorded", func() bool {
			pending = deliveryOf(s.deliveries(failID), evID)
			return num(pending["attempt_count"]) == 2
		})
		if pending["status"] != "pending" || len(arr(pending["attempts"])) != 2 {
			t.Errorf("after two failures: %v", pending)
		}

		// The receiver is fixed; the operator retries by hand.
		failing.status.Store(204)
		r := s.must(200, "POST", "/v1/admin/webhook_deliveries/"+str(pending["id"])+"/retry", adm, nil)
		if r.body["id"] != pending["id"] || r.body["status"] != "pending" {
			t.Errorf("retry: %s", r.raw)
		}
		s.advance(time.Second)
		wait(t, "the manual retry sent", func() bool { return len(failing.of("order.paid", orderID)) == 3 })
		wait(t, "the manual retry recorded", func() bool {
			d := deliveryOf(s.deliveries(failID), evID)
			return d["status"] == "succeeded" && num(d["attempt_count"]) == 3
		})
		// A succeeded delivery is sent once more too (at least once: the
		// receiver deduplicates on the event id).
		s.must(200, "POST", "/v1/admin/webhook_deliveries/"+str(delivered["id"])+"/retry", adm, nil)
		s.advance(time.Second)
		wait(t, "a succeeded delivery sent again", func() bool { return len(ok.of("order.paid", orderID)) == 2 })
		if again := ok.of("order.paid", orderID)[1]; again.ev["id"] != evID || string(again.body) != string(paid.body) {
			t.Errorf("sent again as another event: %s", again.body)
		}
		s.fails(404, "not_found", "", "POST", "/v1/admin/webhook_deliveries/whd_nonexistent/retry", adm, nil)
		s.fails(403, "forbidden", "", "POST", "/v1/admin/webhook_deliveries/"+str(delivered["id"])+"/retry", tok, nil)
		s.fails(404, "not_found", "", "GET", eps+"/we_nonexistent/deliveries", adm, nil)
		s.fails(400, "invalid_request", "", "GET", eps+"/"+epID+"/deliveries?starting_after=whd_unknown", adm, nil)

		// Delete: gone from the list, gets nothing more.
		tok = s.relogin(tok)
		s.fails(403, "forbidden", "", "DELETE", eps+"/"+failID, tok, nil)
		if d := s.must(200, "DELETE", eps+"/"+failID, adm, nil); d.body["id"] != failID || d.body["deleted"] != true {
			t.Errorf("delete: %s", d.raw)
		}
		s.fails(404, "not_found", "", "DELETE", eps+"/"+failID, adm, nil)
		s.fails(404, "not_found", "", "GET", eps+"/"+failID+"/deliveries", adm, nil)
		s.fails(404, "not_found", "", "POST", "/v1/admin/webhook_deliveries/"+str(pending["id"])+"/retry", adm, nil)
		if ids := s.walk(eps, adm, 100); strings.Join(ids, " ") != epID {
			t.Errorf("endpoints after the delete: %v", ids)
		}
		s.topUp(tok, 5000)
		s.advance(time.Second)
		wait(t, "the top-up's order.paid at the remaining endpoint", func() bool {
			ok.mu.Lock()
			defer ok.mu.Unlock()
			n := 0
			for _, h := range ok.got {
				if h.ev["type"] == "order.paid" {
					n++
				}
			}
			return n == 3
		})
		failing.mu.Lock()
		n := len(failing.got)
		failing.mu.Unlock()
		if n != 3 {
			t.Errorf("the deleted endpoint got %d POSTs, want the 3 from before", n)
		}

		// Idempotency-Key: the same create again answers the first answer
		// (secret included) and registers nothing more.
		body := map[string]any{"url": ok.srv.URL + "/again", "events": []string{"subscription.expired"}}
		first := s.must(201, "POST", eps, adm, body, "Idempotency-Key", "hooks-create-1")
		again := s.must(201, "POST", eps, adm, body, "Idempotency-Key", "hooks-create-1")
		if string(again.raw) != string(first.raw) {
			t.Errorf("replayed create: %s, want the first answer %s", again.raw, first.raw)
		}
		if ids := s.walk(eps, adm, 100); len(ids) != 2 {
			t.Errorf("endpoints after a replayed create: %v, want 2", ids)
		}
	})
}
