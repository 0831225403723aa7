package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/dialtone/dialtone/internal/market"
)

// Page asks for at most Limit rows older than the ID After ("" = newest).
type Page struct {
	Limit int
	After string
}

func (p Page) limit() int {
	if p.Limit <= 0 || p.Limit > 1000 {
		return 100
	}
	return p.Limit
}

const customerCols = `id, company, country, currency, email, balance, created_at`

func scanCustomer(row interface{ Scan(...any) error }) (market.Customer, error) {
	var c market.Customer
	var created int64
	err := row.Scan(&c.ID, &c.Company, &c.Country, &c.Currency, &c.Email, &c.Balance, &created)
	c.CreatedAt = fromTS(created)
	return c, err
}

// InsertCustomer stores a new customer with a zero balance.
func (q *Q) InsertCustomer(ctx context.Context, c market.Customer) error {
	_, err := q.ex.ExecContext(ctx, `INSERT INTO customers (id, company, country, currency, email, balance, created_at)
		VALUES ($1, $2, $3, $4, $5, 0, $6)`, c.ID, c.Company, c.Country, c.Currency, c.Email, ts(c.CreatedAt))
	return err
}

// Customer returns a customer. Error: not_found.
func (q *Q) Customer(ctx context.Context, id string) (market.Customer, error) {
	c, err := scanCustomer(q.ex.QueryRowContext(ctx, `SELECT `+customerCols+` FROM customers WHERE id = $1`, id))
	return c, notFound(err, "customer")
}

// LockCustomer returns a customer and, on PostgreSQL, locks its row until
// the transaction ends. Every transaction that changes a customer's money or
// holdings takes this lock first, so they run one at a time per customer.
func (q *Q) LockCustomer(ctx context.Context, id string) (market.Customer, error) {
	if c, ok := q.batchCustomer(id); ok {
		return c, nil // locked by PreloadRenewals
	}
	if c, ok := q.locked[id]; ok {
		return c, nil // locked in the transaction's first round trip, or before
	}
	c, err := scanCustomer(q.ex.QueryRowContext(ctx, `SELECT `+customerCols+` FROM customers WHERE id = $1`+q.forUpdate(), id))
	if err == nil && q.locked != nil {
		q.locked[id] = c
	}
	return c, notFound(err, "customer")
}

// Customers lists customers, newest first.
func (q *Q) Customers(ctx context.Context, p Page) ([]market.Customer, error) {
	return queryAll(ctx, q, scanCustomer, `SELECT `+customerCols+` FROM customers
		WHERE ($1 = '' OR id < $1) ORDER BY id DESC LIMIT $2`, p.After, p.limit()+1)
}

// NextExtension returns the customer's next free extension number and
// advances the counter.
func (q *Q) NextExtension(ctx context.Context, customerID string) (int, error) {
	var n int
	err := q.ex.QueryRowContext(ctx, `UPDATE customers SET next_extension = next_extension + 1
		WHERE id = $1 RETURNING next_extension - 1`, customerID).Scan(&n)
	return n, notFound(err, "customer")
}

const userCols = `id, customer_id, name, email, COALESCE(password_hash, ''), role, COALESCE(subscription_id, ''),
	extension, COALESCE(sip_account_id, ''), created_at`

