package api

import (
	"context"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/web"
)

type refundIn struct {
	idemHeader
	ID   string `path:"id" maxLength:"100"`
	Body billing.RefundInput
}

// RefundResponse is a refund of an order: how much went back and from
// which accounts, its row in the customer's Billing tab and its credit
// note.
type RefundResponse struct {
	ID               string    `json:"id" doc:"The refund's payment ID (pay_...): its row in the Billing tab, with purpose refund and a negative amount."`
	Order            string    `json:"order"`
	OrderStatus      string    `json:"order_status" enum:"partially_refunded,refunded"`
	Amount           int64     `json:"amount" doc:"Given back, in minor units of currency (positive)."`
	Net              int64     `json:"net" doc:"The part taken back from revenue."`
	Tax              int64     `json:"tax" doc:"The part taken back from tax."`
	BalanceDebited   int64     `json:"balance_debited" doc:"For a card-paid balance top-up: the credit taken back from the customer's balance."`
	Currency         string    `json:"currency"`
	Method           string    `json:"method" enum:"card,balance" doc:"Back the way the money came: to the card, or credited to the balance."`
	CardLast4        string    `json:"card_last4,omitempty"`
	Reason           string    `json:"reason"`
	RefundOf         string    `json:"refund_of" doc:"The order's payment."`
	Refunded         int64     `json:"refunded" doc:"The order's refunds so far, this one included."`
	Refundable       int64     `json:"refundable" doc:"What is left to refund of the order."`
	CreditNote       string    `json:"credit_note" doc:"The credit note (an invoice of kind credit_note, with negative amounts)."`
	CreditNoteNumber string    `json:"credit_note_number"`
	CreatedAt        time.Time `json:"created_at"`
}

func refundResponse(r billing.Refund) RefundResponse {
	return RefundResponse{ID: r.Payment.ID, Order: r.Order.ID, OrderStatus: r.Order.Status, Amount: r.Amount, Net: r.Net, Tax: r.Tax,
		BalanceDebited: r.TopUp, Currency: r.Payment.Currency, Method: r.Payment.Method, CardLast4: r.Payment.CardLast4,
		Reason: r.Reason, RefundOf: r.Payment.RefundOf, Refunded: r.Order.Refunded, Refundable: r.Order.Totals.Total - r.Order.Refunded,
		CreditNote: r.CreditNote.ID, CreditNoteNumber: r.CreditNote.Number, CreatedAt: r.Payment.CreatedAt}
}

// adminRefundOrder gives (part of) an order back the way it was paid and
// issues a credit note.
func (s *Handler) AdminRefundOrder(ctx context.Context, _ billing.Principal, in *refundIn) (*out[RefundResponse], error) {
	r, err := s.svc.OperatorRefund(ctx, in.ID, in.Body.Keyed(web.KeyOf(ctx))) // RefundOrder, audited
	if err != nil {
		return nil, err
	}
	return reply(refundResponse(r)), nil
}
