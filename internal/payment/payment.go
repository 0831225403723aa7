// Package payment is the card gateway port and the sandbox gateway. Card
// numbers and CVCs only pass through: a card becomes a token at once, and
// only the token, brand, last 4 and expiry may be kept by callers.
package payment

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Card is a card as entered, for one tokenization. Never persist it.
type Card struct {
	Number   string
	ExpMonth int
	ExpYear  int
	CVC      string
}

// Token is what may be kept of a card.
type Token struct {
	Token    string
	Brand    string
	Last4    string
	ExpMonth int
	ExpYear  int
}

// ChargeInput is a charge of a tokenized card.
type ChargeInput struct {
	Token          string
	Amount         int64
	Currency       string
	Description    string
	IdempotencyKey string
	// Customer is the gateway's customer the card is saved with (Customer's
	// answer; empty for the sandbox).
	Customer string
	// OffSession says the customer is not there to authenticate (automatic
	// renewals, dunning retries, automatic top-ups): a charge that needs
	// authentication is then declined with reason "authentication_required".
	OffSession bool
	// ReturnURL is where the bank's authentication page sends the customer
	// back to (on-session charges).
	ReturnURL string
	// AccountID is dialtone's customer (cus_...), kept with the charge so
	// that the gateway's events about it find the account.
	AccountID string
}

// Charge is a successful charge (for Stripe, a PaymentIntent that
// succeeded), or one looked up with LookupCharge.
type Charge struct {
	ID       string
	Amount   int64  // LookupCharge: the amount charged
	Currency string // LookupCharge: its currency (upper case)
}

// CustomerInput names the account a gateway customer is made for.
type CustomerInput struct {
	AccountID string // cus_... of dialtone; also the idempotency key's root
	Email     string
	Company   string
}

// SaveInput saves a card the gateway already holds (a Stripe
// payment_method ID, collected by Stripe's own form) for future payments.
type SaveInput struct {
	Customer       string // the gateway's customer
	PaymentMethod  string
	IdempotencyKey string
	// ReturnURL is where the bank's authentication page, if the bank wants
	// the card confirmed, sends the customer back to (LookupSetup then).
	ReturnURL string
}

// RefundInput gives (part of) a charge back.
type RefundInput struct {
	ChargeID string
	Amount   int64
	Currency string
	// IdempotencyKey makes a retried refund (after a crash between the
	// gateway's answer and our commit) return the first refund again.
	IdempotencyKey string
}

// Refund is a successful refund.
type Refund struct{ ID string }

// Error is a payment failure the customer can act on.
type Error struct {
	// Code is "invalid_card" (Param names the field), "card_declined", or
	// "authentication_required" (the charge waits for the customer to
	// authenticate at NextActionURL; Ref is the pending charge).
	Code    string
	Reason  string // card_declined: "generic_decline", "insufficient_funds", "expired_card", "authentication_required"
	Param   string // invalid_card: "card.number", "card.exp_month", "card.exp_year", "card.cvc", "payment_method"
	Message string
	// Ref and NextActionURL: authentication_required only.
	Ref           string
	NextActionURL string
}

// Event is a gateway's notification (a Stripe webhook event) in the terms
// dialtone acts on.
type Event struct {
	ID   string // the gateway's event ID: applied once
	Type string // the gateway's type, e.g. "payment_intent.succeeded"
	// Ref is the charge the event concerns (for Stripe, the PaymentIntent).
	Ref string
	// Amount: payment_intent.*: the amount of the intent;
	// charge.refunded: the total refunded of the charge so far.
	Amount   int64
	Currency string // upper case
	// Refund is the latest refund of a charge.refunded event.
	Refund string
	// Reason is why a payment failed (a decline code), if known; for a
	// dispute, its reason ("fraudulent", ...).
	Reason string
	// Dispute and Status: charge.dispute.*: the dispute and its status.
	Dispute string
	Status  string
	// Key and AccountID: payment_intent.*: the charge's idempotency key
	// (the order's ID) and account, as ChargeInput gave them ("" for a
	// charge dialtone did not make).
	Key       string
	AccountID string
	// Card: payment_method.*: the card as the gateway now knows it (a
	// card updater's new expiry or number); Card.Token is the payment method.
	Card *Token
}

// ErrUnsupported is returned by a gateway for an operation it does not do
// (the sandbox saves no gateway-held payment methods and looks up no
// pending charges).
var ErrUnsupported = errors.New("payment: not supported by this gateway")

