package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/dialtone/dialtone/internal/market"
)

// Post appends a ledger transaction. Its postings must sum to zero. A posting
// to the customer's balance account moves the cached balance in the same
// statement, records balance_after, and fails with insufficient_funds if the
// balance would go below zero (the schema refuses it too). The caller holds
// the customer's lock (LockCustomer).
func (q *Q) Post(ctx context.Context, t market.LedgerTx) error {
	var sum int64
	for _, p := range t.Postings {
		sum += p.Amount
	}
	if sum != 0 || len(t.Postings) < 2 {
		return fmt.Errorf("store: unbalanced ledger transaction %s: sum %d", t.ID, sum)
	}
	if _, err := q.insert(ctx, `INSERT INTO ledger_transactions (id, customer_id, kind, description, payment_id, order_id, created_at)
		VALUES`, "", t.ID, nullStr(t.CustomerID), t.Kind, t.Description, t.PaymentID, t.OrderID, ts(t.CreatedAt)); err != nil {
		return err
	}
	// The accounts (once each), then the balance, then the postings: three
	// statements for any number of postings, and the balance's own (in a
	// batch, kept for the batch's statements: batch.go).
	var accs [][]any
	seen := map[string]bool{}
	for _, p := range t.Postings {
		if seen[p.Account] {
			continue
		}
		seen[p.Account] = true
		cust, kind := accountOwner(p.Account, t.CustomerID)
		accs = append(accs, []any{p.Account, nullStr(cust), kind, t.Currency})
	}
	if _, err := q.insertRows(ctx, `INSERT INTO ledger_accounts (id, customer_id, kind, currency) VALUES`,
		`ON CONFLICT (id) DO NOTHING`, accs); err != nil {
		return err
	}
	after := make([]any, len(t.Postings))
	for i, p := range t.Postings {
		if strings.HasPrefix(p.Account, revenuePrefix) {
			if err := q.addRevenue(ctx, t, p); err != nil { // the dashboard's revenue_rollup (reports.go)
				return err
			}
		}
		cust, _ := accountOwner(p.Account, t.CustomerID)
		if cust == "" {
			continue
		}
		bal, batched, err := q.moveBalance(cust, p.Amount)
		if !batched {
			bal, batched, err = q.moveLockedBalance(ctx, cust, p.Amount)
		}
		if !batched {
			err = q.ex.QueryRowContext(ctx, `UPDATE customers SET balance = balance + $1 WHERE id = $2 RETURNING balance`,
				p.Amount, cust).Scan(&bal)
		}
		if isCheck(err) {
			return shortOfFunds()
		}
		if err != nil {
			return err
		}
		after[i] = bal
		if err := q.balanceMoved(ctx, cust, bal-p.Amount, bal, t.CreatedAt); err != nil {
			return err
		}
	}
	posts := make([][]any, len(t.Postings))
	for i, p := range t.Postings {
		posts[i] = []any{t.ID, i + 1, p.Account, p.Amount, t.Currency, after[i], ts(t.CreatedAt)}
	}
	_, err := q.insertRows(ctx, `INSERT INTO ledger_postings (transaction_id, seq, account_id, amount, currency, balance_after, created_at)
		VALUES`, "", posts)
	return err
}

