package api

import (
	"context"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
)

// AuditEntryResponse is an entry of the audit log.
type AuditEntryResponse struct {
	ID         string    `json:"id"`
	Actor      string    `json:"actor" doc:"Who: the operator's e-mail, or \"admin token\"."`
	OperatorID string    `json:"operator_id,omitempty" doc:"The operator's ID (absent for the admin token)."`
	At         time.Time `json:"created_at" doc:"When, in real time."`
	BusinessAt time.Time `json:"business_at" doc:"When, on the service's clock (the sandbox clock can move)."`
	Action     string    `json:"action" doc:"What, e.g. plan.update, customer.balance_adjustment, order.refund."`
	ObjectType string    `json:"object_type"`
	ObjectID   string    `json:"object_id"`
	Before     string    `json:"before" doc:"The object before the change as JSON; empty when there was none."`
	After      string    `json:"after" doc:"The object after the change as JSON; empty when there is none."`
}

type auditIn struct {
	PageParams
	Actor      string `query:"actor" maxLength:"254" doc:"Only the changes of this operator (e-mail) or of \"admin token\"."`
	ObjectType string `query:"object_type" maxLength:"40" doc:"Only changes of objects of this type (plan, promo_code, customer, order, operator, …)."`
	ObjectID   string `query:"object_id" maxLength:"100" doc:"Only changes of this object."`
	From       string `query:"from" maxLength:"40" doc:"From this time (RFC 3339) or date (YYYY-MM-DD), in real time."`
	To         string `query:"to" maxLength:"40" doc:"Before this time (RFC 3339), or up to and including this date (YYYY-MM-DD)."`
}

func (s *Handler) AdminListAuditLog(ctx context.Context, _ billing.Principal, in *auditIn) (*out[List[AuditEntryResponse]], error) {
	f, err := billing.NewAuditFilter(in.Actor, in.ObjectType, in.ObjectID, in.From, in.To)
	if err != nil {
		return nil, err
	}
	f.Page = in.page()
	es, err := s.svc.AuditLog(ctx, f)
	if err != nil {
		return nil, err
	}
	return reply(listOf(es, in.Limit, func(e market.AuditEntry) AuditEntryResponse {
		return AuditEntryResponse{ID: e.ID, Actor: e.Actor, OperatorID: e.ActorID, At: e.At, BusinessAt: e.BusinessAt,
			Action: e.Action, ObjectType: e.ObjectType, ObjectID: e.ObjectID, Before: e.Before, After: e.After}
	})), nil
}
