package billing

import (
	"context"
	"errors"

	"github.com/dialtone/dialtone/internal/address"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
)

// AddressInput is a billing address as entered.
type AddressInput struct {
	Name       string `json:"name"`
	Line1      string `json:"line1"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city"`
	PostalCode string `json:"postal_code,omitempty"`
	State      string `json:"state,omitempty"`
	Country    string `json:"country"`
	VATID      string `json:"vat_id,omitempty"`
}

func (in AddressInput) verified() (market.Address, error) {
	a := address.Normalize(market.Address{Name: in.Name, Line1: in.Line1, Line2: in.Line2, City: in.City,
		PostalCode: in.PostalCode, State: in.State, Country: in.Country, VATID: in.VATID})
	if err := address.Validate(a); err != nil {
		var fe *address.FieldError
		if errors.As(err, &fe) {
			return a, market.Invalid(fe.Field, "%s", fe.Message)
		}
		return a, market.Invalid("", "%s", err.Error())
	}
	return a, nil
}

// SaveAddress verifies and stores a new (addressID "") or changed address.
// Errors: invalid_request naming the field, not_found.
func (s *Service) SaveAddress(ctx context.Context, p Principal, addressID string, in AddressInput) (market.BillingAddress, error) {
	if err := p.mayBill(); err != nil {
		return market.BillingAddress{}, err
	}
	a, err := in.verified()
	if err != nil {
		return market.BillingAddress{}, err
	}
	b := market.BillingAddress{ID: addressID, CustomerID: p.CustomerID, Address: a, CreatedAt: s.now()}
	err = s.store.Tx(ctx, func(q *store.Q) error {
		if addressID == "" {
			b.ID = s.ids.New("adr")
			return q.InsertBillingAddress(ctx, b)
		}
		return q.UpdateBillingAddress(ctx, b)
	})
	if err != nil {
		return b, err
	}
	return s.store.Read().BillingAddress(ctx, p.CustomerID, b.ID)
}

// Addresses lists the customer's billing addresses.
func (s *Service) Addresses(ctx context.Context, p Principal) ([]market.BillingAddress, error) {
	return s.store.Read().BillingAddresses(ctx, p.CustomerID)
}

// Address returns one billing address. Error: not_found.
func (s *Service) Address(ctx context.Context, p Principal, addressID string) (market.BillingAddress, error) {
	return s.store.Read().BillingAddress(ctx, p.CustomerID, addressID)
}

// DeleteAddress removes a billing address. Error: not_found.
func (s *Service) DeleteAddress(ctx context.Context, p Principal, addressID string) error {
	if err := p.mayBill(); err != nil {
		return err
	}
	return s.store.Tx(ctx, func(q *store.Q) error { return q.DeleteBillingAddress(ctx, p.CustomerID, addressID, s.now()) })
}
