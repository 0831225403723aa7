package billing

import (
	"context"
	"fmt"
	"strings"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
	"github.com/dialtone/dialtone/internal/payment"
	"github.com/dialtone/dialtone/internal/store"
)

// paid is how an order was paid.
type paid struct {
	method  string // "balance", "card", "none"
	pm      *market.PaymentMethod
	brand   string
	last4   string
	gateway string
}

// pay takes the money for a priced order inside its transaction: from the
// balance (which must cover the total), or by card (a saved one, or a new
// one, saved if asked). A top-up is card-only.
func (s *Service) pay(ctx context.Context, q *store.Q, pr *pricing, in PaymentInput, card *payment.Token, orderID string, charged **payment.Charge) (paid, error) {
	total := pr.totals.Total
	topUp := market.TopUpTotal(pr.lines)
	if in.Method == "balance" {
		if topUp > 0 {
			return paid{}, market.Invalid("payment.method", "a balance top-up is paid by card")
		}
		if total == 0 {
			return paid{method: "none"}, nil
		}
		if pr.cust.Balance < total {
			missing := total - pr.cust.Balance
			return paid{}, &market.Error{Code: market.CodeInsufficientFunds,
				Message: fmt.Sprintf("your balance of %s does not cover %s: top up at least %s",
					money.Format(money.New(pr.cust.Balance, pr.cust.Currency)), money.Format(money.New(total, pr.cust.Currency)),
					money.Format(money.New(missing, pr.cust.Currency))),
				Extra: map[string]any{"missing": missing, "currency": pr.cust.Currency}}
		}
		return paid{method: "balance"}, nil
	}
	res := paid{method: "card"}
	var token string
	if card != nil {
		token, res.brand, res.last4 = card.Token, card.Brand, card.Last4
		if in.Save {
			pm, err := q.InsertPaymentMethod(ctx, market.PaymentMethod{ID: s.ids.New("pm"), CustomerID: pr.cust.ID, Gateway: s.gateway.Name(),
				Token: card.Token, Brand: card.Brand, Last4: card.Last4, ExpMonth: card.ExpMonth, ExpYear: card.ExpYear, CreatedAt: pr.now})
			if err != nil {
				return paid{}, err
			}
			res.pm = &pm
		}
	} else {
		pm, err := q.PaymentMethod(ctx, pr.cust.ID, in.PaymentMethod)
		if err != nil {
			return paid{}, market.Invalid("payment.payment_method", "there is no saved card %q", in.PaymentMethod)
		}
		if pm.Gateway != s.gateway.Name() {
			// A card saved with another gateway (the sandbox, before the
			// switch to Stripe) has a token this gateway does not know.
			return paid{}, market.Invalid("payment.payment_method", "card %s was saved with the %s gateway: save it again", pm.ID, pm.Gateway)
		}
		token, res.brand, res.last4, res.pm = pm.Token, pm.Brand, pm.Last4, &pm
	}
	if total == 0 {
		return res, nil
	}
	ch, err := s.gateway.Charge(ctx, payment.ChargeInput{Token: token, Amount: total, Currency: pr.cust.Currency,
		Description: "Order " + orderID, IdempotencyKey: orderID, Customer: in.gatewayCustomer, OffSession: in.offSession,
		ReturnURL: s.returnURL(orderID), AccountID: pr.cust.ID})
	if err != nil {
		return paid{}, s.chargeError(err, orderID, total, pr.cust.Currency)
	}
	*charged = &ch
	res.gateway = ch.ID
	return res, nil
}

