package billing

// Cards the gateway collects itself (with Stripe: a payment_method ID
// from Stripe's card form) are saved with SaveGatewayCard, a SetupIntent.
// If the bank wants the card confirmed (3-D Secure on setup), the
// SetupIntent waits: the error authentication_required names it
// (Extra "setup_intent") and the bank's page (next_action_url), and the
// bank sends the customer back to the portal's /payment-methods/return,
// where CompleteGatewayCard saves the card once the gateway says the
// setup succeeded. A new card at the checkout, the cart or the top-up is
// saved the same way before the order (placeOrder).

import (
	"context"
	"errors"
	"strings"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/payment"
	"github.com/dialtone/dialtone/internal/store"
)

// placeOrder is PlaceOrder with a last step run in the same transaction.
func (s *Service) placeOrder(ctx context.Context, p Principal, in OrderInput, source string, also func(q *store.Q) error) (market.Order, error) {
	if err := in.validateShape(false); err != nil {
		return market.Order{}, err
	}
	if o, ok, err := s.replayedOrder(ctx, p, in.key); ok || err != nil {
		return o, err // before saving a card again
	}
	unsave := ""
	if in.Payment.Method == "card" && in.Payment.GatewayCard != "" {
		pm, err := s.saveGatewayCard(ctx, p, in.Payment.GatewayCard, Key{}) // the order's key is the order's
		if err != nil {
			return market.Order{}, err
		}
		in.Payment.PaymentMethod, in.Payment.GatewayCard = pm.ID, ""
		if !in.Payment.Save {
			unsave = pm.ID
		}
	}
	order, err := s.placeOrderWith(ctx, p, in, source, also)
	if unsave != "" && !market.IsCode(err, market.CodeAuthenticationRequired) {
		// Paid (or refused): a card the customer did not ask to keep goes
		// again. One whose payment waits for the bank stays until then:
		// the pending order pays with it.
		if derr := s.DeleteCard(context.WithoutCancel(ctx), p, unsave); derr != nil {
			s.log.Warn("a card used once was not removed", "payment_method", unsave, "err", derr)
		}
	}
	return order, err
}

// SaveGatewayCard saves a card the gateway collected itself (with Stripe:
// a payment_method ID from Stripe's form) for future payments, on the
// account's gateway customer; the first card becomes the default.
// Errors: invalid_request naming payment_method, card_declined,
// authentication_required. Whoever may add a card (AddCard) may.
func (s *Service) SaveGatewayCard(ctx context.Context, p Principal, paymentMethod string) (market.PaymentMethod, error) {
	return s.SaveGatewayCardKeyed(ctx, p, paymentMethod, Key{})
}

// SaveGatewayCardKeyed is SaveGatewayCard with the request's idempotency
// key, which the card's transaction names it in (idempotency.go).
func (s *Service) SaveGatewayCardKeyed(ctx context.Context, p Principal, paymentMethod string, key Key) (market.PaymentMethod, error) {
	if err := p.mayBill(); err != nil {
		return market.PaymentMethod{}, err
	}
	return s.saveGatewayCard(ctx, p, paymentMethod, key)
}

// saveGatewayCard is SaveGatewayCard once the caller may.
func (s *Service) saveGatewayCard(ctx context.Context, p Principal, paymentMethod string, key Key) (market.PaymentMethod, error) {
	paymentMethod = strings.TrimSpace(paymentMethod)
	if paymentMethod == "" || len(paymentMethod) > 255 {
		return market.PaymentMethod{}, market.Invalid("payment_method", "payment_method must be the gateway's payment method ID (pm_...)")
	}
	cref, err := s.gatewayCustomer(ctx, p.CustomerID)
	if err != nil {
		return market.PaymentMethod{}, err
	}
	t, err := s.gateway.SavePaymentMethod(ctx, payment.SaveInput{Customer: cref, PaymentMethod: paymentMethod,
		IdempotencyKey: "setup:" + p.CustomerID + ":" + paymentMethod, ReturnURL: s.cardReturnURL()})
	if err != nil {
		return market.PaymentMethod{}, setupError(err)
	}
	return s.insertCard(ctx, p.CustomerID, t, key)
}

// cardReturnURL is where the bank's page sends the customer back to after
// confirming a card being saved.
func (s *Service) cardReturnURL() string {
	return strings.TrimRight(s.cfg.PublicURL, "/") + "/payment-methods/return"
}

// CompleteGatewayCard saves the card of a SetupIntent that waited for the
// customer to confirm it at their bank, once it succeeded; a card saved
// already (the page reloaded) is returned as it is. Errors: not_found (no
// such setup of this account), authentication_required (still waiting,
// with next_action_url and setup_intent), card_declined.
func (s *Service) CompleteGatewayCard(ctx context.Context, p Principal, setupIntent string) (market.PaymentMethod, error) {
	if err := p.mayBill(); err != nil {
		return market.PaymentMethod{}, err
	}
	setupIntent = strings.TrimSpace(setupIntent)
	if setupIntent == "" || len(setupIntent) > 255 {
		return market.PaymentMethod{}, market.Invalid("setup_intent", "setup_intent must be the gateway's SetupIntent ID (seti_...)")
	}
	t, owner, err := s.gateway.LookupSetup(ctx, setupIntent)
	var pe *payment.Error
	if errors.Is(err, payment.ErrUnsupported) || errors.As(err, &pe) && pe.Code == "invalid_card" {
		return market.PaymentMethod{}, market.NotFound("setup " + setupIntent)
	}
	if err != nil && !errors.As(err, &pe) {
		return market.PaymentMethod{}, setupError(err) // the gateway did not answer
	}
	cref, cerr := s.gatewayCustomer(ctx, p.CustomerID)
	if cerr != nil {
		return market.PaymentMethod{}, cerr
	}
	if owner == "" || owner != cref {
		return market.PaymentMethod{}, market.NotFound("setup " + setupIntent) // another account's
	}
	if err != nil {
		return market.PaymentMethod{}, setupError(err)
	}
	cards, err := s.store.Read().PaymentMethods(ctx, p.CustomerID)
	if err != nil {
		return market.PaymentMethod{}, err
	}
	for _, pm := range cards {
		if pm.Gateway == s.gateway.Name() && pm.Token == t.Token {
			return pm, nil
		}
	}
	return s.insertCard(ctx, p.CustomerID, t, Key{})
}

// setupError is cardError for saving a card: a setup that waits for the
// bank names its SetupIntent (Extra "setup_intent").
func setupError(err error) error {
	var pe *payment.Error
	isSetup := errors.As(err, &pe) && pe.Code == "authentication_required" && strings.HasPrefix(pe.Ref, "seti_")
	err = cardError(err)
	var me *market.Error
	if errors.As(err, &me) {
		me.Param = strings.TrimPrefix(me.Param, "payment.")
		if isSetup {
			me.Extra["setup_intent"] = pe.Ref
		}
	}
	return err
}
