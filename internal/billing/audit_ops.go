package billing

import (
	"context"
	"time"

	"github.com/dialtone/dialtone/internal/store"
)

// Audit entries of operator changes made by more than a store call: a
// refund (written by RefundOrder in the refund's transaction) and a move
// of the sandbox clock (written with each position the clock is kept at,
// in one transaction). Every other change writes its entry in its use case's
// transaction (s.audit).

// OperatorRefund is RefundOrder (which audits the refund in its own
// transaction), under the name the back office and the admin API call.
func (s *Service) OperatorRefund(ctx context.Context, orderID string, in RefundInput) (Refund, error) {
	return s.RefundOrder(ctx, orderID, in)
}

// auditRefund writes a refund to the audit log in the refund's
// transaction q: the order before (as the refund found it, under its
// lock) and after, the refund's amount, items, revoke and credit note.
func (s *Service) auditRefund(ctx context.Context, q *store.Q, r Refund, in RefundInput) error {
	o := r.Order
	before := map[string]any{"status": r.Before.Status, "refunded": r.Before.Refunded, "currency": o.Currency, "total": o.Totals.Total}
	after := map[string]any{"status": o.Status, "refunded": o.Refunded, "currency": o.Currency,
		"refund": r.Payment.ID, "amount": r.Amount, "items": in.Items, "revoke": in.Revoke, "reason": r.Reason,
		"credit_note": r.CreditNote.ID}
	return s.audit(ctx, q, "order.refund", "order", o.ID, before, after)
}

// SandboxClockSetting is the setting that keeps the sandbox clock's
// offset from the wall clock across restarts.
const SandboxClockSetting = "sandbox_clock_offset"

// MoveSandboxClock records a step of an operator's move of the sandbox
// clock towards target, from from to to: the clock's offset from the wall
// clock after it (the setting read at start) and the audit entry
// clock.advance, in one transaction, so that neither is kept without the
// other. A move stops at every moment work falls due (the scheduler runs
// that work there), so a long move may write an entry per step; a crash
// on the way restarts the service at the last step kept, with its entry.
func (s *Service) MoveSandboxClock(ctx context.Context, from, to, target time.Time, offset time.Duration) error {
	ctx = context.WithoutCancel(ctx)
	after := map[string]any{"now": to.UTC().Format(time.RFC3339)}
	if !target.Equal(to) {
		after["moving_to"] = target.UTC().Format(time.RFC3339)
	}
	return s.store.Tx(ctx, func(q *store.Q) error {
		if err := q.PutSetting(ctx, SandboxClockSetting, offset.String()); err != nil {
			return err
		}
		return s.audit(ctx, q, "clock.advance", "clock", "sandbox", map[string]any{"now": from.UTC().Format(time.RFC3339)}, after)
	})
}
