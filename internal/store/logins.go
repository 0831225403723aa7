package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/dialtone/dialtone/internal/market"
)

// Logins lists a customer's logins (every user but the seats: role
// "member"), oldest first.
func (q *Q) Logins(ctx context.Context, customerID string) ([]market.User, error) {
	return q.users(ctx, `SELECT `+userCols+` FROM users WHERE customer_id = $1 AND role <> 'member' ORDER BY id`, customerID)
}

// UserByEmail returns the user of a customer with that e-mail, whatever
// its case. Error: not_found.
func (q *Q) UserByEmail(ctx context.Context, customerID, email string) (market.User, error) {
	u, err := scanUser(q.ex.QueryRowContext(ctx, `SELECT `+userCols+` FROM users
		WHERE customer_id = $1 AND lower(email) = lower($2)`, customerID, email))
	return u, notFound(err, "user")
}

// SetLoginRole gives a user of a customer a role ("member" makes it a seat
// again, without a password). Error: not_found.
func (q *Q) SetLoginRole(ctx context.Context, customerID, userID, role string) error {
	query := `UPDATE users SET role = $3 WHERE id = $1 AND customer_id = $2`
	if role == "member" {
		query = `UPDATE users SET role = $3, password_hash = NULL WHERE id = $1 AND customer_id = $2`
	}
	res, err := q.ex.ExecContext(ctx, query, userID, customerID, role)
	return affected(res, err, "user")
}

// SetLoginPassword sets the password of a login, its first one too (an
// invitation). Errors: not_found, conflict (param email) when another
// account's login has its e-mail (users_login).
func (q *Q) SetLoginPassword(ctx context.Context, customerID, userID, hash string) error {
	res, err := q.ex.ExecContext(ctx, `UPDATE users SET password_hash = $3 WHERE id = $1 AND customer_id = $2 AND role <> 'member'`,
		userID, customerID, hash)
	if uniqueOnColumns(err, "users_login", "users.email") {
		return &market.Error{Code: market.CodeConflict, Param: "email", Message: "another account has a login with this e-mail"}
	}
	return affected(res, err, "user")
}

// SetUserEmail changes the e-mail of a user of a customer (and the
// customer's own e-mail when the user is its owner). Errors: not_found,
// conflict (param email) as InsertUser.
func (q *Q) SetUserEmail(ctx context.Context, customerID, userID, email string) error {
	res, err := q.ex.ExecContext(ctx, `UPDATE users SET email = $3 WHERE id = $1 AND customer_id = $2`, userID, customerID, email)
	switch {
	case uniqueOn(err, "users_customer_email"):
		return &market.Error{Code: market.CodeConflict, Param: "email", Message: "a user with the e-mail " + email + " already exists on this account"}
	case uniqueOnColumns(err, "users_login", "users.email"):
		return &market.Error{Code: market.CodeConflict, Param: "email", Message: "an account with this e-mail already exists"}
	}
	if err := affected(res, err, "user"); err != nil {
		return err
	}
	_, err = q.ex.ExecContext(ctx, `UPDATE customers SET email = $2 WHERE id = $1
		AND EXISTS (SELECT 1 FROM users WHERE id = $3 AND role = 'owner')`, customerID, email, userID)
	return err
}

// SetCompany changes a customer's company name. Error: not_found.
func (q *Q) SetCompany(ctx context.Context, customerID, company string) error {
	res, err := q.ex.ExecContext(ctx, `UPDATE customers SET company = $2 WHERE id = $1`, customerID, company)
	return affected(res, err, "customer")
}

// InsertLoginToken stores a token's hash.
func (q *Q) InsertLoginToken(ctx context.Context, t market.LoginToken) error {
	_, err := q.ex.ExecContext(ctx, `INSERT INTO login_tokens (token_hash, user_id, customer_id, purpose, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, t.TokenHash, t.UserID, t.CustomerID, t.Purpose, ts(t.CreatedAt), ts(t.ExpiresAt))
	return err
}

// TakeLoginToken uses a token: it returns the token with that hash and
// deletes it, so that it works once. A token that has expired at now is
// deleted too and is not_found, like an unknown or used one.
func (q *Q) TakeLoginToken(ctx context.Context, hash string, now time.Time) (market.LoginToken, error) {
	var t market.LoginToken
	var created, expires int64
	err := q.ex.QueryRowContext(ctx, `DELETE FROM login_tokens WHERE token_hash = $1
		RETURNING token_hash, user_id, customer_id, purpose, created_at, expires_at`, hash).
		Scan(&t.TokenHash, &t.UserID, &t.CustomerID, &t.Purpose, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !now.Before(fromTS(expires))) {
		return market.LoginToken{}, market.NotFound("link")
	}
	t.CreatedAt, t.ExpiresAt = fromTS(created), fromTS(expires)
	return t, err
}

// LoginTokenValid reports whether a token's hash is stored and not yet
// expired at now (a page shows its form only then), with its purpose.
func (q *Q) LoginTokenValid(ctx context.Context, hash string, now time.Time) (market.LoginToken, bool, error) {
	var t market.LoginToken
	var created, expires int64
	err := q.ex.QueryRowContext(ctx, `SELECT token_hash, user_id, customer_id, purpose, created_at, expires_at
		FROM login_tokens WHERE token_hash = $1`, hash).Scan(&t.TokenHash, &t.UserID, &t.CustomerID, &t.Purpose, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return market.LoginToken{}, false, nil
	}
	t.CreatedAt, t.ExpiresAt = fromTS(created), fromTS(expires)
	return t, err == nil && now.Before(t.ExpiresAt), err
}

// DeleteLoginTokens deletes every token of a user (of one purpose, or all
// with purpose "").
func (q *Q) DeleteLoginTokens(ctx context.Context, userID, purpose string) error {
	_, err := q.ex.ExecContext(ctx, `DELETE FROM login_tokens WHERE user_id = $1 AND ($2 = '' OR purpose = $2)`, userID, purpose)
	return err
}

// ForgetMailSecret blanks the object of an outbox mail's notification once
// it is sent: a login token's link is kept only until its e-mail is out.
func (q *Q) ForgetMailSecret(ctx context.Context, outboxID string) error {
	_, err := q.ex.ExecContext(ctx, `UPDATE notifications SET object_id = '' WHERE object_type = 'login_token'
		AND id = (SELECT notification_id FROM outbox WHERE id = $1)`, outboxID)
	return err
}
