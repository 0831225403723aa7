package store

import (
	"context"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
)

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
