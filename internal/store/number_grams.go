package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/dialtone/dialtone/internal/market"
)

// The contains index (migration 00003): every available number's distinct
// four-digit runs, by country, in number order, and (migration 00004) how
// many numbers of a country's inventory hold each run. See the migrations
// for why.

// The index keeps runs of two lengths: a pattern of three digits reads its
// own run's list, in which every entry matches; a longer one reads the
// rarest of its four-digit runs, ten times shorter than three-digit lists.
const (
	shortGram = 3
	gramLen   = 4
)

// grams returns the distinct runs of three and of four digits of an E.164
// number (after its "+").
func grams(number string) []string {
	digits := strings.TrimPrefix(number, "+")
	var out []string
	for _, n := range []int{shortGram, gramLen} {
		for i := 0; i+n <= len(digits); i++ {
			if g := digits[i : i+n]; !slices.Contains(out, g) {
				out = append(out, g)
			}
		}
	}
	return out
}

// freeNumber is a number that became available (or stopped being so), for
// the contains index.
type freeNumber struct {
	numberGroup
	Number string
}

// addGrams indexes numbers that became available.
func (q *Q) addGrams(ctx context.Context, ns []freeNumber) error {
	const perStatement = 100 // numbers: at most 13+12 runs x 6 parameters each, below SQLite's 32,766
	var sb strings.Builder
	args := make([]any, 0, perStatement*25*6)
	for start := 0; start < len(ns); start += perStatement {
		sb.Reset()
		args = args[:0]
		sb.WriteString(`INSERT INTO number_grams (gram, country, number, state, area, type) VALUES `)
		for _, n := range ns[start:min(start+perStatement, len(ns))] {
			for _, g := range grams(n.Number) {
				args = q.appendRow(&sb, args, g, n.Country, n.Number, n.State, n.Area, n.Type)
			}
		}
		if len(args) == 0 {
			continue
		}
		sb.WriteString(" ON CONFLICT DO NOTHING")
		if _, err := q.ex.ExecContext(ctx, sb.String(), args...); err != nil {
			return fmt.Errorf("index numbers for contains: %w", err)
		}
	}
	return nil
}

// countGrams adds numbers new to the inventory to the counts of their runs
// (number_gram_counts, migration 00004), in key order, so that imports
// running at once take the rows' locks in the same order.
func (q *Q) countGrams(ctx context.Context, ns []freeNumber) error {
	type key struct{ country, gram string }
	counts := map[key]int64{}
	for _, n := range ns {
		for _, g := range grams(n.Number) {
			counts[key{n.Country, g}]++
		}
	}
	keys := make([]key, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		if c := strings.Compare(a.country, b.country); c != 0 {
			return c
		}
		return strings.Compare(a.gram, b.gram)
	})
	const perStatement = 1000
	var sb strings.Builder
	args := make([]any, 0, perStatement*3)
	for start := 0; start < len(keys); start += perStatement {
		sb.Reset()
		args = args[:0]
		sb.WriteString(`INSERT INTO number_gram_counts (country, gram, numbers) VALUES `)
		for _, k := range keys[start:min(start+perStatement, len(keys))] {
			args = q.appendRow(&sb, args, k.country, k.gram, counts[k])
		}
		sb.WriteString(` ON CONFLICT (country, gram) DO UPDATE SET numbers = number_gram_counts.numbers + excluded.numbers`)
		if _, err := q.ex.ExecContext(ctx, sb.String(), args...); err != nil {
			return fmt.Errorf("count numbers for contains: %w", err)
		}
	}
	return nil
}

// removeGrams drops a number that stopped being available from the index
// (by primary key: one probe a run).
func (q *Q) removeGrams(ctx context.Context, n freeNumber) error {
	gs := grams(n.Number)
	if len(gs) == 0 {
		return nil
	}
	args := []any{n.Country, n.Number}
	marks := make([]string, len(gs))
	for i, g := range gs {
		args = append(args, g)
		marks[i] = fmt.Sprintf("$%d", i+3)
	}
	_, err := q.ex.ExecContext(ctx, `DELETE FROM number_grams WHERE country = $1 AND number = $2 AND gram IN (`+
		strings.Join(marks, ", ")+`)`, args...)
	return err
}

// gramRuns joins each number to the positions of its runs (column1, after
// the "+") and their lengths (column2), as migration 00004 does.
const gramRuns = `FROM numbers n CROSS JOIN (VALUES (2, 3), (3, 3), (4, 3), (5, 3), (6, 3), (7, 3), (8, 3), (9, 3), (10, 3), (11, 3),
	(12, 3), (13, 3), (14, 3), (2, 4), (3, 4), (4, 4), (5, 4), (6, 4), (7, 4), (8, 4), (9, 4), (10, 4), (11, 4), (12, 4), (13, 4)) AS p
	WHERE length(n.number) >= p.column1 + p.column2 - 1`

