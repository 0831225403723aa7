package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
)

func nullInt(v *int64) any {
	if v == nil {
		return nil
	}
	return *v
}

func fromNullInt(v sql.NullInt64) *int64 {
	if !v.Valid {
		return nil
	}
	x := v.Int64
	return &x
}

const balanceSettingsCols = `customer_id, low_balance_threshold, auto_top_up_amount, auto_top_up_below, auto_top_up_pm, auto_top_up_due_at, auto_top_up_seq, auto_top_up_order`

func scanBalanceSettings(row interface{ Scan(...any) error }) (market.BalanceSettings, error) {
	var b market.BalanceSettings
	var low, amt, below, due sql.NullInt64
	err := row.Scan(&b.CustomerID, &low, &amt, &below, &b.AutoPM, &due, &b.Seq, &b.DueOrder)
	b.LowThreshold, b.AutoAmount, b.AutoBelow, b.DueAt = fromNullInt(low), fromNullInt(amt), fromNullInt(below), fromNull(due)
	return b, err
}

// BalanceSettings returns a customer's balance settings (all unset when the
// customer never set any).
func (q *Q) BalanceSettings(ctx context.Context, customerID string) (market.BalanceSettings, error) {
	if b, ok := q.batchBalanceSettings(customerID); ok {
		return b, nil
	}
	if b, ok := q.balSets[customerID]; ok {
		return b, nil // read with the customer's lock (TxPipelined)
	}
	b, err := scanBalanceSettings(q.ex.QueryRowContext(ctx, `SELECT `+balanceSettingsCols+` FROM balance_settings WHERE customer_id = $1`, customerID))
	if isNoRows(err) {
		return market.BalanceSettings{CustomerID: customerID}, nil
	}
	return b, err
}

// SetBalanceSettings stores a customer's threshold and automatic top-up
// (a due top-up stays due). The low-balance notice is armed when the
// balance is at or above the new threshold, so a threshold set above the
// balance sends no notice until the balance has been above it.
func (q *Q) SetBalanceSettings(ctx context.Context, b market.BalanceSettings) error {
	_, err := q.ex.ExecContext(ctx, `INSERT INTO balance_settings (customer_id, low_balance_threshold, low_armed, auto_top_up_amount,
		auto_top_up_below, auto_top_up_pm)
		SELECT id, CAST($2 AS BIGINT), CASE WHEN CAST($2 AS BIGINT) IS NULL OR balance >= CAST($2 AS BIGINT) THEN 1 ELSE 0 END,
		CAST($3 AS BIGINT), CAST($4 AS BIGINT), $5 FROM customers WHERE id = $1
		ON CONFLICT (customer_id) DO UPDATE SET low_balance_threshold = excluded.low_balance_threshold, low_armed = excluded.low_armed,
		auto_top_up_amount = excluded.auto_top_up_amount, auto_top_up_below = excluded.auto_top_up_below, auto_top_up_pm = excluded.auto_top_up_pm`,
		b.CustomerID, nullInt(b.LowThreshold), nullInt(b.AutoAmount), nullInt(b.AutoBelow), b.AutoPM)
	return err
}

// balanceMoved applies a movement of a customer's balance from before to
// after to its settings, in the transaction of the movement: a fall below
// the armed threshold sends one balance_low notice and disarms it, a rise
// to it or above re-arms it; a fall below the top-up mark makes the next
// top-up due at now (once per crossing: a due top-up is left as it is).
func (q *Q) balanceMoved(ctx context.Context, customerID string, before, after int64, now time.Time) error {
	b, err := q.BalanceSettings(ctx, customerID)
	if err != nil || (b.LowThreshold == nil && b.AutoBelow == nil) {
		return err
	}
	if t := b.LowThreshold; t != nil {
		if after >= *t {
			if _, err := q.ex.ExecContext(ctx, `UPDATE balance_settings SET low_armed = 1 WHERE customer_id = $1 AND low_armed = 0`, customerID); err != nil {
				return err
			}
		} else if after < before {
			res, err := q.ex.ExecContext(ctx, `UPDATE balance_settings SET low_armed = 0 WHERE customer_id = $1 AND low_armed = 1`, customerID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				if err := q.lowBalanceNotice(ctx, customerID, *t, after, now); err != nil {
					return err
				}
			}
		}
	}
	if b.AutoBelow != nil && b.AutoAmount != nil && after < *b.AutoBelow && before >= *b.AutoBelow {
		if _, err := q.ex.ExecContext(ctx, `UPDATE balance_settings SET auto_top_up_due_at = $2, auto_top_up_seq = auto_top_up_seq + 1,
			auto_top_up_order = $3 WHERE customer_id = $1 AND auto_top_up_due_at IS NULL`, customerID, ts(now), q.ids.New("ord")); err != nil {
			return err
		}
	}
	return nil
}

