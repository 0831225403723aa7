package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/payment/stripe/stripetest"
)

// post sends a JSON body (or raw bytes) and returns the status and body.
func post(t *testing.T, url, token string, body any, hdr ...string) (int, map[string]any) {
	t.Helper()
	b, ok := body.([]byte)
	if !ok {
		b, _ = json.Marshal(body)
	}
	req, _ := http.NewRequest("POST", url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return res.StatusCode, out
}

// TestServeWithStripe: --payments stripe wires the Stripe gateway (here
// against stripe-mock) and its webhook; a misconfiguration is refused
// before the server starts.
func TestServeWithStripe(t *testing.T) {
	db := filepath.Join(t.TempDir(), "stripe.db")
	getenv := func(env map[string]string) func(string) string { return func(k string) string { return env[k] } }
	for _, env := range []map[string]string{
		{"DIALTONE_PAYMENTS": "paypal"},
		{"DIALTONE_PAYMENTS": "stripe", "DIALTONE_STRIPE_SECRET_KEY": "sk_test_123"},
		{"DIALTONE_PAYMENTS": "stripe", "DIALTONE_STRIPE_WEBHOOK_SECRET": "whsec_x"},
		{"DIALTONE_PAYMENTS": "stripe", "DIALTONE_STRIPE_SECRET_KEY": "sk_test_123", "DIALTONE_STRIPE_WEBHOOK_SECRET": "whsec_x"}, // no publishable key
	} {
		if err := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--db", db}, getenv(env), io.Discard, io.Discard); err == nil {
			t.Errorf("serve with %v started", env)
		}
	}

	env := map[string]string{"DIALTONE_ARGON2_MEMORY": "1024", "DIALTONE_DEMO": "false", "DIALTONE_PAYMENTS": "stripe",
		"DIALTONE_STRIPE_SECRET_KEY": "sk_test_123", "DIALTONE_STRIPE_WEBHOOK_SECRET": stripetest.WebhookSecretTest, "DIALTONE_STRIPE_PUBLISHABLE_KEY": "pk_test_123",
		"DIALTONE_STRIPE_API_URL": stripetest.Mock(t)}
	base, _, stop := startServer(t, db, env)
	defer stop()
	call(t, "POST", base+"/v1/signup", "", map[string]any{"email": "s@example.com", "password": "correct horse", "company": "Acme AG", "country": "CH", "currency": "CHF"})
	tok := call(t, "POST", base+"/v1/sessions", "", map[string]any{"email": "s@example.com", "password": "correct horse"})["token"].(string)
	// The card goes to Stripe (stripe-mock's SetupIntent fixture is not
	// "succeeded": a decline), never to the sandbox's card form.
	status, body := post(t, base+"/v1/payment_methods", tok, map[string]any{"payment_method": "pm_card_visa"})
	if e, _ := body["error"].(map[string]any); status != 402 || e["code"] != "card_declined" {
		t.Errorf("save a payment method: %d %v", status, body)
	}
	status, body = post(t, base+"/v1/payment_methods", tok, map[string]any{"card": map[string]any{"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}})
	if e, _ := body["error"].(map[string]any); status != 400 || e["param"] != "card.number" {
		t.Errorf("a card number with Stripe: %d %v", status, body)
	}
	payload, sig := stripetest.Event("evt_serve", "customer.created", map[string]any{"id": "cus_1", "object": "customer"}, stripetest.WebhookSecretTest, time.Now())
	if status, body = post(t, base+"/v1/webhooks/stripe", "", payload, "Stripe-Signature", sig); status != 200 || body["received"] != true {
		t.Errorf("signed event: %d %v", status, body)
	}
	if status, _ = post(t, base+"/v1/webhooks/stripe", "", payload, "Stripe-Signature", strings.Replace(sig, "v1=", "v1=0", 1)); status != 400 {
		t.Errorf("forged event: %d", status)
	}
}
