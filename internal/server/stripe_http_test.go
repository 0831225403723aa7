package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/clock"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/payment"
	stripegw "github.com/dialtone/dialtone/internal/payment/stripe"
	"github.com/dialtone/dialtone/internal/payment/stripe/stripetest"
	"github.com/dialtone/dialtone/internal/scheduler"
	"github.com/dialtone/dialtone/internal/server"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// newStripeAPI is newAPI with --payments stripe against the scripted fake
// Stripe.
func newStripeAPI(t *testing.T, st *store.Store) (*api, *stripetest.Fake) {
	t.Helper()
	return newStripeAPILog(t, st, io.Discard)
}

// newStripeAPILog is newStripeAPI logging to w.
func newStripeAPILog(t *testing.T, st *store.Store, w io.Writer) (*api, *stripetest.Fake) {
	t.Helper()
	f := stripetest.NewFake(t)
	gw, err := stripegw.New(stripegw.Config{SecretKey: "sk_test_123", WebhookSecret: stripetest.WebhookSecretTest, APIURL: f.URL})
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFrozen(time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC))
	log := slog.New(slog.NewTextHandler(w, nil))
	svc := billing.New(st, clk, gw, log, billing.Config{PublicURL: "https://portal.example",
		Argon2: &argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}})
	if _, err := svc.SeedDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := server.New(svc, log, prometheus.NewRegistry(), server.Config{AdminToken: adminToken, Sandbox: true, SandboxClock: clk,
		GatewayEvents: gw, Advance: scheduler.New(svc, log).Advance, StripePublishableKey: stripePK})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &api{t: t, srv: srv, clk: clk}, f
}

// saveStripeCard saves a Stripe payment method and returns dialtone's ID.
func saveStripeCard(t *testing.T, a *api, tok, pm string) string {
	t.Helper()
	r := a.do("POST", "/v1/payment_methods", tok, map[string]any{"payment_method": pm})
	if r.status != 201 {
		t.Fatalf("save %s: %d %s", pm, r.status, r.raw)
	}
	return r.body["id"].(string)
}

func businessByCard(adr, pm string) map[string]any {
	return map[string]any{"items": []any{map[string]any{"type": "subscription", "plan": "business", "quantity": 2, "term_months": 1}},
		"billing_address": adr, "payment": map[string]any{"method": "card", "payment_method": pm}}
}

func count(a *api, tok, path string) int {
	r := a.do("GET", path, tok, nil)
	d, _ := r.body["data"].([]any)
	return len(d)
}

// webhook posts a signed Stripe event.
func webhook(a *api, id, typ string, object any, secret string) resp {
	body, sig := stripetest.Event(id, typ, object, secret, time.Now())
	return a.do("POST", "/v1/webhooks/stripe", "", string(body), "Stripe-Signature", sig)
}

