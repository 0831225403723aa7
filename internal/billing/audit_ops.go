package billing

import (
	"context"
	"time"

	"github.com/dialtone/dialtone/internal/store"
)

// Operator changes whose use case is not audited in its own transaction:
// a refund (refund.go calls the gateway inside its transaction and stays
// as it is) and a move of the sandbox clock (the server moves it). Their
// entry is written right after the change, in a transaction of its own;
// a crash in between loses the entry, not the change.

// OperatorRefund refunds (part of) an order as RefundOrder does and
// writes the refund to the audit log: the order before and after, the
// refund's amount, items, revoke and credit note. Errors: RefundOrder's.
func (s *Service) OperatorRefund(ctx context.Context, orderID string, in RefundInput) (Refund, error) {
	before, err := s.store.Read().Order(ctx, "", orderID)
	if err != nil {
		return Refund{}, err
	}
	r, err := s.RefundOrder(ctx, orderID, in)
	if err != nil {
		return r, err
	}
	after := map[string]any{"status": r.Order.Status, "refunded": r.Order.Refunded, "currency": r.Order.Currency,
		"refund": r.Payment.ID, "amount": r.Amount, "items": in.Items, "revoke": in.Revoke, "reason": r.Reason,
		"credit_note": r.CreditNote.ID}
	err = s.store.Tx(context.WithoutCancel(ctx), func(q *store.Q) error {
		return s.audit(ctx, q, "order.refund", "order", orderID,
			map[string]any{"status": before.Status, "refunded": before.Refunded, "currency": before.Currency, "total": before.Totals.Total}, after)
	})
	if err != nil {
		s.log.ErrorContext(ctx, "audit: refund made but not audited", "order", orderID, "refund", r.Payment.ID, "err", err)
	}
	return r, nil
}

// ClockMoved writes a move of the sandbox clock to the audit log.
func (s *Service) ClockMoved(ctx context.Context, from, to time.Time) error {
	return s.store.Tx(ctx, func(q *store.Q) error {
		return s.audit(ctx, q, "clock.advance", "clock", "sandbox",
			map[string]any{"now": from.UTC().Format(time.RFC3339)}, map[string]any{"now": to.UTC().Format(time.RFC3339)})
	})
}
