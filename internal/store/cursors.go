package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/dialtone/dialtone/internal/market"
)

// HasNotification reports whether the customer has the notification id:
// whether it can be a cursor of the customer's list (one indexed read).
func (q *Q) HasNotification(ctx context.Context, customerID, id string) (bool, error) {
	var n int
	err := q.ex.QueryRowContext(ctx, `SELECT COUNT(*) FROM notifications WHERE id = $1 AND customer_id = $2`, id, customerID).Scan(&n)
	return n > 0, err
}

// HasBalanceEntry reports whether the ledger transaction id moved the
// customer's balance: whether it can be a cursor of BalanceEntries (one
// read of the postings' primary key).
func (q *Q) HasBalanceEntry(ctx context.Context, customerID, transactionID string) (bool, error) {
	var n int
	err := q.ex.QueryRowContext(ctx, `SELECT COUNT(*) FROM ledger_postings WHERE transaction_id = $1 AND account_id = $2`,
		transactionID, market.BalanceAccount(customerID)).Scan(&n)
	return n > 0, err
}

// PaymentsByID returns the payments among ids, by ID (ones not found are
// absent): the payment of each order of a page, in one query.
func (q *Q) PaymentsByID(ctx context.Context, ids []string) (map[string]market.Payment, error) {
	out := map[string]market.Payment{}
	if len(ids) == 0 {
		return out, nil
	}
	marks := make([]string, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		marks[i] = fmt.Sprintf("$%d", i+1)
		args[i] = id
	}
	rows, err := q.ex.QueryContext(ctx, `SELECT `+paymentCols+` FROM payments WHERE id IN (`+strings.Join(marks, ", ")+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		p, err := scanPayment(rows)
		if err != nil {
			return nil, err
		}
		out[p.ID] = p
	}
	return out, rows.Err()
}
