package store_test

import (
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
)

// Contract: the back office's operators, their sessions and the audit log
// (migration 00022).
func init() {
	addContract(map[string]contractCase{
		"Q.InsertOperator": func(t *testing.T, st *store.Store) {
			t.Run("ok", func(t *testing.T) {
				q := txQ(t, st)
				o := fxOperator(t, q, "opr_1", "Ann@x.test", "admin")
				got, err := q.Operator(ctx, "opr_1")
				must(t, err)
				eq(t, "operator", got, o)
			})
			t.Run("role", func(t *testing.T) {
				q := txQ(t, st)
				wantCode(t, q.InsertOperator(ctx, market.Operator{ID: "opr_2", Email: "b@x.test", PasswordHash: "h", Role: "owner", CreatedAt: tµ}),
					market.CodeInvalidRequest, "role")
			})
			t.Run("email", func(t *testing.T) {
				q := txQ(t, st)
				fxOperator(t, q, "opr_1", "ann@x.test", "admin")
				wantCode(t, q.InsertOperator(ctx, market.Operator{ID: "opr_2", Email: "ANN@x.test", PasswordHash: "h", Role: "support", CreatedAt: tµ}),
					market.CodeConflict, "email")
			})
		},
		"Q.Operator": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			o := fxOperator(t, q, "opr_1", "a@x.test", "finance")
			got, err := q.Operator(ctx, "opr_1")
			must(t, err)
			eq(t, "operator", got, o)
			_, err = q.Operator(ctx, "opr_none")
			wantNotFound(t, err)
		},
		"Q.OperatorByEmail": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			o := fxOperator(t, q, "opr_1", "Ann@x.test", "support")
			got, err := q.OperatorByEmail(ctx, "ann@X.TEST")
			must(t, err)
			eq(t, "operator", got, o)
			_, err = q.OperatorByEmail(ctx, "bob@x.test")
			wantNotFound(t, err)
		},
		"Q.Operators": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			a := fxOperator(t, q, "opr_1", "a@x.test", "admin")
			b := fxOperator(t, q, "opr_2", "b@x.test", "support")
			c := fxOperator(t, q, "opr_3", "c@x.test", "finance")
			got, err := q.Operators(ctx, store.Page{Limit: 2})
			must(t, err)
			eq(t, "first page (one more than the limit)", got, []market.Operator{c, b, a})
			got, err = q.Operators(ctx, store.Page{Limit: 2, After: "opr_2"})
			must(t, err)
			eq(t, "after opr_2", got, []market.Operator{a})
		},
		"Q.CountActiveAdmins": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxOperator(t, q, "opr_1", "a@x.test", "admin")
			fxOperator(t, q, "opr_2", "b@x.test", "admin")
			fxOperator(t, q, "opr_3", "c@x.test", "support")
			must(t, q.SetOperator(ctx, "opr_2", "admin", true))
			n, err := q.CountActiveAdmins(ctx)
			must(t, err)
			eq(t, "active admins", n, 1)
		},
		"Q.LockOperators": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxOperator(t, q, "opr_1", "a@x.test", "admin")
			must(t, q.LockOperators(ctx))
			must(t, st.Read().LockOperators(ctx)) // outside a transaction: nothing to lock
		},
		"Q.SetOperator": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			o := fxOperator(t, q, "opr_1", "a@x.test", "admin")
			must(t, q.SetOperator(ctx, "opr_1", "finance", true))
			got, err := q.Operator(ctx, "opr_1")
			must(t, err)
			o.Role, o.Disabled = "finance", true
			eq(t, "operator", got, o)
			wantNotFound(t, q.SetOperator(ctx, "opr_none", "admin", false))
			wantCode(t, q.SetOperator(ctx, "opr_1", "root", false), market.CodeInvalidRequest, "role")
		},
		"Q.InsertOperatorSession": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			o := fxOperator(t, q, "opr_1", "a@x.test", "support")
			s := market.OperatorSession{TokenHash: "h1", OperatorID: "opr_1", CreatedAt: tµ, ExpiresAt: tµ.Add(time.Hour)}
			must(t, q.InsertOperatorSession(ctx, s))
			gs, go_, err := q.OperatorSessionByHash(ctx, "h1")
			must(t, err)
			eq(t, "session", gs, market.OperatorSession{TokenHash: "h1", OperatorID: "opr_1", CreatedAt: µs(tµ), ExpiresAt: µs(tµ.Add(time.Hour))})
			eq(t, "operator", go_, o)
		},
		"Q.OperatorSessionByHash": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxOperator(t, q, "opr_1", "a@x.test", "support")
			must(t, q.InsertOperatorSession(ctx, market.OperatorSession{TokenHash: "h1", OperatorID: "opr_1", CreatedAt: tµ, ExpiresAt: tµ}))
			_, _, err := q.OperatorSessionByHash(ctx, "h2")
			wantNotFound(t, err)
		},
		"Q.DeleteOperatorSession": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxOperator(t, q, "opr_1", "a@x.test", "support")
			must(t, q.InsertOperatorSession(ctx, market.OperatorSession{TokenHash: "h1", OperatorID: "opr_1", CreatedAt: tµ, ExpiresAt: tµ}))
			must(t, q.InsertOperatorSession(ctx, market.OperatorSession{TokenHash: "h2", OperatorID: "opr_1", CreatedAt: tµ, ExpiresAt: tµ}))
			must(t, q.DeleteOperatorSession(ctx, "h1"))
			must(t, q.DeleteOperatorSession(ctx, "h1")) // gone already: no error
			_, _, err := q.OperatorSessionByHash(ctx, "h1")
			wantNotFound(t, err)
			_, _, err = q.OperatorSessionByHash(ctx, "h2")
			must(t, err)
		},
		"Q.DeleteOperatorSessions": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxOperator(t, q, "opr_1", "a@x.test", "support")
			fxOperator(t, q, "opr_2", "b@x.test", "support")
			must(t, q.InsertOperatorSession(ctx, market.OperatorSession{TokenHash: "h1", OperatorID: "opr_1", CreatedAt: tµ, ExpiresAt: tµ}))
			must(t, q.InsertOperatorSession(ctx, market.OperatorSession{TokenHash: "h2", OperatorID: "opr_1", CreatedAt: tµ, ExpiresAt: tµ}))
			must(t, q.InsertOperatorSession(ctx, market.OperatorSession{TokenHash: "h3", OperatorID: "opr_2", CreatedAt: tµ, ExpiresAt: tµ}))
			must(t, q.DeleteOperatorSessions(ctx, "opr_1"))
			for _, h := range []string{"h1", "h2"} {
				_, _, err := q.OperatorSessionByHash(ctx, h)
				wantNotFound(t, err)
			}
			_, _, err := q.OperatorSessionByHash(ctx, "h3")
			must(t, err)
		},
		"Q.InsertAuditEntry": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			e := fxAudit(t, q, "aud_1", "ann@x.test", "plan", "pro", tµ)
			got, err := q.AuditEntries(ctx, store.AuditFilter{})
			must(t, err)
			eq(t, "entries", got, []market.AuditEntry{e})
		},
		"Q.HasAuditEntry": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxAudit(t, q, "aud_1", "ann@x.test", "plan", "pro", tµ)
			ok, err := q.HasAuditEntry(ctx, "aud_1")
			must(t, err)
			eq(t, "known", ok, true)
			ok, err = q.HasAuditEntry(ctx, "aud_2")
			must(t, err)
			eq(t, "unknown", ok, false)
		},
		"Q.AuditEntries": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			a := fxAudit(t, q, "aud_1", "ann@x.test", "plan", "pro", tµ)
			b := fxAudit(t, q, "aud_2", "admin token", "customer", "cus_1", tµ.Add(24*time.Hour))
			c := fxAudit(t, q, "aud_3", "ann@x.test", "customer", "cus_2", tµ.Add(48*time.Hour))
			for _, tc := range []struct {
				name string
				f    store.AuditFilter
				want []market.AuditEntry
			}{
				{"all", store.AuditFilter{}, []market.AuditEntry{c, b, a}},
				{"page", store.AuditFilter{Page: store.Page{Limit: 1, After: "aud_3"}}, []market.AuditEntry{b, a}},
				{"who", store.AuditFilter{Actor: "ann@x.test"}, []market.AuditEntry{c, a}},
				{"who is exact", store.AuditFilter{Actor: "ANN@x.test"}, nil},
				{"type", store.AuditFilter{ObjectType: "customer"}, []market.AuditEntry{c, b}},
				{"object", store.AuditFilter{ObjectID: "cus_1"}, []market.AuditEntry{b}},
				{"from", store.AuditFilter{From: tµ.Add(24 * time.Hour)}, []market.AuditEntry{c, b}},
				{"to (exclusive)", store.AuditFilter{To: tµ.Add(24 * time.Hour)}, []market.AuditEntry{a}},
				{"none", store.AuditFilter{Actor: "bob@x.test"}, nil},
			} {
				got, err := q.AuditEntries(ctx, tc.f)
				must(t, err)
				eq(t, tc.name, got, tc.want)
			}
		},
	})
}

func fxOperator(t *testing.T, q *store.Q, id, email, role string) market.Operator {
	t.Helper()
	o := market.Operator{ID: id, Email: email, PasswordHash: "hash-" + id, Role: role, CreatedAt: tµ}
	must(t, q.InsertOperator(ctx, o))
	o.CreatedAt = µs(tµ)
	return o
}

func fxAudit(t *testing.T, q *store.Q, id, actor, objType, objID string, at time.Time) market.AuditEntry {
	t.Helper()
	e := market.AuditEntry{ID: id, ActorID: "opr_1", Actor: actor, At: at, BusinessAt: at.Add(time.Hour), Action: objType + ".update",
		ObjectType: objType, ObjectID: objID, Before: `{"a":1}`, After: `{"a":2}`}
	must(t, q.InsertAuditEntry(ctx, e))
	e.At, e.BusinessAt = µs(at), µs(at.Add(time.Hour))
	return e
}