func TestStripeCardOrders(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a, f := newStripeAPI(t, st)
		tok := a.signup("stripe@acme.test", "CHF")
		adr := a.address(tok)

		// With Stripe the card number never reaches dialtone.
		r := a.do("POST", "/v1/payment_methods", tok, map[string]any{"card": card})
		if r.status != 400 || r.errParam() != "card.number" {
			t.Errorf("card by number: %d %s", r.status, r.raw)
		}
		r = a.do("POST", "/v1/payment_methods", tok, map[string]any{"payment_method": "pm_nope"})
		if r.status != 400 || r.errCode() != "invalid_request" || r.errParam() != "payment_method" {
			t.Errorf("unknown payment method: %d %s", r.status, r.raw)
		}
		r = a.do("POST", "/v1/payment_methods", tok, map[string]any{"payment_method": stripetest.PMSetupDeclined})
		if r.status != 402 || r.errCode() != "card_declined" {
			t.Errorf("setup declined: %d %s", r.status, r.raw)
		}
		r = a.do("POST", "/v1/payment_methods", tok, map[string]any{"payment_method": stripetest.PMVisa})
		if r.status != 201 || r.body["last4"] != "4242" || r.body["brand"] != "visa" || r.body["default"] != true {
			t.Fatalf("save: %d %s", r.status, r.raw)
		}
		visa := r.body["id"].(string)
		if !strings.HasPrefix(visa, "pm_") || visa == stripetest.PMVisa {
			t.Errorf("saved card id %q: want dialtone's own", visa)
		}

		// Paid with a PaymentIntent of the account's Stripe customer, keyed
		// by the order: a retried request charges once.
		order := businessByCard(adr, visa)
		placed := a.do("POST", "/v1/orders", tok, order, "Idempotency-Key", "k1")
		if placed.status != 201 || placed.body["status"] != "paid" || num(placed.body["total"]) != 8648 {
			t.Fatalf("order: %d %s", placed.status, placed.raw)
		}
		if pay := placed.body["payment"].(map[string]any); pay["card_last4"] != "4242" {
			t.Errorf("payment = %v", pay)
		}
		again := a.do("POST", "/v1/orders", tok, order, "Idempotency-Key", "k1")
		if again.status != 201 || again.body["id"] != placed.body["id"] {
			t.Errorf("replay: %d %s", again.status, again.raw)
		}
		in := f.Intents()
		if len(in) != 1 || in[0].Amount != 8648 || in[0].Currency != "chf" || !strings.HasPrefix(in[0].Customer, "cus_fake") ||
			in[0].ReturnURL != "https://portal.example/orders/"+placed.body["id"].(string)+"/return" || in[0].OffSession {
			t.Errorf("intents = %+v", in)
		}

		// A decline changes nothing.
		declined := saveStripeCard(t, a, tok, stripetest.PMInsufficient)
		r = a.do("POST", "/v1/orders", tok, businessByCard(adr, declined))
		if r.status != 402 || r.errCode() != "card_declined" || r.body["error"].(map[string]any)["decline_code"] != "insufficient_funds" {
			t.Errorf("declined: %d %s", r.status, r.raw)
		}
		if n := count(a, tok, "/v1/orders"); n != 1 {
			t.Errorf("orders after a decline = %d, want 1", n)
		}
		if n := count(a, tok, "/v1/subscriptions"); n != 1 {
			t.Errorf("subscriptions after a decline = %d, want 1", n)
		}
		if n := f.Requests("POST /v1/customers"); n != 1 {
			t.Errorf("Stripe customers made = %d, want 1 for the account", n)
		}
		// A removed card is detached from the Stripe customer.
		if r := a.do("DELETE", "/v1/payment_methods/"+declined, tok, nil); r.status != 200 {
			t.Errorf("delete: %d %s", r.status, r.raw)
		}
		if n := f.Requests("POST /v1/payment_methods/" + stripetest.PMInsufficient + "/detach"); n != 1 {
			t.Errorf("detached %d times, want 1", n)
		}
	})
}

