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
//   - A refund is of the order's items (items, by position; default all)
//     and of any amount up to what is left of them (total - refunded of
//     each, and at most what is left of the order); without an amount, all
//     that is left of them. What was refunded of each line (of its amount
//     after discount, of its tax) is kept per line (order_items, migration
//     00017), so a refund of one line never takes back another's money —
//     a license line's refund leaves a top-up line's credit alone — and a
//     line is never refunded past what it had: an item with nothing left
//     is refused (invalid_request naming items[i]), as is an amount more
//     than the items have left (naming amount). The amount is divided over
//     the lines in proportion to what is left of each, and a line's part
//     between its net and tax in proportion to what is left of them,
//     rounded cumulatively, so the parts add up to the amount exactly, no
//     part passes what its line has left and refunding all that is left
//     gives every line exactly its rest. A top-up line's part leaves the
//     balance; the others' net and tax leave revenue and tax.
//   - Each refund is a payment (purpose refund, negative amount, refund_of
//     the order's payment, the method of the original) shown in the Billing
//     tab, and a credit note: an invoice of kind credit_note numbered from
//     the same gapless yearly sequence as invoices. A credit note's lines
//     and totals are negative — it is the negative of what it gives back —
//     so the sum of a period's invoices and credit notes is what was kept,
//     and its sign matches the refund's row in the Billing tab. It has one
//     line per order line refunded: the line itself, negated, when all of it
//     goes back at once, else "Partial refund: <line>" (at the line's tax
//     rate) or "Balance top-up taken back: <line>" with what of it goes back.
//   - Without revoke a refund moves money only: it does not cancel
//     subscriptions, release numbers or give a promo redemption back.
//     With revoke (issue 17), in the same transaction, what each refunded
//     item (items, by position; default all) bought ends — see revoke.go —
//     and the line is marked revoked: naming a revoked item again with
//     revoke is refused (invalid_request naming items[i]); without items,
//     revoke skips the lines revoked already.
//   - Everything happens in one transaction under the customer's lock (and
//     the order's row lock), the refund's audit entry (order.refund: who,
//     the order before and after) included: a refund is never kept without
//     its entry, nor an entry without its refund. The gateway refund comes after every check and
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
	Items  []int  `json:"items,omitempty" maxItems:"100" doc:"The order's items refunded, by their position in the order's items (1 = the first); default: all. The refund takes back only what those items cost (with tax, after discount; a top-up item's credit from the balance), never more than is left of each: without amount, all that is left of them. An item refunded in full already, or revoked already when revoke is set, is refused (invalid_request naming items[i])."`
	Revoke bool   `json:"revoke,omitempty" doc:"End what the refunded items bought (PRODUCT.md \"Cancelling and refunds\"): a renewal's period is removed, a new subscription ends now (canceled), a phone number is released into quarantine. Without it, money moves only."`

	key Key // the request's idempotency key (Keyed)
}

// Refund is a refund made: its payment (the Billing tab row, with a
// negative amount), the order after it, how it was split and its credit
// note.
type Refund struct {
	Payment    market.Payment
	Order      market.Order
	Amount     int64 // given back, positive
	Net        int64 // taken back from revenue
	Tax        int64 // taken back from tax
	TopUp      int64 // taken back from the customer's balance (card-paid top-ups)
	Reason     string
	CreditNote market.Invoice
	// Before is the order as the refund found it (under its lock).
	Before market.Order
}

// refundSplit is how a refund divides between revenue (Net), tax (Tax) and
// the customer's balance (TopUp, a top-up bought by card).
type refundSplit struct{ Net, Tax, TopUp int64 }

// lineRefund is a refund's part of one order line: Net of its amount
// after discount (of a top-up line: the credit taken back), Tax of its tax.
type lineRefund struct {
	Seq      int
	Line     market.Line
	Net, Tax int64
	Before   market.ItemRefund // what was refunded of the line before
}

// lineLeft returns what is left to refund of a line: of its amount after
// discount, and of its tax.
func lineLeft(l market.Line, done market.ItemRefund) (net, tax int64) {
	return max(l.Amount-l.Discount-done.Net, 0), max(l.Tax-done.Tax, 0)
}

// allocate divides amount over the lines in proportion to what is left of
// each (lefts, summing to sum >= amount), and each line's part between its
// net and tax in proportion to what is left of them. Rounding is
// cumulative (the first k lines get round(amount x their left / sum)), so
// the parts add up to amount exactly and no part passes what its line has
// left; refunding all that is left gives each line exactly its rest.
func allocate(lines []lineRefund, lefts [][2]int64, sum, amount int64) error {
	var cum, given int64
	for i := range lines {
		net, tax := lefts[i][0], lefts[i][1]
		cum += net + tax
		upTo, err := money.MulDivRound(amount, cum, sum)
		if err != nil {
			return err
		}
		share := upTo - given
		given = upTo
		if share <= 0 {
			continue
		}
		t, err := money.MulDivRound(share, tax, net+tax)
		if err != nil {
			return err
		}
		lines[i].Net, lines[i].Tax = share-t, t
	}
	return nil
}

