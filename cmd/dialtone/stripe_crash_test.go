package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/clock"
	"github.com/dialtone/dialtone/internal/market"
	stripegw "github.com/dialtone/dialtone/internal/payment/stripe"
	"github.com/dialtone/dialtone/internal/payment/stripe/stripetest"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestCrashDuringCardPayments: a burst of orders paid by card (Stripe, the
// scripted fake, which outlives the servers), Stripe's events about their
// charges (and refunds made in Stripe's dashboard, and replays), and the
// webhook deliveries they cause, while the server is killed with SIGKILL
// at random moments and restarted, four times. Clients retry a request
// cut short with its Idempotency-Key, and Stripe sends each event until
// it is answered 200, as both do. In the end: every charge has exactly
// one order, or (its order never committed) exactly one refund; every
// dashboard refund is one refund with one credit note; every Stripe event
// was applied at most once; every event of the outbox (one order.paid per
// order, one refund.created per refund) reached its receiver at least
// once; the ledger balances.
func TestCrashDuringCardPayments(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	for _, kind := range storetest.Kinds(t) {
		t.Run(kind, func(t *testing.T) { crashCardPayments(t, kind) })
	}
}

const crashPK = "pk_test_crash"

func crashCardPayments(t *testing.T, kind string) {
	f := stripetest.NewFake(t)
	var mu sync.Mutex
	got := map[string]int{} // webhook event ID -> times received
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e struct{ ID string }
		body, err := io.ReadAll(r.Body)
		if err == nil {
			err = json.Unmarshal(body, &e)
		}
		if err != nil || e.ID == "" || e.ID != r.Header.Get("Dialtone-Event-Id") {
			http.Error(w, "not a complete event", http.StatusBadRequest) // a request cut short by a kill
			return
		}
		mu.Lock()
		got[e.ID]++
		mu.Unlock()
	}))
	defer rc.Close()

	db := storetest.URL(t, kind)
	accounts := seedCardAccounts(t, db, f.URL, rc.URL)
	env := []string{"DIALTONE_PAYMENTS=stripe", "DIALTONE_STRIPE_SECRET_KEY=sk_test_crash", "DIALTONE_STRIPE_API_URL=" + f.URL,
		"DIALTONE_STRIPE_WEBHOOK_SECRET=" + stripetest.WebhookSecretTest, "DIALTONE_STRIPE_PUBLISHABLE_KEY=" + crashPK}

	var base atomic.Pointer[string]
	cmd, b := child(t, db, env...)
	base.Store(&b)
	for i := range accounts {
		accounts[i].token = crashLogin(t, b, accounts[i].email)
	}

	// The clients: orders, each retried with its key until it is answered.
	const orders = 120
	results := make([]crashResult, orders)
	var wg sync.WaitGroup
	work := make(chan int)
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				r := placeCardOrder(base.Load, accounts[i%len(accounts)], fmt.Sprintf("crash-order-%d", i))
				mu.Lock()
				results[i] = r
				mu.Unlock()
			}
		}()
	}
	go func() {
		for i := range orders {
			work <- i
		}
		close(work)
	}()

	// Stripe: payment_intent.succeeded for every charge, until answered
	// 200, one replay now and then; a dashboard refund of every fifth
	// charge whose order a client saw paid, with its charge.refunded.
	stop := make(chan struct{})
	senderDone := make(chan struct{})
	acked := map[string]bool{}    // event ID -> answered 200
	refunded := map[string]bool{} // intent -> refunded in the dashboard
	var sent atomic.Int64
	last := map[string]string{} // event ID -> the last answer, for a failure's report
	client := &http.Client{Timeout: 20 * time.Second}
	send := func(id, typ string, obj any) bool {
		payload, sig := stripetest.Event(id, typ, obj, stripetest.WebhookSecretTest, time.Now())
		req, _ := http.NewRequest("POST", *base.Load()+"/v1/webhooks/stripe", bytes.NewReader(payload))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Stripe-Signature", sig)
		res, err := client.Do(req)
		if err != nil {
			last[id] = err.Error()
			return false
		}
		body, _ := io.ReadAll(io.LimitReader(res.Body, 300))
		res.Body.Close()
		sent.Add(1)
		last[id] = res.Status + " " + string(body)
		return res.StatusCode == 200
	}
	rng := rand.New(rand.NewPCG(5, 6))
	go func() {
		defer close(senderDone)
		var doneAt time.Time
		for n := 0; ; n++ {
			done := false
			select {
			case <-stop:
				done = true
				if doneAt.IsZero() {
					doneAt = time.Now()
				}
			default:
			}
			if done && time.Since(doneAt) > 90*time.Second {
				for id, ok := range acked {
					if !ok {
						t.Errorf("Stripe event %s never answered 200 in 90 s after the last order; last answer: %s", id, last[id])
					}
				}
				return
			}
			all := true
			var replay []string
			for i, in := range f.Intents() {
				id := "evt_pi_" + in.ID
				if acked[id] {
					replay = append(replay, in.ID)
				} else if in.Status == "succeeded" {
					acked[id] = send(id, "payment_intent.succeeded", f.IntentObject(in.ID))
					all = all && acked[id]
				}
				if i%5 != 0 || !committed(results, &mu, in.Metadata["dialtone_key"]) {
					continue
				}
				ref, ok := f.DashboardRefund(in.ID, 100)
				if !ok {
					t.Errorf("dashboard refund of %s refused", in.ID)
					continue
				}
				refunded[in.ID] = true
				rid := "evt_ch_" + in.ID
				if !acked[rid] {
					acked[rid] = send(rid, "charge.refunded", stripetest.ChargeObject(in.ID, "CHF", in.Amount, 100, ref))
					all = all && acked[rid]
				}
			}
			if len(replay) > 0 && n%4 == 0 {
				in := replay[rng.IntN(len(replay))]
				send("evt_pi_"+in, "payment_intent.succeeded", f.IntentObject(in))
			}
			if done && all {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()

	// The kills: when the charges reach each of four random points.
	points := make([]int, 4)
	for i := range points {
		points[i] = 1 + rng.IntN(orders-1)
	}
	slices.Sort(points)
	for round, at := range points {
		deadline := time.Now().Add(time.Minute)
		for len(f.Intents()) < at && time.Now().Before(deadline) {
			time.Sleep(2 * time.Millisecond)
		}
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		t.Logf("round %d: killed at %d charges (aimed at %d of %d)", round, len(f.Intents()), at, orders)
		expireLeases(t, db)
		cmd, b = child(t, db, env...)
		base.Store(&b)
	}
	wg.Wait()
	close(stop)
	<-senderDone
	// Deliveries a kill cut short are owed: let the last server retry them.
	for i := 0; i < 5 && pendingDeliveries(t, db) > 0; i++ {
		req, _ := http.NewRequest("POST", b+"/v1/admin/clock/advance", strings.NewReader(`{"seconds":120}`))
		req.Header.Set("Authorization", "Bearer adm_crash")
		req.Header.Set("Content-Type", "application/json")
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
		}
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()

	mu.Lock()
	defer mu.Unlock()
	checkCardCrash(t, db, f, results, refunded, got, sent.Load())
}

// crashAccount is a customer of the card crash test.
type crashAccount struct {
	email, address, card, token string
}

// crashResult is what a client learnt of its order.
type crashResult struct {
	order  string // the paid order, if the client saw it
	status int    // the last answer
	code   string
}

func committed(results []crashResult, mu *sync.Mutex, order string) bool {
	if order == "" {
		return false
	}
	mu.Lock()
	defer mu.Unlock()
	for _, r := range results {
		if r.order == order {
			return true
		}
	}
	return false
}

// seedCardAccounts migrates db, loads the demo catalog, registers a
// webhook endpoint at hooks for order.paid and refund.created, and makes
// customers with an address and a card saved with the fake Stripe.
func seedCardAccounts(t *testing.T, db, stripeURL, hooks string) []crashAccount {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	gw, err := stripegw.New(stripegw.Config{SecretKey: "sk_test_crash", WebhookSecret: stripetest.WebhookSecretTest, APIURL: stripeURL})
	if err != nil {
		t.Fatal(err)
	}
	svc := billing.New(st, clock.Wall{}, gw, slog.New(slog.NewTextHandler(io.Discard, nil)),
		billing.Config{Argon2: &argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}})
	if _, err := svc.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateWebhookEndpoint(ctx, billing.WebhookEndpointInput{URL: hooks,
		Events: []string{billing.EventOrderPaid, billing.EventRefundCreated}}); err != nil {
		t.Fatal(err)
	}
	var out []crashAccount
	for c := range 6 {
		email := fmt.Sprintf("cards%d@acme.test", c)
		cust, _, err := svc.Signup(ctx, billing.SignupInput{Email: email, Password: "correct horse", Company: "Cards", Country: "CH", Currency: "CHF"})
		if err != nil {
			t.Fatal(err)
		}
		p := billing.Principal{CustomerID: cust.ID, Role: "owner"}
		a, err := svc.SaveAddress(ctx, p, "", billing.AddressInput{Name: "Cards", Line1: "Weg 1", City: "Bern", PostalCode: "3000", Country: "CH"})
		if err != nil {
			t.Fatal(err)
		}
		pm, err := svc.SaveGatewayCard(ctx, p, stripetest.PMVisa)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, crashAccount{email: email, address: a.ID, card: pm.ID})
	}
	return out
}