func TestStripeAuthenticationRequired(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a, f := newStripeAPI(t, st)
		tok := a.signup("sca@acme.test", "CHF")
		adr := a.address(tok)
		pm := saveStripeCard(t, a, tok, stripetest.PMAuthRequired)

		r := a.do("POST", "/v1/orders", tok, businessByCard(adr, pm))
		e, _ := r.body["error"].(map[string]any)
		if r.status != 402 || r.errCode() != "authentication_required" || e == nil ||
			!strings.HasPrefix(e["next_action_url"].(string), "https://bank.example/3ds/pi_") || !strings.HasPrefix(e["order"].(string), "ord_") {
			t.Fatalf("order: %d %s", r.status, r.raw)
		}
		ord := e["order"].(string)
		// Nothing is fulfilled while the bank waits.
		if n := count(a, tok, "/v1/orders"); n != 0 {
			t.Errorf("orders while pending = %d", n)
		}
		if n := count(a, tok, "/v1/subscriptions"); n != 0 {
			t.Errorf("subscriptions while pending = %d", n)
		}
		if g := a.do("GET", "/v1/orders/"+ord, tok, nil); g.status != 404 {
			t.Errorf("pending order: %d", g.status)
		}
		c := a.do("POST", "/v1/orders/"+ord+"/confirm", tok, nil)
		if c.status != 402 || c.errCode() != "authentication_required" || c.body["error"].(map[string]any)["next_action_url"] != e["next_action_url"] {
			t.Errorf("confirm before authenticating: %d %s", c.status, c.raw)
		}
		other := a.signup("other@acme.test", "CHF")
		if c := a.do("POST", "/v1/orders/"+ord+"/confirm", other, nil); c.status != 404 {
			t.Errorf("another customer's confirm: %d %s", c.status, c.raw)
		}

		pi := f.Intents()[0].ID
		f.Authenticate(pi)
		c = a.do("POST", "/v1/orders/"+ord+"/confirm", tok, nil)
		if c.status != 200 || c.body["id"] != ord || c.body["status"] != "paid" || num(c.body["total"]) != 8648 {
			t.Fatalf("confirm: %d %s", c.status, c.raw)
		}
		// Exactly once: again, and Stripe's event too, change nothing.
		if c2 := a.do("POST", "/v1/orders/"+ord+"/confirm", tok, nil); c2.status != 200 || c2.body["id"] != ord {
			t.Errorf("confirm again: %d %s", c2.status, c2.raw)
		}
		if w := webhook(a, "evt_sca_1", "payment_intent.succeeded", f.IntentObject(pi), stripetest.WebhookSecretTest); w.status != 200 {
			t.Errorf("event: %d %s", w.status, w.raw)
		}
		if n := count(a, tok, "/v1/orders"); n != 1 {
			t.Errorf("orders = %d, want 1", n)
		}
		if n := count(a, tok, "/v1/subscriptions"); n != 1 {
			t.Errorf("subscriptions = %d, want 1", n)
		}
		if n := len(f.Intents()); n != 1 {
			t.Errorf("intents = %d, want 1 (nothing charged twice)", n)
		}
		if n := count(a, tok, "/v1/invoices"); n != 1 {
			t.Errorf("invoices = %d, want 1", n)
		}
	})
}

func TestStripeWebhook(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a, f := newStripeAPI(t, st)
		tok := a.signup("events@acme.test", "CHF")
		adr := a.address(tok)
		pm := saveStripeCard(t, a, tok, stripetest.PMAuthRequired)
		pending := func() (string, string) {
			r := a.do("POST", "/v1/orders", tok, businessByCard(adr, pm))
			if r.status != 402 || r.errCode() != "authentication_required" {
				t.Fatalf("order: %d %s", r.status, r.raw)
			}
			in := f.Intents()
			return r.body["error"].(map[string]any)["order"].(string), in[len(in)-1].ID
		}

		// A wrong signature is 400 and changes nothing.
		ord1, pi1 := pending()
		f.Authenticate(pi1)
		w := webhook(a, "evt_1", "payment_intent.succeeded", f.IntentObject(pi1), "whsec_wrong")
		if w.status != 400 || w.errCode() != "invalid_request" || w.errParam() != "Stripe-Signature" {
			t.Errorf("wrong signature: %d %s", w.status, w.raw)
		}
		if n := count(a, tok, "/v1/orders"); n != 0 {
			t.Fatalf("orders after a forged event = %d", n)
		}
		if w := a.do("POST", "/v1/webhooks/stripe", "", `{"id":"evt_x"}`); w.status != 400 {
			t.Errorf("no signature: %d %s", w.status, w.raw)
		}

		// The signed event completes the order; its replay changes nothing.
		w = webhook(a, "evt_1", "payment_intent.succeeded", f.IntentObject(pi1), stripetest.WebhookSecretTest)
		if w.status != 200 || w.body["received"] != true {
			t.Fatalf("event: %d %s", w.status, w.raw)
		}
		if g := a.do("GET", "/v1/orders/"+ord1, tok, nil); g.status != 200 || g.body["status"] != "paid" {
			t.Fatalf("order after the event: %d %s", g.status, g.raw)
		}
		for i := 0; i < 2; i++ {
			if w := webhook(a, "evt_1", "payment_intent.succeeded", f.IntentObject(pi1), stripetest.WebhookSecretTest); w.status != 200 {
				t.Errorf("replay: %d %s", w.status, w.raw)
			}
		}
		if n := count(a, tok, "/v1/orders"); n != 1 {
			t.Errorf("orders after replays = %d, want 1", n)
		}

		// An unknown type is acknowledged and ignored (as Stripe sends it:
		// JSON with a charset).
		body, sig := stripetest.Event("evt_2", "customer.created", map[string]any{"id": "cus_1", "object": "customer"}, stripetest.WebhookSecretTest, time.Now())
		if w := a.do("POST", "/v1/webhooks/stripe", "", string(body), "Stripe-Signature", sig, "Content-Type", "application/json; charset=utf-8"); w.status != 200 {
			t.Errorf("unknown type: %d %s", w.status, w.raw)
		}

		// A failed payment fails its order: confirming it is a decline.
		ord2, pi2 := pending()
		f.FailAuthentication(pi2)
		if w := webhook(a, "evt_3", "payment_intent.payment_failed", f.IntentObject(pi2), stripetest.WebhookSecretTest); w.status != 200 {
			t.Errorf("failed: %d %s", w.status, w.raw)
		}
		if c := a.do("POST", "/v1/orders/"+ord2+"/confirm", tok, nil); c.status != 402 || c.errCode() != "card_declined" {
			t.Errorf("confirm a failed order: %d %s", c.status, c.raw)
		}
		// ...and a late success event for it does not revive it.
		f.Authenticate(pi2)
		if w := webhook(a, "evt_4", "payment_intent.succeeded", f.IntentObject(pi2), stripetest.WebhookSecretTest); w.status != 200 {
			t.Errorf("late success: %d %s", w.status, w.raw)
		}
		if n := count(a, tok, "/v1/orders"); n != 1 {
			t.Errorf("orders = %d, want 1", n)
		}
	})
}