func scanUser(row interface{ Scan(...any) error }) (market.User, error) {
	var u market.User
	var created int64
	err := row.Scan(&u.ID, &u.CustomerID, &u.Name, &u.Email, &u.PasswordHash, &u.Role, &u.SubscriptionID,
		&u.Extension, &u.SIPAccountID, &created)
	u.CreatedAt = fromTS(created)
	return u, err
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// InsertUser stores a user. Errors: conflict (param email) when a user of
// the account has the e-mail already, whatever its case (the unique index
// users_customer_email, migration 00008), or when the e-mail is another
// login's (users_login). A duplicate ID or extension is not the caller's
// e-mail: it stays the driver's error.
func (q *Q) InsertUser(ctx context.Context, u market.User) error {
	_, err := q.ex.ExecContext(ctx, `INSERT INTO users (id, customer_id, name, email, password_hash, role,
		subscription_id, extension, sip_account_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		u.ID, u.CustomerID, u.Name, u.Email, nullStr(u.PasswordHash), u.Role, nullStr(u.SubscriptionID),
		u.Extension, nullStr(u.SIPAccountID), ts(u.CreatedAt))
	switch {
	case uniqueOn(err, "users_customer_email"):
		return &market.Error{Code: market.CodeConflict, Param: "email", Message: "a user with the e-mail " + u.Email + " already exists on this account"}
	case uniqueOnColumns(err, "users_login", "users.email"):
		return &market.Error{Code: market.CodeConflict, Param: "email", Message: "an account with this e-mail already exists"}
	}
	return err
}

// LoginByEmail returns the user that logs in with email. Error: not_found.
func (q *Q) LoginByEmail(ctx context.Context, email string) (market.User, error) {
	u, err := scanUser(q.ex.QueryRowContext(ctx, `SELECT `+userCols+` FROM users
		WHERE email = $1 AND password_hash IS NOT NULL`, email))
	return u, notFound(err, "user")
}

// User returns a user of a customer. Error: not_found.
func (q *Q) User(ctx context.Context, customerID, id string) (market.User, error) {
	u, err := scanUser(q.ex.QueryRowContext(ctx, `SELECT `+userCols+` FROM users
		WHERE id = $1 AND customer_id = $2`, id, customerID))
	return u, notFound(err, "user")
}

// Users lists a customer's users, oldest first.
func (q *Q) Users(ctx context.Context, customerID string) ([]market.User, error) {
	return q.users(ctx, `SELECT `+userCols+` FROM users WHERE customer_id = $1 ORDER BY id`, customerID)
}

// UsersOfSubscription lists the users holding a license of a subscription.
func (q *Q) UsersOfSubscription(ctx context.Context, subscriptionID string) ([]market.User, error) {
	return q.users(ctx, `SELECT `+userCols+` FROM users WHERE subscription_id = $1 ORDER BY id`, subscriptionID)
}

func (q *Q) users(ctx context.Context, query string, args ...any) ([]market.User, error) {
	return queryAll(ctx, q, scanUser, query, args...)
}

// CountUsers returns how many users hold a license of a subscription.
func (q *Q) CountUsers(ctx context.Context, subscriptionID string) (int, error) {
	var n int
	err := q.ex.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE subscription_id = $1`, subscriptionID).Scan(&n)
	return n, err
}

// DeleteUser removes a seat and its sessions (and a login's links).
// Error: not_found.
func (q *Q) DeleteUser(ctx context.Context, customerID, id string) error {
	if _, err := q.ex.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1 AND customer_id = $2`, id, customerID); err != nil {
		return err
	}
	if _, err := q.ex.ExecContext(ctx, `DELETE FROM login_tokens WHERE user_id = $1 AND customer_id = $2`, id, customerID); err != nil {
		return err
	}
	res, err := q.ex.ExecContext(ctx, `DELETE FROM users WHERE id = $1 AND customer_id = $2`, id, customerID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return market.NotFound("user")
	}
	return nil
}

// InsertSession stores a session.
func (q *Q) InsertSession(ctx context.Context, s market.Session) error {
	_, err := q.ex.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, customer_id, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)`, s.TokenHash, s.UserID, s.CustomerID, ts(s.CreatedAt), ts(s.ExpiresAt))
	return err
}

