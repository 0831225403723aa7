package store

import (
	"context"
	"time"

	"github.com/dialtone/dialtone/internal/market"
)

const bindingCols = `id, sip_account_id, customer_id, contact, user_agent, source, transport, call_id, cseq, expires_at, created_at, updated_at`

func (q *Q) bindings(ctx context.Context, query string, args ...any) ([]market.SIPBinding, error) {
	rows, err := q.ex.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []market.SIPBinding
	for rows.Next() {
		b, err := scanBinding(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

func scanBinding(row interface{ Scan(...any) error }) (market.SIPBinding, error) {
	var b market.SIPBinding
	var exp, created, updated int64
	err := row.Scan(&b.ID, &b.SIPAccountID, &b.CustomerID, &b.Contact, &b.UserAgent, &b.Source, &b.Transport,
		&b.CallID, &b.CSeq, &exp, &created, &updated)
	b.ExpiresAt, b.CreatedAt, b.UpdatedAt = fromTS(exp), fromTS(created), fromTS(updated)
	return b, err
}

// SIPBindings returns the live bindings (expiring after now) of a SIP
// account, oldest first.
func (q *Q) SIPBindings(ctx context.Context, sipAccountID string, now time.Time) ([]market.SIPBinding, error) {
	return q.bindings(ctx, `SELECT `+bindingCols+` FROM sip_bindings WHERE sip_account_id = $1 AND expires_at > $2
		ORDER BY created_at, id`, sipAccountID, ts(now))
}

// SIPBindingsOfAccountAll returns every binding row of a SIP account, live
// or lapsed but not yet swept (the registrar compares Call-ID and CSeq
// against them).
func (q *Q) SIPBindingsOfAccountAll(ctx context.Context, sipAccountID string) ([]market.SIPBinding, error) {
	return q.bindings(ctx, `SELECT `+bindingCols+` FROM sip_bindings WHERE sip_account_id = $1 ORDER BY created_at, id`, sipAccountID)
}

// CustomerSIPBindings returns the live bindings of all of a customer's SIP
// accounts, oldest first.
func (q *Q) CustomerSIPBindings(ctx context.Context, customerID string, now time.Time) ([]market.SIPBinding, error) {
	return q.bindings(ctx, `SELECT `+bindingCols+` FROM sip_bindings WHERE customer_id = $1 AND expires_at > $2
		ORDER BY created_at, id`, customerID, ts(now))
}

// PutSIPBinding inserts a binding or, for a contact the account already
// has, refreshes it: everything but its id and created_at is replaced. A
// row that had lapsed starts anew (created_at = b.CreatedAt).
func (q *Q) PutSIPBinding(ctx context.Context, b market.SIPBinding) error {
	_, err := q.ex.ExecContext(ctx, putBindingSQL, putBindingArgs(b)...)
	return err
}

const putBindingSQL = `INSERT INTO sip_bindings (` + bindingCols + `)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
	ON CONFLICT (sip_account_id, contact) DO UPDATE SET user_agent = excluded.user_agent, source = excluded.source,
		transport = excluded.transport, call_id = excluded.call_id, cseq = excluded.cseq,
		created_at = CASE WHEN sip_bindings.expires_at > excluded.updated_at THEN sip_bindings.created_at ELSE excluded.created_at END,
		expires_at = excluded.expires_at, updated_at = excluded.updated_at`

func putBindingArgs(b market.SIPBinding) []any {
	return []any{b.ID, b.SIPAccountID, b.CustomerID, b.Contact, b.UserAgent, b.Source, b.Transport, b.CallID, b.CSeq,
		ts(b.ExpiresAt), ts(b.CreatedAt), ts(b.UpdatedAt)}
}

// DeleteSIPBinding removes one contact of a SIP account. Removing a
// contact the account does not have is not an error.
func (q *Q) DeleteSIPBinding(ctx context.Context, sipAccountID, contact string) error {
	_, err := q.ex.ExecContext(ctx, `DELETE FROM sip_bindings WHERE sip_account_id = $1 AND contact = $2`, sipAccountID, contact)
	return err
}

// DeleteSIPBindings removes every binding of a SIP account and returns how
// many were live at now.
func (q *Q) DeleteSIPBindings(ctx context.Context, sipAccountID string, now time.Time) (int64, error) {
	var live int64
	if err := q.ex.QueryRowContext(ctx, `SELECT COUNT(*) FROM sip_bindings WHERE sip_account_id = $1 AND expires_at > $2`,
		sipAccountID, ts(now)).Scan(&live); err != nil {
		return 0, err
	}
	_, err := q.ex.ExecContext(ctx, `DELETE FROM sip_bindings WHERE sip_account_id = $1`, sipAccountID)
	return live, err
}

// LockSIPAccountByUsername returns a SIP account by its username and, on
// PostgreSQL inside a transaction, locks its row until the transaction
// ends, so that one account's REGISTERs change its bindings one at a time.
// Error: not_found.
func (q *Q) LockSIPAccountByUsername(ctx context.Context, username string) (market.SIPAccount, error) {
	a, err := scanSIP(q.ex.QueryRowContext(ctx, `SELECT `+sipCols+` FROM sip_accounts WHERE username = $1`+q.forUpdate(), username))
	return a, notFound(err, "SIP account")
}

// UseSIPNonce records that a digest nonce was used with nonce count nc and
// reports whether that is new: false when this nonce was already used with
// a count of nc or higher (a replay). expires is when the nonce row may be
// swept.
func (q *Q) UseSIPNonce(ctx context.Context, nonce string, nc int64, expires time.Time) (bool, error) {
	res, err := q.ex.ExecContext(ctx, `INSERT INTO sip_nonce_uses (nonce, nc, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (nonce) DO UPDATE SET nc = excluded.nc WHERE sip_nonce_uses.nc < excluded.nc`, nonce, nc, ts(expires))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// SweepSIP deletes the bindings that lapsed and the nonce records that
// expired before now, and returns how many bindings went.
func (q *Q) SweepSIP(ctx context.Context, now time.Time) (int64, error) {
	res, err := q.ex.ExecContext(ctx, `DELETE FROM sip_bindings WHERE expires_at <= $1`, ts(now))
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	_, err = q.ex.ExecContext(ctx, `DELETE FROM sip_nonce_uses WHERE expires_at <= $1`, ts(now))
	return n, err
}

// InsertSettingOnce stores a setting unless it exists, and returns the
// stored value (a value another process stored first wins).
func (q *Q) InsertSettingOnce(ctx context.Context, key, value string) (string, error) {
	if _, err := q.ex.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, key, value); err != nil {
		return "", err
	}
	var v string
	err := q.ex.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, key).Scan(&v)
	return v, err
}

// CountSIPBindings counts the live bindings of every account at now.
func (q *Q) CountSIPBindings(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	err := q.ex.QueryRowContext(ctx, `SELECT COUNT(*) FROM sip_bindings WHERE expires_at > $1`, ts(now)).Scan(&n)
	return n, err
}

// DeleteSuspendedSIPBindings deletes the bindings of users' SIP accounts
// whose subscription is no longer in force at the business time now, and
// returns how many went. It is market.Subscription.StatusAt in SQL: a user
// is suspended (billing.UserStatus) when the subscription is canceled, or
// past its expires_at (expired or past due).
func (q *Q) DeleteSuspendedSIPBindings(ctx context.Context, now time.Time) (int64, error) {
	res, err := q.ex.ExecContext(ctx, `DELETE FROM sip_bindings WHERE sip_account_id IN (
		SELECT a.id FROM sip_accounts a JOIN users u ON u.id = a.user_id JOIN subscriptions s ON s.id = u.subscription_id
		WHERE a.kind = 'user' AND (s.status = 'canceled' OR s.expires_at <= $1))`, ts(now))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// SetSIPCredentials replaces what a SIP account keeps of its password: the
// plain password ("" once the customer has seen it) and its HA1s for
// realm. Error: not_found.
func (q *Q) SetSIPCredentials(ctx context.Context, sipAccountID, password, realm, ha1MD5, ha1SHA256 string) error {
	res, err := q.ex.ExecContext(ctx, `UPDATE sip_accounts SET password = $2, ha1_realm = $3, ha1_md5 = $4, ha1_sha256 = $5 WHERE id = $1`,
		sipAccountID, password, realm, ha1MD5, ha1SHA256)
	return affected(res, err, "SIP account")
}

// SIPAccountsWithoutHA1 lists the SIP accounts that still have their plain
// password but no HA1s for realm (made before migration 00013, or under
// another realm), oldest first.
func (q *Q) SIPAccountsWithoutHA1(ctx context.Context, realm string) ([]market.SIPAccount, error) {
	return q.sipAccounts(ctx, `SELECT `+sipCols+` FROM sip_accounts WHERE password <> '' AND ha1_realm <> $1 ORDER BY id`, realm)
}

// SIPAccountsWithLapsedBindings lists the SIP accounts that have a binding
// lapsed at now and not yet swept, by id.
func (q *Q) SIPAccountsWithLapsedBindings(ctx context.Context, now time.Time) ([]market.SIPAccount, error) {
	return q.sipAccounts(ctx, `SELECT `+sipCols+` FROM sip_accounts WHERE id IN (
		SELECT sip_account_id FROM sip_bindings WHERE expires_at <= $1) ORDER BY id`, ts(now))
}

// SuspendedSIPAccounts lists the users' SIP accounts that have bindings
// while their subscription is no longer in force at the business time now
// (as DeleteSuspendedSIPBindings), by id.
func (q *Q) SuspendedSIPAccounts(ctx context.Context, now time.Time) ([]market.SIPAccount, error) {
	return q.sipAccounts(ctx, `SELECT `+sipCols+` FROM sip_accounts WHERE id IN (
		SELECT a.id FROM sip_accounts a JOIN users u ON u.id = a.user_id JOIN subscriptions s ON s.id = u.subscription_id
		JOIN sip_bindings b ON b.sip_account_id = a.id
		WHERE a.kind = 'user' AND (s.status = 'canceled' OR s.expires_at <= $1)) ORDER BY id`, ts(now))
}

func (q *Q) sipAccounts(ctx context.Context, query string, args ...any) ([]market.SIPAccount, error) {
	rows, err := q.ex.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []market.SIPAccount
	for rows.Next() {
		a, err := scanSIP(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// DeleteLapsedSIPBindings deletes the bindings of a SIP account that
// lapsed at now and returns how many went.
func (q *Q) DeleteLapsedSIPBindings(ctx context.Context, sipAccountID string, now time.Time) (int64, error) {
	res, err := q.ex.ExecContext(ctx, `DELETE FROM sip_bindings WHERE sip_account_id = $1 AND expires_at <= $2`, sipAccountID, ts(now))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
