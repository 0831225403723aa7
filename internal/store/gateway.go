package store

import (
	"context"
	"time"

	"github.com/dialtone/dialtone/internal/market"
)

// Card gateways' own records (migration 00011): the gateway customer of an
// account, orders waiting for the customer to authenticate a charge, and
// the webhook events applied.

// GatewayCustomer returns the gateway's customer ID of an account.
// Error: not_found.
func (q *Q) GatewayCustomer(ctx context.Context, customerID, gateway string) (string, error) {
	var ref string
	err := q.ex.QueryRowContext(ctx, `SELECT ref FROM gateway_customers WHERE customer_id = $1 AND gateway = $2`,
		customerID, gateway).Scan(&ref)
	return ref, notFound(err, "gateway customer")
}

// PutGatewayCustomer records the gateway's customer of an account; an
// account that has one keeps it (the gateway made the same one again
// for the same idempotency key).
func (q *Q) PutGatewayCustomer(ctx context.Context, customerID, gateway, ref string, now time.Time) error {
	_, err := q.ex.ExecContext(ctx, `INSERT INTO gateway_customers (customer_id, gateway, ref, created_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT (customer_id, gateway) DO NOTHING`, customerID, gateway, ref, ts(now))
	return err
}

const pendingCols = `id, customer_id, user_id, gateway, intent, amount, currency, source, input, next_action_url, status, reason, created_at, updated_at`

func scanPending(row interface{ Scan(...any) error }) (market.PendingOrder, error) {
	var p market.PendingOrder
	var created, updated int64
	err := row.Scan(&p.ID, &p.CustomerID, &p.UserID, &p.Gateway, &p.Intent, &p.Amount, &p.Currency, &p.Source, &p.Input,
		&p.NextActionURL, &p.Status, &p.Reason, &created, &updated)
	p.CreatedAt, p.UpdatedAt = fromTS(created), fromTS(updated)
	return p, err
}