func TestStripeChargeRefundedEvent(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a, f := newStripeAPI(t, st)
		tok := a.signup("refund@acme.test", "CHF")
		adr := a.address(tok)
		pm := saveStripeCard(t, a, tok, stripetest.PMVisa)
		placed := a.do("POST", "/v1/orders", tok, businessByCard(adr, pm))
		if placed.status != 201 {
			t.Fatalf("order: %d %s", placed.status, placed.raw)
		}
		ord := placed.body["id"].(string)
		pi := f.Intents()[0].ID
		refunds := func() int {
			n := 0
			for _, row := range dataOf(a.do("GET", "/v1/transactions", tok, nil)) {
				if row["purpose"] == "refund" {
					n++
				}
			}
			return n
		}

		// Refunded in Stripe's dashboard: the ledger and a credit note follow.
		charge := stripetest.ChargeObject(pi, "CHF", 8648, 3000, "re_dash1")
		if w := webhook(a, "evt_r1", "charge.refunded", charge, stripetest.WebhookSecretTest); w.status != 200 {
			t.Fatalf("event: %d %s", w.status, w.raw)
		}
		o := a.do("GET", "/v1/orders/"+ord, tok, nil)
		if num(o.body["refunded"]) != 3000 || o.body["status"] != "partially_refunded" {
			t.Fatalf("order after the refund: %s", o.raw)
		}
		notes := 0
		for _, inv := range dataOf(a.do("GET", "/v1/invoices", tok, nil)) {
			if inv["kind"] == "credit_note" && num(inv["total"]) == -3000 {
				notes++
			}
		}
		if notes != 1 || refunds() != 1 {
			t.Errorf("credit notes = %d, refunds = %d; want 1 and 1", notes, refunds())
		}
		// The same event again, or another event saying the same total,
		// changes nothing.
		webhook(a, "evt_r1", "charge.refunded", charge, stripetest.WebhookSecretTest)
		webhook(a, "evt_r2", "charge.refunded", charge, stripetest.WebhookSecretTest)
		if n := refunds(); n != 1 {
			t.Errorf("refunds after replays = %d, want 1", n)
		}
		// dialtone's own refund goes through Stripe; Stripe's event of it
		// then finds it recorded.
		r := a.do("POST", "/v1/admin/orders/"+ord+"/refunds", adminToken, map[string]any{"amount": 1000, "reason": "goodwill"})
		if r.status != 201 {
			t.Fatalf("admin refund: %d %s", r.status, r.raw)
		}
		if len(f.Refunds()) != 1 {
			t.Errorf("Stripe refunds = %v, want 1", f.Refunds())
		}
		webhook(a, "evt_r3", "charge.refunded", stripetest.ChargeObject(pi, "CHF", 8648, 4000, f.Refunds()[0]), stripetest.WebhookSecretTest)
		if n := refunds(); n != 2 {
			t.Errorf("refunds = %d, want 2", n)
		}
		if o := a.do("GET", "/v1/orders/"+ord, tok, nil); num(o.body["refunded"]) != 4000 {
			t.Errorf("refunded = %v, want 4000", o.body["refunded"])
		}
	})
}

