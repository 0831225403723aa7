package store

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dialtone/dialtone/internal/market"
)

// UpsertProduct creates a product, or renames it when name is not empty. A
// new product without a name is named fallback.
func (q *Q) UpsertProduct(ctx context.Context, code, name, fallback string) error {
	first := name
	if first == "" {
		first = fallback
	}
	_, err := q.ex.ExecContext(ctx, `INSERT INTO products (code, name) VALUES ($1, $2)
		ON CONFLICT (code) DO UPDATE SET name = CASE WHEN $3 = '' THEN products.name ELSE $3 END`, code, first, name)
	if err != nil {
		return err
	}
	return q.catalogChanged(ctx)
}

// InsertPlan stores a new plan with its prices. Error: conflict if the code
// exists.
func (q *Q) InsertPlan(ctx context.Context, p market.Plan, now time.Time) error {
	_, err := q.ex.ExecContext(ctx, `INSERT INTO plans (code, product, name, description, rank, min_licenses, max_licenses,
		terms, trial_days, active, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)`,
		p.Code, p.Product, p.Name, p.Description, p.Rank, p.MinLicenses, p.MaxLicenses, joinTerms(p.Terms), p.TrialDays, p.Active, ts(now))
	if isUnique(err) {
		return &market.Error{Code: market.CodeConflict, Param: "code", Message: "a plan with this code exists"}
	}
	if err != nil {
		return err
	}
	if err := q.putPrices(ctx, p); err != nil {
		return err
	}
	return q.catalogChanged(ctx)
}

// UpdatePlan replaces a plan's fields and prices. Prices already paid are
// kept in the periods and orders that paid them.
func (q *Q) UpdatePlan(ctx context.Context, p market.Plan, now time.Time) error {
	res, err := q.ex.ExecContext(ctx, `UPDATE plans SET product = $2, name = $3, description = $4, rank = $5, min_licenses = $6,
		max_licenses = $7, terms = $8, trial_days = $9, active = $10, updated_at = $11 WHERE code = $1`,
		p.Code, p.Product, p.Name, p.Description, p.Rank, p.MinLicenses, p.MaxLicenses, joinTerms(p.Terms), p.TrialDays, p.Active, ts(now))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return market.NotFound("plan")
	}
	if _, err := q.ex.ExecContext(ctx, `DELETE FROM plan_prices WHERE plan_code = $1`, p.Code); err != nil {
		return err
	}
	if err := q.putPrices(ctx, p); err != nil {
		return err
	}
	return q.catalogChanged(ctx)
}

func (q *Q) putPrices(ctx context.Context, p market.Plan) error {
	for _, pr := range p.Prices {
		if _, err := q.ex.ExecContext(ctx, `INSERT INTO plan_prices (plan_code, currency, term_months, unit_amount)
			VALUES ($1, $2, $3, $4)`, p.Code, pr.Currency, pr.TermMonths, pr.UnitAmount); err != nil {
			return err
		}
	}
	return nil
}

// Plans returns the catalog ordered by product and rank; activeOnly hides
// plans no longer sold.
func (q *Q) Plans(ctx context.Context, activeOnly bool) ([]market.Plan, error) {
	c, err := q.catalog(ctx) // the cached copy, while the catalog's token is its
	if err != nil {
		return nil, err
	}
	var out []market.Plan
	for _, p := range c.list {
		if activeOnly && !p.Active {
			continue
		}
		p.Terms, p.Prices = slices.Clone(p.Terms), slices.Clone(p.Prices)
		out = append(out, p)
	}
	return out, nil
}

// Plan returns one plan. Error: not_found.
func (q *Q) Plan(ctx context.Context, code string) (market.Plan, error) {
	return q.cachedPlan(ctx, code)
}

// plans reads the plans where says, with their prices: only one plan's
// when only is its code (a renewal reads one plan, not the price list).
func (q *Q) plans(ctx context.Context, where string, arg any, only string) ([]market.Plan, error) {
	rows, err := q.ex.QueryContext(ctx, `SELECT p.code, p.product, pr.name, p.name, p.description, p.rank, p.min_licenses,
		p.max_licenses, p.terms, p.trial_days, p.active FROM plans p JOIN products pr ON pr.code = p.product `+where+`
		ORDER BY p.product, p.rank, p.code`, arg)
	if err != nil {
		return nil, err
	}
	var out []market.Plan
	idx := map[string]int{}
	for rows.Next() {
		var p market.Plan
		var terms string
		if err := rows.Scan(&p.Code, &p.Product, &p.ProductName, &p.Name, &p.Description, &p.Rank, &p.MinLicenses,
			&p.MaxLicenses, &terms, &p.TrialDays, &p.Active); err != nil {
			rows.Close()
			return nil, err
		}
		p.Terms = splitTerms(terms)
		idx[p.Code] = len(out)
		out = append(out, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	prows, err := q.ex.QueryContext(ctx, `SELECT plan_code, currency, term_months, unit_amount FROM plan_prices
		WHERE ($1 = '' OR plan_code = $1) ORDER BY plan_code, currency, term_months`, only)
	if err != nil {
		return nil, err
	}
	defer prows.Close()
	for prows.Next() {
		var code string
		var pr market.Price
		if err := prows.Scan(&code, &pr.Currency, &pr.TermMonths, &pr.UnitAmount); err != nil {
			return nil, err
		}
		if i, ok := idx[code]; ok {
			out[i].Prices = append(out[i].Prices, pr)
		}
	}
	return out, prows.Err()
}

func joinTerms(t []int) string {
	s := make([]string, len(t))
	for i, v := range t {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, ",")
}

func splitTerms(s string) []int {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if v, err := strconv.Atoi(strings.TrimSpace(f)); err == nil {
			out = append(out, v)
		}
	}
	return out
}
