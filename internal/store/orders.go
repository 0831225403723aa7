package store

import (
	"context"
	"strconv"
	"strings"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
)

const orderCols = `id, customer_id, status, currency, subtotal, discount, tax, total, refunded, promo_code,
	billing_address_id, payment_id, invoice_id, source, created_at`

// orderReadCols are orderCols and what only changes after the insert.
const orderReadCols = orderCols + `, dispute_status`

func scanOrder(row interface{ Scan(...any) error }) (market.Order, error) {
	var o market.Order
	var created int64
	err := row.Scan(&o.ID, &o.CustomerID, &o.Status, &o.Currency, &o.Totals.Subtotal, &o.Totals.Discount, &o.Totals.Tax,
		&o.Totals.Total, &o.Refunded, &o.PromoCode, &o.BillingAddressID, &o.PaymentID, &o.InvoiceID, &o.Source, &created, &o.DisputeStatus)
	o.CreatedAt = fromTS(created)
	return o, err
}

// InsertOrder stores an order and its lines.
func (q *Q) InsertOrder(ctx context.Context, o market.Order) error {
	if _, err := q.insert(ctx, `INSERT INTO orders (`+orderCols+`) VALUES`, "",
		o.ID, o.CustomerID, o.Status, o.Currency, o.Totals.Subtotal, o.Totals.Discount, o.Totals.Tax, o.Totals.Total,
		o.Refunded, o.PromoCode, o.BillingAddressID, o.PaymentID, o.InvoiceID, o.Source, ts(o.CreatedAt)); err != nil {
		return err
	}
	if len(o.Lines) == 0 {
		return nil
	}
	lines := make([][]any, len(o.Lines))
	for i, l := range o.Lines {
		lines[i] = []any{o.ID, i + 1, string(l.Type), l.Description, l.Quantity, l.UnitAmount, l.Amount, l.Discount, l.TaxRate.String(),
			l.Tax, l.Plan, l.TermMonths, l.SubscriptionID, l.NumberID, l.PhoneNumber}
	}
	_, err := q.insertRows(ctx, `INSERT INTO order_items (order_id, seq, type, description, quantity, unit_amount,
		amount, discount, tax_rate, tax, plan, term_months, subscription_id, number_id, phone_number) VALUES`, "", lines)
	return err
}

// Order returns an order with its lines; customerID "" means any customer
// (operator). Error: not_found.
func (q *Q) Order(ctx context.Context, customerID, id string) (market.Order, error) {
	o, err := scanOrder(q.ex.QueryRowContext(ctx, `SELECT `+orderReadCols+` FROM orders
		WHERE id = $1 AND ($2 = '' OR customer_id = $2)`+q.forUpdate(), id, customerID))
	if err != nil {
		return o, notFound(err, "order")
	}
	o.Lines, err = q.orderLines(ctx, o.ID)
	return o, err
}