// The sandbox stays the default: its card form works, and Stripe's routes
// and payment_method IDs are refused without changing anything.
func TestSandboxRefusesStripeInput(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st)
		tok := a.signup("sandbox@acme.test", "CHF")
		if r := a.do("POST", "/v1/webhooks/stripe", "", `{"id":"evt_1"}`, "Stripe-Signature", "t=1,v1=00"); r.status != 404 {
			t.Errorf("webhook in sandbox: %d %s", r.status, r.raw)
		}
		if r := a.do("POST", "/v1/payment_methods", tok, map[string]any{"payment_method": "pm_card_visa"}); r.status != 400 || r.errParam() != "payment_method" {
			t.Errorf("payment_method in sandbox: %d %s", r.status, r.raw)
		}
		if r := a.do("POST", "/v1/payment_methods", tok, map[string]any{}); r.status != 400 || r.errParam() != "card" {
			t.Errorf("no card: %d %s", r.status, r.raw)
		}
		if r := a.do("POST", "/v1/payment_methods", tok, map[string]any{"card": card}); r.status != 201 || r.body["last4"] != "4242" {
			t.Errorf("sandbox card: %d %s", r.status, r.raw)
		}
		if n := count(a, tok, "/v1/payment_methods"); n != 1 {
			t.Errorf("cards = %d, want 1", n)
		}
	})
}

// An automatic renewal is charged off-session with the default card; one
// the bank would want authenticated is declined (never left pending) and
// dunning follows.
func TestStripeOffSessionRenewal(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a, f := newStripeAPI(t, st)
		tok := a.signup("renew@acme.test", "CHF")
		adr := a.address(tok)
		visa := saveStripeCard(t, a, tok, stripetest.PMVisa)
		order := businessByCard(adr, visa)
		order["items"].([]any)[0].(map[string]any)["auto_renew"] = true
		placed := a.do("POST", "/v1/orders", tok, order)
		if placed.status != 201 {
			t.Fatalf("order: %d %s", placed.status, placed.raw)
		}
		sca := saveStripeCard(t, a, tok, stripetest.PMAuthRequired)
		if r := a.do("POST", "/v1/payment_methods/"+sca+"/default", tok, nil); r.status != 200 {
			t.Fatalf("default: %d %s", r.status, r.raw)
		}
		a.moveClock(map[string]any{"seconds": 32 * 24 * 3600})
		tok = a.relogin("renew@acme.test")
		subs := dataOf(a.do("GET", "/v1/subscriptions", tok, nil))
		if len(subs) != 1 || subs[0]["status"] != "past_due" {
			t.Fatalf("subscriptions after the renewal: %v", subs)
		}
		in := f.Intents()
		if len(in) < 2 || !in[1].OffSession || in[1].PaymentMethod != stripetest.PMAuthRequired {
			t.Errorf("renewal intents = %+v, want an off-session charge of the default card", in)
		}
		if n := count(a, tok, "/v1/orders"); n != 1 {
			t.Errorf("orders = %d, want 1", n)
		}
		// The customer is told, with where to renew on-session.
		found := false
		for _, n := range dataOf(a.do("GET", "/v1/notifications", tok, nil)) {
			body, _ := n["body"].(string)
			if n["type"] == "renewal_failed" && strings.Contains(body, "confirm the payment with your bank") &&
				strings.Contains(body, "https://portal.example/subscriptions/"+subs[0]["id"].(string)) {
				found = true
			}
		}
		if !found {
			t.Errorf("no renewal_failed notice with a link: %s", a.do("GET", "/v1/notifications", tok, nil).raw)
		}
	})
}

