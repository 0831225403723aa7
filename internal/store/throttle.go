package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Throttles returns the theoretical arrival time of each of keys that has
// a row in login_throttles (migration 00006); keys without one are absent.
func (q *Q) Throttles(ctx context.Context, keys ...string) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	for _, k := range keys {
		var tat int64
		err := q.ex.QueryRowContext(ctx, `SELECT tat FROM login_throttles WHERE key = $1`, k).Scan(&tat)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[k] = fromTS(tat)
	}
	return out, nil
}

// ChargeThrottle counts one event against key at now: its theoretical
// arrival time moves every later, from now if it lies in the past. The
// one statement is atomic, so that events counted by several processes at
// once all count.
func (q *Q) ChargeThrottle(ctx context.Context, key string, now time.Time, every time.Duration) error {
	n := ts(now)
	_, err := q.ex.ExecContext(ctx, `INSERT INTO login_throttles (key, tat) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET tat = CASE WHEN login_throttles.tat > $3 THEN login_throttles.tat ELSE $3 END + $4`,
		key, n+every.Microseconds(), n, every.Microseconds())
	return err
}

// ClearThrottle forgets what was counted against key.
func (q *Q) ClearThrottle(ctx context.Context, key string) error {
	_, err := q.ex.ExecContext(ctx, `DELETE FROM login_throttles WHERE key = $1`, key)
	return err
}

// PruneThrottles removes the keys whose theoretical arrival time is before
// now: they count nothing any more.
func (q *Q) PruneThrottles(ctx context.Context, now time.Time) error {
	_, err := q.ex.ExecContext(ctx, `DELETE FROM login_throttles WHERE tat < $1`, ts(now))
	return err
}
