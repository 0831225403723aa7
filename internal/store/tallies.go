package store

import (
	"cmp"
	"context"
	"database/sql"
	"slices"

	"github.com/dialtone/dialtone/internal/market"
)

// The dashboard's tallies (migration 00032): the held numbers per country
// and status (number_tally) and the renewal periods per UTC day
// (renewal_tally), kept on write so the dashboard reads a few hundred rows
// instead of counting 120,000 numbers and a year of periods.
//
// They are append-only, as revenue_rollup is: a write that changes a count
// INSERTs a row of its delta in its own transaction, and no statement
// outside CompactTallies ever updates or deletes a row. A writer therefore
// takes no row lock that another transaction could hold or want: an INSERT
// into a table without a unique key waits for nobody (PostgreSQL), however
// many batches renew and sell at once, in whatever order. (The reverted
// first version kept one row per count and slot and incremented it with
// an UPSERT: two renewal batches taking the same day's slots in different
// orders deadlocked.) A count is the sum of its key's rows; a rolled-back
// transaction's rows are gone with it.
//
// CompactTallies folds the rows into one per key: it deletes the rows with
// RETURNING and inserts their sums, in one transaction, so what it removed
// is exactly what it adds back, and a row committed meanwhile (not seen
// by its DELETE) stays and still counts. Compactions take PostgreSQL's
// advisory lock tallyLock first (SQLite has one writer): two never
// interleave, and a compaction waits for no writer (the DELETE sees only
// committed rows, which nobody else locks).

// microsPerDay is a day in the stored microseconds.
const microsPerDay = 86_400_000_000

// dayOf is the first instant (stored) of the UTC day of a stored time:
// renewal_tally's key.
func dayOf(t int64) int64 { return t - t%microsPerDay }

// numberMove is n numbers of a country going from one status to another.
type numberMove struct {
	Country, From, To string
	N                 int64
}

