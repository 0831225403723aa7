package store

import (
	"context"
	"database/sql"

	"github.com/dialtone/dialtone/internal/market"
)

// SetPaymentGatewayRef records the gateway's reference of a payment made
// after its row was written (a refund's, which the gateway makes last).
// Error: not_found.
func (q *Q) SetPaymentGatewayRef(ctx context.Context, paymentID, ref string) error {
	res, err := q.ex.ExecContext(ctx, `UPDATE payments SET gateway_ref = $1 WHERE id = $2`, ref, paymentID)
	return affected(res, err, "payment")
}

// OrderItemRefunds returns what was refunded of each line of an order, by
// seq (one entry per line; none for an unknown order).
func (q *Q) OrderItemRefunds(ctx context.Context, orderID string) ([]market.ItemRefund, error) {
	rows, err := q.ex.QueryContext(ctx, `SELECT seq, refunded_net, refunded_tax, revoked_at FROM order_items
		WHERE order_id = $1 ORDER BY seq`, orderID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []market.ItemRefund
	for rows.Next() {
		var r market.ItemRefund
		var revoked sql.NullInt64
		if err := rows.Scan(&r.Seq, &r.Net, &r.Tax, &revoked); err != nil {
			return nil, err
		}
		r.RevokedAt = fromNull(revoked)
		out = append(out, r)
	}
	return out, rows.Err()
}

// AddItemRefund records a refund of an order line: r.Net and r.Tax are
// added to what was refunded of line r.Seq, and with r.RevokedAt the line
// is marked revoked. Errors: not_found (the line); invalid_request naming
// items if that passes what the line had (the schema's CHECKs) or the line
// was revoked already.
func (q *Q) AddItemRefund(ctx context.Context, orderID string, r market.ItemRefund) error {
	revoke := r.RevokedAt != nil
	var at int64
	if revoke {
		at = ts(*r.RevokedAt)
	}
	res, err := q.ex.ExecContext(ctx, `UPDATE order_items SET refunded_net = refunded_net + $3, refunded_tax = refunded_tax + $4,
		revoked_at = CASE WHEN $5 THEN $6 ELSE revoked_at END
		WHERE order_id = $1 AND seq = $2 AND (NOT $5 OR revoked_at IS NULL)`, orderID, r.Seq, r.Net, r.Tax, revoke, at)
	if isCheck(err) {
		return market.Invalid("items", "item %d of order %s has less than that left to refund", r.Seq, orderID)
	}
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	var exists int
	if err := q.ex.QueryRowContext(ctx, `SELECT COUNT(*) FROM order_items WHERE order_id = $1 AND seq = $2`, orderID, r.Seq).Scan(&exists); err != nil {
		return err
	}
	if exists == 0 {
		return market.NotFound("order item")
	}
	return market.Invalid("items", "item %d of order %s has been revoked already", r.Seq, orderID)
}
