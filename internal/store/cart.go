package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/dialtone/dialtone/internal/market"
)

// Cart returns a customer's cart items (oldest first) and promo code.
func (q *Q) Cart(ctx context.Context, customerID string) ([]market.CartItem, string, error) {
	var promo string
	err := q.ex.QueryRowContext(ctx, `SELECT promo_code FROM carts WHERE customer_id = $1`, customerID).Scan(&promo)
	if err != nil && !isNoRows(err) {
		return nil, "", err
	}
	rows, err := q.ex.QueryContext(ctx, `SELECT id, item, created_at FROM cart_items WHERE customer_id = $1 ORDER BY id`, customerID)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var out []market.CartItem
	for rows.Next() {
		var c market.CartItem
		var created int64
		if err := rows.Scan(&c.ID, &c.Item, &created); err != nil {
			return nil, "", err
		}
		c.CreatedAt = fromTS(created)
		out = append(out, c)
	}
	return out, promo, rows.Err()
}

// AddCartItem appends an item to a cart (at most 50 items).
func (q *Q) AddCartItem(ctx context.Context, customerID string, c market.CartItem) error {
	var n int
	if err := q.ex.QueryRowContext(ctx, `SELECT COUNT(*) FROM cart_items WHERE customer_id = $1`, customerID).Scan(&n); err != nil {
		return err
	}
	if n >= 50 {
		return market.Invalid("items", "a cart holds at most 50 items")
	}
	_, err := q.ex.ExecContext(ctx, `INSERT INTO cart_items (id, customer_id, item, created_at) VALUES ($1, $2, $3, $4)`,
		c.ID, customerID, c.Item, ts(c.CreatedAt))
	return err
}

// RemoveCartItem deletes an item. Error: not_found.
func (q *Q) RemoveCartItem(ctx context.Context, customerID, id string) error {
	res, err := q.ex.ExecContext(ctx, `DELETE FROM cart_items WHERE id = $1 AND customer_id = $2`, id, customerID)
	return affected(res, err, "cart item")
}

// UpdateCartItem replaces the JSON of a cart item, keeping its ID and
// place in the cart. Error: not_found (also another customer's item).
func (q *Q) UpdateCartItem(ctx context.Context, customerID, id, item string) error {
	res, err := q.ex.ExecContext(ctx, `UPDATE cart_items SET item = $1 WHERE id = $2 AND customer_id = $3`, item, id, customerID)
	return affected(res, err, "cart item")
}

// SetCartPromo sets or clears ("") the cart's promo code.
func (q *Q) SetCartPromo(ctx context.Context, customerID, code string, now time.Time) error {
	_, err := q.ex.ExecContext(ctx, `INSERT INTO carts (customer_id, promo_code, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (customer_id) DO UPDATE SET promo_code = excluded.promo_code, updated_at = excluded.updated_at`, customerID, code, ts(now))
	return err
}

// CartShown returns the prices the customer was last shown for the cart
// (nil when none were).
func (q *Q) CartShown(ctx context.Context, customerID string) (map[string]string, error) {
	var raw string
	err := q.ex.QueryRowContext(ctx, `SELECT shown FROM carts WHERE customer_id = $1`, customerID).Scan(&raw)
	if isNoRows(err) || (err == nil && raw == "") {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil, fmt.Errorf("cart of %s: shown prices: %w", customerID, err)
	}
	return m, nil
}

// SetCartShown records the prices the customer was shown for the cart
// (nil forgets them).
func (q *Q) SetCartShown(ctx context.Context, customerID string, shown map[string]string, now time.Time) error {
	raw := ""
	if len(shown) > 0 {
		b, err := json.Marshal(shown)
		if err != nil {
			return err
		}
		raw = string(b)
	}
	_, err := q.ex.ExecContext(ctx, `INSERT INTO carts (customer_id, shown, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (customer_id) DO UPDATE SET shown = excluded.shown, updated_at = excluded.updated_at`, customerID, raw, ts(now))
	return err
}

// CartCount returns how many items a customer's cart holds (for the
// portal's cart badge).
func (q *Q) CartCount(ctx context.Context, customerID string) (int, error) {
	var n int
	err := q.ex.QueryRowContext(ctx, `SELECT COUNT(*) FROM cart_items WHERE customer_id = $1`, customerID).Scan(&n)
	return n, err
}
