package billing

// Refunds (API.md "POST /v1/admin/orders/{id}/refunds"). The rules, as
// built here:
//
//   - Money goes back the way it came. A card-paid order is refunded through
//     the gateway (Refund of the payment's gateway_ref) and posts
//     gateway <- revenue, tax. A balance-paid order credits the customer's
//     balance: revenue, tax -> balance.
//   - The part of a card-paid order that was a balance top-up leaves the
//     balance again (balance -> gateway): the customer gets the card money
//     back, so the credit it bought goes. If the balance no longer holds it,
//     the refund is refused with insufficient_funds (with "missing").
//   - A refund is any amount up to what is left (total - refunded); without
//     an amount, all that is left. It is split between the accounts in
//     proportion to the order, rounded once: the top-up part is
//     round(amount x top-up / total); of the rest, the tax part is
//     round(rest x tax / (total - top-up)) — for an order without a top-up
//     simply round(amount x tax / total) — and the net part is what remains.
//     The rounding is applied to the refunded total so far, and each refund
//     takes the difference, so that partial refunds of an order always add
//     up exactly to its net, tax and top-up, and no part ever passes what
//     the order had (for a first refund this is the formula above).
//   - Each refund is a payment (purpose refund, negative amount, refund_of
//     the order's payment, the method of the original) shown in the Billing
//     tab, and a credit note: an invoice of kind credit_note numbered from
//     the same gapless yearly sequence as invoices. A credit note's lines
//     and totals are negative — it is the negative of what it gives back —
//     so the sum of a period's invoices and credit notes is what was kept,
//     and its sign matches the refund's row in the Billing tab. Refunding a
//     whole order at once mirrors its lines; a partial refund shows one line
//     for the taxed part (at the order's tax rate) and one for a top-up part.
//   - Without revoke a refund moves money only: it does not cancel
//     subscriptions, release numbers or give a promo redemption back.
//     With revoke (issue 17), in the same transaction, what each refunded
//     item (items, by position; default all) bought ends — see revoke.go.
//   - Everything happens in one transaction under the customer's lock (and
//     the order's row lock). The gateway refund comes after every check and
//     every change of balances and the order, so that a refusal or a
//     failure of ours before it changes nothing anywhere; only the credit
//     note (numbered last, so that the invoice sequence, one lock for all
//     customers, is not held while the gateway is called) and the commit
//     follow it. If those fail after the gateway refunded (the database
//     went away), the card has been refunded but nothing records it: that
//     is logged at error level ("REFUND NOT RECORDED", with the order,
//     charge, gateway refund and amount) for reconciliation by hand, and
//     the operator gets a 500 that says not to retry (a retry would refund
//     twice; the gateway API has no idempotency key for refunds). A
//     retried transaction (serialization failure, deadlock) records the
//     gateway refund already made rather than making another. The
//     transaction does not follow the caller's cancellation, so a client
//     hanging up cannot cause that state.

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
	"github.com/dialtone/dialtone/internal/payment"
	"github.com/dialtone/dialtone/internal/store"
)

// RefundInput is an operator's refund of an order.
type RefundInput struct {
	Amount *int64 `json:"amount,omitempty" doc:"Minor units of the order's currency to give back; default: all that is left."`
	Reason string `json:"reason" maxLength:"500" doc:"Why, for the customer's Billing tab and the credit note."`
	Items  []int  `json:"items,omitempty" maxItems:"100" doc:"The order's items refunded, by their position in the order's items (1 = the first); default: all. Without amount, the refund is what those items cost (with tax, after discount), at most what is left."`
	Revoke bool   `json:"revoke,omitempty" doc:"End what the refunded items bought (PRODUCT.md \"Cancelling and refunds\"): a renewal's period is removed, a new subscription ends now (canceled), a phone number is released into quarantine. Without it, money moves only."`
}

// Refund is a refund made: its payment (the Billing tab row, with a
// negative amount), the order after it, how it was split and its credit
// note.
type Refund struct {
	Payment    store.Payment
	Order      Order
	Amount     int64 // given back, positive
	Net        int64 // taken back from revenue
	Tax        int64 // taken back from tax
	TopUp      int64 // taken back from the customer's balance (card-paid top-ups)
	Reason     string
	CreditNote store.Invoice
}

// refundSplit is how a refund divides between revenue (Net), tax (Tax) and
// the customer's balance (TopUp, a top-up bought by card).
type refundSplit struct{ Net, Tax, TopUp int64 }

