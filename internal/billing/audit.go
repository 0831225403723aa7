package billing

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
)

// The audit log (PRODUCT.md "Logins and the operator"): every change an
// operator makes, in the back office or through the admin API, is written
// with who made it (the Actor in the use case's context), when (real time
// and business time), what (action, object type and ID) and the object
// before and after as JSON. A use case of the operator writes its entry
// with audit, in its own transaction, so that a change is never kept
// without its entry.

// Actor is who makes an operator's change: an operator of the back office,
// or the admin token of the API.
type Actor struct {
	// ID is the operator's ID; "" for the admin token and the command line.
	ID string
	// Name is the operator's e-mail, "admin token" or "command line".
	Name string
	// Role is admin, support or finance (the admin token is admin).
	Role string
}

// AdminToken is the actor of a request with the admin token.
var AdminToken = Actor{Name: "admin token", Role: RoleAdmin}

// CommandLine is the actor of the `dialtone operator` command.
var CommandLine = Actor{Name: "command line", Role: RoleAdmin}

type actorKey struct{}

// WithActor returns ctx carrying the actor of the use cases called with it.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorOf returns the actor of ctx, and whether there is one.
func ActorOf(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok
}

// AuditFilter selects entries of the audit log.
type AuditFilter = store.AuditFilter

// audit writes an entry for a change in the transaction q that makes it.
// before and after are marshalled to JSON (nil: none). A context without
// an actor writes "system".
func (s *Service) audit(ctx context.Context, q *store.Q, action, objType, objID string, before, after any) error {
	a, ok := ActorOf(ctx)
	if !ok {
		a = Actor{Name: "system"}
	}
	b, err := auditJSON(before)
	if err != nil {
		return err
	}
	af, err := auditJSON(after)
	if err != nil {
		return err
	}
	return q.InsertAuditEntry(ctx, market.AuditEntry{ID: s.ids.New("aud"), ActorID: a.ID, Actor: a.Name,
		At: s.wallNow(), BusinessAt: s.now(), Action: action, ObjectType: objType, ObjectID: objID, Before: b, After: af})
}

func auditJSON(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// AuditLog lists the entries that match f, newest first (one more than the
// page's limit when there are more). Error: invalid_request (starting_after)
// for a cursor that is no entry.
func (s *Service) AuditLog(ctx context.Context, f AuditFilter) ([]market.AuditEntry, error) {
	q := s.store.Read()
	if f.After != "" {
		ok, err := q.HasAuditEntry(ctx, f.After)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, market.Invalid("starting_after", "starting_after must be the id of an entry of the audit log")
		}
	}
	return q.AuditEntries(ctx, f)
}

// NewAuditFilter reads the audit log's filters: who (an operator's e-mail
// in any case, "admin token"), the object's type and ID, and from and to, each a date
// (YYYY-MM-DD, the whole day included) or an RFC 3339 time (to exclusive).
// Errors: invalid_request (from, to).
func NewAuditFilter(who, objectType, objectID, from, to string) (AuditFilter, error) {
	f := AuditFilter{Actor: strings.ToLower(strings.TrimSpace(who)), ObjectType: strings.TrimSpace(objectType), ObjectID: strings.TrimSpace(objectID)}
	for _, k := range []struct {
		name, v string
		t       *time.Time
	}{{"from", from, &f.From}, {"to", to, &f.To}} {
		v := strings.TrimSpace(k.v)
		if v == "" {
			continue
		}
		if d, err := time.Parse("2006-01-02", v); err == nil {
			if k.name == "to" {
				d = d.AddDate(0, 0, 1)
			}
			*k.t = d
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return f, market.Invalid(k.name, "%s must be a date like 2027-02-10 or an RFC 3339 time", k.name)
		}
		*k.t = t.UTC()
	}
	return f, nil
}
