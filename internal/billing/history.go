package billing

import (
	"context"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
)

// Orders lists the customer's orders.
func (s *Service) Orders(ctx context.Context, p Principal, page store.Page) ([]market.Order, error) {
	return s.store.Read().Orders(ctx, p.CustomerID, page)
}

// Order returns one order. Error: not_found.
func (s *Service) Order(ctx context.Context, p Principal, orderID string) (market.Order, error) {
	return s.store.Read().Order(ctx, p.scope(), orderID)
}

// Transactions lists the Billing tab.
func (s *Service) Transactions(ctx context.Context, p Principal, f store.PaymentFilter) ([]market.Payment, error) {
	return s.store.Read().Payments(ctx, p.CustomerID, f)
}

// BalanceEntries lists the balance's movements with the running balance.
func (s *Service) BalanceEntries(ctx context.Context, p Principal, page store.Page) ([]market.Entry, error) {
	return s.store.Read().BalanceEntries(ctx, p.CustomerID, page)
}