// tallyNumbers adds the moves to number_tally: one row per country and
// status left or entered with its delta, available aside (number_stock
// counts those); one INSERT for all (in a write batch, kept with the
// batch's others: batch.go). The hook of ClaimNumber,
// UpdateNumberLifecycle and EndQuarantines.
func (q *Q) tallyNumbers(ctx context.Context, moves ...numberMove) error {
	type key struct{ country, status string }
	delta := map[key]int64{}
	for _, m := range moves {
		if m.From == m.To {
			continue
		}
		delta[key{m.Country, m.From}] -= m.N
		delta[key{m.Country, m.To}] += m.N
	}
	keys := make([]key, 0, len(delta))
	for k, d := range delta {
		if d != 0 && k.status != market.NumberAvailable && k.status != "" {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	slices.SortFunc(keys, func(a, b key) int { return cmp.Or(cmp.Compare(a.country, b.country), cmp.Compare(a.status, b.status)) })
	rows := make([][]any, len(keys))
	for i, k := range keys {
		rows[i] = []any{k.country, k.status, delta[k]}
	}
	_, err := q.insertRows(ctx, `INSERT INTO number_tally (country, status, n) VALUES`, "", rows)
	return err
}

// periodStart is a renewal period's sequence number and start (stored).
type periodStart struct {
	seq   int
	start int64
}

// tallyRenewals adds sign for each renewal period (seq > 1) of ps to
// renewal_tally on its start's day: one INSERT for all (in a write batch,
// one more row of the batch's one INSERT: batch.go). The hook of
// InsertPeriod, DeletePeriod and EndPeriodsAt.
func (q *Q) tallyRenewals(ctx context.Context, sign int64, ps ...periodStart) error {
	delta := map[int64]int64{}
	for _, p := range ps {
		if p.seq > 1 {
			delta[dayOf(p.start)] += sign
		}
	}
	if len(delta) == 0 {
		return nil
	}
	days := make([]int64, 0, len(delta))
	for d := range delta {
		days = append(days, d)
	}
	slices.Sort(days)
	rows := make([][]any, len(days))
	for i, d := range days {
		rows[i] = []any{d, delta[d]}
	}
	_, err := q.insertRows(ctx, `INSERT INTO renewal_tally (day, n) VALUES`, "", rows)
	return err
}

// LooseTallies is how many rows of the tallies a compaction would remove:
// their rows less their keys (0: compacted).
func (q *Q) LooseTallies(ctx context.Context) (int, error) {
	var n int
	err := q.ex.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM number_tally)
		- (SELECT COUNT(*) FROM (SELECT DISTINCT country, status FROM number_tally) k)
		+ (SELECT COUNT(*) FROM renewal_tally) - (SELECT COUNT(DISTINCT day) FROM renewal_tally)`).Scan(&n)
	return n, err
}

// tallyLock is the PostgreSQL advisory lock (transaction-scoped) that
// compactions of the tallies take.
const tallyLock = 0x7a11_0032

// CompactTallies folds each tally's rows into one per key (dropping keys
// that sum to zero) and returns how many rows it removed, net. Run it in a
// transaction (see the file's comment).
func (q *Q) CompactTallies(ctx context.Context) (int, error) {
	if q.dialect == Postgres {
		if _, err := q.ex.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(tallyLock)); err != nil {
			return 0, err
		}
	}
	type key struct{ country, status string }
	numbers := map[key]int64{}
	nn, err := q.deleteTally(ctx, `DELETE FROM number_tally RETURNING country, status, n`, func(rows *sql.Rows) error {
		var k key
		var n int64
		err := rows.Scan(&k.country, &k.status, &n)
		numbers[k] += n
		return err
	})
	if err != nil {
		return 0, err
	}
	var rows [][]any
	for k, n := range numbers {
		if n != 0 {
			rows = append(rows, []any{k.country, k.status, n})
		}
	}
	if err := q.insertTally(ctx, `INSERT INTO number_tally (country, status, n) VALUES`, rows); err != nil {
		return 0, err
	}
	removed := nn - len(rows)
	days := map[int64]int64{}
	nd, err := q.deleteTally(ctx, `DELETE FROM renewal_tally RETURNING day, n`, func(rows *sql.Rows) error {
		var d, n int64
		err := rows.Scan(&d, &n)
		days[d] += n
		return err
	})
	if err != nil {
		return 0, err
	}
	rows = rows[:0]
	for d, n := range days {
		if n != 0 {
			rows = append(rows, []any{d, n})
		}
	}
	if err := q.insertTally(ctx, `INSERT INTO renewal_tally (day, n) VALUES`, rows); err != nil {
		return 0, err
	}
	return removed + nd - len(rows), nil
}

// deleteTally runs a DELETE … RETURNING and hands each row to add; it
// returns how many rows it deleted.
func (q *Q) deleteTally(ctx context.Context, query string, add func(*sql.Rows) error) (int, error) {
	rows, err := q.ex.QueryContext(ctx, query)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		if err := add(rows); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

// insertTally inserts the sums of a compaction (none: nothing).
func (q *Q) insertTally(ctx context.Context, head string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	_, err := q.insertRows(ctx, head, "", rows)
	return err
}

// recountNumbers counts number_tally anew from the numbers table
// (RebuildNumberStock: after a bulk load that bypassed the store's
// writes).
func (q *Q) recountNumbers(ctx context.Context) error {
	if q.dialect == Postgres {
		if _, err := q.ex.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(tallyLock)); err != nil {
			return err
		}
	}
	if _, err := q.ex.ExecContext(ctx, `DELETE FROM number_tally`); err != nil {
		return err
	}
	_, err := q.ex.ExecContext(ctx, `INSERT INTO number_tally (country, status, n)
		SELECT country, status, COUNT(*) FROM numbers WHERE status <> 'available' GROUP BY country, status`)
	return err
}
