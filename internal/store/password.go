package store

import "context"

// SetPasswordHash replaces the password hash of a customer's login.
// Error: not_found (no such login of that customer).
func (q *Q) SetPasswordHash(ctx context.Context, customerID, userID, hash string) error {
	res, err := q.ex.ExecContext(ctx, `UPDATE users SET password_hash = $3
		WHERE id = $1 AND customer_id = $2 AND password_hash IS NOT NULL`, userID, customerID, hash)
	return affected(res, err, "user")
}

// DeleteOtherSessions ends every session of a user except the one whose
// token hash is keep ("" ends them all), and returns how many it ended.
func (q *Q) DeleteOtherSessions(ctx context.Context, userID, keep string) (int64, error) {
	res, err := q.ex.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2`, userID, keep)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