func (q *Q) orderLines(ctx context.Context, orderID string) ([]market.Line, error) {
	rows, err := q.ex.QueryContext(ctx, `SELECT type, description, quantity, unit_amount, amount, discount, tax_rate, tax,
		plan, term_months, subscription_id, number_id, phone_number FROM order_items WHERE order_id = $1 ORDER BY seq`, orderID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []market.Line
	for rows.Next() {
		var l market.Line
		var typ, rate string
		if err := rows.Scan(&typ, &l.Description, &l.Quantity, &l.UnitAmount, &l.Amount, &l.Discount, &rate, &l.Tax,
			&l.Plan, &l.TermMonths, &l.SubscriptionID, &l.NumberID, &l.PhoneNumber); err != nil {
			return nil, err
		}
		l.Type = market.ItemType(typ)
		l.TaxRate, _ = money.ParseRate(rate)
		out = append(out, l)
	}
	return out, rows.Err()
}

// Orders lists a customer's orders with their lines, newest first.
func (q *Q) Orders(ctx context.Context, customerID string, p Page) ([]market.Order, error) {
	return q.ordersWithLines(ctx, `SELECT `+orderReadCols+` FROM orders WHERE customer_id = $1 AND ($2 = '' OR id < $2)
		ORDER BY id DESC LIMIT $3`, customerID, p.After, p.limit()+1)
}

// ordersWithLines runs a query of orders (orderReadCols) and reads each
// order's lines.
func (q *Q) ordersWithLines(ctx context.Context, query string, args ...any) ([]market.Order, error) {
	rows, err := q.ex.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	var out []market.Order
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, q.linesOf(ctx, out)
}

// linesOf reads the lines of orders, in one query (a page of an export is
// 500 orders).
func (q *Q) linesOf(ctx context.Context, orders []market.Order) error {
	if len(orders) == 0 {
		return nil
	}
	at := make(map[string]int, len(orders))
	marks := make([]string, len(orders))
	args := make([]any, len(orders))
	for i, o := range orders {
		at[o.ID], marks[i], args[i] = i, "$"+strconv.Itoa(i+1), o.ID
	}
	rows, err := q.ex.QueryContext(ctx, `SELECT order_id, type, description, quantity, unit_amount, amount, discount, tax_rate, tax,
		plan, term_months, subscription_id, number_id, phone_number FROM order_items WHERE order_id IN (`+strings.Join(marks, ", ")+`)
		ORDER BY order_id, seq`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var l market.Line
		var id, typ, rate string
		if err := rows.Scan(&id, &typ, &l.Description, &l.Quantity, &l.UnitAmount, &l.Amount, &l.Discount, &rate, &l.Tax,
			&l.Plan, &l.TermMonths, &l.SubscriptionID, &l.NumberID, &l.PhoneNumber); err != nil {
			return err
		}
		l.Type = market.ItemType(typ)
		l.TaxRate, _ = money.ParseRate(rate)
		i := at[id]
		orders[i].Lines = append(orders[i].Lines, l)
	}
	return rows.Err()
}

// HasPaidOrders reports whether the customer has paid for a purchase
// before: an order that cost more than its balance top-ups. A top-up is a
// deposit, not a purchase, so the first order after topping up is still a
// first purchase (promo codes for a first purchase only).
func (q *Q) HasPaidOrders(ctx context.Context, customerID string) (bool, error) {
	var n int
	err := q.ex.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders o WHERE o.customer_id = $1 AND o.total >
		(SELECT COALESCE(SUM(i.amount), 0) FROM order_items i WHERE i.order_id = o.id AND i.type = 'balance_top_up')`, customerID).Scan(&n)
	return n > 0, err
}

// AddRefunded records a refund against an order. Errors: not_found;
// invalid_request (param amount) if the refunds would pass the order's
// total or go below zero (the schema's CHECK).
func (q *Q) AddRefunded(ctx context.Context, orderID string, amount int64) error {
	res, err := q.ex.ExecContext(ctx, `UPDATE orders SET refunded = refunded + $1,
		status = CASE WHEN refunded + $1 >= total THEN 'refunded' ELSE 'partially_refunded' END WHERE id = $2`, amount, orderID)
	if isCheck(err) {
		return market.Invalid("amount", "amount is more than what is left to refund of order %s", orderID)
	}
	return affected(res, err, "order")
}

// NextInvoiceSeq takes the next number of a year's gapless sequence. The
// sequence row stays locked until the transaction ends, so numbers are
// handed out in commit order without gaps.
func (q *Q) NextInvoiceSeq(ctx context.Context, year int) (int, error) {
	return q.TakeInvoiceSeqs(ctx, year, 1)
}

const invoiceCols = `id, customer_id, order_id, kind, number, year, seq, currency, subtotal, discount, tax, total, document, issued_at`

func scanInvoice(row interface{ Scan(...any) error }) (market.Invoice, error) {
	var v market.Invoice
	var issued int64
	err := row.Scan(&v.ID, &v.CustomerID, &v.OrderID, &v.Kind, &v.Number, &v.Year, &v.Seq, &v.Currency,
		&v.Totals.Subtotal, &v.Totals.Discount, &v.Totals.Tax, &v.Totals.Total, &v.Document, &issued)
	v.IssuedAt = fromTS(issued)
	return v, err
}

// InsertInvoice stores an invoice.
func (q *Q) InsertInvoice(ctx context.Context, v market.Invoice) error {
	_, err := q.ex.ExecContext(ctx, `INSERT INTO invoices (`+invoiceCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		v.ID, v.CustomerID, v.OrderID, v.Kind, v.Number, v.Year, v.Seq, v.Currency,
		v.Totals.Subtotal, v.Totals.Discount, v.Totals.Tax, v.Totals.Total, v.Document, ts(v.IssuedAt))
	return err
}

// Invoice returns an invoice of a customer ("" = any). Error: not_found.
func (q *Q) Invoice(ctx context.Context, customerID, id string) (market.Invoice, error) {
	v, err := scanInvoice(q.ex.QueryRowContext(ctx, `SELECT `+invoiceCols+` FROM invoices
		WHERE id = $1 AND ($2 = '' OR customer_id = $2)`, id, customerID))
	return v, notFound(err, "invoice")
}

// Invoices lists a customer's invoices, newest first.
func (q *Q) Invoices(ctx context.Context, customerID string, p Page) ([]market.Invoice, error) {
	return queryAll(ctx, q, scanInvoice, `SELECT `+invoiceCols+` FROM invoices WHERE customer_id = $1 AND ($2 = '' OR id < $2)
		ORDER BY id DESC LIMIT $3`, customerID, p.After, p.limit()+1)
}

// InvoiceNumbers returns every (year, seq) issued, in order (for checks).
func (q *Q) InvoiceNumbers(ctx context.Context) ([][2]int, error) {
	rows, err := q.ex.QueryContext(ctx, `SELECT year, seq FROM invoices ORDER BY year, seq`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][2]int
	for rows.Next() {
		var y, s int
		if err := rows.Scan(&y, &s); err != nil {
			return nil, err
		}
		out = append(out, [2]int{y, s})
	}
	return out, rows.Err()
}
