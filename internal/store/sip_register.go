package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// This file is the registrar's REGISTER transaction, its hot path: on
// PostgreSQL it is two round trips (RegisterSIP).

// SIPRegister names what a REGISTER locks and records as it begins.
type SIPRegister struct {
	Username string
	// KeyA and KeyB are the throttle keys read with the account (its
	// source address's and its username's).
	KeyA, KeyB string
	// Nonce is used with nonce count NC (UseSIPNonce); its record may be
	// swept after NonceExpires.
	Nonce        string
	NC           int64
	NonceExpires time.Time
	// BusinessNow is the business time at which a user's subscription must
	// be in force (market.Subscription.StatusAt, as DeleteSuspendedSIPBindings).
	BusinessNow time.Time
}

// SIPRegisterLock is what a REGISTER reads as it locks its account
// (LockSIPAccountForRegister, RegisterSIP).
type SIPRegisterLock struct {
	Account market.SIPAccount
	Known   bool // false: no account has the username
	// Throttles are the theoretical arrival times of the keys asked for
	// that have a row in login_throttles.
	Throttles map[string]time.Time
	// NonceFresh is UseSIPNonce's answer (false for an unknown username).
	NonceFresh bool
	// Suspended: the account is a user's whose subscription is not in
	// force at BusinessNow (canceled, or past its expires_at), or whose
	// user or subscription is gone.
	Suspended bool
	// Bindings are every binding row of the account, live or lapsed but
	// not yet swept, oldest first, read after the lock was taken.
	Bindings []market.SIPBinding
}

// SIPBindingChanges are the writes of a REGISTER to one account's
// bindings, made in this order: every binding deleted (DeleteAll), those
// lapsed at Now deleted (DeleteLapsed), the contacts of Delete deleted,
// the bindings of Put inserted or refreshed (PutSIPBinding).
type SIPBindingChanges struct {
	AccountID    string
	DeleteAll    bool
	DeleteLapsed bool
	Now          time.Time
	Delete       []string
	Put          []market.SIPBinding
}

func (ch SIPBindingChanges) statements() []statement {
	var out []statement
	if ch.DeleteAll {
		out = append(out, statement{sql: `DELETE FROM sip_bindings WHERE sip_account_id = $1`, args: []any{ch.AccountID}})
	}
	if ch.DeleteLapsed {
		out = append(out, statement{sql: `DELETE FROM sip_bindings WHERE sip_account_id = $1 AND expires_at <= $2`, args: []any{ch.AccountID, ts(ch.Now)}})
	}
	for _, c := range ch.Delete {
		out = append(out, statement{sql: `DELETE FROM sip_bindings WHERE sip_account_id = $1 AND contact = $2`, args: []any{ch.AccountID, c}})
	}
	for _, b := range ch.Put {
		out = append(out, statement{sql: putBindingSQL, args: putBindingArgs(b)})
	}
	return out
}

// ApplySIPBindingChanges makes the writes of ch, one statement each (kept
// for the COMMIT in RegisterSIP's transaction on PostgreSQL: later.go).
func (q *Q) ApplySIPBindingChanges(ctx context.Context, ch SIPBindingChanges) error {
	for _, s := range ch.statements() {
		if err := q.execLater(ctx, s.sql, s.args...); err != nil {
			return err
		}
	}
	return nil
}

// suspendedSQL is 1 when the sip_accounts row is a user's whose
// subscription is not in force at the business time of parameter p (the
// registrar's suspended users; billing.UserStatus in SQL).
func suspendedSQL(p string) string {
	return `CASE WHEN kind <> 'user' OR COALESCE(user_id, '') = '' THEN 0 ELSE COALESCE((
		SELECT CASE WHEN COALESCE(u.subscription_id, '') = '' THEN 0 ELSE COALESCE((
			SELECT CASE WHEN s.status = 'canceled' OR s.expires_at <= ` + p + ` THEN 1 ELSE 0 END
			FROM subscriptions s WHERE s.id = u.subscription_id AND s.customer_id = sip_accounts.customer_id), 1) END
		FROM users u WHERE u.id = sip_accounts.user_id AND u.customer_id = sip_accounts.customer_id), 1) END`
}

const lockCols = `SELECT ` + sipCols + `, (SELECT tat FROM login_throttles WHERE key = $2), (SELECT tat FROM login_throttles WHERE key = $3)`

