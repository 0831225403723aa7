package store

import (
	"context"
	"time"

	"github.com/dialtone/dialtone/internal/market"
)

// insertNotificationHead and Tail are InsertNotification's statement
// (q.insert), nine values between them.
const (
	insertNotificationHead = `INSERT INTO notifications (id, customer_id, type, subject, body, object_type, object_id,
		dedupe_key, created_at) VALUES`
	insertNotificationTail = `ON CONFLICT (dedupe_key) DO NOTHING`
)

// InsertNotification stores a notification once per dedupe key; it reports
// whether it was new (false: it had been sent already).
func (q *Q) InsertNotification(ctx context.Context, n market.Notification) (bool, error) {
	// In a batch the row is kept and reported new: the batch's notices
	// are new by their keys (a renewal's period, an invoice), and a mail
	// queued for one that was not would fail the batch on its reference.
	c, err := q.insertWith(ctx, insertNotificationHead, insertNotificationTail, [][]any{{
		n.ID, n.CustomerID, n.Type, n.Subject, n.Body, n.ObjectType, n.ObjectID, n.DedupeKey, ts(n.CreatedAt)}}, insertOpts{counted: true})
	return c == 1, err
}

// Notifications lists a customer's notifications, newest first.
func (q *Q) Notifications(ctx context.Context, customerID string, p Page) ([]market.Notification, error) {
	rows, err := q.ex.QueryContext(ctx, `SELECT id, customer_id, type, subject, body, object_type, object_id, dedupe_key, created_at
		FROM notifications WHERE customer_id = $1 AND object_type <> 'login_token' AND ($2 = '' OR id < $2) ORDER BY id DESC LIMIT $3`, customerID, p.After, p.limit()+1)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []market.Notification
	for rows.Next() {
		var n market.Notification
		var created int64
		if err := rows.Scan(&n.ID, &n.CustomerID, &n.Type, &n.Subject, &n.Body, &n.ObjectType, &n.ObjectID, &n.DedupeKey, &created); err != nil {
			return nil, err
		}
		n.CreatedAt = fromTS(created)
		out = append(out, n)
	}
	return out, rows.Err()
}

// InsertOutbox queues a notification's mail.
func (q *Q) InsertOutbox(ctx context.Context, id, notificationID, recipient string, at time.Time) error {
	_, err := q.insert(ctx, `INSERT INTO outbox (id, notification_id, recipient, next_attempt_at) VALUES`, "",
		id, notificationID, recipient, ts(at))
	return err
}

// LeaseOutbox takes up to limit due mails for sending: each is leased until
// until, so that another process scanning meanwhile leaves it alone.
func (q *Q) LeaseOutbox(ctx context.Context, now, until time.Time, limit int) ([]market.OutboxMail, error) {
	rows, err := q.ex.QueryContext(ctx, `SELECT o.id, o.recipient, o.attempts, n.type, n.subject, n.body, n.object_type, n.object_id, n.customer_id, n.id
		FROM outbox o JOIN notifications n ON n.id = o.notification_id
		WHERE o.sent_at IS NULL AND o.next_attempt_at <= $1 ORDER BY o.next_attempt_at, o.id LIMIT $2`, ts(now), limit)
	if err != nil {
		return nil, err
	}
	var due []market.OutboxMail
	for rows.Next() {
		var m market.OutboxMail
		if err := rows.Scan(&m.ID, &m.Recipient, &m.Attempts, &m.Type, &m.Subject, &m.Body, &m.ObjectType, &m.ObjectID, &m.CustomerID, &m.NotificationID); err != nil {
			rows.Close()
			return nil, err
		}
		due = append(due, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var leased []market.OutboxMail
	for _, m := range due {
		res, err := q.ex.ExecContext(ctx, `UPDATE outbox SET next_attempt_at = $2 WHERE id = $1 AND sent_at IS NULL AND next_attempt_at <= $3`,
			m.ID, ts(until), ts(now))
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			leased = append(leased, m)
		}
	}
	return leased, nil
}

// MarkSent records a delivered mail. Error: not_found.
func (q *Q) MarkSent(ctx context.Context, id string, at time.Time) error {
	res, err := q.ex.ExecContext(ctx, `UPDATE outbox SET sent_at = $2, attempts = attempts + 1, last_error = '' WHERE id = $1`, id, ts(at))
	return affected(res, err, "mail")
}

// MarkFailed records a failed attempt and when to try again. Error:
// not_found.
func (q *Q) MarkFailed(ctx context.Context, id, reason string, next time.Time) error {
	if len(reason) > 500 {
		reason = reason[:500]
	}
	res, err := q.ex.ExecContext(ctx, `UPDATE outbox SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3 WHERE id = $1`, id, reason, ts(next))
	return affected(res, err, "mail")
}

// OutboxPending counts mails not yet sent.
func (q *Q) OutboxPending(ctx context.Context) (int, error) {
	var n int
	err := q.ex.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL`).Scan(&n)
	return n, err
}

// NotificationSent reports whether a notification with this dedupe key
// exists.
func (q *Q) NotificationSent(ctx context.Context, dedupe string) (bool, error) {
	var n int
	err := q.ex.QueryRowContext(ctx, `SELECT COUNT(*) FROM notifications WHERE dedupe_key = $1`, dedupe).Scan(&n)
	return n > 0, err
}
