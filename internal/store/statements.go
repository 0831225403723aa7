package store

import (
	"context"
	"database/sql"
	"sync/atomic"
)

// Statements returns how many statements the store has sent to its
// database since it was opened, for benchmarks: statements per renewal or
// per order do not depend on how loaded the machine is.
func (s *Store) Statements() int64 { return s.stmts.Load() }

// counted counts the statements an execer runs into n.
type counted struct {
	execer
	n *atomic.Int64
}

func (c counted) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	c.n.Add(1)
	return c.execer.ExecContext(ctx, query, args...)
}

func (c counted) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	c.n.Add(1)
	return c.execer.QueryContext(ctx, query, args...)
}

func (c counted) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	c.n.Add(1)
	return c.execer.QueryRowContext(ctx, query, args...)
}