// lockForRegisterPG locks the account, reads its throttles and whether it
// is suspended, and records the nonce's use, in one statement.
var lockForRegisterPG = `WITH used AS (INSERT INTO sip_nonce_uses (nonce, nc, expires_at) VALUES ($4, $5, $6)
	ON CONFLICT (nonce) DO UPDATE SET nc = excluded.nc WHERE sip_nonce_uses.nc < excluded.nc RETURNING 1)
	` + lockCols + `, (SELECT COUNT(*) FROM used), ` + suspendedSQL("$7") + ` FROM sip_accounts WHERE username = $1 FOR UPDATE`

var lockForRegisterSQLite = lockCols + `, 0, ` + suspendedSQL("$4") + ` FROM sip_accounts WHERE username = $1`

// bindingsByUsernameSQL reads every binding of the account of a username
// (RegisterSIP's, after the lock).
const bindingsByUsernameSQL = `SELECT ` + bindingCols + ` FROM sip_bindings
	WHERE sip_account_id = (SELECT id FROM sip_accounts WHERE username = $1) ORDER BY created_at, id`

const throttlesOf2SQL = `SELECT (SELECT tat FROM login_throttles WHERE key = $1), (SELECT tat FROM login_throttles WHERE key = $2)`

func (r SIPRegister) pgArgs() []any {
	return []any{r.Username, r.KeyA, r.KeyB, r.Nonce, r.NC, ts(r.NonceExpires), ts(r.BusinessNow)}
}

// scanLock reads a lock statement's row into out; ok is false when no
// account has the username.
func (r SIPRegister) scanLock(row interface{ Scan(...any) error }, out *SIPRegisterLock) (ok bool, err error) {
	a := &out.Account
	var created, used, suspended int64
	var tatA, tatB sql.NullInt64
	err = row.Scan(&a.ID, &a.CustomerID, &a.Kind, &a.Username, &a.Password, &a.Domain, &a.UserID, &created,
		&a.HA1Realm, &a.HA1MD5, &a.HA1SHA256, &tatA, &tatB, &used, &suspended)
	if errors.Is(err, sql.ErrNoRows) || errors.Is(err, pgx.ErrNoRows) {
		out.Account = market.SIPAccount{}
		return false, nil
	}
	if err != nil {
		return false, err
	}
	out.Known = true
	a.CreatedAt = fromTS(created)
	out.NonceFresh = used == 1
	out.Suspended = suspended == 1
	out.Throttles = r.throttles(tatA, tatB)
	return true, nil
}

func (r SIPRegister) throttles(tatA, tatB sql.NullInt64) map[string]time.Time {
	out := map[string]time.Time{}
	if tatA.Valid {
		out[r.KeyA] = fromTS(tatA.Int64)
	}
	if tatB.Valid {
		out[r.KeyB] = fromTS(tatB.Int64)
	}
	return out
}

// LockSIPAccountForRegister is the first half of the registrar's REGISTER:
// LockSIPAccountByUsername, Throttles of KeyA and KeyB, UseSIPNonce(Nonce,
// NC, NonceExpires), whether the account's user is suspended at
// BusinessNow (one statement on PostgreSQL), and then every binding of
// the account (SIPBindingsOfAccountAll). For an unknown username the
// throttles are read all the same and NonceFresh is false (the caller
// refuses, and rolls back what was recorded of the nonce).
func (q *Q) LockSIPAccountForRegister(ctx context.Context, r SIPRegister) (SIPRegisterLock, error) {
	var out SIPRegisterLock
	var row *sql.Row
	if q.dialect == Postgres {
		row = q.ex.QueryRowContext(ctx, lockForRegisterPG, r.pgArgs()...)
	} else {
		row = q.ex.QueryRowContext(ctx, lockForRegisterSQLite, r.Username, r.KeyA, r.KeyB, ts(r.BusinessNow))
	}
	known, err := r.scanLock(row, &out)
	if err != nil {
		return SIPRegisterLock{}, err
	}
	if !known {
		var tatA, tatB sql.NullInt64
		err = q.ex.QueryRowContext(ctx, throttlesOf2SQL, r.KeyA, r.KeyB).Scan(&tatA, &tatB)
		out.Throttles = r.throttles(tatA, tatB)
		return out, err
	}
	if q.dialect != Postgres {
		if out.NonceFresh, err = q.UseSIPNonce(ctx, r.Nonce, r.NC, r.NonceExpires); err != nil {
			return SIPRegisterLock{}, err
		}
	}
	out.Bindings, err = q.SIPBindingsOfAccountAll(ctx, out.Account.ID)
	return out, err
}

