// Package stripetest helps test the Stripe gateway: Mock starts stripe-mock
// (which validates every request against Stripe's OpenAPI document but
// keeps no state and never declines), and Fake is a scripted Stripe of our
// own for what stripe-mock cannot do: declines, PaymentIntents that
// require authentication and then succeed or fail, idempotent replays,
// refunds, and signed webhook events.
package stripetest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	stripeapi "github.com/stripe/stripe-go/v85"
	"github.com/stripe/stripe-go/v85/webhook"
)

// Test payment methods of the fake, named as Stripe's test ones.
const (
	PMVisa            = "pm_card_visa"                            // succeeds
	PMDeclined        = "pm_card_chargeDeclined"                  // charges are declined
	PMInsufficient    = "pm_card_chargeDeclinedInsufficientFunds" // declined: insufficient_funds
	PMAuthRequired    = "pm_card_authenticationRequired"          // charges need 3-D Secure
	PMSetupDeclined   = "pm_card_setupDeclined"                   // cannot even be saved
	PMSetupAuth       = "pm_card_authenticationRequiredOnSetup"   // saving it needs 3-D Secure; its charges then succeed
	WebhookSecretTest = "whsec_test_dialtone"
)

var last4 = map[string]string{PMVisa: "4242", PMDeclined: "0002", PMInsufficient: "9995", PMAuthRequired: "3184", PMSetupDeclined: "0341", PMSetupAuth: "3155"}

// Intent is a PaymentIntent the fake holds.
type Intent struct {
	ID, Status, PaymentMethod, Customer, Currency string
	Amount, Refunded                              int64
	OffSession                                    bool
	ReturnURL                                     string
	Metadata                                      map[string]string
}

// Fake is a scripted Stripe API on an httptest server.
type Fake struct {
	URL string
	srv *httptest.Server

	mu        sync.Mutex
	n         int
	replies   map[string][]byte // idempotency key -> first answer (status + body)
	intents   map[string]*Intent
	order     []string
	refunds   []string
	requests  []string          // "METHOD path" of every request
	dashboard map[string]string // intent -> refund made by DashboardRefund
	setups    map[string]obj    // SetupIntents that waited for authentication
}

// NewFake starts a fake Stripe, closed when the test ends.
func NewFake(t testing.TB) *Fake {
	f := &Fake{replies: map[string][]byte{}, intents: map[string]*Intent{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	f.URL = f.srv.URL
	t.Cleanup(f.srv.Close)
	return f
}

// Intents returns the PaymentIntents created, in order.
func (f *Fake) Intents() []Intent {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Intent
	for _, id := range f.order {
		out = append(out, *f.intents[id])
	}
	return out
}

// Requests counts the requests made as "METHOD /path".
func (f *Fake) Requests(what string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.requests {
		if r == what {
			n++
		}
	}
	return n
}

// Refunds returns the IDs of the refunds made.
func (f *Fake) Refunds() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.refunds...)
}

// DashboardRefund refunds amount of a succeeded intent as Stripe's
// dashboard would (not through the API): once per intent, the same
// refund's ID again after that. ok is false for an intent that cannot be
// refunded so much.
func (f *Fake) DashboardRefund(intent string, amount int64) (refund string, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if id, done := f.dashboard[intent]; done {
		return id, true
	}
	in := f.intents[intent]
	if in == nil || in.Status != "succeeded" || amount <= 0 || in.Refunded+amount > in.Amount {
		return "", false
	}
	in.Refunded += amount
	id := f.next("re")
	f.refunds = append(f.refunds, id)
	if f.dashboard == nil {
		f.dashboard = map[string]string{}
	}
	f.dashboard[intent] = id
	return id, true
}

// AuthenticateSetup makes a SetupIntent that requires action succeed.
func (f *Fake) AuthenticateSetup(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if si := f.setups[id]; si != nil {
		si["status"] = "succeeded"
		delete(si, "next_action")
	}
}

// Authenticate makes an intent that requires action succeed, as when the
// customer passes the bank's check.
func (f *Fake) Authenticate(id string) { f.setStatus(id, "succeeded") }

// FailAuthentication makes an intent fail its check.
func (f *Fake) FailAuthentication(id string) { f.setStatus(id, "requires_payment_method") }

func (f *Fake) setStatus(id, status string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if in := f.intents[id]; in != nil {
		in.Status = status
	}
}

