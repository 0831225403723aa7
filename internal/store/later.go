package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Writes sent together (issues 14 and 18). A REGISTER that changes an
// account's state writes its bindings, a notification and perhaps a
// webhook event, and reads nothing that those writes change; an order
// writes a dozen rows (the subscription, its period, the payment, the
// ledger's transaction, accounts and postings, the order, its lines, the
// invoice's place in the queue) and reads little between them. Sent one
// by one they were a round trip each, with the customer's or the account's
// row locked. In a transaction whose writes are kept for later
// (RegisterSIP and TxPipelined on PostgreSQL), the writes that need no
// answer (execLater, and every insert of insertRows) are kept in the order
// they were made; any other statement sends them first, in one pipelined
// round trip, so that it sees the transaction as if each had run at once;
// what is kept at the end goes in the COMMIT's round trip.
//
// A kept insert reports its rows inserted, as a write batch's do
// (batch.go). Where a caller needs the true count (InsertNotification's
// ON CONFLICT DO NOTHING) a transaction that keeps counts runs it at once.
// A kept write's failure is reported where the batch is sent, through the
// statement's own mapping (InsertPeriod's conflict, a balance's
// insufficient_funds).

// laterWrites are a transaction's kept writes.
type laterWrites struct {
	inner execer    // the transaction's own execer (q.ex is laterEx)
	conn  *sql.Conn // the connection, for pipelined sends (nil: one by one)
	s     *Store    // counts what it sends
	stmts []statement
	err   error // the first failure of a kept write, sent before a read
	// counts: inserts whose callers need the rows inserted run at once.
	counts bool
}

// statement is a kept write; mapErr, if set, turns its failure into the
// caller's error.
type statement struct {
	sql    string
	args   []any
	mapErr func(error) error
}

func (st statement) fail(err error) error {
	if st.mapErr != nil {
		if m := st.mapErr(err); m != nil {
			return m
		}
	}
	return err
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
	if len(stmts) == 0 {
		return nil
	}
	if l.conn != nil {
		l.err = sendKept(ctx, l.s, l.conn, stmts, false)
		return l.err
	}
	for _, s := range stmts {
		if _, err := l.inner.ExecContext(ctx, s.sql, s.args...); err != nil {
			l.err = s.fail(err)
			return l.err
		}
	}
	return nil
}

// touched forgets what q read ahead of a statement that may change it.
func (q *Q) touched(query string) {
	if len(q.balSets) > 0 && strings.Contains(query, "balance_settings") {
		clear(q.balSets)
	}
}

func (e laterEx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	e.q.touched(query)
	if err := e.flush(ctx); err != nil {
		return nil, err
	}
	return e.q.later.inner.ExecContext(ctx, query, args...)
}

func (e laterEx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	e.q.touched(query)
	if err := e.flush(ctx); err != nil {
		return nil, err
	}
	return e.q.later.inner.QueryContext(ctx, query, args...)
}

func (e laterEx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	// A kept write that failed is remembered (takeLater returns it); the
	// row's statement then fails too, the transaction being aborted.
	e.q.touched(query)
	_ = e.flush(ctx)
	return e.q.later.inner.QueryRowContext(ctx, query, args...)
}

// keepLater makes q's transaction keep its writes (see the file's
// comment); takeLater returns them. With conn, the kept writes sent before
// a read go in one pipelined round trip.
func (q *Q) keepLater(s *Store, conn *sql.Conn, counts bool) {
	q.later = &laterWrites{inner: q.ex, conn: conn, s: s, counts: counts}
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
// it.
func (q *Q) execLater(ctx context.Context, query string, args ...any) error {
	return q.execLaterMapped(ctx, nil, query, args...)
}

// execLaterMapped is execLater with mapErr turning the write's failure
// into the caller's error, whenever it is sent.
func (q *Q) execLaterMapped(ctx context.Context, mapErr func(error) error, query string, args ...any) error {
	if q.later != nil {
		q.touched(query)
		q.later.stmts = append(q.later.stmts, statement{query, args, mapErr})
		return nil
	}
	_, err := q.ex.ExecContext(ctx, query, args...)
	if err != nil && mapErr != nil {
		return statement{mapErr: mapErr}.fail(err)
	}
	return err
}

// keepsCounts reports whether q keeps its inserts although their callers
// need the rows inserted (they must run at once instead).
func (q *Q) keepsCounts() bool { return q.later != nil && q.later.counts }

// sendKept sends stmts on conn's transaction as one pipelined batch, with
// COMMIT last when commit is set, and returns the first failure (through
// its statement's mapping). A COMMIT that answers ROLLBACK is
// errCommitRolledBack.
func sendKept(ctx context.Context, s *Store, conn *sql.Conn, stmts []statement, commit bool) error {
	return conn.Raw(func(dc any) error {
		c := dc.(*stdlib.Conn).Conn()
		var b pgx.Batch
		for _, st := range stmts {
			if s != nil {
				counted{nil, s}.note(st.sql)
			}
			b.Queue(st.sql, st.args...)
		}
		if commit {
			b.Queue("COMMIT")
		}
		br := c.SendBatch(ctx, &b)
		for _, st := range stmts {
			if _, err := br.Exec(); err != nil {
				_ = br.Close()
				return st.fail(err)
			}
		}
		if commit {
			tag, err := br.Exec()
			if err == nil && tag.String() != "COMMIT" {
				err = errCommitRolledBack
			}
			if err != nil {
				_ = br.Close()
				return fmt.Errorf("store: commit: %w", err)
			}
		}
		return br.Close()
	})
}
