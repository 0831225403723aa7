package store

import (
	"context"
	"math"
	"strings"
	"time"

	"github.com/dialtone/dialtone/internal/market"
)

// The operator's lists across customers (the back office and the admin
// API): keyset-paginated by ID, newest first, one more row than the page's
// limit so that the caller knows whether there are more.

// SearchCustomers lists the customers that match term: exactly by ID, or
// as part of the company name, of the account's or one of its logins'
// e-mail addresses (any case), or of one of its phone numbers (digits, a
// leading + optional). An empty term lists every customer.
func (q *Q) SearchCustomers(ctx context.Context, term string, p Page) ([]Customer, error) {
	term = strings.TrimSpace(term)
	like := "%" + escapeLike(strings.ToLower(term)) + "%"
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, term)
	numLike := ""
	if len(digits) >= 3 {
		numLike = "%" + digits + "%"
	}
	rows, err := q.ex.QueryContext(ctx, `SELECT `+customerCols+` FROM customers c
		WHERE ($1 = '' OR c.id = $1 OR lower(c.company) LIKE $2 ESCAPE '\' OR lower(c.email) LIKE $2 ESCAPE '\'
			OR EXISTS (SELECT 1 FROM users u WHERE u.customer_id = c.id AND lower(u.email) LIKE $2 ESCAPE '\')
			OR ($3 <> '' AND EXISTS (SELECT 1 FROM numbers n WHERE n.customer_id = c.id AND n.number LIKE $3)))
		AND ($4 = '' OR c.id < $4) ORDER BY c.id DESC LIMIT $5`, term, like, numLike, p.After, p.limit()+1)
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
func (q *Q) AllOrders(ctx context.Context, f OrderFilter) ([]Order, error) {
	from, to := int64(math.MinInt64), int64(math.MaxInt64)
	if !f.From.IsZero() {
		from = ts(f.From)
	}
	if !f.To.IsZero() {
		to = ts(f.To)
	}
	return q.ordersWithLines(ctx, `SELECT `+prefixed("o.", orderReadCols)+` FROM orders o
		WHERE ($1 = '' OR o.customer_id = $1) AND ($2 = '' OR o.status = $2)
		AND ($3 = '' OR EXISTS (SELECT 1 FROM payments p WHERE p.id = o.payment_id AND p.purpose = $3))
		AND o.created_at >= $4 AND o.created_at < $5 AND ($6 = '' OR o.id < $6)
		ORDER BY o.id DESC LIMIT $7`, f.CustomerID, f.Status, f.Purpose, from, to, f.After, f.limit()+1)
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
	status := ""
	switch market.Status(f.Status) {
	case "":
	case market.StatusCanceled:
		status = `status = 'canceled'`
	case market.StatusTrialing:
		status = `status <> 'canceled' AND expires_at > $6 AND trial_ends_at > $6`
	case market.StatusActive:
		status = `status <> 'canceled' AND expires_at > $6 AND (trial_ends_at IS NULL OR trial_ends_at <= $6)`
	case market.StatusPastDue:
		status = `status = 'past_due' AND expires_at <= $6`
	case market.StatusExpired:
		status = `status NOT IN ('canceled', 'past_due') AND expires_at <= $6`
	default:
		return nil, market.Invalid("status", "status must be trialing, active, past_due, canceled or expired")
	}
	before := int64(math.MaxInt64)
	if !f.ExpiresBefore.IsZero() {
		before = ts(f.ExpiresBefore)
	}
	args := []any{f.CustomerID, f.Plan, before, f.After, f.limit() + 1}
	if strings.Contains(status, "$6") {
		args = append(args, ts(f.Now))
	}
	if status != "" {
		status = " AND " + status
	}
	return q.subs(ctx, `SELECT `+subCols+` FROM subscriptions
		WHERE ($1 = '' OR customer_id = $1) AND ($2 = '' OR plan = $2) AND expires_at < $3 AND ($4 = '' OR id < $4)`+
		status+` ORDER BY id DESC LIMIT $5`, args...)
}

// prefixed puts prefix before each column of a column list.
func prefixed(prefix, cols string) string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		parts[i] = prefix + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}
