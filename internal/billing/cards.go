package billing

import (
	"context"
	"errors"
	"strings"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/payment"
	"github.com/dialtone/dialtone/internal/store"
)

// AddCard tokenizes and saves a card; the first becomes the default.
// Errors: invalid_request (param names the card field).
func (s *Service) AddCard(ctx context.Context, p Principal, c CardInput) (market.PaymentMethod, error) {
	if err := p.mayBill(); err != nil {
		return market.PaymentMethod{}, err
	}
	t, err := s.gateway.Tokenize(ctx, payment.Card{Number: c.Number, ExpMonth: c.ExpMonth, ExpYear: c.ExpYear, CVC: c.CVC}, s.now())
	if err != nil {
		err = cardError(err)
		var me *market.Error
		if errors.As(err, &me) {
			me.Param = strings.TrimPrefix(me.Param, "payment.")
		}
		return market.PaymentMethod{}, err
	}
	return s.insertCard(ctx, p.CustomerID, t, c.key)
}

// Cards lists saved cards.
func (s *Service) Cards(ctx context.Context, p Principal) ([]market.PaymentMethod, error) {
	return s.store.Read().PaymentMethods(ctx, p.CustomerID)
}

// Card returns a saved card. Error: not_found.
func (s *Service) Card(ctx context.Context, p Principal, pmID string) (market.PaymentMethod, error) {
	return s.store.Read().PaymentMethod(ctx, p.CustomerID, pmID)
}

// DeleteCard removes a saved card. Error: not_found.
func (s *Service) DeleteCard(ctx context.Context, p Principal, pmID string) error {
	if err := p.mayBill(); err != nil {
		return err
	}
	var gone market.PaymentMethod
	err := s.store.Tx(ctx, func(q *store.Q) error {
		if _, err := q.LockCustomer(ctx, p.CustomerID); err != nil {
			return err
		}
		var err error
		if gone, err = q.PaymentMethod(ctx, p.CustomerID, pmID); err != nil {
			return err
		}
		return q.DeletePaymentMethod(ctx, p.CustomerID, pmID, s.now())
	})
	if err == nil && gone.Gateway == s.gateway.Name() {
		// After the commit: a card removed here is never charged again by
		// dialtone whatever the gateway answers; the gateway forgets it too.
		if ferr := s.gateway.Forget(context.WithoutCancel(ctx), gone.Token); ferr != nil {
			s.log.Warn("gateway did not forget a removed card", "payment_method", pmID, "err", ferr)
		}
	}
	return err
}

// SetDefaultCard makes a card the default. Error: not_found.
func (s *Service) SetDefaultCard(ctx context.Context, p Principal, pmID string) (market.PaymentMethod, error) {
	if err := p.mayBill(); err != nil {
		return market.PaymentMethod{}, err
	}
	err := s.store.Tx(ctx, func(q *store.Q) error { return q.SetDefaultPaymentMethod(ctx, p.CustomerID, pmID) })
	if err != nil {
		return market.PaymentMethod{}, err
	}
	return s.Card(ctx, p, pmID)
}
