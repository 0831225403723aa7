package billing

import (
	"context"

	"github.com/dialtone/dialtone/internal/market"
)

// CustomerBalanceEntries lists every movement of a customer's balance for
// the back office, newest first, keyset-paginated (after: a transaction
// ID; one more than the page's limit when there are more). Errors:
// not_found (the customer).
func (s *Service) CustomerBalanceEntries(ctx context.Context, customerID string, page Page) ([]market.Entry, error) {
	q := s.store.Read()
	if _, err := q.Customer(ctx, customerID); err != nil {
		return nil, err
	}
	return q.BalanceEntries(ctx, customerID, page)
}
