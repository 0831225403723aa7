package store

// The search of available numbers: a page of one country (and state,
// area, type, currency) for the cascade and the API, with an exact
// "contains" through the number grams (number_grams.go), and the pick of
// any number of an area for an order.

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/dialtone/dialtone/internal/market"
)

// NumberSearch is a search of available numbers. Country is required;
// State, Area, Type and Currency narrow it when set; Contains keeps numbers
// whose E.164 form contains those digits; After starts after that number
// (the last of the previous page).
type NumberSearch struct {
	Country  string
	State    string
	Area     string
	Type     string
	Currency string
	Contains string
	After    string
	Limit    int

	// groupOK, when set, limits the search to the groups it accepts (the
	// groups of every currency are read): numbers priced in another
	// currency that the price list prices in Currency.
	groupOK func(numberGroup) bool
}

// maxSearchLimit is the most numbers one search returns.
const maxSearchLimit = 200

// searchGroups returns the groups of the cascade a search covers, from
// number_stock (groups whose numbers are all taken included: reading them
// costs one index probe).
func (q *Q) searchGroups(ctx context.Context, s NumberSearch) ([]numberGroup, error) {
	query := `SELECT country, state, area, type, currency FROM number_stock WHERE country = $1`
	args := []any{s.Country}
	for _, f := range []struct{ col, v string }{{"state", s.State}, {"area", s.Area}, {"type", s.Type}, {"currency", s.Currency}} {
		if f.v != "" {
			args = append(args, f.v)
			query += fmt.Sprintf(" AND %s = $%d", f.col, len(args))
		}
	}
	rows, err := q.ex.QueryContext(ctx, query+" ORDER BY state, area, type, currency", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []numberGroup
	for rows.Next() {
		var g numberGroup
		if err := rows.Scan(&g.Country, &g.State, &g.Area, &g.Type, &g.Currency); err != nil {
			return nil, err
		}
		if s.groupOK == nil || s.groupOK(g) {
			out = append(out, g)
		}
	}
	return out, rows.Err()
}

// containsExpr is the dialect's "number contains $n" (a plain substring
// test: no LIKE wildcards to escape).
func (q *Q) containsExpr(param int) string { return q.containsExprOn("number", param) }

// containsExprOn is containsExpr on a qualified column.
func (q *Q) containsExprOn(col string, param int) string {
	if q.dialect == Postgres {
		return fmt.Sprintf("strpos(%s, $%d) > 0", col, param)
	}
	return fmt.Sprintf("instr(%s, $%d) > 0", col, param)
}

// searchLimit bounds a search's limit: 20 by default, at most
// maxSearchLimit.
func searchLimit(n int) int {
	if n <= 0 {
		return 20
	}
	return min(n, maxSearchLimit)
}

// AvailableNumbers returns available numbers matching s, in number order
// (at most s.Limit, 20 if unset, 200 at most). Its cost follows the limit,
// not the inventory's size: without an area it reads one ordered range of a
// partial index (by country; country and state; country and type); within
// an area, or by state and type, it merges the ranges of the groups
// (country, state, area, type) the search covers, which number_stock names.
// Contains of four digits or more reads the contains index (number_grams)
// from its rarest run; one to three digits filter the ordered ranges, which
// meet such short patterns at once. Either way the answer is exact: the
// first matches in number order, wherever they are.
//
// A number priced in another currency than s.Currency is found when the
// price list (number_prices) prices it in s.Currency, and comes at that
// price; a country without rows in the list costs one probe of it more.
func (q *Q) AvailableNumbers(ctx context.Context, s NumberSearch) ([]market.Number, error) {
	s, l, err := q.withPriceList(ctx, s)
	if err != nil {
		return nil, err
	}
	ns, err := q.availableNumbers(ctx, s)
	if err != nil || l == nil {
		return ns, err
	}
	return l.list.reprice(ns, l.currency), nil
}

// withPriceList returns the search widened to the groups of other
// currencies that the price list of s.Currency prices, when it has rows
// for s.Country (nil list: it has none, the search is s).
func (q *Q) withPriceList(ctx context.Context, s NumberSearch) (NumberSearch, *priced, error) {
	l, err := q.priceList(ctx, s.Currency)
	if err != nil || len(l[s.Country]) == 0 {
		return s, nil, err
	}
	p := &priced{list: l, currency: s.Currency}
	s.groupOK = p.groupOK
	s.Currency = ""
	return s, p, nil
}

func (q *Q) availableNumbers(ctx context.Context, s NumberSearch) ([]market.Number, error) {
	limit := searchLimit(s.Limit)
	if len(s.Contains) >= shortGram {
		return q.containsSearch(ctx, s, limit)
	}
	args := []any{s.Country, limit} // $1, $2
	contains := ""                  // what every range adds to its group's filters
	if s.Contains != "" {
		args = append(args, s.Contains)
		contains = " AND " + q.containsExpr(len(args))
	}
	if s.After != "" {
		args = append(args, s.After)
		contains += fmt.Sprintf(" AND number > $%d", len(args))
	}
	var sb strings.Builder
	sb.WriteString(`SELECT ` + numberCols + ` FROM numbers WHERE number IN (SELECT number FROM (`)
	if s.Area == "" && (s.State == "" || s.Type == "") && s.groupOK == nil {
		// One range: the planner's choice among the partial indexes is
		// plain, as each of them alone orders this range by number.
		rng := `SELECT number FROM numbers WHERE status = 'available' AND country = $1`
		for _, f := range []struct{ col, v string }{{"state", s.State}, {"type", s.Type}, {"currency", s.Currency}} {
			if f.v != "" {
				args = append(args, f.v)
				rng += fmt.Sprintf(" AND %s = $%d", f.col, len(args))
			}
		}
		fmt.Fprintf(&sb, "SELECT number FROM (%s%s ORDER BY number LIMIT $2) AS g0", rng, contains)
	} else {
		groups, err := q.searchGroups(ctx, s)
		if err != nil || len(groups) == 0 {
			return nil, err
		}
		for i, g := range groups {
			if i > 0 {
				sb.WriteString(" UNION ALL ")
			}
			args = append(args, g.State, g.Area, g.Type, g.Currency)
			n := len(args)
			fmt.Fprintf(&sb, `SELECT number FROM (SELECT number FROM numbers WHERE status = 'available' AND country = $1 AND state = $%d
				AND area = $%d AND type = $%d AND currency = $%d%s ORDER BY number LIMIT $2) AS g%d`, n-3, n-2, n-1, n, contains, i)
		}
	}
	sb.WriteString(`) AS u ORDER BY number LIMIT $2) ORDER BY number`)
	return q.numbersUpTo(ctx, limit, sb.String(), args...)
}

// PickAvailableNumbers returns the first available numbers matching s (as
// AvailableNumbers) for an order to claim. Inside a PostgreSQL transaction
// it locks them and skips numbers that other transactions hold locked, so
// that orders racing for "any number in the area" take different numbers
// rather than all failing on the first one. (SQLite runs one writer at a
// time: there is nothing to skip.)
func (q *Q) PickAvailableNumbers(ctx context.Context, s NumberSearch) ([]market.Number, error) {
	if q.dialect != Postgres || !q.inTx {
		return q.AvailableNumbers(ctx, s)
	}
	s, pl, err := q.withPriceList(ctx, s)
	if err != nil {
		return nil, err
	}
	limit := searchLimit(s.Limit)
	groups, err := q.searchGroups(ctx, s)
	if err != nil {
		return nil, err
	}
	var out []market.Number
	for _, g := range groups {
		query := `SELECT ` + numberCols + ` FROM numbers WHERE status = 'available' AND country = $1 AND state = $2
			AND area = $3 AND type = $4 AND currency = $6`
		args := []any{g.Country, g.State, g.Area, g.Type, limit, g.Currency}
		if s.Contains != "" {
			args = append(args, s.Contains)
			query += " AND " + q.containsExpr(len(args))
		}
		if s.After != "" {
			args = append(args, s.After)
			query += fmt.Sprintf(" AND number > $%d", len(args))
		}
		ns, err := q.numbers(ctx, query+` ORDER BY number LIMIT $5 FOR UPDATE SKIP LOCKED`, args...)
		if err != nil {
			return nil, err
		}
		out = append(out, ns...)
	}
	slices.SortFunc(out, func(a, b market.Number) int { return strings.Compare(a.Number, b.Number) })
	out = out[:min(len(out), limit)]
	if pl != nil {
		out = pl.list.reprice(out, pl.currency)
	}
	return out, nil
}