// RegisterSIP runs a REGISTER's transaction: LockSIPAccountForRegister,
// then decide, which works out the changes from what was read (and may
// use q, inside the transaction, for whatever else it must do: telling a
// change of state); then the changes are made and the transaction is
// committed, or rolled back if decide returns an error.
//
// On PostgreSQL that is two round trips: BEGIN, the lock statement, the
// bindings and the catalog's token in one pipelined batch (the bindings'
// statement takes its snapshot after the lock is granted, so it reads the
// last committed REGISTER's rows), the changes and COMMIT in another. The
// writes decide makes through q that need no answer (a change of state's
// notification and webhook event: later.go) go with the COMMIT, and the
// catalog's token lets WebhookTargets answer from the cache. A serialization
// failure or deadlock reruns the whole, as Tx does, so decide must not
// have effects outside the transaction. The transaction commits without
// waiting for the WAL flush (synchronous_commit off): bindings are soft
// state, and a database crash loses at most its last fraction of a second
// of REGISTERs, each whole (docs/ARCHITECTURE.md, "SIP registration").
// On SQLite it is a Tx (the writer's).
func (s *Store) RegisterSIP(ctx context.Context, r SIPRegister, decide func(q *Q, lk SIPRegisterLock) (SIPBindingChanges, error)) error {
	if s.dialect != Postgres {
		return s.Tx(ctx, func(q *Q) error {
			lk, err := q.LockSIPAccountForRegister(ctx, r)
			if err != nil {
				return err
			}
			ch, err := decide(q, lk)
			if err != nil {
				return err
			}
			return q.ApplySIPBindingChanges(ctx, ch)
		})
	}
	var err error
	for attempt := 0; attempt < 10; attempt++ {
		if err = s.registerPG(ctx, r, decide); !retryable(err) {
			return err
		}
		if werr := retryWait(ctx, attempt); werr != nil {
			return werr
		}
	}
	return err
}

// errCommitRolledBack: COMMIT answered ROLLBACK (a statement had failed).
var errCommitRolledBack = errors.New("store: commit: the transaction was rolled back")

// queueFirstTrip queues the first round trip of a REGISTER's transaction
// on PostgreSQL: it begins, locks the account (lockForRegisterPG), reads
// its bindings and the catalog's token. RegisterSIP and Warm's rehearsal
// (warmRegisterPG) send the same.
func (r SIPRegister) queueFirstTrip(b *pgx.Batch) {
	b.Queue("BEGIN")
	b.Queue("SET LOCAL synchronous_commit = off")
	b.Queue(lockForRegisterPG, r.pgArgs()...)
	b.Queue(bindingsByUsernameSQL, r.Username)
	b.Queue(catalogTokenSQL)
}

func (s *Store) registerPG(ctx context.Context, r SIPRegister, decide func(q *Q, lk SIPRegisterLock) (SIPBindingChanges, error)) (err error) {
	conn, end, err := s.handTx(ctx)
	if err != nil {
		return err
	}
	defer end(&err)
	var lk SIPRegisterLock
	var token string
	err = conn.Raw(func(dc any) error {
		c := dc.(*stdlib.Conn).Conn()
		var b pgx.Batch
		r.queueFirstTrip(&b)
		br := c.SendBatch(ctx, &b)
		for range 2 { // BEGIN, SET
			if _, err := br.Exec(); err != nil {
				_ = br.Close()
				return fmt.Errorf("store: begin: %w", err)
			}
		}
		if _, err := r.scanLock(br.QueryRow(), &lk); err != nil {
			_ = br.Close()
			return err
		}
		rows, err := br.Query()
		if err == nil {
			for rows.Next() {
				bd, err := scanBinding(rows)
				if err != nil {
					rows.Close()
					_ = br.Close()
					return err
				}
				lk.Bindings = append(lk.Bindings, bd)
			}
			rows.Close()
			err = rows.Err()
		}
		if err == nil {
			err = br.QueryRow().Scan(&token)
		}
		return errors.Join(err, br.Close())
	})
	if err != nil {
		return err
	}
	var after []func()
	q := s.txQ(conn, &after)
	q.useCatalogToken(token)
	q.keepLater(s, conn, false)
	if !lk.Known {
		var tatA, tatB sql.NullInt64
		if err = q.ex.QueryRowContext(ctx, throttlesOf2SQL, r.KeyA, r.KeyB).Scan(&tatA, &tatB); err != nil {
			return err
		}
		lk.Throttles = r.throttles(tatA, tatB)
	}
	ch, err := decide(q, lk)
	kept, kerr := q.takeLater()
	if err = errors.Join(kerr, err); err != nil {
		return err
	}
	if err = sendKept(ctx, nil, conn, append(kept, ch.statements()...), true); err != nil {
		return err
	}
	for _, f := range after {
		f()
	}
	return nil
}

