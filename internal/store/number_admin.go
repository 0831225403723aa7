package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/dialtone/dialtone/internal/market"
)

// The operator's side of the inventory (admin/numbers.go): searching it
// with the holders of sold numbers, and taking numbers out of sale.

// NumberFilter selects numbers of the inventory: Number is a prefix of the
// E.164 number, the others exact ("" for any).
type NumberFilter struct {
	Number  string
	Country string
	Area    string
	Status  string
}

// SearchNumbers lists up to p.Limit+1 numbers matching f in number order
// after the number p.After, each with its holder.
func (q *Q) SearchNumbers(ctx context.Context, f NumberFilter, p Page) ([]market.AdminNumber, error) {
	args := []any{p.limit() + 1}
	where := ""
	add := func(cond string, v any) {
		args = append(args, v)
		where += fmt.Sprintf(" AND "+cond, len(args))
	}
	if f.Number != "" {
		add("number >= $%d", f.Number)
		add("number < $%d", f.Number+"~") // "~" sorts after the digits
	}
	if f.Country != "" {
		add("country = $%d", f.Country)
	}
	if f.Area != "" {
		add("area = $%d", f.Area)
	}
	switch f.Status {
	case "":
	case market.NumberAvailable:
		if f.Country == "" {
			// Most of the inventory is available: read it in number order
			// and skip the others, rather than all of the available ones
			// by an index on the status and sort them (the expression
			// keeps the planners off such indexes).
			where += " AND status || '' = 'available'"
		} else {
			where += " AND status = 'available'" // numbers_free_country
		}
	default:
		add("status <> 'available' AND status = $%d", f.Status)
	}
	if p.After != "" {
		add("number > $%d", p.After)
	}
	ns, err := q.numbers(ctx, `SELECT `+numberCols+` FROM numbers WHERE TRUE`+where+` ORDER BY number LIMIT $1`, args...)
	if err != nil {
		return nil, err
	}
	out := make([]market.AdminNumber, len(ns))
	var ids []string
	for i, n := range ns {
		out[i].Number = n
		if n.CustomerID != "" && !slices.Contains(ids, n.CustomerID) {
			ids = append(ids, n.CustomerID)
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	marks := make([]string, len(ids))
	cargs := make([]any, len(ids))
	for i, id := range ids {
		marks[i], cargs[i] = fmt.Sprintf("$%d", i+1), id
	}
	rows, err := q.ex.QueryContext(ctx, `SELECT id, company, email FROM customers WHERE id IN (`+strings.Join(marks, ", ")+`)`, cargs...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	holders := map[string]market.Holder{}
	for rows.Next() {
		var h market.Holder
		if err := rows.Scan(&h.ID, &h.Company, &h.Email); err != nil {
			return nil, err
		}
		holders[h.ID] = h
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Holder = holders[out[i].CustomerID]
	}
	return out, nil
}

// SetNumberStatus moves a number that is in one of the statuses from to
// the status to (available, reserved or retired: never a held one),
// clearing its quarantine date, and keeps number_stock and the search
// index in step. It returns the number as it was. Errors: not_found;
// conflict when its status is not one of from (e.g. it was just sold).
func (q *Q) SetNumberStatus(ctx context.Context, id string, from []string, to string) (market.Number, error) {
	if to == market.NumberActive || to == market.NumberGrace || to == market.NumberQuarantine {
		return market.Number{}, fmt.Errorf("store: SetNumberStatus to %q", to)
	}
	before, err := scanNumber(q.ex.QueryRowContext(ctx, `SELECT `+numberCols+` FROM numbers WHERE id = $1`+q.forUpdate(), id))
	if err != nil {
		return market.Number{}, notFound(err, "number")
	}
	if !slices.Contains(from, before.Status) {
		return before, market.Errorf(market.CodeConflict, "the number %s is %s now", before.Number, before.Status)
	}
	after := before
	after.Status, after.QuarantineUntil = to, nil
	// The row is locked: a concurrent sale waits, then finds it no longer
	// available (ClaimNumber's conditional update).
	return before, q.UpdateNumberLifecycle(ctx, after)
}

// PromoRedemptions lists up to p.Limit+1 redemptions of a promo code (code
// normalized), by order ID descending (newest first) after the order ID
// p.After, with the customers' companies.
func (q *Q) PromoRedemptions(ctx context.Context, code string, p Page) ([]market.Redemption, error) {
	args := []any{code, p.limit() + 1}
	where := ""
	if p.After != "" {
		args = append(args, p.After)
		where = " AND r.order_id < $3"
	}
	rows, err := q.ex.QueryContext(ctx, `SELECT r.code, r.order_id, r.customer_id, COALESCE(c.company, ''), r.created_at
		FROM promo_redemptions r LEFT JOIN customers c ON c.id = r.customer_id
		WHERE r.code = $1`+where+` ORDER BY r.order_id DESC LIMIT $2`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []market.Redemption
	for rows.Next() {
		var r market.Redemption
		var at int64
		if err := rows.Scan(&r.Code, &r.OrderID, &r.CustomerID, &r.Company, &at); err != nil {
			return nil, err
		}
		r.At = fromTS(at)
		out = append(out, r)
	}
	return out, rows.Err()
}