// Error implements error; it never contains card data.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Gateway is a card processor.
type Gateway interface {
	// Tokenize checks a card and returns a token. Errors: *Error invalid_card.
	Tokenize(ctx context.Context, c Card, now time.Time) (Token, error)
	// Charge charges a token. Errors: *Error card_declined.
	Charge(ctx context.Context, in ChargeInput) (Charge, error)
	// Refund gives back (part of) a charge.
	Refund(ctx context.Context, in RefundInput) (Refund, error)
	// Name names the gateway.
	Name() string
	// Customer makes (or, for the same account, finds again) the gateway's
	// customer of an account and returns its ID; "" when the gateway has
	// no customers (the sandbox).
	Customer(ctx context.Context, in CustomerInput) (string, error)
	// SavePaymentMethod saves a payment method the gateway collected itself
	// for off-session use and returns its token. Errors: *Error
	// invalid_card (Param "payment_method"), card_declined,
	// authentication_required; ErrUnsupported.
	SavePaymentMethod(ctx context.Context, in SaveInput) (Token, error)
	// LookupCharge returns a charge that waited for authentication once it
	// succeeded. Errors: *Error authentication_required (still waiting),
	// card_declined (failed or canceled); ErrUnsupported.
	LookupCharge(ctx context.Context, ref string) (Charge, error)
	// LookupSetup returns the card a SavePaymentMethod that waited for
	// authentication (ref: its *Error's Ref) saved, once it succeeded, and
	// the gateway customer it is saved with (also with the errors
	// authentication_required, still waiting, and card_declined);
	// ErrUnsupported.
	LookupSetup(ctx context.Context, ref string) (Token, string, error)
	// Forget tells the gateway a saved card was removed, so that it can no
	// longer be charged (Stripe: the payment method is detached from its
	// customer); the sandbox keeps nothing to forget.
	Forget(ctx context.Context, token string) error
}

// Luhn reports whether a digit string passes the Luhn check.
func Luhn(digits string) bool {
	if digits == "" {
		return false
	}
	sum, double := 0, false
	for i := len(digits) - 1; i >= 0; i-- {
		c := digits[i]
		if c < '0' || c > '9' {
			return false
		}
		d := int(c - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// NormalizeNumber strips spaces and dashes; ok only for 12-19 digits.
func NormalizeNumber(s string) (string, bool) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == ' ' || r == '-':
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			return "", false
		}
	}
	n := b.String()
	return n, len(n) >= 12 && len(n) <= 19
}

// BrandName says a card brand (DetectBrand's) as its owner writes it:
// "Visa", "Mastercard", "American Express", "JCB"; "Card" when unknown.
func BrandName(brand string) string {
	switch brand {
	case "", "unknown":
		return "Card"
	case "amex":
		return "American Express"
	case "jcb":
		return "JCB"
	case "unionpay":
		return "UnionPay"
	}
	return strings.ToUpper(brand[:1]) + brand[1:]
}

// DetectBrand names the card network of a number by its prefix.
func DetectBrand(n string) string {
	p := func(k int) int {
		if len(n) < k {
			return -1
		}
		v := 0
		for _, c := range n[:k] {
			v = v*10 + int(c-'0')
		}
		return v
	}
	switch {
	case strings.HasPrefix(n, "4"):
		return "visa"
	case p(2) >= 51 && p(2) <= 55, p(4) >= 2221 && p(4) <= 2720:
		return "mastercard"
	case p(2) == 34 || p(2) == 37:
		return "amex"
	case p(4) == 6011 || p(2) == 65 || (p(3) >= 644 && p(3) <= 649):
		return "discover"
	case p(4) >= 3528 && p(4) <= 3589:
		return "jcb"
	case p(2) == 36 || p(2) == 38 || (p(3) >= 300 && p(3) <= 305):
		return "diners"
	case p(2) == 62:
		return "unionpay"
	}
	return "unknown"
}

// Sandbox is the test gateway: stateless (the outcome is in the token), so
// saved cards keep working across restarts.
type Sandbox struct {
	mu      sync.Mutex
	charges map[string]string // idempotency key -> charge ID
	refunds map[string]string // idempotency key -> refund ID
}

// NewSandbox returns a sandbox gateway.
func NewSandbox() *Sandbox {
	return &Sandbox{charges: map[string]string{}, refunds: map[string]string{}}
}

// Name implements Gateway.
func (*Sandbox) Name() string { return "sandbox" }

var outcomes = map[string]string{
	"4000000000000002": "decline",
	"4000000000009995": "funds",
	"4000000000000341": "decline",
	"4000000000000069": "expired",
}

// randLetters returns n random lower-case letters: identifiers with no
// digits, so no token or charge ID can ever look like a card number.
func randLetters(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = 'a' + b[i]%26
	}
	return string(b)
}