// rollbackRaw ends the transaction left open on conn, if any; a
// connection that cannot is discarded rather than pooled in it.
func rollbackRaw(ctx context.Context, conn *sql.Conn) {
	_ = conn.Raw(func(dc any) error {
		c := dc.(*stdlib.Conn).Conn()
		if c.IsClosed() || c.PgConn().TxStatus() == 'I' {
			return nil
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, err := c.Exec(rctx, "ROLLBACK"); err != nil {
			return driver.ErrBadConn
		}
		return nil
	})
}

// ChargeThrottles counts one event against each of keys at now, as
// ChargeThrottle does, and returns their theoretical arrival times after
// it: one statement, on PostgreSQL outside any transaction (one round
// trip: the registrar's count of a failed digest); on SQLite a
// transaction of the writer.
func (s *Store) ChargeThrottles(ctx context.Context, now time.Time, every time.Duration, keys ...string) (map[string]time.Time, error) {
	var uniq []string
	for _, k := range keys {
		if !slices.Contains(uniq, k) {
			uniq = append(uniq, k)
		}
	}
	out := map[string]time.Time{}
	if len(uniq) == 0 {
		return out, nil
	}
	n, e := ts(now), every.Microseconds()
	args := []any{n, e, n + e}
	var values strings.Builder
	for i, k := range uniq {
		if i > 0 {
			values.WriteString(", ")
		}
		args = append(args, k)
		fmt.Fprintf(&values, "($%d, $3)", len(args))
	}
	query := `INSERT INTO login_throttles (key, tat) VALUES ` + values.String() + `
		ON CONFLICT (key) DO UPDATE SET tat = CASE WHEN login_throttles.tat > $1 THEN login_throttles.tat ELSE $1 END + $2
		RETURNING key, tat`
	charge := func(ex execer) error {
		rows, err := ex.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k string
			var tat int64
			if err := rows.Scan(&k, &tat); err != nil {
				return err
			}
			out[k] = fromTS(tat)
		}
		return rows.Err()
	}
	if s.dialect == Postgres {
		return out, charge(s.db)
	}
	return out, s.Tx(ctx, func(q *Q) error {
		clear(out)
		return charge(q.ex)
	})
}

// warmRegisterPG readies a pooled session for the registrar (Warm): it
// runs RegisterSIP's first round trip for a username no account has, in a
// transaction it rolls back, and plans its writes (EXPLAIN: a binding, and
// the notification of a first registration), so that the session has
// parsed and planned a REGISTER's statements, and pgx has prepared its
// reads, before the first phone registers. Without it the first tenth of a
// second of a registrar under load is the slowest (docs/BENCHMARKS.md,
// session 9): every session plans the same statements for the first time
// at once, as the phones' first registrations arrive.
func warmRegisterPG(ctx context.Context, conn *sql.Conn) error {
	return conn.Raw(func(dc any) error {
		c := dc.(*stdlib.Conn).Conn()
		now := time.Now()
		r := SIPRegister{Username: "\x01warm", KeyA: "\x01warm", KeyB: "\x01warm", Nonce: "\x01warm", NC: 1,
			NonceExpires: now, BusinessNow: now}
		b := market.SIPBinding{ID: "\x01warm", SIPAccountID: "\x01warm", CustomerID: "\x01warm", Contact: "\x01warm",
			ExpiresAt: now, CreatedAt: now, UpdatedAt: now}
		var batch pgx.Batch
		r.queueFirstTrip(&batch)
		batch.Queue(throttlesOf2SQL, r.KeyA, r.KeyB)
		batch.Queue("EXPLAIN "+putBindingSQL, putBindingArgs(b)...)
		batch.Queue("EXPLAIN "+insertNotificationHead+" "+marks(Postgres, 0, 9)+" "+insertNotificationTail,
			"\x01warm", "\x01warm", "", "", "", "", "", "\x01warm", ts(now))
		batch.Queue("ROLLBACK")
		return c.SendBatch(ctx, &batch).Close()
	})
}
