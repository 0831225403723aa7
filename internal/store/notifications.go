package store

import (
	"context"
	"time"
)

// Notification is a message sent to a customer.
type Notification struct {
	ID         string
	CustomerID string
	Type       string
	Subject    string
	Body       string
	ObjectType string
	ObjectID   string
	DedupeKey  string
	CreatedAt  time.Time
}

// InsertNotification stores a notification once per dedupe key; it reports
// whether it was new (false: it had been sent already).
func (q *Q) InsertNotification(ctx context.Context, n Notification) (bool, error) {
	res, err := q.ex.ExecContext(ctx, `INSERT INTO notifications (id, customer_id, type, subject, body, object_type, object_id,
		dedupe_key, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (dedupe_key) DO NOTHING`,
		n.ID, n.CustomerID, n.Type, n.Subject, n.Body, n.ObjectType, n.ObjectID, n.DedupeKey, ts(n.CreatedAt))
	if err != nil {
		return false, err
	}
	c, _ := res.RowsAffected()
	return c == 1, nil
}

// Notifications lists a customer's notifications, newest first.
func (q *Q) Notifications(ctx context.Context, customerID string, p Page) ([]Notification, error) {
	rows, err := q.ex.QueryContext(ctx, `SELECT id, customer_id, type, subject, body, object_type, object_id, dedupe_key, created_at
		FROM notifications WHERE customer_id = $1 AND ($2 = '' OR id < $2) ORDER BY id DESC LIMIT $3`, customerID, p.After, p.limit()+1)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Notification
	for rows.Next() {
		var n Notification
		var created int64
		if err := rows.Scan(&n.ID, &n.CustomerID, &n.Type, &n.Subject, &n.Body, &n.ObjectType, &n.ObjectID, &n.DedupeKey, &created); err != nil {
			return nil, err
		}
		n.CreatedAt = fromTS(created)
		out = append(out, n)
	}
	return out, rows.Err()
}
