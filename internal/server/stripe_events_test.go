package server_test

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/payment/stripe/stripetest"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// lockedBuffer is a log the server writes to while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// deliveryTypes counts an endpoint's deliveries by event type.
func deliveryTypes(t *testing.T, a *api, endpoint string) map[string]int {
	t.Helper()
	n := map[string]int{}
	for _, d := range deliveriesOf(t, a, endpoint) {
		n[d["event_type"].(string)]++
	}
	return n
}

// TestStripeDisputeMarksOrder: a dispute opened at Stripe marks the order
// (dispute_status in the customer's and the operator's API and on the
// portal's order page) and tells the operator: an order.disputed event in
// the outbox, once however often Stripe sends it, and a warning in the log.
func TestStripeDisputeMarksOrder(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		var logs lockedBuffer
		a, f := newStripeAPILog(t, st, &logs)
		hook, _ := createHook(t, a, "https://hooks.example/dialtone", "order.disputed")
		b := newBrowser(t, a)
		b.signup("disputed@acme.test", "CHF")
		tok := b.token("disputed@acme.test")
		adr := a.address(tok)
		placed := a.do("POST", "/v1/orders", tok, businessByCard(adr, saveStripeCard(t, a, tok, stripetest.PMVisa)))
		if placed.status != 201 {
			t.Fatalf("order: %d %s", placed.status, placed.raw)
		}
		ord, pi := placed.body["id"].(string), f.Intents()[0].ID
		if _, ok := placed.body["dispute_status"]; ok {
			t.Errorf("a new order has dispute_status: %s", placed.raw)
		}
		b.get("/orders/"+ord).hasNot(t, `data-testid="order-disputed"`)

		opened := stripetest.DisputeObject("dp_m1", pi, "CHF", 8648, "fraudulent", "needs_response")
		for i := 0; i < 2; i++ {
			if w := webhook(a, "evt_dm1", "charge.dispute.created", opened, stripetest.WebhookSecretTest); w.status != 200 {
				t.Fatalf("dispute created: %d %s", w.status, w.raw)
			}
		}
		if o := a.do("GET", "/v1/orders/"+ord, tok, nil); o.status != 200 || o.body["dispute_status"] != "needs_response" {
			t.Errorf("the customer's order: %d %s", o.status, o.raw)
		}
		cust := a.do("GET", "/v1/account", tok, nil).body["id"].(string)
		detail := a.do("GET", "/v1/admin/customers/"+cust, adminToken, nil)
		recent, _ := detail.body["recent_orders"].(map[string]any)
		rows, _ := recent["data"].([]any)
		if len(rows) != 1 || rows[0].(map[string]any)["dispute_status"] != "needs_response" {
			t.Errorf("the operator's view of the customer: %d %s", detail.status, detail.raw)
		}
		b.get("/orders/"+ord).has(t, `data-testid="order-disputed"`, `<span data-testid="dispute-status">needs_response</span>`)
		if n := deliveryTypes(t, a, hook); n["order.disputed"] != 1 {
			t.Errorf("deliveries = %v, want one order.disputed", n)
		}
		if got := logs.String(); strings.Count(got, "level=WARN msg=\"CARD PAYMENT DISPUTED") != 1 || !strings.Contains(got, "order="+ord) {
			t.Errorf("log, want one warning naming the order:\n%s", got)
		}

		// Closed: the order says how it ended, the operator hears again.
		closed := stripetest.DisputeObject("dp_m1", pi, "CHF", 8648, "fraudulent", "lost")
		if w := webhook(a, "evt_dm2", "charge.dispute.closed", closed, stripetest.WebhookSecretTest); w.status != 200 {
			t.Fatalf("dispute closed: %d %s", w.status, w.raw)
		}
		if o := a.do("GET", "/v1/orders/"+ord, tok, nil); o.body["dispute_status"] != "lost" {
			t.Errorf("after closing: %s", o.raw)
		}
		if n := deliveryTypes(t, a, hook); n["order.disputed"] != 2 {
			t.Errorf("deliveries = %v, want two order.disputed", n)
		}
	})
}

// creditNotes counts the customer's credit notes.
func creditNotes(a *api, tok string) int {
	n := 0
	for _, inv := range dataOf(a.do("GET", "/v1/invoices", tok, nil)) {
		if inv["kind"] == "credit_note" {
			n++
		}
	}
	return n
}