// Tokenize implements Gateway.
func (*Sandbox) Tokenize(_ context.Context, c Card, now time.Time) (Token, error) {
	n, ok := NormalizeNumber(c.Number)
	if !ok || !Luhn(n) {
		return Token{}, &Error{Code: "invalid_card", Param: "card.number", Message: "the card number is not valid"}
	}
	if c.ExpMonth < 1 || c.ExpMonth > 12 {
		return Token{}, &Error{Code: "invalid_card", Param: "card.exp_month", Message: "the expiry month must be 1 to 12"}
	}
	y := c.ExpYear
	if y < 100 {
		y += 2000
	}
	now = now.UTC()
	if y < now.Year() || y == now.Year() && time.Month(c.ExpMonth) < now.Month() {
		return Token{}, &Error{Code: "invalid_card", Param: "card.exp_year", Message: "the card has expired"}
	}
	if y > now.Year()+25 {
		return Token{}, &Error{Code: "invalid_card", Param: "card.exp_year", Message: "the expiry year is too far ahead"}
	}
	brand := DetectBrand(n)
	want := 3
	if brand == "amex" {
		want = 4
	}
	if len(c.CVC) != want || strings.Trim(c.CVC, "0123456789") != "" {
		return Token{}, &Error{Code: "invalid_card", Param: "card.cvc", Message: fmt.Sprintf("the security code has %d digits", want)}
	}
	outcome := outcomes[n]
	if outcome == "" {
		outcome = "ok"
	}
	return Token{Token: "tok_sandbox_" + outcome + "_" + randLetters(20), Brand: brand, Last4: n[len(n)-4:], ExpMonth: c.ExpMonth, ExpYear: y}, nil
}

// Charge implements Gateway.
func (s *Sandbox) Charge(_ context.Context, in ChargeInput) (Charge, error) {
	if in.Amount <= 0 || len(in.Currency) != 3 || strings.ToUpper(in.Currency) != in.Currency {
		return Charge{}, fmt.Errorf("payment: bad charge %d %q", in.Amount, in.Currency)
	}
	parts := strings.Split(in.Token, "_")
	if len(parts) != 4 || parts[0] != "tok" || parts[1] != "sandbox" {
		return Charge{}, &Error{Code: "card_declined", Reason: "generic_decline", Message: "the card was declined"}
	}
	switch parts[2] {
	case "ok":
	case "funds":
		return Charge{}, &Error{Code: "card_declined", Reason: "insufficient_funds", Message: "the card was declined: insufficient funds"}
	case "expired":
		return Charge{}, &Error{Code: "card_declined", Reason: "expired_card", Message: "the card was declined: it has expired"}
	default:
		return Charge{}, &Error{Code: "card_declined", Reason: "generic_decline", Message: "the card was declined"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if in.IdempotencyKey != "" {
		if id, ok := s.charges[in.IdempotencyKey]; ok {
			return Charge{ID: id}, nil
		}
	}
	id := "ch_" + randLetters(20)
	if in.IdempotencyKey != "" {
		s.charges[in.IdempotencyKey] = id
	}
	return Charge{ID: id}, nil
}

// Refund implements Gateway.
func (s *Sandbox) Refund(_ context.Context, in RefundInput) (Refund, error) {
	if !strings.HasPrefix(in.ChargeID, "ch_") {
		return Refund{}, fmt.Errorf("payment: unknown charge %q", in.ChargeID)
	}
	if in.Amount < 0 {
		return Refund{}, fmt.Errorf("payment: negative refund")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := s.refunds[in.IdempotencyKey]; ok && in.IdempotencyKey != "" {
		return Refund{ID: id}, nil
	}
	id := "re_" + randLetters(20)
	if in.IdempotencyKey != "" {
		s.refunds[in.IdempotencyKey] = id
	}
	return Refund{ID: id}, nil
}

// Customer implements Gateway: the sandbox has no customers.
func (*Sandbox) Customer(context.Context, CustomerInput) (string, error) { return "", nil }

// SavePaymentMethod implements Gateway: the sandbox takes card numbers
// only (its own form).
func (*Sandbox) SavePaymentMethod(context.Context, SaveInput) (Token, error) {
	return Token{}, &Error{Code: "invalid_card", Param: "payment_method",
		Message: "the sandbox takes cards by number (card), not payment_method IDs"}
}

// LookupCharge implements Gateway: sandbox charges never wait.
func (*Sandbox) LookupCharge(context.Context, string) (Charge, error) {
	return Charge{}, ErrUnsupported
}

// LookupSetup implements Gateway: the sandbox saves cards at once.
func (*Sandbox) LookupSetup(context.Context, string) (Token, string, error) {
	return Token{}, "", ErrUnsupported
}

// Forget implements Gateway: sandbox tokens are stateless.
func (*Sandbox) Forget(context.Context, string) error { return nil }