// refundedSplit returns the split of the first `a` minor units refunded of
// an order. It is monotone in a and equals the order's own net, tax and
// top-up at a = total, so differences of it never go negative nor add up
// past the order.
func refundedSplit(t market.Totals, topUp, a int64) (refundSplit, error) {
	if t.Total <= 0 || a <= 0 {
		return refundSplit{}, nil
	}
	up, err := money.MulDivRound(a, topUp, t.Total)
	if err != nil {
		return refundSplit{}, err
	}
	rest := a - up
	var tax int64
	if taxed := t.Total - topUp; taxed > 0 {
		if tax, err = money.MulDivRound(rest, t.Tax, taxed); err != nil {
			return refundSplit{}, err
		}
	}
	return refundSplit{Net: rest - tax, Tax: tax, TopUp: up}, nil
}

// splitRefund returns the split of refunding amount after `before` was
// refunded already.
func splitRefund(t market.Totals, topUp, before, amount int64) (refundSplit, error) {
	a, err := refundedSplit(t, topUp, before+amount)
	if err != nil {
		return refundSplit{}, err
	}
	b, err := refundedSplit(t, topUp, before)
	if err != nil {
		return refundSplit{}, err
	}
	return refundSplit{Net: a.Net - b.Net, Tax: a.Tax - b.Tax, TopUp: a.TopUp - b.TopUp}, nil
}

// RefundOrder gives (part of) a paid order back the way it was paid and
// issues a credit note (see the rules at the top of this file). Errors:
// not_found (the order), invalid_request naming amount (not positive, or
// more than is left) or reason (missing), insufficient_funds (a card-paid
// top-up whose credit the balance no longer holds).
func (s *Service) RefundOrder(ctx context.Context, orderID string, in RefundInput) (Refund, error) {
	in.Reason = strings.TrimSpace(in.Reason)
	switch {
	case in.Reason == "":
		return Refund{}, market.Invalid("reason", "a reason is required")
	case len(in.Reason) > 500:
		return Refund{}, market.Invalid("reason", "the reason has at most 500 characters")
	case in.Amount != nil && *in.Amount <= 0:
		return Refund{}, market.Invalid("amount", "amount must be positive (minor units), or left out to refund all that is left")
	}
	o, err := s.store.Read().Order(ctx, "", orderID)
	if err != nil {
		return Refund{}, err
	}
	// The attempt, and with it the gateway refund, survives the store's
	// retries of the transaction: a rerun records the refund already made
	// instead of making another.
	var at refundAttempt
	var res Refund
	ctx = context.WithoutCancel(ctx)
	err = s.store.Tx(ctx, func(q *store.Q) error {
		var err error
		if res, err = s.refund(ctx, q, o.CustomerID, orderID, in, &at); err != nil {
			return err
		}
		return s.emit(ctx, q, EventRefundCreated, func() (any, error) { return res, nil })
	})
	if err != nil && at.gw != nil {
		s.log.Error("REFUND NOT RECORDED: the gateway refunded the card but the transaction failed; reconcile by hand, do not retry",
			"order", orderID, "customer", o.CustomerID, "charge", at.charge, "gateway_refund", at.gw.ID,
			"amount", at.amount, "currency", o.Currency, "err", err)
		return Refund{}, &market.Error{Code: market.CodeInternal, Message: fmt.Sprintf(
			"the card was refunded (gateway refund %s) but recording it failed: do not retry; it is logged for reconciliation", at.gw.ID)}
	}
	return res, err
}

// refundAttempt is what a refund did outside the database.
type refundAttempt struct {
	gw     *payment.Refund // the gateway's refund, once made
	charge string          // the charge it refunded
	amount int64
}