// rebuildGrams brings the index in line with the available numbers (see
// RebuildNumberStock): it drops the entries of numbers no longer available
// and adds those missing, leaving the rest in place, and recounts the runs.
func (q *Q) rebuildGrams(ctx context.Context) error {
	for _, stmt := range []string{
		`DELETE FROM number_grams WHERE NOT EXISTS (SELECT 1 FROM numbers n WHERE n.number = number_grams.number
			AND n.status = 'available' AND n.country = number_grams.country AND n.state = number_grams.state
			AND n.area = number_grams.area AND n.type = number_grams.type)`,
		`INSERT INTO number_grams (gram, country, number, state, area, type)
			SELECT DISTINCT substr(n.number, p.column1, p.column2), n.country, n.number, n.state, n.area, n.type ` + gramRuns + `
			AND n.status = 'available' ON CONFLICT DO NOTHING`,
		`DELETE FROM number_gram_counts`,
		`INSERT INTO number_gram_counts (country, gram, numbers)
			SELECT country, gram, COUNT(*) FROM (SELECT DISTINCT substr(n.number, p.column1, p.column2) AS gram, n.country, n.number ` +
			gramRuns + `) AS g GROUP BY country, gram`,
	} {
		if _, err := q.ex.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("rebuild the contains index: %w", err)
		}
	}
	return nil
}

// rarestGram returns the run of the pattern held by the fewest numbers of
// the country's inventory, and whether any number can match at all (every
// run of the pattern is held by some number).
func (q *Q) rarestGram(ctx context.Context, country, pattern string) (string, bool, error) {
	args := []any{country}
	marks := make([]string, 0, len(pattern))
	for i := 0; i+gramLen <= len(pattern); i++ {
		if g := pattern[i : i+gramLen]; !slices.Contains(args[1:], any(g)) {
			args = append(args, g)
			marks = append(marks, fmt.Sprintf("$%d", len(args)))
		}
	}
	rows, err := q.ex.QueryContext(ctx, `SELECT gram, numbers FROM number_gram_counts WHERE country = $1 AND gram IN (`+
		strings.Join(marks, ", ")+`) ORDER BY numbers, gram`, args...)
	if err != nil {
		return "", false, err
	}
	defer rows.Close()
	best, found := "", 0
	for rows.Next() {
		var g string
		var n int64
		if err := rows.Scan(&g, &n); err != nil {
			return "", false, err
		}
		if found == 0 {
			best = g
		}
		found++
	}
	if err := rows.Err(); err != nil {
		return "", false, err
	}
	return best, found == len(marks), nil
}

// containsSearch answers AvailableNumbers for a pattern of three digits or
// more: the numbers of its run's list (three digits) or of its rarest
// four-digit run, in number order, that contain the whole pattern and fall
// in the scope, both checked on the index entries before any number's row
// is read.
func (q *Q) containsSearch(ctx context.Context, s NumberSearch, limit int) ([]market.Number, error) {
	gram := s.Contains
	if len(gram) > shortGram {
		var ok bool
		var err error
		if gram, ok, err = q.rarestGram(ctx, s.Country, s.Contains); err != nil || !ok {
			return nil, err
		}
	}
	args := []any{gram, s.Country, limit}
	where := ""
	if len(s.Contains) > len(gram) {
		args = append(args, s.Contains)
		where = " AND " + q.containsExpr(len(args))
	}
	for _, f := range []struct{ col, v string }{{"state", s.State}, {"area", s.Area}, {"type", s.Type}} {
		if f.v != "" {
			args = append(args, f.v)
			where += fmt.Sprintf(" AND %s = $%d", f.col, len(args))
		}
	}
	if s.After != "" {
		args = append(args, s.After)
		where += fmt.Sprintf(" AND number > $%d", len(args))
	}
	// The currency is not in the index: it is checked on the numbers read.
	// A country's numbers are priced in one currency as a rule, so this
	// keeps all or none of them; in a scope priced in several currencies a
	// page may come out shorter than its limit.
	outer := ""
	if s.Currency != "" {
		args = append(args, s.Currency)
		outer = fmt.Sprintf(" AND currency = $%d", len(args))
	}
	// The index alone answers which numbers: it holds available numbers
	// only, with their scope. The numbers' rows are read for those found.
	return q.numbersUpTo(ctx, limit, `SELECT `+numberCols+` FROM numbers WHERE number IN (SELECT number FROM number_grams
		WHERE gram = $1 AND country = $2`+where+`
		ORDER BY number LIMIT $3) AND status = 'available'`+outer+` ORDER BY number`, args...)
}
