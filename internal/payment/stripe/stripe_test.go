package stripe_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/payment"
	stripegw "github.com/dialtone/dialtone/internal/payment/stripe"
	"github.com/dialtone/dialtone/internal/payment/stripe/stripetest"
)

func newGateway(t *testing.T, url string) *stripegw.Gateway {
	t.Helper()
	g, err := stripegw.New(stripegw.Config{SecretKey: "sk_test_123", WebhookSecret: stripetest.WebhookSecretTest, APIURL: url})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// The gateway's requests pass stripe-mock's validation against Stripe's
// OpenAPI document: every call is accepted (stripe-mock keeps no state and
// answers every PaymentIntent with its fixture's status, so a charge reads
// as a decline of ours, never as a request Stripe would refuse).
func TestStripeMockAcceptsRequests(t *testing.T) {
	t.Parallel()
	g := newGateway(t, stripetest.Mock(t))
	ctx := context.Background()
	cus, err := g.Customer(ctx, payment.CustomerInput{AccountID: "cus_dialtone1", Email: "a@acme.test", Company: "Acme"})
	if err != nil || !strings.HasPrefix(cus, "cus_") {
		t.Fatalf("Customer = %q, %v", cus, err)
	}
	// stripe-mock's SetupIntent fixture carries a last_setup_error.
	if _, err := g.SavePaymentMethod(ctx, payment.SaveInput{Customer: cus, PaymentMethod: "pm_card_visa", IdempotencyKey: "setup:1"}); !errors.As(err, new(*payment.Error)) {
		t.Fatalf("SavePaymentMethod = %v: stripe-mock refused the request", err)
	}
	for _, off := range []bool{false, true} {
		_, err = g.Charge(ctx, payment.ChargeInput{Token: "pm_card_visa", Customer: cus, Amount: 1234, Currency: "EUR",
			Description: "Order ord_1", IdempotencyKey: "ord_1", OffSession: off, ReturnURL: "https://portal.example/orders/ord_1/return"})
		var pe *payment.Error
		if !errors.As(err, &pe) {
			t.Fatalf("Charge (off session %v) = %v: stripe-mock refused the request", off, err)
		}
	}
	if _, err := g.LookupCharge(ctx, "pi_123"); err == nil || !errors.As(err, new(*payment.Error)) {
		t.Fatalf("LookupCharge = %v", err)
	}
	if err := g.Forget(ctx, "pm_card_visa"); err != nil {
		t.Fatalf("Forget = %v", err)
	}
	r, err := g.Refund(ctx, payment.RefundInput{ChargeID: "pi_123", Amount: 500, Currency: "EUR", IdempotencyKey: "ord_1/refund/0/500"})
	if err != nil || !strings.HasPrefix(r.ID, "re_") {
		t.Fatalf("Refund = %+v, %v", r, err)
	}
}

func TestFakeOutcomes(t *testing.T) {
	t.Parallel()
	f := stripetest.NewFake(t)
	g := newGateway(t, f.URL)
	ctx := context.Background()
	charge := func(pm, key string, off bool) (payment.Charge, error) {
		return g.Charge(ctx, payment.ChargeInput{Token: pm, Customer: "cus_x", Amount: 5000, Currency: "CHF", IdempotencyKey: key,
			OffSession: off, ReturnURL: "https://portal.example/orders/" + key + "/return"})
	}
	t.Run("OK", func(t *testing.T) {
		ch, err := charge(stripetest.PMVisa, "ord_ok", false)
		if err != nil || !strings.HasPrefix(ch.ID, "pi_") {
			t.Fatalf("charge = %+v, %v", ch, err)
		}
		again, err := charge(stripetest.PMVisa, "ord_ok", false)
		if err != nil || again.ID != ch.ID {
			t.Fatalf("retry with the same key = %+v, %v; want the first intent %s", again, err, ch.ID)
		}
	})
	for _, tt := range []struct{ name, pm, reason string }{
		{"ErrDeclined", stripetest.PMDeclined, "generic_decline"},
		{"ErrInsufficientFunds", stripetest.PMInsufficient, "insufficient_funds"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := charge(tt.pm, "ord_"+tt.name, false)
			var pe *payment.Error
			if !errors.As(err, &pe) || pe.Code != "card_declined" || pe.Reason != tt.reason {
				t.Fatalf("charge = %v, want card_declined %s", err, tt.reason)
			}
		})
	}
	t.Run("ErrAuthenticationRequired", func(t *testing.T) {
		_, err := charge(stripetest.PMAuthRequired, "ord_3ds", false)
		var pe *payment.Error
		if !errors.As(err, &pe) || pe.Code != "authentication_required" || !strings.HasPrefix(pe.Ref, "pi_") ||
			!strings.HasPrefix(pe.NextActionURL, "https://") {
			t.Fatalf("charge = %#v, want authentication_required with the bank's page", err)
		}
		if _, err := g.LookupCharge(ctx, pe.Ref); !errors.As(err, &pe) || pe.Code != "authentication_required" {
			t.Fatalf("lookup before authentication = %v", err)
		}
		f.Authenticate(pe.Ref)
		ch, err := g.LookupCharge(ctx, pe.Ref)
		if err != nil || ch.ID != pe.Ref || ch.Amount != 5000 || ch.Currency != "CHF" {
			t.Fatalf("lookup after authentication = %+v, %v", ch, err)
		}
	})
	t.Run("ErrOffSessionAuthentication", func(t *testing.T) {
		_, err := charge(stripetest.PMAuthRequired, "ord_renewal", true)
		var pe *payment.Error
		if !errors.As(err, &pe) || pe.Code != "card_declined" || pe.Reason != "authentication_required" {
			t.Fatalf("off-session charge = %v, want card_declined authentication_required", err)
		}
	})
	t.Run("ErrSetupDeclined", func(t *testing.T) {
		_, err := g.SavePaymentMethod(ctx, payment.SaveInput{Customer: "cus_x", PaymentMethod: stripetest.PMSetupDeclined})
		var pe *payment.Error
		if !errors.As(err, &pe) || pe.Code != "card_declined" {
			t.Fatalf("save = %v, want card_declined", err)
		}
	})
	t.Run("ErrUnknownPaymentMethod", func(t *testing.T) {
		_, err := g.SavePaymentMethod(ctx, payment.SaveInput{Customer: "cus_x", PaymentMethod: "pm_nope"})
		var pe *payment.Error
		if !errors.As(err, &pe) || pe.Code != "invalid_card" || pe.Param != "payment_method" {
			t.Fatalf("save = %v, want invalid_card payment_method", err)
		}
	})
	t.Run("ErrCardNumber", func(t *testing.T) {
		_, err := g.Tokenize(ctx, payment.Card{Number: "4242424242424242", ExpMonth: 12, ExpYear: 2030, CVC: "123"}, time.Now())
		var pe *payment.Error
		if !errors.As(err, &pe) || pe.Param != "card.number" || strings.Contains(err.Error(), "4242424242") {
			t.Fatalf("tokenize = %v, want invalid_card card.number", err)
		}
	})
}