// InsertPendingOrder records an order waiting for authentication. A second
// record of the same intent (a retried request) keeps the first.
func (q *Q) InsertPendingOrder(ctx context.Context, p market.PendingOrder) error {
	_, err := q.ex.ExecContext(ctx, `INSERT INTO pending_orders (`+pendingCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', '', $11, $11)
		ON CONFLICT (gateway, intent) DO NOTHING`,
		p.ID, p.CustomerID, p.UserID, p.Gateway, p.Intent, p.Amount, p.Currency, p.Source, p.Input, p.NextActionURL, ts(p.CreatedAt))
	return err
}

// PendingOrder returns a pending order of a customer (any customer when
// customerID is empty). Error: not_found.
func (q *Q) PendingOrder(ctx context.Context, customerID, id string) (market.PendingOrder, error) {
	p, err := scanPending(q.ex.QueryRowContext(ctx, `SELECT `+pendingCols+` FROM pending_orders
		WHERE id = $1 AND ($2 = '' OR customer_id = $2)`, id, customerID))
	return p, notFound(err, "order")
}

// PendingOrderByIntent returns the pending order of a gateway's charge.
// Error: not_found.
func (q *Q) PendingOrderByIntent(ctx context.Context, gateway, intent string) (market.PendingOrder, error) {
	p, err := scanPending(q.ex.QueryRowContext(ctx, `SELECT `+pendingCols+` FROM pending_orders
		WHERE gateway = $1 AND intent = $2`, gateway, intent))
	return p, notFound(err, "order")
}

// FinishPendingOrder moves a pending order to status (completed or failed)
// if it is still pending, and reports whether it did: of several callers
// racing, exactly one does.
func (q *Q) FinishPendingOrder(ctx context.Context, id, status, reason string, now time.Time) (bool, error) {
	res, err := q.ex.ExecContext(ctx, `UPDATE pending_orders SET status = $1, reason = $2, updated_at = $3
		WHERE id = $4 AND status = 'pending'`, status, reason, ts(now), id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// RecordGatewayEvent stores a webhook event's ID and reports whether it
// is new; an event seen before reports false and changes nothing.
func (q *Q) RecordGatewayEvent(ctx context.Context, id, gateway, typ string, now time.Time) (bool, error) {
	res, err := q.ex.ExecContext(ctx, `INSERT INTO gateway_events (id, gateway, type, received_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (id) DO NOTHING`, id, gateway, typ, ts(now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// PaymentByGatewayRef returns the order payment (not a refund) made with a
// gateway's charge. Error: not_found.
func (q *Q) PaymentByGatewayRef(ctx context.Context, ref string) (market.Payment, error) {
	p, err := scanPayment(q.ex.QueryRowContext(ctx, `SELECT `+paymentCols+` FROM payments
		WHERE gateway_ref = $1 AND refund_of = '' AND gateway_ref <> ''`, ref))
	return p, notFound(err, "payment")
}

// GatewayEventSeen reports whether a webhook event has been applied.
func (q *Q) GatewayEventSeen(ctx context.Context, id string) (bool, error) {
	var n int64
	err := q.ex.QueryRowContext(ctx, `SELECT COUNT(*) FROM gateway_events WHERE id = $1`, id).Scan(&n)
	return n > 0, err
}

// PutDispute records a dispute, or its new status and reason (and
// updated_at; created_at stays that of its first record), and marks its
// order with the status (Order.DisputeStatus).
func (q *Q) PutDispute(ctx context.Context, d market.Dispute) error {
	_, err := q.ex.ExecContext(ctx, `INSERT INTO gateway_disputes (id, customer_id, order_id, amount, currency, reason, status, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (id) DO UPDATE SET status = excluded.status, reason = excluded.reason, updated_at = excluded.updated_at`,
		d.ID, d.CustomerID, d.OrderID, d.Amount, d.Currency, d.Reason, d.Status, ts(d.CreatedAt), ts(d.UpdatedAt))
	if err != nil {
		return err
	}
	_, err = q.ex.ExecContext(ctx, `UPDATE orders SET dispute_status = $1 WHERE id = $2`, d.Status, d.OrderID)
	return err
}

// OrderDisputes returns the disputes of an order, oldest first.
func (q *Q) OrderDisputes(ctx context.Context, orderID string) ([]market.Dispute, error) {
	rows, err := q.ex.QueryContext(ctx, `SELECT id, customer_id, order_id, amount, currency, reason, status, created_at, updated_at
		FROM gateway_disputes WHERE order_id = $1 ORDER BY created_at, id`, orderID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []market.Dispute
	for rows.Next() {
		var d market.Dispute
		var created, updated int64
		if err := rows.Scan(&d.ID, &d.CustomerID, &d.OrderID, &d.Amount, &d.Currency, &d.Reason, &d.Status, &created, &updated); err != nil {
			return nil, err
		}
		d.CreatedAt, d.UpdatedAt = fromTS(created), fromTS(updated)
		out = append(out, d)
	}
	return out, rows.Err()
}

// UpdateCardByToken sets what a gateway now says of a saved card (a card
// updater's new expiry or last 4) and returns the cards it changed:
// those, not removed, whose token is the gateway's payment method and
// whose details differ.
func (q *Q) UpdateCardByToken(ctx context.Context, gateway, token, brand, last4 string, expMonth, expYear int) ([]market.PaymentMethod, error) {
	rows, err := q.ex.QueryContext(ctx, `SELECT id, customer_id FROM payment_methods
		WHERE gateway = $1 AND token = $2 AND deleted_at IS NULL
		AND (brand <> $3 OR last4 <> $4 OR exp_month <> $5 OR exp_year <> $6) ORDER BY id`,
		gateway, token, brand, last4, expMonth, expYear)
	if err != nil {
		return nil, err
	}
	type key struct{ id, customer string }
	var keys []key
	for rows.Next() {
		var k key
		if err := rows.Scan(&k.id, &k.customer); err != nil {
			rows.Close()
			return nil, err
		}
		keys = append(keys, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []market.PaymentMethod
	for _, k := range keys {
		if _, err := q.ex.ExecContext(ctx, `UPDATE payment_methods SET brand = $1, last4 = $2, exp_month = $3, exp_year = $4
			WHERE id = $5`, brand, last4, expMonth, expYear, k.id); err != nil {
			return nil, err
		}
		pm, err := q.PaymentMethod(ctx, k.customer, k.id)
		if err != nil {
			return nil, err
		}
		out = append(out, pm)
	}
	return out, nil
}

// CardsExpiring returns the saved cards (not removed) of every account
// that expire at the end of the month given (exp_year, exp_month), in ID
// order, at most limit of them after the card after ("" from the start).
func (q *Q) CardsExpiring(ctx context.Context, year, month int, after string, limit int) ([]market.PaymentMethod, error) {
	return queryAll(ctx, q, scanPM, `SELECT `+pmCols+` FROM payment_methods
		WHERE exp_year = $1 AND exp_month = $2 AND deleted_at IS NULL AND id > $3 ORDER BY id LIMIT $4`, year, month, after, limit)
}
