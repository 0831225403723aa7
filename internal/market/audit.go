package market

import "time"

// AuditEntry is one change an operator made (migration 00022).
type AuditEntry struct {
	ID string
	// ActorID is the operator's ID, "" for the admin token.
	ActorID string
	// Actor is the operator's e-mail, or "admin token".
	Actor string
	// At is the real time of the change; BusinessAt the service's clock.
	At, BusinessAt time.Time
	Action         string
	ObjectType     string
	ObjectID       string
	// Before and After are the object as JSON, "" when there was none.
	Before, After string
}