// A card saved with the sandbox (before the switch to Stripe) is refused
// by name, not sent to Stripe.
func TestStripeRefusesSandboxCard(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a, f := newStripeAPI(t, st)
		tok := a.signup("switch@acme.test", "CHF")
		adr := a.address(tok)
		cust := a.do("GET", "/v1/account", tok, nil).body["id"].(string)
		pm := "pm_sandboxold"
		if err := st.Tx(context.Background(), func(q *store.Q) error {
			_, err := q.InsertPaymentMethod(context.Background(), market.PaymentMethod{ID: pm, CustomerID: cust, Gateway: "sandbox",
				Token: "tok_sandbox_ok_abcdefghijklmnopqrst", Brand: "visa", Last4: "4242", ExpMonth: 12, ExpYear: 2030, CreatedAt: time.Now()})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		r := a.do("POST", "/v1/orders", tok, businessByCard(adr, pm))
		if r.status != 400 || r.errParam() != "payment.payment_method" {
			t.Errorf("order with a sandbox card: %d %s", r.status, r.raw)
		}
		if n := f.Requests("POST /v1/payment_intents"); n != 0 {
			t.Errorf("payment intents asked for = %d, want none", n)
		}
	})
}

// A cart checkout that waits for authentication keeps the cart; its
// completion empties it.
func TestStripeCartWaitsForAuthentication(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a, f := newStripeAPI(t, st)
		tok := a.signup("cart3ds@acme.test", "CHF")
		adr := a.address(tok)
		pm := saveStripeCard(t, a, tok, stripetest.PMAuthRequired)
		if r := a.do("POST", "/v1/cart/items", tok, map[string]any{"type": "subscription", "plan": "business", "quantity": 2, "term_months": 1}); r.status != 201 {
			t.Fatalf("cart item: %d %s", r.status, r.raw)
		}
		cartItems := func() int {
			items, _ := a.do("GET", "/v1/cart", tok, nil).body["items"].([]any)
			return len(items)
		}
		r := a.do("POST", "/v1/cart/checkout", tok, map[string]any{"billing_address": adr, "payment": map[string]any{"method": "card", "payment_method": pm}})
		if r.status != 402 || r.errCode() != "authentication_required" {
			t.Fatalf("checkout: %d %s", r.status, r.raw)
		}
		if n := cartItems(); n != 1 {
			t.Errorf("cart items while pending = %d, want 1", n)
		}
		f.Authenticate(f.Intents()[0].ID)
		ord := r.body["error"].(map[string]any)["order"].(string)
		if c := a.do("POST", "/v1/orders/"+ord+"/confirm", tok, nil); c.status != 200 || c.body["status"] != "paid" {
			t.Fatalf("confirm: %d %s", c.status, c.raw)
		}
		if n := cartItems(); n != 0 {
			t.Errorf("cart items after the order = %d, want 0", n)
		}
	})
}

// The portal sends the customer to the bank's page from a page of its
// own (the same page again if the form is sent twice: one payment) and
// completes the order when they are back.
func TestStripePortalAuthentication(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a, f := newStripeAPI(t, st)
		b := newBrowser(t, a)
		b.signup("portal3ds@acme.test", "CHF")
		tok := b.token("portal3ds@acme.test")
		adr := a.address(tok)
		pm := saveStripeCard(t, a, tok, stripetest.PMAuthRequired)
		form := payForm(t, b.get("/checkout?type=subscription&plan=business&quantity=2&term=1"))
		form.Set("address", adr)
		form.Set("pay", pm)
		p := b.post("/checkout", form)
		if p.status != 200 || !strings.HasPrefix(p.url, "/orders/ord_") || !strings.HasSuffix(p.url, "/authenticate") {
			t.Fatalf("pay: %d at %s\n%s", p.status, p.url, p.body)
		}
		in := f.Intents()
		if len(in) != 1 {
			t.Fatalf("intents = %d", len(in))
		}
		p.has(t, `href="https://bank.example/3ds/`+in[0].ID+`"`, `data-testid="authenticate"`)
		if again := b.post("/checkout", form); again.url != p.url || len(f.Intents()) != 1 {
			t.Errorf("the form sent again went to %s with %d intents; want %s and 1", again.url, len(f.Intents()), p.url)
		}
		ord := strings.TrimSuffix(strings.TrimPrefix(p.url, "/orders/"), "/authenticate")
		if in[0].ReturnURL != "https://portal.example/orders/"+ord+"/return" {
			t.Fatalf("return_url %q", in[0].ReturnURL)
		}
		back := "/orders/" + ord + "/return?payment_intent=" + in[0].ID + "&redirect_status=succeeded"
		if early := b.get(back); early.url != p.url {
			t.Errorf("back before confirming: at %s, want %s", early.url, p.url)
		}
		f.Authenticate(in[0].ID)
		if done := b.get(back); done.status != 200 || done.url != "/orders/"+ord {
			t.Fatalf("back from the bank: %d at %s", done.status, done.url)
		}
		if o := a.do("GET", "/v1/orders/"+ord, tok, nil); o.status != 200 || o.body["status"] != "paid" {
			t.Errorf("order: %d %s", o.status, o.raw)
		}
		if p := b.get("/orders/" + ord + "/authenticate"); p.url != "/orders/"+ord {
			t.Errorf("the authentication page of a paid order: at %s", p.url)
		}
	})
}

