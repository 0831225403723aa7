package store

import (
	"context"
	"fmt"
	"strings"
)

// The contains index (migration 00003): every available number's distinct
// four-digit runs, by country, in number order. See the migration for why.

// gramLen is the length of the digit runs the index keeps.
const gramLen = 4

// gramProbe is how many index entries a search counts, at most, to find the
// rarest run of its pattern: a run with fewer is taken at once.
const gramProbe = 500

// grams returns the distinct runs of gramLen digits of an E.164 number
// (after its "+").
func grams(number string) []string {
	digits := strings.TrimPrefix(number, "+")
	var out []string
	for i := 0; i+gramLen <= len(digits); i++ {
		g := digits[i : i+gramLen]
		dup := false
		for _, o := range out {
			if o == g {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, g)
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
	const perStatement = 250 // numbers: at most 12 runs x 6 parameters each
	var sb strings.Builder
	args := make([]any, 0, perStatement*12*6)
	for start := 0; start < len(ns); start += perStatement {
		sb.Reset()
		args = args[:0]
		sb.WriteString(`INSERT INTO number_grams (gram, country, number, state, area, type) VALUES `)
		for _, n := range ns[start:min(start+perStatement, len(ns))] {
			for _, g := range grams(n.Number) {
				if len(args) > 0 {
					sb.WriteString(", ")
				}
				if q.dialect == SQLite {
					sb.WriteString("(?, ?, ?, ?, ?, ?)")
				} else {
					b := len(args)
					fmt.Fprintf(&sb, "($%d, $%d, $%d, $%d, $%d, $%d)", b+1, b+2, b+3, b+4, b+5, b+6)
				}
				args = append(args, g, n.Country, n.Number, n.State, n.Area, n.Type)
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

// rebuildGrams indexes the available numbers anew (see RebuildNumberStock).
func (q *Q) rebuildGrams(ctx context.Context) error {
	if _, err := q.ex.ExecContext(ctx, `DELETE FROM number_grams`); err != nil {
		return err
	}
	_, err := q.ex.ExecContext(ctx, `INSERT INTO number_grams (gram, country, number, state, area, type)
		SELECT DISTINCT substr(n.number, p.column1, 4), n.country, n.number, n.state, n.area, n.type
		FROM numbers n CROSS JOIN (VALUES (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12), (13)) AS p
		WHERE n.status = 'available' AND length(n.number) >= p.column1 + 3`)
	return err
}

// rarestGram returns the run of the pattern with the fewest available
// numbers in the country (counting up to gramProbe of each), and whether
// any number can match at all.
func (q *Q) rarestGram(ctx context.Context, country, pattern string) (string, bool, error) {
	best, bestN := "", -1
	for i := 0; i+gramLen <= len(pattern); i++ {
		g := pattern[i : i+gramLen]
		var n int
		err := q.ex.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM number_grams WHERE gram = $1 AND country = $2 LIMIT $3) AS p`,
			g, country, gramProbe).Scan(&n)
		if err != nil {
			return "", false, err
		}
		if n == 0 {
			return "", false, nil
		}
		if bestN < 0 || n < bestN {
			best, bestN = g, n
		}
		if n < gramProbe {
			break // rare enough: reading it costs less than probing on
		}
	}
	return best, true, nil
}

// containsSearch answers AvailableNumbers for a pattern of gramLen digits
// or more: the numbers of the rarest run, in number order, that contain
// the whole pattern and fall in the scope, both checked on the index
// entries before any number's row is read.
func (q *Q) containsSearch(ctx context.Context, s NumberSearch, limit int) ([]Number, error) {
	gram, ok, err := q.rarestGram(ctx, s.Country, s.Contains)
	if err != nil || !ok {
		return nil, err
	}
	args := []any{gram, s.Country, s.Contains, limit}
	where := ""
	for _, f := range []struct{ col, v string }{{"state", s.State}, {"area", s.Area}, {"type", s.Type}} {
		if f.v != "" {
			args = append(args, f.v)
			where += fmt.Sprintf(" AND %s = $%d", f.col, len(args))
		}
	}
	// The index alone answers which numbers: it holds available numbers
	// only, with their scope. The numbers' rows are read for those found.
	return q.numbers(ctx, `SELECT `+numberCols+` FROM numbers WHERE number IN (SELECT number FROM number_grams
		WHERE gram = $1 AND country = $2 AND `+q.containsExpr(3)+where+`
		ORDER BY number LIMIT $4) AND status = 'available' ORDER BY number`, args...)
}