// split sums the lines' parts into the accounts they come from.
func split(lines []lineRefund) refundSplit {
	var sp refundSplit
	for _, l := range lines {
		if l.Line.Taxable() {
			sp.Net += l.Net
			sp.Tax += l.Tax
		} else {
			sp.TopUp += l.Net + l.Tax
		}
	}
	return sp
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
	// The credit note names the order's invoice by its number.
	if err := s.awaitNumbers(ctx); err != nil {
		return Refund{}, err
	}
	// The attempt, and with it the gateway refund, survives the store's
	// retries of the transaction: a rerun records the refund already made
	// instead of making another.
	var at refundAttempt
	var res Refund
	ctx = context.WithoutCancel(ctx)
	err = s.store.Tx(ctx, func(q *store.Q) error {
		ref, err := s.firstResult(ctx, q, in.key)
		if err != nil || ref != "" {
			if err == nil {
				res, err = refundOf(ctx, q, ref) // the first request's refund
			}
			return err
		}
		if res, err = s.refund(ctx, q, o.CustomerID, orderID, in, &at); err != nil {
			return err
		}
		if err := bindResult(ctx, q, in.key, res.Payment.ID); err != nil {
			return err
		}
		if err := s.auditRefund(ctx, q, res, in); err != nil {
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
	seqs, err := refundLines(o, in.Items)
	if err != nil {
		return Refund{}, err
	}
	done, err := q.OrderItemRefunds(ctx, o.ID)
	if err != nil {
		return Refund{}, err
	}
	if len(done) != len(o.Lines) {
		return Refund{}, fmt.Errorf("order %s: %d lines but %d refund rows", o.ID, len(o.Lines), len(done))
	}
	cur := o.Currency
	fmtAmt := func(v int64) string { return money.Format(money.New(v, cur)) }
	switch {
	case left <= 0 && o.Refunded > 0:
		return Refund{}, market.Invalid("amount", "order %s has been refunded in full already", o.ID)
	case left <= 0:
		return Refund{}, market.Invalid("amount", "order %s was free: there is nothing to refund", o.ID)
	}
	// What is left of each line refunded; named items must have some left
	// (and, to be revoked, not be revoked already).
	parts := make([]lineRefund, len(seqs))
	lefts := make([][2]int64, len(seqs))
	var rest int64
	for i, seq := range seqs {
		l, d := o.Lines[seq-1], done[seq-1]
		parts[i] = lineRefund{Seq: seq, Line: l, Before: d}
		n, t := lineLeft(l, d)
		lefts[i] = [2]int64{n, t}
		rest += n + t
		if len(in.Items) == 0 {
			continue
		}
		switch {
		case in.Revoke && d.RevokedAt != nil:
			return Refund{}, market.Invalid(fmt.Sprintf("items[%d]", i), "item %d of order %s was revoked already (on %s): leave it out of items",
				seq, o.ID, d.RevokedAt.Format(time.DateOnly))
		case n+t == 0:
			return Refund{}, market.Invalid(fmt.Sprintf("items[%d]", i), "item %d of order %s has been refunded in full already (%s): leave it out of items",
				seq, o.ID, fmtAmt(l.Total()))
		}
	}
	limit := min(rest, left)
	amount := limit
	if in.Amount != nil {
		amount = *in.Amount
	}
	if amount > limit {
		if len(in.Items) > 0 && rest < left {
			return Refund{}, market.Invalid("amount", "at most %s is left to refund of items %s of order %s", fmtAmt(rest), itemList(seqs), o.ID)
		}
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
	if err := allocate(parts, lefts, rest, amount); err != nil {
		return Refund{}, err
	}
	sp := split(parts)
	if orig.Method == "card" && sp.TopUp > cust.Balance {
		missing := sp.TopUp - cust.Balance
		return Refund{}, &market.Error{Code: market.CodeInsufficientFunds, Param: "amount",
			Message: fmt.Sprintf("this refund takes back %s of balance top-up but the balance is %s: the credit has been spent",
				fmtAmt(sp.TopUp), fmtAmt(cust.Balance)),
			Extra: map[string]any{"missing": missing, "currency": cur}}
	}

	pay := market.Payment{ID: s.ids.New("pay"), CustomerID: cust.ID, OrderID: o.ID, InvoiceID: s.ids.New("inv"), Purpose: market.PurposeRefund,
		Description: "Refund of order " + o.ID + ": " + in.Reason, Method: orig.Method, Amount: -amount, Currency: cur,
		CardBrand: orig.CardBrand, CardLast4: orig.CardLast4, PaymentMethodID: orig.PaymentMethodID, RefundOf: orig.ID, CreatedAt: now}
	if err := q.InsertPayment(ctx, pay); err != nil {
		return Refund{}, err
	}
	if err := post(ctx, q, market.LedgerTx{ID: s.ids.New("ltx"), CustomerID: cust.ID, Kind: "refund", Description: pay.Description,
		PaymentID: pay.ID, OrderID: o.ID, Currency: cur, CreatedAt: now},
		market.Movement{Payer: market.Payer(orig.Method), Refund: true, Total: amount, Revenue: sp.Net, Tax: sp.Tax, TopUp: sp.TopUp}); err != nil {
		return Refund{}, err
	}
	if err := q.AddRefunded(ctx, o.ID, amount); err != nil {
		return Refund{}, err
	}
	var revoked []market.Line
	for _, p := range parts {
		r := market.ItemRefund{Seq: p.Seq, Net: p.Net, Tax: p.Tax}
		if in.Revoke && p.Before.RevokedAt == nil {
			r.RevokedAt = &now
			revoked = append(revoked, p.Line)
		}
		if r.Net == 0 && r.Tax == 0 && r.RevokedAt == nil {
			continue
		}
		if err := q.AddItemRefund(ctx, o.ID, r); err != nil {
			return Refund{}, err
		}
	}
	if in.Revoke {
		// Before the gateway refund: a revoke that cannot be done refuses
		// the whole refund while nothing has moved outside the database.
		if err := s.revoke(ctx, q, cust.ID, o, revoked, now); err != nil {
			return Refund{}, err
		}
	}
	res := Refund{Payment: pay, Amount: amount, Net: sp.Net, Tax: sp.Tax, TopUp: sp.TopUp, Reason: in.Reason, Before: o}
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
	if res.CreditNote, err = s.issueCreditNote(ctx, q, cust, o, orig, pay, parts, sp, amount, in.Reason, now); err != nil {
		return Refund{}, err
	}
	if res.Order, err = q.Order(ctx, cust.ID, o.ID); err != nil {
		return Refund{}, err
	}
	return res, nil
}

// issueCreditNote numbers and stores the credit note of a refund, with the
// buyer of the order's invoice and negative amounts: one line per order
// line refunded, the line itself (negated) when all of it goes back at
// once, else what of it goes back.
func (s *Service) issueCreditNote(ctx context.Context, q *store.Q, cust market.Customer, o market.Order, orig, pay market.Payment,
	parts []lineRefund, sp refundSplit, amount int64, reason string, now time.Time) (market.Invoice, error) {
	doc := InvoiceDoc{Kind: "credit_note", IssuedAt: now, Seller: s.cfg.Seller, Currency: o.Currency,
		PaymentNote: refundNote(orig, pay, sp.TopUp)}
	ref := "order " + o.ID
	if inv, err := q.Invoice(ctx, cust.ID, o.InvoiceID); err == nil {
		var orig InvoiceDoc
		if err := json.Unmarshal([]byte(inv.Document), &orig); err != nil {
			return market.Invoice{}, fmt.Errorf("invoice %s: %w", inv.ID, err)
		}
		doc.BuyerName, doc.BuyerLines, doc.BuyerVATID = orig.BuyerName, orig.BuyerLines, orig.BuyerVATID
		ref = "invoice " + inv.Number + ", order " + o.ID
	} else if !market.IsCode(err, market.CodeNotFound) {
		return market.Invoice{}, err
	} else {
		doc.BuyerName, doc.BuyerLines, doc.BuyerVATID = buyerOf(cust, nil)
	}
	doc.Reference = "Credit note for " + ref + ": " + reason
	for _, p := range parts {
		l := p.Line
		if p.Net+p.Tax == 0 {
			continue
		}
		if p.Before.Net == 0 && p.Before.Tax == 0 && p.Net == l.Amount-l.Discount && p.Tax == l.Tax {
			doc.Lines = append(doc.Lines, InvoiceLine{Description: l.Description, Quantity: l.Quantity, UnitAmount: -l.UnitAmount,
				Amount: -l.Amount, Discount: -l.Discount, TaxRate: l.TaxRate.String(), Tax: -l.Tax, Total: -l.Total()})
			doc.Subtotal, doc.Discount = doc.Subtotal-l.Amount, doc.Discount-l.Discount
			continue
		}
		what, rate := "Partial refund: "+l.Description, l.TaxRate.String()
		if !l.Taxable() {
			what, rate = "Balance top-up taken back: "+l.Description, "0"
		}
		doc.Lines = append(doc.Lines, InvoiceLine{Description: what, Quantity: 1,
			UnitAmount: -p.Net, Amount: -p.Net, TaxRate: rate, Tax: -p.Tax, Total: -(p.Net + p.Tax)})
		doc.Subtotal -= p.Net
	}
	doc.Tax, doc.Total = -sp.Tax, -amount
	return s.storeInvoice(ctx, q, cust.ID, o.ID, pay.InvoiceID, doc, now)
}

// refundNote says on a credit note where the money went.
func refundNote(orig, pay market.Payment, topUp int64) string {
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
