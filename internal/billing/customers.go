package billing

import (
	"context"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
)

// Customer returns the principal's customer (or any for the operator).
// Error: not_found.
func (s *Service) Customer(ctx context.Context, customerID string) (market.Customer, error) {
	return s.store.Read().Customer(ctx, customerID)
}

// Customers lists customers for the operator.
func (s *Service) Customers(ctx context.Context, page store.Page) ([]market.Customer, error) {
	return s.store.Read().Customers(ctx, page)
}
