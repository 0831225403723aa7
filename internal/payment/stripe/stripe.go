// Package stripe is the Stripe card gateway behind payment.Gateway
// (stripe-go v85): a Stripe customer per account, cards saved with
// SetupIntents from payment_method IDs collected by Stripe's own form (a
// card number never reaches dialtone), orders paid with PaymentIntents
// (confirmed at once; off-session for automatic renewals and top-ups),
// refunds, and Stripe's signed webhook events. Every call that creates
// something carries an idempotency key derived from dialtone's own IDs
// (the order, the refund, the account), so a retry after a crash gets
// Stripe's first answer again instead of a second charge.
package stripe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	stripeapi "github.com/stripe/stripe-go/v85"
	"github.com/stripe/stripe-go/v85/webhook"

	"github.com/dialtone/dialtone/internal/payment"
)

// Config configures the gateway.
type Config struct {
	SecretKey     string // sk_... (DIALTONE_STRIPE_SECRET_KEY)
	WebhookSecret string // whsec_... (DIALTONE_STRIPE_WEBHOOK_SECRET)
	// APIURL replaces https://api.stripe.com (stripe-mock or a fake in
	// tests; DIALTONE_STRIPE_API_URL).
	APIURL string
	// HTTPClient is optional.
	HTTPClient *http.Client
}

// Gateway is the Stripe gateway. It keeps no state of its own.
type Gateway struct {
	c             *stripeapi.Client
	webhookSecret string
}

// keyPrefix starts every idempotency key, so that dialtone's keys never
// meet those of another system using the same Stripe account.
const keyPrefix = "dialtone:"

// New returns a Stripe gateway. Error: no secret key.
func New(cfg Config) (*Gateway, error) {
	if cfg.SecretKey == "" {
		return nil, errors.New("stripe: a secret key is required (DIALTONE_STRIPE_SECRET_KEY)")
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second}
	}
	bc := &stripeapi.BackendConfig{HTTPClient: hc, MaxNetworkRetries: stripeapi.Int64(2),
		LeveledLogger: &stripeapi.LeveledLogger{Level: stripeapi.LevelNull}}
	if cfg.APIURL != "" {
		bc.URL = stripeapi.String(strings.TrimRight(cfg.APIURL, "/"))
	}
	c := stripeapi.NewClient(cfg.SecretKey, stripeapi.WithBackends(stripeapi.NewBackendsWithConfig(bc)))
	return &Gateway{c: c, webhookSecret: cfg.WebhookSecret}, nil
}

// Name implements payment.Gateway.
func (*Gateway) Name() string { return "stripe" }

// Tokenize implements payment.Gateway: with Stripe the card number never
// reaches dialtone, so a card given by number is refused.
func (*Gateway) Tokenize(context.Context, payment.Card, time.Time) (payment.Token, error) {
	return payment.Token{}, &payment.Error{Code: "invalid_card", Param: "card.number",
		Message: "card numbers are not taken here: enter the card in Stripe's form and send its payment_method ID"}
}

// Customer implements payment.Gateway: one Stripe customer per account,
// made once (the idempotency key is the account's ID).
func (g *Gateway) Customer(ctx context.Context, in payment.CustomerInput) (string, error) {
	p := &stripeapi.CustomerCreateParams{Email: stripeapi.String(in.Email), Name: stripeapi.String(in.Company),
		Metadata: map[string]string{"dialtone_customer": in.AccountID}}
	p.SetIdempotencyKey(keyPrefix + "customer:" + in.AccountID)
	c, err := g.c.V1Customers.Create(ctx, p)
	if err != nil {
		return "", gatewayError(err)
	}
	return c.ID, nil
}