// SessionByHash returns the session with that token hash and its user.
// Error: not_found.
func (q *Q) SessionByHash(ctx context.Context, hash string) (market.Session, market.User, error) {
	var s market.Session
	var created, expires int64
	row := q.ex.QueryRowContext(ctx, `SELECT s.token_hash, s.user_id, s.customer_id, s.created_at, s.expires_at,
		u.id, u.customer_id, u.name, u.email, COALESCE(u.password_hash, ''), u.role, COALESCE(u.subscription_id, ''),
		u.extension, COALESCE(u.sip_account_id, ''), u.created_at FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1`, hash)
	var u market.User
	var uc int64
	err := row.Scan(&s.TokenHash, &s.UserID, &s.CustomerID, &created, &expires,
		&u.ID, &u.CustomerID, &u.Name, &u.Email, &u.PasswordHash, &u.Role, &u.SubscriptionID,
		&u.Extension, &u.SIPAccountID, &uc)
	s.CreatedAt, s.ExpiresAt, u.CreatedAt = fromTS(created), fromTS(expires), fromTS(uc)
	return s, u, notFound(err, "session")
}

// DeleteSession ends a session.
func (q *Q) DeleteSession(ctx context.Context, hash string) error {
	_, err := q.ex.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, hash)
	return err
}

const sipCols = `id, customer_id, kind, username, password, domain, COALESCE(user_id, ''), created_at, ha1_realm, ha1_md5, ha1_sha256`

func scanSIP(row interface{ Scan(...any) error }) (market.SIPAccount, error) {
	var a market.SIPAccount
	var created int64
	err := row.Scan(&a.ID, &a.CustomerID, &a.Kind, &a.Username, &a.Password, &a.Domain, &a.UserID, &created,
		&a.HA1Realm, &a.HA1MD5, &a.HA1SHA256)
	a.CreatedAt = fromTS(created)
	return a, err
}

// InsertSIPAccount stores a SIP account.
func (q *Q) InsertSIPAccount(ctx context.Context, a market.SIPAccount) error {
	_, err := q.ex.ExecContext(ctx, `INSERT INTO sip_accounts (id, customer_id, kind, username, password, domain, user_id, created_at,
		ha1_realm, ha1_md5, ha1_sha256) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, a.ID, a.CustomerID, a.Kind, a.Username,
		a.Password, a.Domain, nullStr(a.UserID), ts(a.CreatedAt), a.HA1Realm, a.HA1MD5, a.HA1SHA256)
	return err
}

// SIPAccounts lists a customer's SIP accounts, oldest first.
func (q *Q) SIPAccounts(ctx context.Context, customerID string) ([]market.SIPAccount, error) {
	return q.sipAccounts(ctx, `SELECT `+sipCols+` FROM sip_accounts WHERE customer_id = $1 ORDER BY id`, customerID)
}

// SIPAccount returns one SIP account of a customer. Error: not_found.
func (q *Q) SIPAccount(ctx context.Context, customerID, id string) (market.SIPAccount, error) {
	a, err := scanSIP(q.ex.QueryRowContext(ctx, `SELECT `+sipCols+` FROM sip_accounts WHERE id = $1 AND customer_id = $2`, id, customerID))
	return a, notFound(err, "SIP account")
}

// SIPAccountByUsername returns a SIP account by its username. Error: not_found.
func (q *Q) SIPAccountByUsername(ctx context.Context, username string) (market.SIPAccount, error) {
	a, err := scanSIP(q.ex.QueryRowContext(ctx, `SELECT `+sipCols+` FROM sip_accounts WHERE username = $1`, username))
	return a, notFound(err, "SIP account")
}

// DeleteSIPAccount removes a SIP account (a deleted user's).
func (q *Q) DeleteSIPAccount(ctx context.Context, customerID, id string) error {
	if _, err := q.ex.ExecContext(ctx, `UPDATE numbers SET sip_account_id = NULL WHERE sip_account_id = $1 AND customer_id = $2`, id, customerID); err != nil {
		return err
	}
	_, err := q.ex.ExecContext(ctx, `DELETE FROM sip_accounts WHERE id = $1 AND customer_id = $2`, id, customerID)
	return err
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
