package store

import "context"

// SetPaymentGatewayRef records the gateway's reference of a payment made
// after its row was written (a refund's, which the gateway makes last).
// Error: not_found.
func (q *Q) SetPaymentGatewayRef(ctx context.Context, paymentID, ref string) error {
	res, err := q.ex.ExecContext(ctx, `UPDATE payments SET gateway_ref = $1 WHERE id = $2`, ref, paymentID)
	return affected(res, err, "payment")
}
