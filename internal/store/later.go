package store

import (
	"context"
	"database/sql"
)

// Writes sent with the COMMIT (issue 14). A REGISTER that changes an
// account's state writes its bindings, a notification and perhaps a
// webhook event, and reads nothing that those writes change: sent one by
// one they were four more round trips with the account's row locked, on
// the registrar's hot path. In a transaction whose writes are kept for
// later (RegisterSIP on PostgreSQL), the writes that need no answer
// (execLater, and every insert of insertRows) are kept in the order they
// were made and sent in the COMMIT's round trip; any other statement sends
// them first, so that it sees the transaction as if each had run at once.
// A kept insert reports its rows inserted, as a write batch's do
// (batch.go): callers in such a transaction must not need to know that an
// ON CONFLICT DO NOTHING did nothing.

// laterWrites are a transaction's kept writes.
type laterWrites struct {
	inner execer // the transaction's own execer (q.ex is laterEx)
	stmts []statement
	err   error // the first failure of a kept write, sent before a read
}

// laterEx is q.ex in a transaction with kept writes: every statement
// that reaches it sends what is kept first.
type laterEx struct{ q *Q }

func (e laterEx) flush(ctx context.Context) error {
	l := e.q.later
	if l.err != nil {
		return l.err
	}
	stmts := l.stmts
	l.stmts = nil
	for _, s := range stmts {
		if _, err := l.inner.ExecContext(ctx, s.sql, s.args...); err != nil {
			l.err = err
			return err
		}
	}
	return nil
}

func (e laterEx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := e.flush(ctx); err != nil {
		return nil, err
	}
	return e.q.later.inner.ExecContext(ctx, query, args...)
}

func (e laterEx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := e.flush(ctx); err != nil {
		return nil, err
	}
	return e.q.later.inner.QueryContext(ctx, query, args...)
}

func (e laterEx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	// A kept write that failed is remembered (takeLater returns it); the
	// row's statement then fails too, the transaction being aborted.
	_ = e.flush(ctx)
	return e.q.later.inner.QueryRowContext(ctx, query, args...)
}

// keepLater makes q's transaction keep its writes for the COMMIT (see the
// file's comment); takeLater returns them.
func (q *Q) keepLater() {
	q.later = &laterWrites{inner: q.ex}
	q.ex = laterEx{q}
}

// takeLater returns the kept writes, or the failure of one sent before a
// read, and keeps no more.
func (q *Q) takeLater() ([]statement, error) {
	l := q.later
	if l == nil {
		return nil, nil
	}
	q.ex, q.later = l.inner, nil
	return l.stmts, l.err
}

// execLater runs a write whose answer its caller does not need, or keeps
// it for the COMMIT.
func (q *Q) execLater(ctx context.Context, query string, args ...any) error {
	if q.later != nil {
		q.later.stmts = append(q.later.stmts, statement{query, args})
		return nil
	}
	_, err := q.ex.ExecContext(ctx, query, args...)
	return err
}