// fulfil applies a paid order: subscriptions, periods, numbers, the balance;
// then records the payment, the ledger transaction, the order, the promo
// redemption and the invoice.
func (s *Service) fulfil(ctx context.Context, q *store.Q, pr *pricing, orderID string, pay paid, source string) (market.Order, error) {
	now := pr.now
	o := market.Order{ID: orderID, CustomerID: pr.cust.ID, Status: "paid", Currency: pr.cust.Currency, Totals: pr.totals,
		Source: source, CreatedAt: now, Lines: pr.lines, PaymentID: s.ids.New("pay"), InvoiceID: s.ids.New("inv")}
	for i := range pr.lines {
		if err := kindOf(pr.lines[i].Type).fulfil(ctx, q, pr, &pr.lines[i], o); err != nil {
			return market.Order{}, err
		}
	}
	for _, w := range pr.order {
		for i := range w.sub.Periods {
			if w.sub.Periods[i].OrderID == "" && (w.isNew || i >= w.orig) {
				w.sub.Periods[i].OrderID = orderID
			}
		}
		if w.isNew {
			if err := q.InsertSubscription(ctx, w.sub, now); err != nil {
				return market.Order{}, err
			}
			if w.trial {
				if err := q.InsertTrial(ctx, pr.cust.ID, w.sub.Product, w.sub.ID, now); err != nil {
					return market.Order{}, err
				}
			}
			continue
		}
		for i := range w.changed {
			if err := q.UpdatePeriod(ctx, w.sub.ID, w.sub.Periods[i]); err != nil {
				return market.Order{}, err
			}
		}
		for _, p := range w.sub.Periods[w.orig:] {
			if err := q.InsertPeriod(ctx, w.sub.ID, p); err != nil {
				return market.Order{}, err
			}
		}
		if len(w.sub.Periods) > w.orig {
			// A renewal restores a lapsed subscription and ends dunning.
			w.sub.Status = w.sub.StatusAt(now)
			if w.sub.Status == market.StatusPastDue || w.sub.Status == market.StatusExpired {
				w.sub.Status = market.StatusActive
			}
			w.sub.RenewAttempts, w.sub.NextAttemptAt = 0, nil
			// Paying for another period undoes a pending cancellation.
			w.sub.CancelAtPeriodEnd = false
		}
		if err := q.UpdateSubscription(ctx, w.sub, now); err != nil {
			return market.Order{}, err
		}
	}

	if pr.unrecorded {
		return o, nil // nothing to pay after all (a number's month recorded already, or free)
	}
	t := pr.totals
	// An order of one line whose kind pays without an order (a number's
	// rental) has no orders row, no order events and its own reference.
	receipt := receiptOf(pr.lines)
	if receipt != "" {
		o.ID = ""
	}
	if pr.promo != nil {
		o.PromoCode = pr.promo.Code
		if err := q.Redeem(ctx, pr.promo.Code, orderID, pr.cust.ID, now); err != nil {
			return market.Order{}, err
		}
	}
	if pr.addr != nil {
		o.BillingAddressID = pr.addr.ID
	}
	purpose := purposeOf(pr.lines)
	pm := market.Payment{ID: o.PaymentID, CustomerID: pr.cust.ID, OrderID: o.ID, InvoiceID: o.InvoiceID, Purpose: purpose,
		Description: describe(pr.lines), Method: pay.method, Amount: t.Total, Currency: pr.cust.Currency, CardBrand: pay.brand,
		CardLast4: pay.last4, GatewayRef: pay.gateway, CreatedAt: now}
	if pay.pm != nil {
		pm.PaymentMethodID = pay.pm.ID
	}
	if err := q.InsertPayment(ctx, pm); err != nil {
		return market.Order{}, err
	}
	kind := "order"
	if receipt != "" {
		kind = string(purpose)
	}
	if err := s.postOrder(ctx, q, pr, o, pay, kind); err != nil {
		return market.Order{}, err
	}
	if receipt == "" {
		if err := q.InsertOrder(ctx, o); err != nil {
			return market.Order{}, err
		}
		if err := s.orderEvents(ctx, q, o); err != nil {
			return market.Order{}, err
		}
		receipt = "Order " + o.ID
	}
	// The invoice last: its number locks the year's sequence row until the
	// commit, and every order waits on that row.
	if _, err := s.issueInvoice(ctx, q, pr.cust, o, pr.addr, pm, receipt, now); err != nil {
		return market.Order{}, err
	}
	return o, nil
}

// postOrder writes the order's ledger transaction of kind: the payer's
// side (the customer's balance or the card gateway) against revenue, tax
// and — for top-ups — the customer's balance.
func (s *Service) postOrder(ctx context.Context, q *store.Q, pr *pricing, o market.Order, pay paid, kind string) error {
	topUp := market.TopUpTotal(pr.lines)
	return post(ctx, q, market.LedgerTx{ID: s.ids.New("ltx"), CustomerID: pr.cust.ID, Kind: kind,
		Description: describe(pr.lines), PaymentID: o.PaymentID, OrderID: o.ID, Currency: pr.cust.Currency, CreatedAt: o.CreatedAt},
		market.Movement{Payer: market.Payer(pay.method), Total: o.Totals.Total, Revenue: o.Totals.Subtotal - o.Totals.Discount - topUp,
			Tax: o.Totals.Tax, TopUp: topUp})
}

// post writes the ledger transaction t of the movement m (its postings by
// market.Postings, for t's customer and currency), if anything moves.
func post(ctx context.Context, q *store.Q, t market.LedgerTx, m market.Movement) error {
	m.Customer, m.Currency = t.CustomerID, t.Currency
	posts, err := market.Postings(m)
	if err != nil {
		return fmt.Errorf("ledger transaction %s: %w", t.ID, err)
	}
	if len(posts) == 0 {
		return nil
	}
	t.Postings = posts
	return q.Post(ctx, t)
}

func describe(lines []market.Line) string {
	if len(lines) == 1 {
		return lines[0].Description
	}
	parts := make([]string, 0, len(lines))
	for _, l := range lines {
		d := l.Description
		if i := strings.Index(d, " ("); i > 0 {
			d = d[:i]
		}
		parts = append(parts, d)
	}
	s := strings.Join(parts, "; ")
	if len(s) > 300 {
		s = s[:297] + "..."
	}
	return s
}