// Returns and events racing for one authenticated order complete it once.
func TestStripePendingCompletesOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a, f := newStripeAPI(t, st)
		tok := a.signup("race3ds@acme.test", "CHF")
		adr := a.address(tok)
		pm := saveStripeCard(t, a, tok, stripetest.PMAuthRequired)
		r := a.do("POST", "/v1/orders", tok, businessByCard(adr, pm))
		if r.status != 402 {
			t.Fatalf("order: %d %s", r.status, r.raw)
		}
		ord := r.body["error"].(map[string]any)["order"].(string)
		pi := f.Intents()[0].ID
		f.Authenticate(pi)
		var wg sync.WaitGroup
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				if i%2 == 0 {
					if c := a.do("POST", "/v1/orders/"+ord+"/confirm", tok, nil); c.status != 200 || c.body["id"] != ord {
						t.Errorf("confirm: %d %s", c.status, c.raw)
					}
					return
				}
				if w := webhook(a, fmt.Sprintf("evt_race_%d", i), "payment_intent.succeeded", f.IntentObject(pi), stripetest.WebhookSecretTest); w.status != 200 {
					t.Errorf("event: %d %s", w.status, w.raw)
				}
			}(i)
		}
		wg.Wait()
		if n := count(a, tok, "/v1/orders"); n != 1 {
			t.Errorf("orders = %d, want 1", n)
		}
		if n := count(a, tok, "/v1/subscriptions"); n != 1 {
			t.Errorf("subscriptions = %d, want 1", n)
		}
		if n := count(a, tok, "/v1/invoices"); n != 1 {
			t.Errorf("invoices = %d, want 1", n)
		}
		if n := len(f.Intents()); n != 1 {
			t.Errorf("intents = %d, want 1", n)
		}
	})
}

// A disputed charge is kept by order with its latest status, once per
// event, for the operator.
func TestStripeDisputeEvents(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a, f := newStripeAPI(t, st)
		tok := a.signup("dispute@acme.test", "CHF")
		adr := a.address(tok)
		placed := a.do("POST", "/v1/orders", tok, businessByCard(adr, saveStripeCard(t, a, tok, stripetest.PMVisa)))
		if placed.status != 201 {
			t.Fatalf("order: %d %s", placed.status, placed.raw)
		}
		ord, pi := placed.body["id"].(string), f.Intents()[0].ID
		disputes := func() []map[string]any {
			r := a.do("GET", "/v1/admin/orders/"+ord+"/disputes", adminToken, nil)
			if r.status != 200 {
				t.Fatalf("disputes: %d %s", r.status, r.raw)
			}
			return dataOf(r)
		}
		if d := disputes(); len(d) != 0 {
			t.Fatalf("disputes before = %v", d)
		}
		opened := stripetest.DisputeObject("dp_1", pi, "CHF", 8648, "fraudulent", "needs_response")
		for i := 0; i < 2; i++ {
			if w := webhook(a, "evt_d1", "charge.dispute.created", opened, stripetest.WebhookSecretTest); w.status != 200 {
				t.Fatalf("dispute created: %d %s", w.status, w.raw)
			}
		}
		if d := disputes(); len(d) != 1 || d[0]["id"] != "dp_1" || d[0]["status"] != "needs_response" || num(d[0]["amount"]) != 8648 || d[0]["reason"] != "fraudulent" {
			t.Errorf("disputes = %v", d)
		}
		closed := stripetest.DisputeObject("dp_1", pi, "CHF", 8648, "fraudulent", "lost")
		if w := webhook(a, "evt_d2", "charge.dispute.closed", closed, stripetest.WebhookSecretTest); w.status != 200 {
			t.Fatalf("dispute closed: %d %s", w.status, w.raw)
		}
		if d := disputes(); len(d) != 1 || d[0]["status"] != "lost" {
			t.Errorf("disputes after closing = %v", d)
		}
		if r := a.do("GET", "/v1/admin/orders/ord_nope/disputes", adminToken, nil); r.status != 404 {
			t.Errorf("unknown order: %d", r.status)
		}
	})
}

