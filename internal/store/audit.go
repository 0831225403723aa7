package store

import (
	"context"
	"time"

	"github.com/dialtone/dialtone/internal/market"
)

// AuditFilter selects audit entries: each field given narrows the list.
type AuditFilter struct {
	Page
	Actor      string    // an operator's e-mail (as stored: lower case), or "admin token"
	ObjectType string    // "plan", "customer", …
	ObjectID   string    // with or without ObjectType
	From, To   time.Time // real time, From inclusive, To exclusive; zero: open
}

const auditCols = `id, actor_id, actor, created_at, business_at, action, object_type, object_id, before_json, after_json`

// InsertAuditEntry appends an entry to the audit log.
func (q *Q) InsertAuditEntry(ctx context.Context, e market.AuditEntry) error {
	_, err := q.ex.ExecContext(ctx, `INSERT INTO audit_log (`+auditCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		e.ID, e.ActorID, e.Actor, ts(e.At), ts(e.BusinessAt), e.Action, e.ObjectType, e.ObjectID, e.Before, e.After)
	return err
}

// HasAuditEntry reports whether id is an entry of the audit log (whether
// it can be a list's cursor).
func (q *Q) HasAuditEntry(ctx context.Context, id string) (bool, error) {
	var n int
	err := q.ex.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE id = $1`, id).Scan(&n)
	return n > 0, err
}

// AuditEntries lists the entries that match f, newest first, a page at a
// time (one more than the limit, so that the caller knows whether there
// are more).
func (q *Q) AuditEntries(ctx context.Context, f AuditFilter) ([]market.AuditEntry, error) {
	// Only the filters given, so that the planner reads the index of the
	// one that narrows most (backoffice.go conds).
	var c conds
	c.below("id", f.After)
	c.eq("actor", f.Actor)
	c.eq("object_type", f.ObjectType)
	c.eq("object_id", f.ObjectID)
	c.span("created_at", f.From, f.To)
	rows, err := q.ex.QueryContext(ctx, `SELECT `+auditCols+` FROM audit_log`+c.where()+` ORDER BY id DESC LIMIT `+c.next(), c.with(f.limit()+1)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []market.AuditEntry
	for rows.Next() {
		var e market.AuditEntry
		var at, bat int64
		if err := rows.Scan(&e.ID, &e.ActorID, &e.Actor, &at, &bat, &e.Action, &e.ObjectType, &e.ObjectID, &e.Before, &e.After); err != nil {
			return nil, err
		}
		e.At, e.BusinessAt = fromTS(at), fromTS(bat)
		out = append(out, e)
	}
	return out, rows.Err()
}
