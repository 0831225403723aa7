package store

import (
	"context"
	"time"

	"github.com/dialtone/dialtone/internal/market"
)

const addrCols = `id, customer_id, name, line1, line2, city, postal_code, state, country, vat_id, created_at`

func scanAddr(row interface{ Scan(...any) error }) (market.BillingAddress, error) {
	var a market.BillingAddress
	var created int64
	err := row.Scan(&a.ID, &a.CustomerID, &a.Name, &a.Line1, &a.Line2, &a.City, &a.PostalCode, &a.State, &a.Country, &a.VATID, &created)
	a.CreatedAt = fromTS(created)
	return a, err
}

// InsertBillingAddress stores an address.
func (q *Q) InsertBillingAddress(ctx context.Context, a market.BillingAddress) error {
	_, err := q.ex.ExecContext(ctx, `INSERT INTO billing_addresses (`+addrCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		a.ID, a.CustomerID, a.Name, a.Line1, a.Line2, a.City, a.PostalCode, a.State, a.Country, a.VATID, ts(a.CreatedAt))
	return err
}

// UpdateBillingAddress saves an address. Error: not_found.
func (q *Q) UpdateBillingAddress(ctx context.Context, a market.BillingAddress) error {
	res, err := q.ex.ExecContext(ctx, `UPDATE billing_addresses SET name = $3, line1 = $4, line2 = $5, city = $6, postal_code = $7,
		state = $8, country = $9, vat_id = $10 WHERE id = $1 AND customer_id = $2 AND deleted_at IS NULL`,
		a.ID, a.CustomerID, a.Name, a.Line1, a.Line2, a.City, a.PostalCode, a.State, a.Country, a.VATID)
	return affected(res, err, "billing address")
}

// DeleteBillingAddress hides an address (orders keep pointing at it).
func (q *Q) DeleteBillingAddress(ctx context.Context, customerID, id string, now time.Time) error {
	res, err := q.ex.ExecContext(ctx, `UPDATE billing_addresses SET deleted_at = $3 WHERE id = $1 AND customer_id = $2 AND deleted_at IS NULL`,
		id, customerID, ts(now))
	return affected(res, err, "billing address")
}

// BillingAddress returns a live address of a customer. Error: not_found.
func (q *Q) BillingAddress(ctx context.Context, customerID, id string) (market.BillingAddress, error) {
	if as, ok := q.batchAddrs(customerID); ok {
		for _, a := range as {
			if a.ID == id {
				return a, nil
			}
		}
	}
	a, err := scanAddr(q.ex.QueryRowContext(ctx, `SELECT `+addrCols+` FROM billing_addresses
		WHERE id = $1 AND customer_id = $2 AND deleted_at IS NULL`, id, customerID))
	return a, notFound(err, "billing address")
}

// AnyBillingAddress returns an address even if deleted (for old invoices).
func (q *Q) AnyBillingAddress(ctx context.Context, id string) (market.BillingAddress, error) {
	a, err := scanAddr(q.ex.QueryRowContext(ctx, `SELECT `+addrCols+` FROM billing_addresses WHERE id = $1`, id))
	return a, notFound(err, "billing address")
}

// BillingAddresses lists a customer's live addresses, oldest first.
func (q *Q) BillingAddresses(ctx context.Context, customerID string) ([]market.BillingAddress, error) {
	if as, ok := q.batchAddrs(customerID); ok {
		return as, nil
	}
	return queryAll(ctx, q, scanAddr, `SELECT `+addrCols+` FROM billing_addresses WHERE customer_id = $1 AND deleted_at IS NULL ORDER BY id`, customerID)
}
