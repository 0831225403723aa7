package store

import (
	"context"

	"github.com/dialtone/dialtone/internal/market"
)

// The invoice sequencer's statements (billing/sequencer.go; migration
// 00030). On PostgreSQL an invoice is committed to invoice_queue without a
// number, and one sequencer at a time numbers what is queued in one short
// transaction: so the year's invoice_sequences row is locked by that
// transaction only, never through an order's commit. invoices holds only
// numbered invoices.

// invoicingLock is the advisory lock key of the sequencer ("invoices").
const invoicingLock = 0x696e766f69636573

// QueueInvoice stores an invoice without its number (Number, Year and Seq
// are ignored), for the sequencer to number after the commit.
func (q *Q) QueueInvoice(ctx context.Context, v market.Invoice) error {
	_, err := q.insert(ctx, `INSERT INTO invoice_queue (id, customer_id, order_id, kind, currency,
		subtotal, discount, tax, total, document, issued_at) VALUES`, "",
		v.ID, v.CustomerID, v.OrderID, v.Kind, v.Currency, v.Totals.Subtotal, v.Totals.Discount, v.Totals.Tax,
		v.Totals.Total, v.Document, ts(v.IssuedAt))
	return err
}

// LockInvoicing makes the transaction the database's one sequencer until
// it ends, waiting for another's to end first (PostgreSQL: an advisory
// transaction lock; SQLite's one writer is alone already).
func (q *Q) LockInvoicing(ctx context.Context) error {
	if q.dialect != Postgres {
		return nil
	}
	_, err := q.ex.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(invoicingLock))
	return err
}

// QueuedInvoices returns at most limit queued invoices, oldest first (by
// issued_at, then ID), with Number "", Seq 0 and Year that of issued_at.
func (q *Q) QueuedInvoices(ctx context.Context, limit int) ([]market.Invoice, error) {
	rows, err := q.ex.QueryContext(ctx, `SELECT id, customer_id, order_id, kind, '', 0, 0, currency, subtotal,
		discount, tax, total, document, issued_at FROM invoice_queue ORDER BY issued_at, id LIMIT $1`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []market.Invoice
	for rows.Next() {
		v, err := scanInvoice(rows)
		if err != nil {
			return nil, err
		}
		v.Year = v.IssuedAt.Year()
		out = append(out, v)
	}
	return out, rows.Err()
}

// TakeInvoiceSeqs takes the next n numbers of a year's gapless sequence
// and returns the first; the row stays locked until the transaction ends.
func (q *Q) TakeInvoiceSeqs(ctx context.Context, year, n int) (int, error) {
	var last int
	err := q.ex.QueryRowContext(ctx, `INSERT INTO invoice_sequences (year, last) VALUES ($1, $2)
		ON CONFLICT (year) DO UPDATE SET last = invoice_sequences.last + excluded.last RETURNING last`, year, n).Scan(&last)
	return last - n + 1, err
}

// InsertInvoices stores numbered invoices (one statement) and removes them
// from the queue (another).
func (q *Q) InsertInvoices(ctx context.Context, vs []market.Invoice) error {
	if len(vs) == 0 {
		return nil
	}
	rows := make([][]any, len(vs))
	ids := make([]any, len(vs))
	for i, v := range vs {
		rows[i] = []any{v.ID, v.CustomerID, v.OrderID, v.Kind, v.Number, v.Year, v.Seq, v.Currency,
			v.Totals.Subtotal, v.Totals.Discount, v.Totals.Tax, v.Totals.Total, v.Document, ts(v.IssuedAt)}
		ids[i] = v.ID
	}
	if _, err := q.insertRows(ctx, `INSERT INTO invoices (`+invoiceCols+`) VALUES`, "", rows); err != nil {
		return err
	}
	_, err := q.ex.ExecContext(ctx, `DELETE FROM invoice_queue WHERE id IN `+marks(q.dialect, 0, len(ids)), ids...)
	return err
}

// NumbersInline reports whether invoices are numbered in the transaction
// that issues them: on SQLite, whose one writer numbers in commit order
// already; on PostgreSQL they are queued (QueueInvoice) for the sequencer.
func (q *Q) NumbersInline() bool { return q.dialect != Postgres }

// AfterCommitOnce is AfterCommit for the first fn given key in the
// transaction: the rest are dropped (one numbering pass for a batch's
// invoices, not one each).
func (q *Q) AfterCommitOnce(key string, fn func()) {
	if q.after != nil {
		if q.once[key] {
			return
		}
		if q.once == nil {
			q.once = map[string]bool{}
		}
		q.once[key] = true
	}
	q.AfterCommit(fn)
}

// AfterCommit runs fn once the transaction of q has committed, on the
// goroutine of Tx before it returns (not at all if it rolls back). Outside
// a transaction fn runs at once.
func (q *Q) AfterCommit(fn func()) {
	if q.after == nil {
		fn()
		return
	}
	*q.after = append(*q.after, fn)
}