// SavePaymentMethod implements payment.Gateway: a SetupIntent confirmed at
// once with the payment method, for off-session use ("save this payment
// information for future payments"), then the card's brand, last 4 and
// expiry.
func (g *Gateway) SavePaymentMethod(ctx context.Context, in payment.SaveInput) (payment.Token, error) {
	if !strings.HasPrefix(in.PaymentMethod, "pm_") {
		return payment.Token{}, &payment.Error{Code: "invalid_card", Param: "payment_method",
			Message: "payment_method must be a Stripe payment method ID (pm_...)"}
	}
	p := &stripeapi.SetupIntentCreateParams{Customer: stripeapi.String(in.Customer), PaymentMethod: stripeapi.String(in.PaymentMethod),
		Confirm: stripeapi.Bool(true), Usage: stripeapi.String(string(stripeapi.SetupIntentUsageOffSession)),
		PaymentMethodTypes: stripeapi.StringSlice([]string{"card"})}
	if in.ReturnURL != "" {
		p.ReturnURL = stripeapi.String(in.ReturnURL)
	}
	if in.IdempotencyKey != "" {
		p.SetIdempotencyKey(keyPrefix + in.IdempotencyKey)
	}
	si, err := g.c.V1SetupIntents.Create(ctx, p)
	if err != nil {
		return payment.Token{}, gatewayError(err)
	}
	if err := setupResult(si); err != nil {
		return payment.Token{}, err
	}
	return g.card(ctx, in.PaymentMethod)
}

// setupResult reads a SetupIntent's status: nil once it succeeded.
func setupResult(si *stripeapi.SetupIntent) error {
	switch si.Status {
	case stripeapi.SetupIntentStatusSucceeded, stripeapi.SetupIntentStatusProcessing:
		return nil
	case stripeapi.SetupIntentStatusRequiresAction:
		url := ""
		if si.NextAction != nil && si.NextAction.RedirectToURL != nil {
			url = si.NextAction.RedirectToURL.URL
		}
		return &payment.Error{Code: "authentication_required", Ref: si.ID, NextActionURL: url,
			Message: "your bank asks you to confirm this card: follow next_action_url, then the card is saved"}
	}
	// Stripe answers a failed setup with a card error; any other status
	// is taken as declined.
	return declined(si.LastSetupError)
}

// LookupSetup implements payment.Gateway: the card of a SetupIntent that
// waited for the customer to authenticate it, and its customer.
func (g *Gateway) LookupSetup(ctx context.Context, ref string) (payment.Token, string, error) {
	if !strings.HasPrefix(ref, "seti_") {
		return payment.Token{}, "", &payment.Error{Code: "invalid_card", Param: "setup_intent", Message: "setup_intent must be a Stripe SetupIntent ID (seti_...)"}
	}
	si, err := g.c.V1SetupIntents.Retrieve(ctx, ref, nil)
	if err != nil {
		return payment.Token{}, "", gatewayError(err)
	}
	owner := ""
	if si.Customer != nil {
		owner = si.Customer.ID
	}
	if err := setupResult(si); err != nil {
		return payment.Token{}, owner, err
	}
	if si.PaymentMethod == nil || si.Customer == nil {
		return payment.Token{}, "", &payment.Error{Code: "invalid_card", Param: "setup_intent", Message: "the SetupIntent saved no card of a customer"}
	}
	t, err := g.card(ctx, si.PaymentMethod.ID)
	return t, si.Customer.ID, err
}

// card is what may be kept of a Stripe card payment method.
func (g *Gateway) card(ctx context.Context, id string) (payment.Token, error) {
	pm, err := g.c.V1PaymentMethods.Retrieve(ctx, id, nil)
	if err != nil {
		return payment.Token{}, gatewayError(err)
	}
	if pm.Card == nil {
		return payment.Token{}, &payment.Error{Code: "invalid_card", Param: "payment_method", Message: "the payment method is not a card"}
	}
	return payment.Token{Token: pm.ID, Brand: string(pm.Card.Brand), Last4: pm.Card.Last4,
		ExpMonth: int(pm.Card.ExpMonth), ExpYear: int(pm.Card.ExpYear)}, nil
}

// Forget implements payment.Gateway: the payment method is detached from
// its customer, so it can no longer be charged.
func (g *Gateway) Forget(ctx context.Context, token string) error {
	if !strings.HasPrefix(token, "pm_") {
		return nil
	}
	if _, err := g.c.V1PaymentMethods.Detach(ctx, token, nil); err != nil {
		return gatewayError(err)
	}
	return nil
}

