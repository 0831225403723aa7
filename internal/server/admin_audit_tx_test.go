package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestAuditInTheChangesTransaction: a refund and a move of the sandbox
// clock write their audit entry (who, when, what, before, after) in the
// transaction of the change: the clock's offset is kept with the entry
// of the move's step; a refund whose entry cannot be written is not made (PostgreSQL
// refuses a NUL byte in the actor's name, which breaks the entry).
func TestAuditInTheChangesTransaction(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBackOffice(t, st)
		ctx := context.Background()
		if r := b.do("POST", "/v1/admin/clock/advance", adminToken, map[string]any{"seconds": 86400}); r.status != 200 {
			t.Fatalf("advance: %d %s", r.status, r.raw)
		}
		off, ok, err := st.Read().Setting(ctx, billing.SandboxClockSetting)
		if err != nil || !ok || off != b.clk.Offset().String() { // a frozen clock has no offset: 0s
			t.Errorf("the clock's offset kept: %q %v %v", off, ok, err)
		}
		es := b.audit("object_type=clock")
		if len(es) != 1 || es[0]["action"] != "clock.advance" || es[0]["actor"] != "admin token" ||
			!strings.Contains(es[0]["before"].(string), "2026-03-10T09:00:00Z") || !strings.Contains(es[0]["after"].(string), "2026-03-11T09:00:00Z") {
			t.Errorf("clock audit: %v", es)
		}

		// A refund by the API: its entry with the order before and after.
		_, tok, order := b.customerWithOrder("audit-tx@acme.test")
		if r := b.do("POST", "/v1/admin/orders/"+order+"/refunds", adminToken, map[string]any{"items": []int{2}, "reason": "audit"}); r.status != 201 && r.status != 200 {
			t.Fatalf("refund: %d %s", r.status, r.raw)
		}
		es = b.audit("object_type=order&object_id=" + order)
		if len(es) != 1 || es[0]["action"] != "order.refund" || es[0]["actor"] != "admin token" ||
			!strings.Contains(es[0]["before"].(string), `"refunded":0`) || !strings.Contains(es[0]["after"].(string), `"refunded":1000`) {
			t.Errorf("refund audit: %v", es)
		}

		if st.Dialect() != store.Postgres {
			return
		}
		// A balance-paid order, refunded by an actor whose entry cannot be
		// written: nothing of the refund is kept.
		r := b.do("POST", "/v1/orders", tok, map[string]any{"items": []any{
			map[string]any{"type": "subscription", "plan": "start", "quantity": 2, "term_months": 1}},
			"billing_address": b.address(tok), "payment": map[string]any{"method": "balance"}})
		if r.status != 201 {
			t.Fatalf("balance order: %d %s", r.status, r.raw)
		}
		paid, balance := r.body["id"].(string), b.balance(tok)
		bad := billing.WithActor(ctx, billing.Actor{Name: "nul\x00byte", Role: billing.RoleAdmin})
		if _, err := b.svc.RefundOrder(bad, paid, billing.RefundInput{Reason: "no entry"}); err == nil {
			t.Fatal("a refund whose audit entry failed was made")
		}
		if got := num(b.do("GET", "/v1/orders/"+paid, tok, nil).body["refunded"]); got != 0 {
			t.Errorf("refunded %d without an audit entry", got)
		}
		if got := b.balance(tok); got != balance {
			t.Errorf("balance %d, want %d: the refund without its entry moved money", got, balance)
		}
	})
}