// A charge whose order never committed (the process died between Stripe's
// charge and the commit) is refunded when Stripe's event about it comes;
// the events of paid orders refund nothing.
func TestStripeOrphanChargeRefunded(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a, f := newStripeAPI(t, st)
		tok := a.signup("orphan@acme.test", "CHF")
		adr := a.address(tok)
		placed := a.do("POST", "/v1/orders", tok, businessByCard(adr, saveStripeCard(t, a, tok, stripetest.PMVisa)))
		if placed.status != 201 {
			t.Fatalf("order: %d %s", placed.status, placed.raw)
		}
		paid := f.Intents()[0].ID
		if w := webhook(a, "evt_o1", "payment_intent.succeeded", f.IntentObject(paid), stripetest.WebhookSecretTest); w.status != 200 {
			t.Fatalf("event: %d %s", w.status, w.raw)
		}
		if n := len(f.Refunds()); n != 0 {
			t.Fatalf("refunds after a paid order's event = %d", n)
		}
		// The charge a crashed order left: made as placeOrder makes it.
		gw, err := stripegw.New(stripegw.Config{SecretKey: "sk_test_123", APIURL: f.URL})
		if err != nil {
			t.Fatal(err)
		}
		cust := a.do("GET", "/v1/account", tok, nil).body["id"].(string)
		ch, err := gw.Charge(context.Background(), payment.ChargeInput{Token: stripetest.PMVisa, Amount: 8648, Currency: "CHF",
			IdempotencyKey: "ord_crashed", AccountID: cust})
		if err != nil {
			t.Fatal(err)
		}
		for i, id := range []string{"evt_o2", "evt_o2", "evt_o3"} {
			if w := webhook(a, id, "payment_intent.succeeded", f.IntentObject(ch.ID), stripetest.WebhookSecretTest); w.status != 200 {
				t.Fatalf("orphan event %d: %d %s", i, w.status, w.raw)
			}
		}
		if n := len(f.Refunds()); n != 1 {
			t.Errorf("refunds of the orphan = %d, want 1", n)
		}
		if n := count(a, tok, "/v1/orders"); n != 1 {
			t.Errorf("orders = %d, want 1", n)
		}
	})
}

// The bank's card updater: the saved card follows and its customer is
// told, once.
func TestStripeCardUpdatedEvent(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a, _ := newStripeAPI(t, st)
		tok := a.signup("updater@acme.test", "CHF")
		pm := saveStripeCard(t, a, tok, stripetest.PMVisa)
		obj := map[string]any{"id": stripetest.PMVisa, "object": "payment_method", "type": "card",
			"card": map[string]any{"brand": "visa", "last4": "1881", "exp_month": 3, "exp_year": 2031}}
		for i := 0; i < 2; i++ {
			if w := webhook(a, "evt_pm1", "payment_method.automatically_updated", obj, stripetest.WebhookSecretTest); w.status != 200 {
				t.Fatalf("event: %d %s", w.status, w.raw)
			}
		}
		cards := dataOf(a.do("GET", "/v1/payment_methods", tok, nil))
		if len(cards) != 1 || cards[0]["id"] != pm || cards[0]["last4"] != "1881" || num(cards[0]["exp_month"]) != 3 || num(cards[0]["exp_year"]) != 2031 {
			t.Errorf("cards = %v", cards)
		}
		n := 0
		for _, x := range dataOf(a.do("GET", "/v1/notifications", tok, nil)) {
			if x["type"] == "card_updated" && strings.Contains(x["body"].(string), "1881") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("card_updated notices = %d, want 1", n)
		}
	})
}