// lowBalanceNotice stores the balance_low notification and queues its mail.
func (q *Q) lowBalanceNotice(ctx context.Context, customerID string, threshold, balance int64, now time.Time) error {
	c, err := q.Customer(ctx, customerID)
	if err != nil {
		return err
	}
	f := func(v int64) string { return money.Format(money.New(v, c.Currency)) }
	n := market.Notification{ID: q.ids.New("ntf"), CustomerID: customerID, Type: "balance_low",
		Subject: "Your balance is below " + f(threshold),
		Body: fmt.Sprintf("Your prepaid balance is %s, below the %s you set as the low-balance threshold. Top up to keep your renewals paid.",
			f(balance), f(threshold)),
		ObjectType: "customer", ObjectID: customerID, DedupeKey: "balance_low:" + q.ids.New("dd"), CreatedAt: now}
	if _, err := q.InsertNotification(ctx, n); err != nil {
		return err
	}
	return q.InsertOutbox(ctx, q.ids.New("out"), n.ID, c.Email, now)
}

// DueTopUps returns the balance settings whose automatic top-up is due at
// now or earlier, oldest first.
func (q *Q) DueTopUps(ctx context.Context, now time.Time, limit int) ([]market.BalanceSettings, error) {
	rows, err := q.ex.QueryContext(ctx, `SELECT `+balanceSettingsCols+` FROM balance_settings
		WHERE auto_top_up_due_at IS NOT NULL AND auto_top_up_due_at <= $1 ORDER BY auto_top_up_due_at, customer_id LIMIT $2`, ts(now), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []market.BalanceSettings
	for rows.Next() {
		b, err := scanBalanceSettings(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// ClearTopUp marks the top-up of crossing seq done (placed or declined);
// it reports false when it was not due (another process did it).
func (q *Q) ClearTopUp(ctx context.Context, customerID string, seq int64) (bool, error) {
	res, err := q.ex.ExecContext(ctx, `UPDATE balance_settings SET auto_top_up_due_at = NULL
		WHERE customer_id = $1 AND auto_top_up_seq = $2 AND auto_top_up_due_at IS NOT NULL`, customerID, seq)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// PutNumberPrice inserts or replaces a row of the price list.
func (q *Q) PutNumberPrice(ctx context.Context, p market.NumberPrice) error {
	_, err := q.ex.ExecContext(ctx, `INSERT INTO number_prices (country, state, area, type, currency, setup_amount, monthly_amount, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (currency, country, state, area, type)
		DO UPDATE SET setup_amount = excluded.setup_amount, monthly_amount = excluded.monthly_amount, updated_at = excluded.updated_at`,
		p.Country, p.State, p.Area, p.Type, p.Currency, p.SetupAmount, p.MonthlyAmount, ts(p.UpdatedAt))
	return err
}

// NumberPrices lists the price list ("" currency = all), by currency,
// country, state, area and type.
func (q *Q) NumberPrices(ctx context.Context, currency string) ([]market.NumberPrice, error) {
	rows, err := q.ex.QueryContext(ctx, `SELECT country, state, area, type, currency, setup_amount, monthly_amount, updated_at
		FROM number_prices WHERE $1 = '' OR currency = $1 ORDER BY currency, country, state, area, type`, currency)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []market.NumberPrice
	for rows.Next() {
		var p market.NumberPrice
		var at int64
		if err := rows.Scan(&p.Country, &p.State, &p.Area, &p.Type, &p.Currency, &p.SetupAmount, &p.MonthlyAmount, &at); err != nil {
			return nil, err
		}
		p.UpdatedAt = fromTS(at)
		out = append(out, p)
	}
	return out, rows.Err()
}

// priceList is the rows of one currency, by country.
type priceList map[string][]market.NumberPrice

func (q *Q) priceList(ctx context.Context, currency string) (priceList, error) {
	if currency == "" {
		return nil, nil
	}
	ps, err := q.NumberPrices(ctx, currency)
	if err != nil || len(ps) == 0 {
		return nil, err
	}
	out := priceList{}
	for _, p := range ps {
		out[p.Country] = append(out[p.Country], p)
	}
	return out, nil
}

// find returns the most specific row pricing a number of the group.
func (l priceList) find(country, state, area, typ string) (market.NumberPrice, bool) {
	best, ok := market.NumberPrice{}, false
	for _, p := range l[country] {
		if p.Matches(country, state, area, typ) && (!ok || p.Specificity() > best.Specificity()) {
			best, ok = p, true
		}
	}
	return best, ok
}

// NumberPriceFor returns the price of a number in currency: its own when it
// is priced in it, else the most specific row of the price list. ok is
// false when there is none.
func (q *Q) NumberPriceFor(ctx context.Context, n market.Number, currency string) (setup, monthly int64, ok bool, err error) {
	if n.Currency == currency {
		return n.SetupAmount, n.MonthlyAmount, true, nil
	}
	l, err := q.priceList(ctx, currency)
	if err != nil {
		return 0, 0, false, err
	}
	p, ok := l.find(n.Country, n.State, n.Area, n.Type)
	return p.SetupAmount, p.MonthlyAmount, ok, nil
}

// reprice gives numbers found for currency the price they sell at in it
// and drops those without one.
func (l priceList) reprice(ns []market.Number, currency string) []market.Number {
	out := ns[:0]
	for _, n := range ns {
		if n.Currency != currency {
			p, ok := l.find(n.Country, n.State, n.Area, n.Type)
			if !ok {
				continue
			}
			n.SetupAmount, n.MonthlyAmount, n.Currency = p.SetupAmount, p.MonthlyAmount, currency
		}
		out = append(out, n)
	}
	return out
}

// priced is a search's price list in its currency.
type priced struct {
	list     priceList
	currency string
}

// groupOK accepts the groups priced in the currency, in their own or by
// the list.
func (p *priced) groupOK(g numberGroup) bool {
	if g.Currency == p.currency {
		return true
	}
	_, ok := p.list.find(g.Country, g.State, g.Area, g.Type)
	return ok
}

// pricedFacets counts the cascade's facets (key of a group) for currency
// when its price list has rows in scope (ok false: it has none, and the
// caller reads number_stock by currency). It reads the stock of the
// currency and of the countries the list names, and keeps the groups the
// list prices. keepEmpty keeps facets with no free number (the countries);
// "" keys (no state) are left out unless keepEmpty.
func (q *Q) pricedFacets(ctx context.Context, country, state, currency string, key func(numberGroup) string, keepEmpty bool) ([]market.Facet, bool, error) {
	l, err := q.priceList(ctx, currency)
	if err != nil || len(l) == 0 || (country != "" && len(l[country]) == 0) {
		return nil, false, err
	}
	p := &priced{list: l, currency: currency}
	query := `SELECT country, state, area, type, currency, available FROM number_stock WHERE `
	args := []any{}
	if country != "" {
		args = append(args, country)
		query += "country = $1"
		if state != "" {
			args = append(args, state)
			query += " AND state = $2"
		}
	} else {
		args = append(args, currency)
		query += "(currency = $1"
		for c := range l {
			args = append(args, c)
			query += fmt.Sprintf(" OR country = $%d", len(args))
		}
		query += ")"
	}
	rows, err := q.ex.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	counts := map[string]int{}
	for rows.Next() {
		var g numberGroup
		var n int
		if err := rows.Scan(&g.Country, &g.State, &g.Area, &g.Type, &g.Currency, &n); err != nil {
			return nil, false, err
		}
		if !p.groupOK(g) {
			continue
		}
		k := key(g)
		if k == "" && !keepEmpty {
			continue
		}
		counts[k] += n
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	out := []market.Facet{}
	for k, n := range counts {
		if n > 0 || keepEmpty {
			out = append(out, market.Facet{Value: k, Available: n})
		}
	}
	slices.SortFunc(out, func(a, b market.Facet) int { return strings.Compare(a.Value, b.Value) })
	return out, true, nil
}

// RetireTopUpOrder gives the automatic top-up whose order ID (its card
// charge's idempotency key) is orderID a new one, newOrderID, and reports
// whether it did (false: no top-up of the customer has that ID any more).
// It is written, and committed, before a charge made under orderID is
// given back (billing: placeOrder, settleOrphan), so that no later
// attempt gets a refunded charge back by replaying its key.
func (q *Q) RetireTopUpOrder(ctx context.Context, customerID, orderID, newOrderID string) (bool, error) {
	res, err := q.ex.ExecContext(ctx, `UPDATE balance_settings SET auto_top_up_order = $3
		WHERE customer_id = $1 AND auto_top_up_order = $2`, customerID, orderID, newOrderID)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}