func TestParseEvent(t *testing.T) {
	t.Parallel()
	g := newGateway(t, "http://127.0.0.1:1")
	now := time.Now()
	obj := map[string]any{"id": "pi_1", "object": "payment_intent", "amount": 700, "currency": "chf", "status": "succeeded"}
	body, sig := stripetest.Event("evt_1", "payment_intent.succeeded", obj, stripetest.WebhookSecretTest, now)
	t.Run("OK", func(t *testing.T) {
		ev, err := g.ParseEvent(body, sig)
		if err != nil || ev.ID != "evt_1" || ev.Type != "payment_intent.succeeded" || ev.Ref != "pi_1" || ev.Amount != 700 || ev.Currency != "CHF" {
			t.Fatalf("ParseEvent = %+v, %v", ev, err)
		}
	})
	t.Run("OKChargeRefunded", func(t *testing.T) {
		b, s := stripetest.Event("evt_2", "charge.refunded", stripetest.ChargeObject("pi_1", "CHF", 700, 300, "re_1"), stripetest.WebhookSecretTest, now)
		ev, err := g.ParseEvent(b, s)
		if err != nil || ev.Ref != "pi_1" || ev.Amount != 300 || ev.Refund != "re_1" {
			t.Fatalf("ParseEvent = %+v, %v", ev, err)
		}
	})
	t.Run("OKDispute", func(t *testing.T) {
		b, s := stripetest.Event("evt_3", "charge.dispute.created", stripetest.DisputeObject("dp_1", "pi_1", "CHF", 700, "fraudulent", "needs_response"),
			stripetest.WebhookSecretTest, now)
		ev, err := g.ParseEvent(b, s)
		if err != nil || ev.Ref != "pi_1" || ev.Dispute != "dp_1" || ev.Amount != 700 || ev.Reason != "fraudulent" || ev.Status != "needs_response" {
			t.Fatalf("ParseEvent = %+v, %v", ev, err)
		}
	})
	t.Run("OKCardUpdated", func(t *testing.T) {
		card := map[string]any{"id": "pm_1", "object": "payment_method", "type": "card",
			"card": map[string]any{"brand": "mastercard", "last4": "4444", "exp_month": 4, "exp_year": 2032}}
		b, s := stripetest.Event("evt_4", "payment_method.automatically_updated", card, stripetest.WebhookSecretTest, now)
		ev, err := g.ParseEvent(b, s)
		if err != nil || ev.Card == nil || ev.Card.Token != "pm_1" || ev.Card.Last4 != "4444" || ev.Card.ExpYear != 2032 || ev.Card.Brand != "mastercard" {
			t.Fatalf("ParseEvent = %+v, %v", ev, err)
		}
	})
	_, wrongSig := stripetest.Event("evt_1", "payment_intent.succeeded", obj, "whsec_other", now)
	_, oldSig := stripetest.Event("evt_1", "payment_intent.succeeded", obj, stripetest.WebhookSecretTest, now.Add(-time.Hour))
	for _, tt := range []struct {
		name      string
		body, sig string
	}{
		{"ErrWrongSecret", string(body), wrongSig},
		{"ErrTampered", strings.Replace(string(body), "700", "70000", 1), sig},
		{"ErrNoSignature", string(body), ""},
		{"ErrTooOld", string(body), oldSig},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := g.ParseEvent([]byte(tt.body), tt.sig); !errors.Is(err, stripegw.ErrSignature) {
				t.Fatalf("ParseEvent = %v, want ErrSignature", err)
			}
		})
	}
}
