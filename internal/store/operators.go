package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/dialtone/dialtone/internal/market"
)

const operatorCols = `id, email, password_hash, role, disabled, created_at`

func scanOperator(row interface{ Scan(...any) error }) (market.Operator, error) {
	var o market.Operator
	var created int64
	err := row.Scan(&o.ID, &o.Email, &o.PasswordHash, &o.Role, &o.Disabled, &created)
	o.CreatedAt = fromTS(created)
	return o, err
}

// InsertOperator stores an operator. Errors: conflict (param email) when
// an operator has the e-mail already, whatever its case; invalid_request
// (param role) for a role the table does not allow.
func (q *Q) InsertOperator(ctx context.Context, o market.Operator) error {
	_, err := q.ex.ExecContext(ctx, `INSERT INTO operators (`+operatorCols+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		o.ID, o.Email, o.PasswordHash, o.Role, o.Disabled, ts(o.CreatedAt))
	switch {
	case uniqueOn(err, "operators_email"):
		return &market.Error{Code: market.CodeConflict, Param: "email", Message: "an operator with the e-mail " + o.Email + " exists already"}
	case isCheck(err):
		return market.Invalid("role", "role must be admin, support or finance")
	}
	return err
}

// Operator returns an operator. Error: not_found.
func (q *Q) Operator(ctx context.Context, id string) (market.Operator, error) {
	o, err := scanOperator(q.ex.QueryRowContext(ctx, `SELECT `+operatorCols+` FROM operators WHERE id = $1`, id))
	return o, notFound(err, "operator")
}

// OperatorByEmail returns the operator with that e-mail, whatever its
// case. Error: not_found.
func (q *Q) OperatorByEmail(ctx context.Context, email string) (market.Operator, error) {
	o, err := scanOperator(q.ex.QueryRowContext(ctx, `SELECT `+operatorCols+` FROM operators WHERE lower(email) = lower($1)`, email))
	return o, notFound(err, "operator")
}

// Operators lists the operators, newest first, a page at a time (one more
// than the limit, so that the caller knows whether there are more).
func (q *Q) Operators(ctx context.Context, p Page) ([]market.Operator, error) {
	rows, err := q.ex.QueryContext(ctx, `SELECT `+operatorCols+` FROM operators
		WHERE ($1 = '' OR id < $1) ORDER BY id DESC LIMIT $2`, p.After, p.limit()+1)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []market.Operator
	for rows.Next() {
		o, err := scanOperator(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// CountActiveAdmins returns how many operators with the role admin are not
// disabled.
func (q *Q) CountActiveAdmins(ctx context.Context) (int, error) {
	var n int
	err := q.ex.QueryRowContext(ctx, `SELECT COUNT(*) FROM operators WHERE role = 'admin' AND NOT disabled`).Scan(&n)
	return n, err
}

// LockOperators takes the lock that serializes changes of roles and of
// disabling (on PostgreSQL the rows of every admin), so that two admins
// cannot each take away the other's role and leave none.
func (q *Q) LockOperators(ctx context.Context) error {
	if q.dialect != Postgres || !q.inTx {
		return nil // SQLite's write transactions are serialized already
	}
	_, err := q.ex.ExecContext(ctx, `SELECT id FROM operators WHERE role = 'admin' FOR UPDATE`)
	return err
}

// SetOperator changes an operator's role and whether it is disabled.
// Errors: not_found, invalid_request (param role).
func (q *Q) SetOperator(ctx context.Context, id, role string, disabled bool) error {
	res, err := q.ex.ExecContext(ctx, `UPDATE operators SET role = $2, disabled = $3 WHERE id = $1`, id, role, disabled)
	if isCheck(err) {
		return market.Invalid("role", "role must be admin, support or finance")
	}
	return affected(res, err, "operator")
}

// InsertOperatorSession stores a session's hash.
func (q *Q) InsertOperatorSession(ctx context.Context, s market.OperatorSession) error {
	_, err := q.ex.ExecContext(ctx, `INSERT INTO operator_sessions (token_hash, operator_id, created_at, expires_at)
		VALUES ($1, $2, $3, $4)`, s.TokenHash, s.OperatorID, ts(s.CreatedAt), ts(s.ExpiresAt))
	return err
}

// OperatorSessionByHash returns a session and its operator. Error:
// not_found.
func (q *Q) OperatorSessionByHash(ctx context.Context, hash string) (market.OperatorSession, market.Operator, error) {
	var s market.OperatorSession
	var created, expires int64
	o, err := scanOperator(&multiScan{row: q.ex.QueryRowContext(ctx, `SELECT o.id, o.email, o.password_hash, o.role, o.disabled, o.created_at,
		s.token_hash, s.created_at, s.expires_at
		FROM operator_sessions s JOIN operators o ON o.id = s.operator_id WHERE s.token_hash = $1`, hash),
		extra: []any{&s.TokenHash, &created, &expires}})
	if errors.Is(err, sql.ErrNoRows) {
		return market.OperatorSession{}, market.Operator{}, market.NotFound("session")
	}
	if err != nil {
		return market.OperatorSession{}, market.Operator{}, err
	}
	s.OperatorID, s.CreatedAt, s.ExpiresAt = o.ID, fromTS(created), fromTS(expires)
	return s, o, nil
}

// multiScan scans a row into a scanner's columns followed by extra ones.
type multiScan struct {
	row   *sql.Row
	extra []any
}

func (m *multiScan) Scan(dest ...any) error { return m.row.Scan(append(dest, m.extra...)...) }

// DeleteOperatorSession ends one session (none is no error).
func (q *Q) DeleteOperatorSession(ctx context.Context, hash string) error {
	_, err := q.ex.ExecContext(ctx, `DELETE FROM operator_sessions WHERE token_hash = $1`, hash)
	return err
}

// DeleteOperatorSessions ends every session of an operator.
func (q *Q) DeleteOperatorSessions(ctx context.Context, operatorID string) error {
	_, err := q.ex.ExecContext(ctx, `DELETE FROM operator_sessions WHERE operator_id = $1`, operatorID)
	return err
}