// Charge implements payment.Gateway: a PaymentIntent confirmed at once.
// One that needs the customer to authenticate is an *Error
// authentication_required with the bank's page (NextActionURL) and the
// intent (Ref); off-session, Stripe declines it instead.
func (g *Gateway) Charge(ctx context.Context, in payment.ChargeInput) (payment.Charge, error) {
	if in.Amount <= 0 || len(in.Currency) != 3 {
		return payment.Charge{}, fmt.Errorf("stripe: bad charge %d %q", in.Amount, in.Currency)
	}
	p := &stripeapi.PaymentIntentCreateParams{Amount: stripeapi.Int64(in.Amount), Currency: stripeapi.String(strings.ToLower(in.Currency)),
		PaymentMethod: stripeapi.String(in.Token), Confirm: stripeapi.Bool(true),
		PaymentMethodTypes: stripeapi.StringSlice([]string{"card"}), Description: stripeapi.String(in.Description),
		Metadata: map[string]string{"dialtone_key": in.IdempotencyKey, "dialtone_customer": in.AccountID}}
	if in.Customer != "" {
		p.Customer = stripeapi.String(in.Customer)
	}
	if in.OffSession {
		p.OffSession = stripeapi.Bool(true)
	} else if in.ReturnURL != "" {
		p.ReturnURL = stripeapi.String(in.ReturnURL)
	}
	if in.IdempotencyKey != "" {
		p.SetIdempotencyKey(keyPrefix + "charge:" + in.IdempotencyKey)
	}
	pi, err := g.c.V1PaymentIntents.Create(ctx, p)
	if err != nil {
		return payment.Charge{}, gatewayError(err)
	}
	return intentResult(pi)
}

// LookupCharge implements payment.Gateway: the PaymentIntent as it is now.
func (g *Gateway) LookupCharge(ctx context.Context, ref string) (payment.Charge, error) {
	pi, err := g.c.V1PaymentIntents.Retrieve(ctx, ref, nil)
	if err != nil {
		return payment.Charge{}, gatewayError(err)
	}
	return intentResult(pi)
}

// intentResult reads a PaymentIntent's status.
func intentResult(pi *stripeapi.PaymentIntent) (payment.Charge, error) {
	switch pi.Status {
	case stripeapi.PaymentIntentStatusSucceeded:
		return payment.Charge{ID: pi.ID, Amount: pi.Amount, Currency: strings.ToUpper(string(pi.Currency))}, nil
	case stripeapi.PaymentIntentStatusRequiresAction:
		url := ""
		if pi.NextAction != nil && pi.NextAction.RedirectToURL != nil {
			url = pi.NextAction.RedirectToURL.URL
		}
		return payment.Charge{}, &payment.Error{Code: "authentication_required", Ref: pi.ID, NextActionURL: url,
			Message: "your bank asks you to authenticate this payment: follow next_action_url, then the order completes"}
	}
	e := declined(pi.LastPaymentError)
	e.Ref = pi.ID
	return payment.Charge{}, e
}

// declined is a decline with Stripe's decline code as its reason.
func declined(se *stripeapi.Error) *payment.Error {
	e := &payment.Error{Code: "card_declined", Reason: "generic_decline", Message: "the card was declined"}
	if se == nil {
		return e
	}
	switch {
	case se.DeclineCode != "":
		e.Reason = string(se.DeclineCode)
	case se.Code != "" && se.Code != stripeapi.ErrorCodeCardDeclined:
		e.Reason = string(se.Code)
	}
	if se.Type == stripeapi.ErrorTypeCard && se.Msg != "" {
		e.Message = "the card was declined: " + strings.TrimSuffix(se.Msg, ".")
	}
	return e
}

// gatewayError turns Stripe's card errors into *payment.Error; anything
// else (a request Stripe refused, the network) stays an error of ours.
func gatewayError(err error) error {
	var se *stripeapi.Error
	if !errors.As(err, &se) {
		return fmt.Errorf("stripe: %w", err)
	}
	if se.Type == stripeapi.ErrorTypeCard {
		e := declined(se)
		if se.PaymentIntent != nil {
			e.Ref = se.PaymentIntent.ID
		}
		return e
	}
	if se.Type == stripeapi.ErrorTypeInvalidRequest && se.Code == stripeapi.ErrorCodeResourceMissing && se.Param == "payment_method" {
		return &payment.Error{Code: "invalid_card", Param: "payment_method", Message: "Stripe knows no such payment method"}
	}
	return fmt.Errorf("stripe: %s %s: %s", se.Type, se.Code, se.Msg)
}

