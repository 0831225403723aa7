package store

import (
	"context"
	"time"

	"github.com/dialtone/dialtone/internal/market"
)

const pmCols = `id, customer_id, gateway, token, brand, last4, exp_month, exp_year, is_default, created_at`

func scanPM(row interface{ Scan(...any) error }) (market.PaymentMethod, error) {
	var p market.PaymentMethod
	var created int64
	err := row.Scan(&p.ID, &p.CustomerID, &p.Gateway, &p.Token, &p.Brand, &p.Last4, &p.ExpMonth, &p.ExpYear, &p.Default, &created)
	p.CreatedAt = fromTS(created)
	return p, err
}

// InsertPaymentMethod stores a card; the first card becomes the default.
func (q *Q) InsertPaymentMethod(ctx context.Context, p market.PaymentMethod) (market.PaymentMethod, error) {
	var n int
	if err := q.ex.QueryRowContext(ctx, `SELECT COUNT(*) FROM payment_methods WHERE customer_id = $1 AND deleted_at IS NULL`, p.CustomerID).Scan(&n); err != nil {
		return p, err
	}
	p.Default = n == 0
	_, err := q.ex.ExecContext(ctx, `INSERT INTO payment_methods (`+pmCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		p.ID, p.CustomerID, p.Gateway, p.Token, p.Brand, p.Last4, p.ExpMonth, p.ExpYear, p.Default, ts(p.CreatedAt))
	return p, err
}

// PaymentMethod returns a live card of a customer. Error: not_found.
func (q *Q) PaymentMethod(ctx context.Context, customerID, id string) (market.PaymentMethod, error) {
	p, err := scanPM(q.ex.QueryRowContext(ctx, `SELECT `+pmCols+` FROM payment_methods WHERE id = $1 AND customer_id = $2 AND deleted_at IS NULL`, id, customerID))
	return p, notFound(err, "payment method")
}

// DefaultPaymentMethod returns the customer's default card. Error: not_found.
func (q *Q) DefaultPaymentMethod(ctx context.Context, customerID string) (market.PaymentMethod, error) {
	p, err := scanPM(q.ex.QueryRowContext(ctx, `SELECT `+pmCols+` FROM payment_methods WHERE customer_id = $1 AND deleted_at IS NULL
		AND is_default = TRUE`, customerID))
	return p, notFound(err, "payment method")
}

// PaymentMethods lists a customer's cards, oldest first.
func (q *Q) PaymentMethods(ctx context.Context, customerID string) ([]market.PaymentMethod, error) {
	return queryAll(ctx, q, scanPM, `SELECT `+pmCols+` FROM payment_methods WHERE customer_id = $1 AND deleted_at IS NULL ORDER BY id`, customerID)
}

// SetDefaultPaymentMethod makes a card the default. Error: not_found.
func (q *Q) SetDefaultPaymentMethod(ctx context.Context, customerID, id string) error {
	if _, err := q.PaymentMethod(ctx, customerID, id); err != nil {
		return err
	}
	_, err := q.ex.ExecContext(ctx, `UPDATE payment_methods SET is_default = (id = $2) WHERE customer_id = $1 AND deleted_at IS NULL`, customerID, id)
	return err
}

// DeletePaymentMethod removes a card; if it was the default, the newest
// remaining card becomes the default.
func (q *Q) DeletePaymentMethod(ctx context.Context, customerID, id string, now time.Time) error {
	res, err := q.ex.ExecContext(ctx, `UPDATE payment_methods SET deleted_at = $3, is_default = FALSE, token = ''
		WHERE id = $1 AND customer_id = $2 AND deleted_at IS NULL`, id, customerID, ts(now))
	if err := affected(res, err, "payment method"); err != nil {
		return err
	}
	_, err = q.ex.ExecContext(ctx, `UPDATE payment_methods SET is_default = TRUE WHERE id = (SELECT id FROM payment_methods
		WHERE customer_id = $1 AND deleted_at IS NULL ORDER BY id DESC LIMIT 1)
		AND NOT EXISTS (SELECT 1 FROM payment_methods WHERE customer_id = $1 AND deleted_at IS NULL AND is_default = TRUE)`, customerID)
	return err
}
