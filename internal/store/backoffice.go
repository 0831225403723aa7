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
func (q *Q) SearchCustomers(ctx context.Context, term string, p Page) ([]market.Customer, error) {
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
	c.below("c.id", p.After)
	return queryAll(ctx, q, scanCustomer, `SELECT `+customerCols+` FROM customers c`+c.where()+` ORDER BY c.id DESC LIMIT `+c.next(),
		c.with(p.limit()+1)...)
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
func (q *Q) AllOrders(ctx context.Context, f OrderFilter) ([]market.Order, error) {
	var c conds
	c.eq("o.customer_id", f.CustomerID)
	c.eq("o.status", f.Status)
	if f.Purpose != "" {
		c.add("EXISTS (SELECT 1 FROM payments p WHERE p.id = o.payment_id AND p.purpose = ?)", f.Purpose)
	}
	c.span("o.created_at", f.From, f.To)
	c.below("o.id", f.After)
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

// eq adds "col = v" when v is given.
func (c *conds) eq(col, v string) {
	if v != "" {
		c.add(col+" = ?", v)
	}
}

// below adds the cursor of a list newest first, "col < after", when
// after is given.
func (c *conds) below(col, after string) {
	if after != "" {
		c.add(col+" < ?", after)
	}
}

// span adds the bounds of the stored time col: from inclusive, to
// exclusive, each when not zero.
func (c *conds) span(col string, from, to time.Time) {
	if !from.IsZero() {
		c.add(col+" >= ?", ts(from))
	}
	if !to.IsZero() {
		c.add(col+" < ?", ts(to))
	}
}

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
	c.eq("customer_id", f.CustomerID)
	c.eq("plan", f.Plan)
	c.span("expires_at", time.Time{}, f.ExpiresBefore)
	c.below("id", f.After)
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
func (q *Q) OrderInvoices(ctx context.Context, orderID string) ([]market.Invoice, error) {
	return queryAll(ctx, q, scanInvoice, `SELECT `+strings.Replace(invoiceCols, "document", "''", 1)+` FROM invoices
		WHERE order_id = $1 AND order_id <> '' ORDER BY id DESC`, orderID)
}

// RefundsOf lists the refunds of a payment, newest first.
func (q *Q) RefundsOf(ctx context.Context, paymentID string) ([]market.Payment, error) {
	return queryAll(ctx, q, scanPayment, `SELECT `+paymentCols+` FROM payments WHERE refund_of = $1 AND refund_of <> ''
		AND purpose = 'refund' ORDER BY id DESC`, paymentID)
}