func (f *Fake) next(prefix string) string {
	f.n++
	return fmt.Sprintf("%s_fake%06d", prefix, f.n)
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path)
	key := r.Header.Get("Idempotency-Key")
	if r.Method == http.MethodPost && key != "" {
		if b, ok := f.replies[r.URL.Path+" "+key]; ok {
			status, _ := strconv.Atoi(string(b[:3]))
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write(b[3:])
			return
		}
	}
	status, body := f.route(r)
	b, _ := json.Marshal(body)
	if r.Method == http.MethodPost && key != "" {
		f.replies[r.URL.Path+" "+key] = append([]byte(strconv.Itoa(status)), b...)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

type obj = map[string]any

func cardError(code, decline, msg string, pi obj) (int, obj) {
	e := obj{"type": "card_error", "code": code, "message": msg}
	if decline != "" {
		e["decline_code"] = decline
	}
	if pi != nil {
		e["payment_intent"] = pi
	}
	return http.StatusPaymentRequired, obj{"error": e}
}

func (f *Fake) route(r *http.Request) (int, obj) {
	p := r.URL.Path
	switch {
	case r.Method == http.MethodPost && p == "/v1/customers":
		return 200, obj{"id": f.next("cus"), "object": "customer", "email": r.Form.Get("email")}
	case r.Method == http.MethodPost && p == "/v1/setup_intents":
		pm := r.Form.Get("payment_method")
		if _, ok := last4[pm]; !ok {
			return 400, obj{"error": obj{"type": "invalid_request_error", "code": "resource_missing", "param": "payment_method",
				"message": "No such PaymentMethod: '" + pm + "'"}}
		}
		if pm == PMSetupDeclined {
			return cardError("card_declined", "generic_decline", "Your card was declined.", nil)
		}
		si := obj{"id": f.next("seti"), "object": "setup_intent", "status": "succeeded", "payment_method": pm,
			"customer": r.Form.Get("customer"), "usage": r.Form.Get("usage")}
		if pm == PMSetupAuth {
			si["status"] = "requires_action"
			si["next_action"] = obj{"type": "redirect_to_url",
				"redirect_to_url": obj{"url": "https://bank.example/3ds/" + si["id"].(string), "return_url": r.Form.Get("return_url")}}
			if f.setups == nil {
				f.setups = map[string]obj{}
			}
			f.setups[si["id"].(string)] = si
		}
		return 200, si
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/v1/setup_intents/"):
		si := f.setups[strings.TrimPrefix(p, "/v1/setup_intents/")]
		if si == nil {
			return 404, obj{"error": obj{"type": "invalid_request_error", "code": "resource_missing", "message": "No such setupintent"}}
		}
		return 200, si
	case r.Method == http.MethodPost && strings.HasPrefix(p, "/v1/payment_methods/") && strings.HasSuffix(p, "/detach"):
		pm := strings.TrimSuffix(strings.TrimPrefix(p, "/v1/payment_methods/"), "/detach")
		if _, ok := last4[pm]; !ok {
			return 404, obj{"error": obj{"type": "invalid_request_error", "code": "resource_missing", "message": "No such PaymentMethod"}}
		}
		return 200, obj{"id": pm, "object": "payment_method", "type": "card", "customer": nil}
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/v1/payment_methods/"):
		pm := strings.TrimPrefix(p, "/v1/payment_methods/")
		l4, ok := last4[pm]
		if !ok {
			return 404, obj{"error": obj{"type": "invalid_request_error", "code": "resource_missing", "message": "No such PaymentMethod"}}
		}
		return 200, obj{"id": pm, "object": "payment_method", "type": "card",
			"card": obj{"brand": "visa", "last4": l4, "exp_month": 12, "exp_year": 2030}}
	case r.Method == http.MethodPost && p == "/v1/payment_intents":
		return f.createIntent(r)
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/v1/payment_intents/"):
		in := f.intents[strings.TrimPrefix(p, "/v1/payment_intents/")]
		if in == nil {
			return 404, obj{"error": obj{"type": "invalid_request_error", "code": "resource_missing", "message": "No such payment_intent"}}
		}
		return 200, intentJSON(in)
	case r.Method == http.MethodPost && p == "/v1/refunds":
		in := f.intents[r.Form.Get("payment_intent")]
		if in == nil || in.Status != "succeeded" {
			return 400, obj{"error": obj{"type": "invalid_request_error", "code": "charge_not_refundable", "message": "not refundable"}}
		}
		amount := in.Amount - in.Refunded
		if a := r.Form.Get("amount"); a != "" {
			amount, _ = strconv.ParseInt(a, 10, 64)
		}
		if amount <= 0 || in.Refunded+amount > in.Amount {
			return 400, obj{"error": obj{"type": "invalid_request_error", "code": "amount_too_large", "message": "too large"}}
		}
		in.Refunded += amount
		id := f.next("re")
		f.refunds = append(f.refunds, id)
		return 200, obj{"id": id, "object": "refund", "amount": amount, "payment_intent": in.ID, "status": "succeeded"}
	}
	return 404, obj{"error": obj{"type": "invalid_request_error", "message": "the fake has no " + r.Method + " " + p}}
}

func (f *Fake) createIntent(r *http.Request) (int, obj) {
	amount, _ := strconv.ParseInt(r.Form.Get("amount"), 10, 64)
	pm := r.Form.Get("payment_method")
	if _, ok := last4[pm]; !ok || amount <= 0 {
		return 400, obj{"error": obj{"type": "invalid_request_error", "code": "resource_missing", "param": "payment_method", "message": "bad intent"}}
	}
	in := &Intent{ID: f.next("pi"), Status: "succeeded", PaymentMethod: pm, Customer: r.Form.Get("customer"),
		Currency: r.Form.Get("currency"), Amount: amount, OffSession: r.Form.Get("off_session") == "true", ReturnURL: r.Form.Get("return_url"),
		Metadata: map[string]string{}}
	for k, v := range r.Form {
		if strings.HasPrefix(k, "metadata[") && strings.HasSuffix(k, "]") && len(v) > 0 {
			in.Metadata[strings.TrimSuffix(strings.TrimPrefix(k, "metadata["), "]")] = v[0]
		}
	}
	f.intents[in.ID] = in
	f.order = append(f.order, in.ID)
	switch pm {
	case PMDeclined:
		in.Status = "requires_payment_method"
		return cardError("card_declined", "generic_decline", "Your card was declined.", intentJSON(in))
	case PMInsufficient:
		in.Status = "requires_payment_method"
		return cardError("card_declined", "insufficient_funds", "Your card has insufficient funds.", intentJSON(in))
	case PMAuthRequired:
		if in.OffSession {
			in.Status = "requires_payment_method"
			return cardError("authentication_required", "authentication_required", "This payment requires authentication.", intentJSON(in))
		}
		in.Status = "requires_action"
	}
	return 200, intentJSON(in)
}

func intentJSON(in *Intent) obj {
	o := obj{"id": in.ID, "object": "payment_intent", "amount": in.Amount, "currency": in.Currency, "status": in.Status,
		"customer": in.Customer, "payment_method": in.PaymentMethod, "metadata": in.Metadata}
	if in.Status == "requires_action" {
		o["next_action"] = obj{"type": "redirect_to_url",
			"redirect_to_url": obj{"url": "https://bank.example/3ds/" + in.ID, "return_url": in.ReturnURL}}
	}
	if in.Status == "requires_payment_method" {
		o["last_payment_error"] = obj{"type": "card_error", "code": "card_declined", "decline_code": "generic_decline", "message": "Your card was declined."}
	}
	return o
}

// Event returns a signed Stripe webhook event of type typ about object,
// and its Stripe-Signature header, signed with secret at now.
func Event(id, typ string, object any, secret string, now time.Time) (payload []byte, header string) {
	raw, _ := json.Marshal(object)
	body, _ := json.Marshal(obj{"id": id, "object": "event", "type": typ, "api_version": stripeapi.APIVersion,
		"created": now.Unix(), "livemode": false, "data": obj{"object": json.RawMessage(raw)}})
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: now})
	return sp.Payload, sp.Header
}

// IntentObject is the webhook object of a PaymentIntent the fake holds.
func (f *Fake) IntentObject(id string) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	if in := f.intents[id]; in != nil {
		return intentJSON(in)
	}
	return obj{"id": id, "object": "payment_intent"}
}

// ChargeObject is the object of a charge.refunded event: the charge of
// intent with amountRefunded refunded in all, the latest by refund.
func ChargeObject(intent, currency string, amount, amountRefunded int64, refund string) map[string]any {
	return obj{"id": "ch_" + strings.TrimPrefix(intent, "pi_"), "object": "charge", "payment_intent": intent,
		"amount": amount, "amount_refunded": amountRefunded, "currency": strings.ToLower(currency), "refunded": amountRefunded == amount,
		"refunds": obj{"object": "list", "data": []obj{{"id": refund, "object": "refund", "payment_intent": intent}}}}
}

// DisputeObject is the object of a charge.dispute.* event about intent.
func DisputeObject(id, intent, currency string, amount int64, reason, status string) map[string]any {
	return obj{"id": id, "object": "dispute", "payment_intent": intent, "charge": "ch_" + strings.TrimPrefix(intent, "pi_"),
		"amount": amount, "currency": strings.ToLower(currency), "reason": reason, "status": status}
}