// refund is RefundOrder's transaction.
func (s *Service) refund(ctx context.Context, q *store.Q, customerID, orderID string, in RefundInput, at *refundAttempt) (Refund, error) {
	now := s.now()
	cust, err := q.LockCustomer(ctx, customerID)
	if err != nil {
		return Refund{}, err
	}
	o, err := q.Order(ctx, cust.ID, orderID)
	if err != nil {
		return Refund{}, err
	}
	orig, err := q.PaymentByID(ctx, o.PaymentID)
	if err != nil {
		return Refund{}, fmt.Errorf("order %s: payment: %w", o.ID, err)
	}
	left := o.Totals.Total - o.Refunded
	amount := left
	lines, err := refundLines(o, in.Items)
	if err != nil {
		return Refund{}, err
	}
	if in.Amount != nil {
		amount = *in.Amount
	} else if len(in.Items) > 0 {
		var sum int64
		for _, l := range lines {
			sum += l.Total()
		}
		amount = min(sum, left)
	}
	cur := o.Currency
	fmtAmt := func(v int64) string { return money.Format(money.New(v, cur)) }
	switch {
	case left <= 0 && o.Refunded > 0:
		return Refund{}, market.Invalid("amount", "order %s has been refunded in full already", o.ID)
	case left <= 0:
		return Refund{}, market.Invalid("amount", "order %s was free: there is nothing to refund", o.ID)
	case amount > left:
		return Refund{}, market.Invalid("amount", "at most %s of order %s is left to refund (%s of %s refunded already)",
			fmtAmt(left), o.ID, fmtAmt(o.Refunded), fmtAmt(o.Totals.Total))
	}
	if orig.Method != "card" && orig.Method != "balance" {
		return Refund{}, fmt.Errorf("order %s: cannot refund a payment by %q", o.ID, orig.Method)
	}
	if at.gw != nil && (at.charge != orig.GatewayRef || at.amount != amount) {
		// A rerun must record what the gateway did, nothing else.
		return Refund{}, fmt.Errorf("order %s: refund rerun differs from the gateway refund %s", o.ID, at.gw.ID)
	}
	sp, err := splitRefund(o.Totals, market.TopUpTotal(o.Lines), o.Refunded, amount)
	if err != nil {
		return Refund{}, err
	}
	if orig.Method == "card" && sp.TopUp > cust.Balance {
		missing := sp.TopUp - cust.Balance
		return Refund{}, &market.Error{Code: market.CodeInsufficientFunds, Param: "amount",
			Message: fmt.Sprintf("this refund takes back %s of balance top-up but the balance is %s: the credit has been spent",
				fmtAmt(sp.TopUp), fmtAmt(cust.Balance)),
			Extra: map[string]any{"missing": missing, "currency": cur}}
	}

	pay := store.Payment{ID: s.ids.New("pay"), CustomerID: cust.ID, OrderID: o.ID, InvoiceID: s.ids.New("inv"), Purpose: market.PurposeRefund,
		Description: "Refund of order " + o.ID + ": " + in.Reason, Method: orig.Method, Amount: -amount, Currency: cur,
		CardBrand: orig.CardBrand, CardLast4: orig.CardLast4, PaymentMethodID: orig.PaymentMethodID, RefundOf: orig.ID, CreatedAt: now}
	if err := q.InsertPayment(ctx, pay); err != nil {
		return Refund{}, err
	}
	payer := store.SystemAccount("gateway", cur)
	if orig.Method == "balance" {
		payer = store.BalanceAccount(cust.ID)
	}
	if err := postNonZero(ctx, q, store.LedgerTx{ID: s.ids.New("ltx"), CustomerID: cust.ID, Kind: "refund", Description: pay.Description,
		PaymentID: pay.ID, OrderID: o.ID, Currency: cur, CreatedAt: now, Postings: []store.Posting{
			{Account: payer, Amount: amount},
			{Account: store.SystemAccount("revenue", cur), Amount: -sp.Net},
			{Account: store.SystemAccount("tax", cur), Amount: -sp.Tax},
			{Account: store.BalanceAccount(cust.ID), Amount: -sp.TopUp}}}); err != nil {
		return Refund{}, err
	}
	if err := q.AddRefunded(ctx, o.ID, amount); err != nil {
		return Refund{}, err
	}
	if in.Revoke {
		// Before the gateway refund: a revoke that cannot be done refuses
		// the whole refund while nothing has moved outside the database.
		if err := s.revoke(ctx, q, cust.ID, o, lines, now); err != nil {
			return Refund{}, err
		}
	}
	res := Refund{Payment: pay, Amount: amount, Net: sp.Net, Tax: sp.Tax, TopUp: sp.TopUp, Reason: in.Reason}
	if orig.Method == "card" {
		// After every check and change of the customer's money, so that
		// nothing of ours but a database failure can follow the card money
		// moving; before the credit note, so that the invoice sequence (one
		// lock for all customers) is not held during a call to the gateway.
		if at.gw == nil {
			// The key names this refund by what was refunded before it, so
			// that a request retried after a crash (the gateway refunded,
			// our commit did not land) gets the same gateway refund back,
			// while a later refund of the same amount is a new one.
			key := fmt.Sprintf("%s/refund/%d/%d", o.ID, o.Refunded, amount)
			r, err := s.gateway.Refund(ctx, payment.RefundInput{ChargeID: orig.GatewayRef, Amount: amount, Currency: cur, IdempotencyKey: key})
			if err != nil {
				return Refund{}, fmt.Errorf("refund of order %s: %w", o.ID, cardError(err))
			}
			at.gw, at.charge, at.amount = &r, orig.GatewayRef, amount
		}
		if err := q.SetPaymentGatewayRef(ctx, pay.ID, at.gw.ID); err != nil {
			return Refund{}, err
		}
		res.Payment.GatewayRef = at.gw.ID
	}
	if res.CreditNote, err = s.issueCreditNote(ctx, q, cust, o, orig, pay, sp, amount, in.Reason, now); err != nil {
		return Refund{}, err
	}
	if res.Order, err = q.Order(ctx, cust.ID, o.ID); err != nil {
		return Refund{}, err
	}
	return res, nil
}

