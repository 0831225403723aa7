package admin

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
)

// The audit log: every change made by an operator or with the admin
// token, newest first, filtered by who, object and date.

func (a *Admin) auditRoutes() {
	a.handle("GET /admin/audit", areaAudit, a.auditPage)
}

func (a *Admin) auditList() listSpec[market.AuditEntry] {
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
	return listSpec[market.AuditEntry]{
		Name:    "audit-log",
		Filters: []string{"who", "object_type", "object", "from", "to"},
		Fetch: func(ctx context.Context, q url.Values, p billing.Page) ([]market.AuditEntry, error) {
			f, err := billing.NewAuditFilter(q.Get("who"), q.Get("object_type"), q.Get("object"), q.Get("from"), q.Get("to"))
			if err != nil {
				return nil, err
			}
			f.Page = p
			return a.svc.AuditLog(ctx, f)
		},
		ID: func(e market.AuditEntry) string { return e.ID },
		CSV: []column[market.AuditEntry]{
			{"id", func(e market.AuditEntry) string { return e.ID }},
			{"at", func(e market.AuditEntry) string { return ts(e.At) }},
			{"business_at", func(e market.AuditEntry) string { return ts(e.BusinessAt) }},
			{"who", func(e market.AuditEntry) string { return e.Actor }},
			{"operator_id", func(e market.AuditEntry) string { return e.ActorID }},
			{"action", func(e market.AuditEntry) string { return e.Action }},
			{"object_type", func(e market.AuditEntry) string { return e.ObjectType }},
			{"object_id", func(e market.AuditEntry) string { return e.ObjectID }},
			{"before", func(e market.AuditEntry) string { return e.Before }},
			{"after", func(e market.AuditEntry) string { return e.After }},
		},
	}
}

func (a *Admin) auditPage(w http.ResponseWriter, r *http.Request, _ billing.Actor) {
	showList(a, w, r, http.StatusOK, a.auditList(), "audit", view{Title: "Audit log", Area: areaAudit}, nil)
}
