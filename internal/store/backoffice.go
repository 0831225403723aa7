package store

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/dialtone/dialtone/internal/market"
)

// The operator's lists across customers (the back office and the admin
// API): keyset-paginated by ID, newest first, one more row than the page's
// limit so that the caller knows whether there are more.

// SearchCustomers lists the customers that match term: exactly by ID, or
// as part of the company name, of the account's or one of its logins'
// e-mail addresses (any case), or — a term of at least three digits with
// only + - . ( ) and spaces besides — of one of its phone numbers (its
// digits). An empty term lists every customer.
func (q *Q) SearchCustomers(ctx context.Context, term string, p Page) ([]Customer, error) {
	term = strings.TrimSpace(term)
	like := "%" + escapeLike(strings.ToLower(term)) + "%"
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, term)
	// A term of digits (and + - . ( ) and spaces) is also looked for in the
	// numbers the customers hold; one with letters is no phone number.
	numLike := ""
	phoneLike := strings.Trim(term, "0123456789+-.() ") == ""
	if len(digits) >= 3 && phoneLike {
		numLike = "%" + digits + "%"
	}
	// Each kind of match is a set read once (a scan of the customers, of
	// the logins, of the held numbers' covering index), not a probe per
	// customer: a term that matches few customers reads each table once.
	var c conds
	if term != "" {
		match := `c.id = ? OR lower(c.company) LIKE ? ESCAPE '\' OR lower(c.email) LIKE ? ESCAPE '\'
			OR c.id IN (SELECT u.customer_id FROM users u WHERE lower(u.email) LIKE ? ESCAPE '\')`
		if q.dialect == SQLite {
			// SQLite's LIKE ignores the case of ASCII letters, and its
			// lower() changes no other: the same match, without a function
			// call per row.
			match = strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(match, "lower(c.company)", "c.company"),
				"lower(c.email)", "c.email"), "lower(u.email)", "u.email")
		}
		args := []any{term, like, like, like}
		if numLike != "" {
			match += ` OR c.id IN (SELECT n.customer_id FROM numbers n WHERE n.customer_id IS NOT NULL AND n.number LIKE ?)`
			args = append(args, numLike)
		}
		c.add("("+match+")", args...)
	}
	if p.After != "" {
		c.add("c.id < ?", p.After)
	}
	rows, err := q.ex.QueryContext(ctx, `SELECT `+customerCols+` FROM customers c`+c.where()+` ORDER BY c.id DESC LIMIT `+c.next(),
		c.with(p.limit()+1)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Customer
	for rows.Next() {
		c, err := scanCustomer(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// escapeLike escapes LIKE's wildcards in s (the escape character is \).
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// OrderFilter selects orders across customers; each field given narrows
// the list.
type OrderFilter struct {
	Page
	CustomerID string
	Status     string
	// Purpose is the purpose of the order's payment (market.Purpose).
	Purpose  string
	From, To time.Time // created_at, From inclusive, To exclusive; zero: open
}

// AllOrders lists the orders that match f, newest first, with their lines.
// Only the filters given are in the query, so that the planner reads the
// index of the one that narrows most (customer, status, date).
func (q *Q) AllOrders(ctx context.Context, f OrderFilter) ([]Order, error) {
	var c conds
	if f.CustomerID != "" {
		c.add("o.customer_id = ?", f.CustomerID)
	}
	if f.Status != "" {
		c.add("o.status = ?", f.Status)
	}
	if f.Purpose != "" {
		c.add("EXISTS (SELECT 1 FROM payments p WHERE p.id = o.payment_id AND p.purpose = ?)", f.Purpose)
	}
	if !f.From.IsZero() {
		c.add("o.created_at >= ?", ts(f.From))
	}
	if !f.To.IsZero() {
		c.add("o.created_at < ?", ts(f.To))
	}
	if f.After != "" {
		c.add("o.id < ?", f.After)
	}
	return q.ordersWithLines(ctx, `SELECT `+prefixed("o.", orderReadCols)+` FROM orders o`+c.where()+
		` ORDER BY o.id DESC LIMIT `+c.next(), c.with(f.limit()+1)...)
}

// conds is a WHERE clause built of the conditions given, each with its
// arguments ("?" in a condition is its next argument's $n).
type conds struct {
	sql  []string
	args []any
}

func (c *conds) add(cond string, args ...any) {
	for _, a := range args {
		c.args = append(c.args, a)
		cond = strings.Replace(cond, "?", "$"+strconv.Itoa(len(c.args)), 1)
	}
	c.sql = append(c.sql, cond)
}

// where is " WHERE a AND b …", or "" for no condition.
func (c *conds) where() string {
	if len(c.sql) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(c.sql, " AND ")
}

// next is the placeholder of the argument after the conditions' (with's).
func (c *conds) next() string { return "$" + strconv.Itoa(len(c.args)+1) }

// with returns the conditions' arguments and then more.
func (c *conds) with(more ...any) []any { return append(c.args, more...) }

// SubscriptionFilter selects subscriptions across customers.
type SubscriptionFilter struct {
	Page
	CustomerID string
	Plan       string
	// Status is the status at Now (market.Subscription.StatusAt):
	// trialing, active, past_due, canceled or expired.
	Status        string
	Now           time.Time
	ExpiresBefore time.Time // zero: any
}

// AllSubscriptions lists the subscriptions that match f, newest first.
// Error: invalid_request (status) for a status that is none.
func (q *Q) AllSubscriptions(ctx context.Context, f SubscriptionFilter) ([]market.Subscription, error) {
	var c conds
	now := ts(f.Now)
	switch market.Status(f.Status) {
	case "":
	case market.StatusCanceled:
		c.add(`status = 'canceled'`)
	case market.StatusTrialing:
		c.add(`status <> 'canceled' AND expires_at > ? AND trial_ends_at > ?`, now, now)
	case market.StatusActive:
		c.add(`status <> 'canceled' AND expires_at > ? AND (trial_ends_at IS NULL OR trial_ends_at <= ?)`, now, now)
	case market.StatusPastDue:
		c.add(`status = 'past_due' AND expires_at <= ?`, now)
	case market.StatusExpired:
		c.add(`status NOT IN ('canceled', 'past_due') AND expires_at <= ?`, now)
	default:
		return nil, market.Invalid("status", "status must be trialing, active, past_due, canceled or expired")
	}
	if f.CustomerID != "" {
		c.add("customer_id = ?", f.CustomerID)
	}
	if f.Plan != "" {
		c.add("plan = ?", f.Plan)
	}
	if !f.ExpiresBefore.IsZero() {
		c.add("expires_at < ?", ts(f.ExpiresBefore))
	}
	if f.After != "" {
		c.add("id < ?", f.After)
	}
	return q.subs(ctx, `SELECT `+subCols+` FROM subscriptions`+c.where()+` ORDER BY id DESC LIMIT `+c.next(), c.with(f.limit()+1)...)
}

// prefixed puts prefix before each column of a column list.
func prefixed(prefix, cols string) string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		parts[i] = prefix + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// OrderInvoices lists the invoice and credit notes of an order (without
// their documents), newest first.
func (q *Q) OrderInvoices(ctx context.Context, orderID string) ([]Invoice, error) {
	rows, err := q.ex.QueryContext(ctx, `SELECT `+strings.Replace(invoiceCols, "document", "''", 1)+` FROM invoices
		WHERE order_id = $1 AND order_id <> '' ORDER BY id DESC`, orderID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Invoice
	for rows.Next() {
		v, err := scanInvoice(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// RefundsOf lists the refunds of a payment, newest first.
func (q *Q) RefundsOf(ctx context.Context, paymentID string) ([]Payment, error) {
	rows, err := q.ex.QueryContext(ctx, `SELECT `+paymentCols+` FROM payments WHERE refund_of = $1 AND refund_of <> ''
		AND purpose = 'refund' ORDER BY id DESC`, paymentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Payment
	for rows.Next() {
		p, err := scanPayment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