// Refund implements payment.Gateway: a refund of the PaymentIntent, keyed
// by the caller's refund key.
func (g *Gateway) Refund(ctx context.Context, in payment.RefundInput) (payment.Refund, error) {
	p := &stripeapi.RefundCreateParams{PaymentIntent: stripeapi.String(in.ChargeID)}
	if in.Amount > 0 {
		p.Amount = stripeapi.Int64(in.Amount)
	}
	if in.IdempotencyKey != "" {
		p.SetIdempotencyKey(keyPrefix + "refund:" + in.IdempotencyKey)
	}
	r, err := g.c.V1Refunds.Create(ctx, p)
	if err != nil {
		return payment.Refund{}, gatewayError(err)
	}
	return payment.Refund{ID: r.ID}, nil
}

// ErrSignature is a webhook whose Stripe-Signature does not verify.
var ErrSignature = errors.New("stripe: the webhook's signature does not verify")

// ParseEvent checks a webhook's Stripe-Signature header with the webhook
// secret (webhook.ConstructEvent: signature and a timestamp within 5
// minutes) and reads the event. Errors: ErrSignature (wrapped), or a
// payload that is no event of the pinned API version.
func (g *Gateway) ParseEvent(payload []byte, signature string) (payment.Event, error) {
	if g.webhookSecret == "" {
		return payment.Event{}, fmt.Errorf("%w: no webhook secret is configured (DIALTONE_STRIPE_WEBHOOK_SECRET)", ErrSignature)
	}
	if err := webhook.ValidatePayload(payload, signature, g.webhookSecret); err != nil {
		return payment.Event{}, fmt.Errorf("%w: %v", ErrSignature, err)
	}
	ev, err := webhook.ConstructEvent(payload, signature, g.webhookSecret)
	if err != nil {
		return payment.Event{}, fmt.Errorf("stripe: event: %w", err)
	}
	out := payment.Event{ID: ev.ID, Type: string(ev.Type)}
	if ev.ID == "" {
		return payment.Event{}, errors.New("stripe: event: no id")
	}
	if ev.Data == nil {
		return out, nil
	}
	switch {
	case strings.HasPrefix(out.Type, "payment_intent."):
		var pi stripeapi.PaymentIntent
		if err := json.Unmarshal(ev.Data.Raw, &pi); err != nil {
			return payment.Event{}, fmt.Errorf("stripe: event %s: %w", ev.ID, err)
		}
		out.Ref, out.Amount, out.Currency = pi.ID, pi.Amount, strings.ToUpper(string(pi.Currency))
		out.Key, out.AccountID = pi.Metadata["dialtone_key"], pi.Metadata["dialtone_customer"]
		if pi.LastPaymentError != nil {
			out.Reason = declined(pi.LastPaymentError).Reason
		}
	case strings.HasPrefix(out.Type, "payment_method."):
		var pm stripeapi.PaymentMethod
		if err := json.Unmarshal(ev.Data.Raw, &pm); err != nil {
			return payment.Event{}, fmt.Errorf("stripe: event %s: %w", ev.ID, err)
		}
		out.Ref = pm.ID
		if pm.Card != nil {
			out.Card = &payment.Token{Token: pm.ID, Brand: string(pm.Card.Brand), Last4: pm.Card.Last4,
				ExpMonth: int(pm.Card.ExpMonth), ExpYear: int(pm.Card.ExpYear)}
		}
	case strings.HasPrefix(out.Type, "charge.dispute."):
		var d stripeapi.Dispute
		if err := json.Unmarshal(ev.Data.Raw, &d); err != nil {
			return payment.Event{}, fmt.Errorf("stripe: event %s: %w", ev.ID, err)
		}
		if d.PaymentIntent != nil {
			out.Ref = d.PaymentIntent.ID
		}
		out.Dispute, out.Amount, out.Currency = d.ID, d.Amount, strings.ToUpper(string(d.Currency))
		out.Reason, out.Status = string(d.Reason), string(d.Status)
	case strings.HasPrefix(out.Type, "charge."):
		var ch stripeapi.Charge
		if err := json.Unmarshal(ev.Data.Raw, &ch); err != nil {
			return payment.Event{}, fmt.Errorf("stripe: event %s: %w", ev.ID, err)
		}
		if ch.PaymentIntent != nil {
			out.Ref = ch.PaymentIntent.ID
		}
		out.Amount, out.Currency = ch.AmountRefunded, strings.ToUpper(string(ch.Currency))
		if ch.Refunds != nil && len(ch.Refunds.Data) > 0 {
			out.Refund = ch.Refunds.Data[0].ID
		}
	}
	return out, nil
}
