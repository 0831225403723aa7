package store

import (
	"context"
	"database/sql"
)

// counted counts (and, with a hook, reports) every statement a Q sends:
// the figures of docs/BENCHMARKS.md ("statements per order") come from it,
// as they do not depend on the machine's load.
type counted struct {
	ex execer
	s  *Store
}

func (c counted) note(query string) {
	c.s.stmts.Add(1)
	if h := c.s.hook.Load(); h != nil {
		(*h)(query)
	}
}

func (c counted) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	c.note(query)
	return c.ex.ExecContext(ctx, query, args...)
}

func (c counted) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	c.note(query)
	return c.ex.QueryContext(ctx, query, args...)
}

func (c counted) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	c.note(query)
	return c.ex.QueryRowContext(ctx, query, args...)
}

// Statements returns how many statements this store's Qs have sent so far
// (BEGIN, COMMIT and savepoints not included).
func (s *Store) Statements() int64 { return s.stmts.Load() }

// Retries returns how many times this store's Tx has run a transaction
// again after a PostgreSQL deadlock or serialization failure (each retry
// is an attempt thrown away: the batched renewals' tests want none).
func (s *Store) Retries() int64 { return s.retries.Load() }

// OnStatement calls fn with the SQL of every statement sent from now on
// (nil: no longer). For measurements and tests; fn must be quick and safe
// for concurrent use.
func (s *Store) OnStatement(fn func(query string)) {
	if fn == nil {
		s.hook.Store(nil)
		return
	}
	s.hook.Store(&fn)
}