// issueCreditNote numbers and stores the credit note of a refund, with the
// buyer of the order's invoice and negative amounts.
func (s *Service) issueCreditNote(ctx context.Context, q *store.Q, cust store.Customer, o Order, orig, pay store.Payment,
	sp refundSplit, amount int64, reason string, now time.Time) (store.Invoice, error) {
	doc := InvoiceDoc{Kind: "credit_note", IssuedAt: now, Seller: s.cfg.Seller, Currency: o.Currency,
		PaymentNote: refundNote(orig, pay, sp.TopUp)}
	ref := "order " + o.ID
	if inv, err := q.Invoice(ctx, cust.ID, o.InvoiceID); err == nil {
		var orig InvoiceDoc
		if err := json.Unmarshal([]byte(inv.Document), &orig); err != nil {
			return store.Invoice{}, fmt.Errorf("invoice %s: %w", inv.ID, err)
		}
		doc.BuyerName, doc.BuyerLines, doc.BuyerVATID = orig.BuyerName, orig.BuyerLines, orig.BuyerVATID
		ref = "invoice " + inv.Number + ", order " + o.ID
	} else if !market.IsCode(err, market.CodeNotFound) {
		return store.Invoice{}, err
	} else {
		doc.BuyerName, doc.BuyerLines, doc.BuyerVATID = buyerOf(cust, nil)
	}
	doc.Reference = "Credit note for " + ref + ": " + reason
	if o.Refunded == 0 && amount == o.Totals.Total {
		for _, l := range o.Lines {
			doc.Lines = append(doc.Lines, InvoiceLine{Description: l.Description, Quantity: l.Quantity, UnitAmount: -l.UnitAmount,
				Amount: -l.Amount, Discount: -l.Discount, TaxRate: l.TaxRate.String(), Tax: -l.Tax, Total: -l.Total()})
		}
		doc.Subtotal, doc.Discount, doc.Tax, doc.Total = -o.Totals.Subtotal, -o.Totals.Discount, -o.Totals.Tax, -o.Totals.Total
		return s.storeInvoice(ctx, q, cust.ID, o.ID, pay.InvoiceID, doc, now)
	}
	if taxed := sp.Net + sp.Tax; taxed > 0 {
		rate := money.Rate{}
		var what []market.Line
		for _, l := range o.Lines {
			if l.Taxable() {
				if !l.TaxRate.IsZero() {
					rate = l.TaxRate
				}
				what = append(what, l)
			}
		}
		doc.Lines = append(doc.Lines, InvoiceLine{Description: "Partial refund: " + describe(what), Quantity: 1,
			UnitAmount: -sp.Net, Amount: -sp.Net, TaxRate: rate.String(), Tax: -sp.Tax, Total: -taxed})
	}
	if sp.TopUp > 0 {
		doc.Lines = append(doc.Lines, InvoiceLine{Description: "Balance top-up taken back", Quantity: 1,
			UnitAmount: -sp.TopUp, Amount: -sp.TopUp, TaxRate: "0", Total: -sp.TopUp})
	}
	doc.Subtotal, doc.Tax, doc.Total = -(sp.Net + sp.TopUp), -sp.Tax, -amount
	return s.storeInvoice(ctx, q, cust.ID, o.ID, pay.InvoiceID, doc, now)
}

// refundNote says on a credit note where the money went.
func refundNote(orig, pay store.Payment, topUp int64) string {
	day := pay.CreatedAt.Format(time.DateOnly)
	var note string
	switch orig.Method {
	case "card":
		note = fmt.Sprintf("Refunded to %s •••• %s on %s (refund %s of payment %s)", payment.BrandName(orig.CardBrand), orig.CardLast4, day, pay.ID, orig.ID)
		if topUp > 0 {
			note += fmt.Sprintf("; %s of prepaid balance taken back", money.Format(money.New(topUp, pay.Currency)))
		}
	default:
		note = fmt.Sprintf("Credited to the prepaid balance on %s (refund %s of payment %s)", day, pay.ID, orig.ID)
	}
	return note
}
