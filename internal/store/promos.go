package store

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
)

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