func crashLogin(t *testing.T, base, email string) string {
	t.Helper()
	status, body := post(t, base+"/v1/sessions", "", map[string]any{"email": email, "password": "correct horse"})
	tok, _ := body["token"].(string)
	if status != 201 && status != 200 || tok == "" {
		t.Fatalf("log-in %s: %d %v", email, status, body)
	}
	return tok
}

// placeCardOrder orders one IVR subscription paid with the account's card,
// sending the request again with the same key while the server is down
// or the connection is cut, until it is answered. The order's transaction
// writes its ID into the key (billing/idempotency.go), so an attempt cut
// short by a kill after the commit is answered with its order, and one
// cut short before it runs again: the answer is 201 (a 409
// idempotency_key_in_use is an order the client never learnt of).
func placeCardOrder(base func() *string, a crashAccount, key string) crashResult {
	body, _ := json.Marshal(map[string]any{"items": []any{map[string]any{"type": "subscription", "plan": "ivr", "quantity": 1, "term_months": 1}},
		"billing_address": a.address, "payment": map[string]any{"method": "card", "payment_method": a.card}})
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest("POST", *base()+"/v1/orders", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+a.token)
		req.Header.Set("Idempotency-Key", key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var out struct {
			ID    string `json:"id"`
			Error struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		_ = json.Unmarshal(raw, &out)
		if res.StatusCode >= 500 {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		r := crashResult{status: res.StatusCode, code: out.Error.Code}
		if res.StatusCode == 201 {
			r.order = out.ID
		}
		return r
	}
	return crashResult{code: "gave up"}
}

func checkCardCrash(t *testing.T, db string, f *stripetest.Fake, results []crashResult, refunded map[string]bool, got map[string]int, sent int64) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	one := func(query string, args ...any) int {
		t.Helper()
		var n int
		if err := st.DB().QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return n
	}
	paid, orphans, inUse, learnt := 0, 0, 0, map[string]bool{}
	for i, r := range results {
		switch {
		case r.order != "":
			learnt[r.order] = true
			if one(`SELECT COUNT(*) FROM orders WHERE id = $1`, r.order) != 1 {
				t.Errorf("order %s, answered 201, is not stored", r.order)
			}
		case r.code == "idempotency_key_in_use":
			inUse++
			t.Errorf("order %d was answered 409 idempotency_key_in_use after a kill: the client never learns of it", i)
		default:
			t.Errorf("an order was answered %d %s", r.status, r.code)
		}
	}
	intents := f.Intents()
	for _, in := range intents {
		pays := one(`SELECT COUNT(*) FROM payments WHERE gateway_ref = $1 AND refund_of = ''`, in.ID)
		switch {
		case in.Status != "succeeded":
			t.Errorf("charge %s: %s", in.ID, in.Status)
		case pays == 1:
			paid++
			want := int64(0)
			if refunded[in.ID] {
				want = 100
				if n := one(`SELECT COUNT(*) FROM payments r JOIN payments p ON r.refund_of = p.id WHERE p.gateway_ref = $1 AND r.amount = -100`, in.ID); n != 1 {
					t.Errorf("charge %s: %d refunds recorded of its dashboard refund, want 1", in.ID, n)
				}
				if n := one(`SELECT COUNT(*) FROM invoices i JOIN payments p ON i.order_id = p.order_id WHERE p.gateway_ref = $1 AND p.refund_of = '' AND i.kind = 'credit_note'`, in.ID); n != 1 {
					t.Errorf("charge %s: %d credit notes, want 1", in.ID, n)
				}
			}
			if in.Refunded != want {
				t.Errorf("charge %s of an order: %d refunded at Stripe, want %d", in.ID, in.Refunded, want)
			}
		case pays == 0:
			orphans++
			if in.Refunded != in.Amount {
				t.Errorf("charge %s has no order and %d of %d refunded", in.ID, in.Refunded, in.Amount)
			}
		default:
			t.Errorf("charge %s has %d order payments", in.ID, pays)
		}
	}
	nOrders := one(`SELECT COUNT(*) FROM orders`)
	if nOrders != len(learnt) || len(learnt) != len(results) {
		t.Errorf("%d orders, %d of %d clients answered 201 with one: every client learns of its one order", nOrders, len(learnt), len(results))
	}
	if nOrders != paid || one(`SELECT COUNT(*) FROM payments WHERE refund_of = '' AND order_id <> '' AND gateway_ref <> ''`) != paid {
		t.Errorf("%d orders, %d charges with an order", nOrders, paid)
	}
	if n := one(`SELECT COUNT(*) FROM webhook_events WHERE type = 'order.paid'`); n != nOrders {
		t.Errorf("%d order.paid events for %d orders", n, nOrders)
	}
	if n := one(`SELECT COUNT(*) FROM webhook_events WHERE type = 'refund.created'`); n != len(refunded) {
		t.Errorf("%d refund.created events for %d dashboard refunds", n, len(refunded))
	}
	// Stripe's events: each applied once (its ID stored with what it did).
	if n := one(`SELECT COUNT(*) FROM gateway_events`); n != len(intents)+len(refunded) {
		t.Errorf("%d Stripe events recorded, want %d", n, len(intents)+len(refunded))
	}
	rows, err := st.DB().QueryContext(ctx, `SELECT v.id, d.status FROM webhook_events v JOIN webhook_deliveries d ON d.event_id = v.id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	events := 0
	for rows.Next() {
		var id, status string
		if err := rows.Scan(&id, &status); err != nil {
			t.Fatal(err)
		}
		events++
		if status != market.DeliverySucceeded || got[id] == 0 {
			t.Errorf("event %s: delivery %s, received %d times", id, status, got[id])
		}
	}
	total, unbalanced, err := st.Read().LedgerImbalance(ctx)
	if err != nil || total != 0 || unbalanced != 0 {
		t.Errorf("ledger total %d, unbalanced %d (%v)", total, unbalanced, err)
	}
	t.Logf("%d charges: %d with one order, %d without (orphans: a kill between the charge and the commit); %d orders a client never learnt of (key in use after a kill); "+
		"%d dashboard refunds; %d Stripe event posts; %d webhook events delivered", len(intents), paid, orphans, inUse, len(refunded), sent, events)
}