// TestStripeRefundsRecordedOnce: every refund of a charge, made in
// Stripe's dashboard or by dialtone, is one ledger refund and one credit
// note (and one refund.created event), however often and in whichever
// order Stripe's charge.refunded events about them come.
func TestStripeRefundsRecordedOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a, f := newStripeAPI(t, st)
		hook, _ := createHook(t, a, "https://hooks.example/dialtone", "refund.created")
		tok := a.signup("refunds@acme.test", "CHF")
		adr := a.address(tok)
		placed := a.do("POST", "/v1/orders", tok, businessByCard(adr, saveStripeCard(t, a, tok, stripetest.PMVisa)))
		if placed.status != 201 {
			t.Fatalf("order: %d %s", placed.status, placed.raw)
		}
		ord, pi := placed.body["id"].(string), f.Intents()[0].ID
		// dialtone refunds 1000; Stripe's event of it comes twice.
		if r := a.do("POST", "/v1/admin/orders/"+ord+"/refunds", adminToken, map[string]any{"amount": 1000, "reason": "goodwill"}); r.status != 201 {
			t.Fatalf("admin refund: %d %s", r.status, r.raw)
		}
		own := stripetest.ChargeObject(pi, "CHF", 8648, 1000, f.Refunds()[0])
		webhook(a, "evt_o1", "charge.refunded", own, stripetest.WebhookSecretTest)
		webhook(a, "evt_o1", "charge.refunded", own, stripetest.WebhookSecretTest)
		if n := creditNotes(a, tok); n != 1 {
			t.Errorf("credit notes after dialtone's refund and its events = %d, want 1", n)
		}
		// The dashboard refunds the rest; its event, replayed, and then an
		// older event (of dialtone's refund) arriving late change nothing more.
		all := stripetest.ChargeObject(pi, "CHF", 8648, 8648, "re_dash_rest")
		for _, id := range []string{"evt_o2", "evt_o2", "evt_o3"} {
			if w := webhook(a, id, "charge.refunded", all, stripetest.WebhookSecretTest); w.status != 200 {
				t.Fatalf("event: %d %s", w.status, w.raw)
			}
		}
		webhook(a, "evt_o0", "charge.refunded", own, stripetest.WebhookSecretTest)
		o := a.do("GET", "/v1/orders/"+ord, tok, nil)
		if num(o.body["refunded"]) != 8648 || o.body["status"] != "refunded" {
			t.Errorf("order: %s", o.raw)
		}
		if n := creditNotes(a, tok); n != 2 {
			t.Errorf("credit notes = %d, want 2 (dialtone's and the dashboard's)", n)
		}
		if n := deliveryTypes(t, a, hook); n["refund.created"] != 2 {
			t.Errorf("deliveries = %v, want two refund.created", n)
		}
		if len(f.Refunds()) != 1 {
			t.Errorf("Stripe refunds made by dialtone = %v, want 1", f.Refunds())
		}
	})
}

// TestStripeCardExpiring: a card the bank updated (payment_method.updated)
// is kept as Stripe now says, and its customer told; a saved card that
// expires this (business) month is named in a notice, once per card and
// month, with its e-mail, and shown in the portal's Notifications.
func TestStripeCardExpiring(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a, _ := newStripeAPI(t, st)
		b := newBrowser(t, a)
		b.signup("expiring@acme.test", "CHF")
		tok := b.token("expiring@acme.test")
		pm := saveStripeCard(t, a, tok, stripetest.PMVisa)
		// The clock is on 10 March 2026: the bank says the card now
		// expires this month.
		obj := map[string]any{"id": stripetest.PMVisa, "object": "payment_method", "type": "card",
			"card": map[string]any{"brand": "visa", "last4": "4242", "exp_month": 3, "exp_year": 2026}}
		if w := webhook(a, "evt_pmu1", "payment_method.updated", obj, stripetest.WebhookSecretTest); w.status != 200 {
			t.Fatalf("event: %d %s", w.status, w.raw)
		}
		cards := dataOf(a.do("GET", "/v1/payment_methods", tok, nil))
		if len(cards) != 1 || cards[0]["id"] != pm || num(cards[0]["exp_month"]) != 3 || num(cards[0]["exp_year"]) != 2026 {
			t.Fatalf("cards = %v", cards)
		}
		notices := func(typ string) int {
			n := 0
			for _, x := range dataOf(a.do("GET", "/v1/notifications", tok, nil)) {
				if x["type"] == typ {
					n++
				}
			}
			return n
		}
		if n := notices("card_updated"); n != 1 {
			t.Errorf("card_updated notices = %d, want 1", n)
		}
		for i := 0; i < 3; i++ {
			if r := a.do("POST", "/v1/admin/clock/advance", adminToken, map[string]any{"seconds": 3600}); r.status != 200 {
				t.Fatalf("advance: %d %s", r.status, r.raw)
			}
		}
		if n := notices("card_expiring"); n != 1 {
			t.Errorf("card_expiring notices = %d, want 1", n)
		}
		var mails int
		if err := st.DB().QueryRow(`SELECT COUNT(*) FROM outbox o JOIN notifications n ON n.id = o.notification_id
			WHERE n.type = 'card_expiring'`).Scan(&mails); err != nil || mails != 1 {
			t.Errorf("e-mails of the notice = %d (%v), want 1", mails, err)
		}
		b.get("/notifications").has(t, "Your saved card expires this month", "Visa •••• 4242")
		// In April the card has expired: no notice of April names it.
		if r := a.do("POST", "/v1/admin/clock/advance", adminToken, map[string]any{"to": time.Date(2026, 4, 2, 9, 0, 0, 0, time.UTC)}); r.status != 200 {
			t.Fatalf("advance: %d %s", r.status, r.raw)
		}
		if n := notices("card_expiring"); n != 1 {
			t.Errorf("card_expiring notices in April = %d, want 1", n)
		}
	})
}