// PaymentPostings returns the postings of the ledger transactions of a
// payment, in their order.
func (q *Q) PaymentPostings(ctx context.Context, paymentID string) ([]market.Posting, error) {
	rows, err := q.ex.QueryContext(ctx, `SELECT p.account_id, p.amount FROM ledger_postings p
		JOIN ledger_transactions t ON t.id = p.transaction_id WHERE t.payment_id = $1 ORDER BY t.created_at, t.id, p.seq`, paymentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []market.Posting
	for rows.Next() {
		var p market.Posting
		if err := rows.Scan(&p.Account, &p.Amount); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// shortOfFunds is the error of a debit the balance does not cover (the
// schema's CHECK, and the batches' and pipelined transactions' own check
// before it).
func shortOfFunds() error {
	return &market.Error{Code: market.CodeInsufficientFunds, Message: "the balance does not cover this"}
}

func accountOwner(account, customerID string) (cust, kind string) {
	if customerID != "" && account == market.BalanceAccount(customerID) {
		return customerID, "customer_balance"
	}
	return "", "system"
}

// AccountSum returns the sum of all postings to an account.
func (q *Q) AccountSum(ctx context.Context, account string) (int64, error) {
	var s int64
	err := q.ex.QueryRowContext(ctx, `SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM ledger_postings WHERE account_id = $1`, account).Scan(&s)
	return s, err
}

// LedgerImbalance returns the sum of every posting ever made (zero in a
// healthy ledger) and the number of transactions whose postings do not sum
// to zero.
func (q *Q) LedgerImbalance(ctx context.Context) (total int64, unbalanced int, err error) {
	if err = q.ex.QueryRowContext(ctx, `SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM ledger_postings`).Scan(&total); err != nil {
		return
	}
	err = q.ex.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT transaction_id FROM ledger_postings
		GROUP BY transaction_id HAVING SUM(amount) <> 0) t`).Scan(&unbalanced)
	return
}

// BalanceEntries lists the movements of a customer's balance, newest first,
// with the balance after each. After is a cursor "transaction_id".
func (q *Q) BalanceEntries(ctx context.Context, customerID string, p Page) ([]market.Entry, error) {
	rows, err := q.ex.QueryContext(ctx, `SELECT p.transaction_id, p.seq, t.kind, t.description, t.payment_id, t.order_id,
		p.amount, COALESCE(p.balance_after, 0), p.currency, p.created_at
		FROM ledger_postings p JOIN ledger_transactions t ON t.id = p.transaction_id
		WHERE p.account_id = $1 AND ($2 = '' OR p.transaction_id < $2)
		ORDER BY p.transaction_id DESC, p.seq DESC LIMIT $3`, market.BalanceAccount(customerID), p.After, p.limit()+1)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []market.Entry
	for rows.Next() {
		var e market.Entry
		var created int64
		if err := rows.Scan(&e.TransactionID, &e.Seq, &e.Kind, &e.Description, &e.PaymentID, &e.OrderID,
			&e.Amount, &e.BalanceAfter, &e.Currency, &created); err != nil {
			return nil, err
		}
		e.CreatedAt = fromTS(created)
		out = append(out, e)
	}
	return out, rows.Err()
}

const paymentCols = `id, customer_id, order_id, invoice_id, purpose, description, method, amount, currency,
	card_brand, card_last4, payment_method_id, gateway_ref, refund_of, created_at`

func scanPayment(row interface{ Scan(...any) error }) (market.Payment, error) {
	var p market.Payment
	var created int64
	var purpose string
	err := row.Scan(&p.ID, &p.CustomerID, &p.OrderID, &p.InvoiceID, &purpose, &p.Description, &p.Method, &p.Amount,
		&p.Currency, &p.CardBrand, &p.CardLast4, &p.PaymentMethodID, &p.GatewayRef, &p.RefundOf, &created)
	p.Purpose, p.CreatedAt = market.Purpose(purpose), fromTS(created)
	return p, err
}

// InsertPayment stores a payment.
func (q *Q) InsertPayment(ctx context.Context, p market.Payment) error {
	_, err := q.insert(ctx, `INSERT INTO payments (`+paymentCols+`) VALUES`, "",
		p.ID, p.CustomerID, p.OrderID, p.InvoiceID, string(p.Purpose), p.Description, p.Method, p.Amount, p.Currency,
		p.CardBrand, p.CardLast4, p.PaymentMethodID, p.GatewayRef, p.RefundOf, ts(p.CreatedAt))
	return err
}

// PaymentFilter narrows the Billing tab.
type PaymentFilter struct {
	Purpose string
	From    *time.Time
	To      *time.Time
	Page
}

// Payments lists a customer's payments, newest first.
func (q *Q) Payments(ctx context.Context, customerID string, f PaymentFilter) ([]market.Payment, error) {
	from, to := int64(-1<<62), int64(1<<62)
	if f.From != nil {
		from = ts(*f.From)
	}
	if f.To != nil {
		to = ts(*f.To)
	}
	return queryAll(ctx, q, scanPayment, `SELECT `+paymentCols+` FROM payments
		WHERE customer_id = $1 AND ($2 = '' OR purpose = $2) AND created_at >= $3 AND created_at < $4
		AND ($5 = '' OR id < $5) ORDER BY id DESC LIMIT $6`, customerID, f.Purpose, from, to, f.After, f.limit()+1)
}

// PaymentByID returns one payment. Error: not_found.
func (q *Q) PaymentByID(ctx context.Context, id string) (market.Payment, error) {
	p, err := scanPayment(q.ex.QueryRowContext(ctx, `SELECT `+paymentCols+` FROM payments WHERE id = $1`, id))
	return p, notFound(err, "payment")
}

// SetPaymentInvoice links a payment to its invoice. Error: not_found.
func (q *Q) SetPaymentInvoice(ctx context.Context, paymentID, invoiceID string) error {
	res, err := q.ex.ExecContext(ctx, `UPDATE payments SET invoice_id = $1 WHERE id = $2`, invoiceID, paymentID)
	return affected(res, err, "payment")
}
