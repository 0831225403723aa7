package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
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

func affected(res sql.Result, err error, kind string) error {
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return market.NotFound(kind)
	}
	return nil
}

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

// PutTaxRate sets a country's rate.
func (q *Q) PutTaxRate(ctx context.Context, country string, r money.Rate, now time.Time) error {
	_, err := q.ex.ExecContext(ctx, `INSERT INTO tax_rates (country, percent, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (country) DO UPDATE SET percent = excluded.percent, updated_at = excluded.updated_at`, country, r.String(), ts(now))
	if err != nil {
		return err
	}
	return q.catalogChanged(ctx)
}

// TaxRateFor returns a country's rate, zero if none is set.
func (q *Q) TaxRateFor(ctx context.Context, country string) (money.Rate, error) {
	c, err := q.catalog(ctx)
	if err != nil {
		return money.Rate{}, err
	}
	return c.taxes[country], nil
}

// TaxRates lists all rates by country.
func (q *Q) TaxRates(ctx context.Context) ([]market.TaxRate, error) {
	rows, err := q.ex.QueryContext(ctx, `SELECT country, percent, updated_at FROM tax_rates ORDER BY country`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []market.TaxRate
	for rows.Next() {
		var t market.TaxRate
		var s string
		var up int64
		if err := rows.Scan(&t.Country, &s, &up); err != nil {
			return nil, err
		}
		t.Rate, _ = money.ParseRate(s)
		t.UpdatedAt = fromTS(up)
		out = append(out, t)
	}
	return out, rows.Err()
}

const promoCols = `code, COALESCE(percent_off, ''), amount_off, currency, plans, terms, valid_from, valid_until, max_redemptions,
	max_per_customer, first_purchase_only, min_quantity, renewals, redemptions, active, created_at`

func scanPromo(row interface{ Scan(...any) error }) (market.Promo, error) {
	var p market.Promo
	var pct, plans, terms string
	var from, until sql.NullInt64
	var created int64
	err := row.Scan(&p.Code, &pct, &p.AmountOff, &p.Currency, &plans, &terms, &from, &until, &p.MaxRedemptions,
		&p.MaxPerCustomer, &p.FirstPurchaseOnly, &p.MinQuantity, &p.Renewals, &p.Redemptions, &p.Active, &created)
	if pct != "" {
		p.PercentOff, _ = money.ParseRate(pct)
		p.HasPercent = true
	}
	if plans != "" {
		p.Plans = strings.Split(plans, ",")
	}
	p.Terms = splitTerms(terms)
	p.ValidFrom, p.ValidUntil = fromNull(from), fromNull(until)
	p.CreatedAt = fromTS(created)
	return p, err
}

func promoArgs(p market.Promo) []any {
	var pct any
	if p.HasPercent {
		pct = p.PercentOff.String()
	}
	return []any{p.Code, pct, p.AmountOff, p.Currency, strings.Join(p.Plans, ","), joinTerms(p.Terms), tsp(p.ValidFrom),
		tsp(p.ValidUntil), p.MaxRedemptions, p.MaxPerCustomer, p.FirstPurchaseOnly, p.MinQuantity, p.Renewals, p.Active}
}

// InsertPromo stores a promo code. Error: conflict if it exists.
func (q *Q) InsertPromo(ctx context.Context, p market.Promo, now time.Time) error {
	_, err := q.ex.ExecContext(ctx, `INSERT INTO promo_codes (code, percent_off, amount_off, currency, plans, terms, valid_from,
		valid_until, max_redemptions, max_per_customer, first_purchase_only, min_quantity, renewals, active, redemptions, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 0, $15)`, append(promoArgs(p), ts(now))...)
	if isUnique(err) {
		return &market.Error{Code: market.CodeConflict, Param: "code", Message: "a promo code with this code exists"}
	}
	return err
}

// UpdatePromo saves a promo code's terms (not its redemption count).
func (q *Q) UpdatePromo(ctx context.Context, p market.Promo) error {
	res, err := q.ex.ExecContext(ctx, `UPDATE promo_codes SET percent_off = $2, amount_off = $3, currency = $4, plans = $5, terms = $6,
		valid_from = $7, valid_until = $8, max_redemptions = $9, max_per_customer = $10, first_purchase_only = $11,
		min_quantity = $12, renewals = $13, active = $14 WHERE code = $1`, promoArgs(p)...)
	if isCheck(err) {
		return market.Invalid("max_redemptions", "max_redemptions is below the redemptions already made")
	}
	return affected(res, err, "promo code")
}

// Promo returns a promo code (code already normalized); lock takes its row
// lock. Error: not_found.
func (q *Q) Promo(ctx context.Context, code string, lock bool) (market.Promo, error) {
	suffix := ""
	if lock {
		suffix = q.forUpdate()
	}
	p, err := scanPromo(q.ex.QueryRowContext(ctx, `SELECT `+promoCols+` FROM promo_codes WHERE code = $1`+suffix, code))
	return p, notFound(err, "promo code")
}

// Promos lists all promo codes, newest first.
func (q *Q) Promos(ctx context.Context) ([]market.Promo, error) {
	return queryAll(ctx, q, scanPromo, `SELECT `+promoCols+` FROM promo_codes ORDER BY created_at DESC, code`)
}

// CustomerRedemptions counts a customer's paid redemptions of a code.
func (q *Q) CustomerRedemptions(ctx context.Context, code, customerID string) (int, error) {
	var n int
	err := q.ex.QueryRowContext(ctx, `SELECT COUNT(*) FROM promo_redemptions WHERE code = $1 AND customer_id = $2`, code, customerID).Scan(&n)
	return n, err
}

// Redeem counts one redemption of a code for a paid order, atomically: the
// conditional update cannot pass the maximum however many transactions race.
// Error: promo_exhausted.
func (q *Q) Redeem(ctx context.Context, code, orderID, customerID string, now time.Time) error {
	res, err := q.ex.ExecContext(ctx, `UPDATE promo_codes SET redemptions = redemptions + 1
		WHERE code = $1 AND (max_redemptions = 0 OR redemptions < max_redemptions)`, code)
	exhausted := &market.Error{Code: market.CodePromoExhausted, Param: "promo_code", Message: "promo code " + code + " has been fully redeemed"}
	if isCheck(err) {
		return exhausted // and no result to ask: res is nil
	}
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return exhausted
	}
	_, err = q.ex.ExecContext(ctx, `INSERT INTO promo_redemptions (code, order_id, customer_id, created_at) VALUES ($1, $2, $3, $4)`,
		code, orderID, customerID, ts(now))
	return err
}

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
