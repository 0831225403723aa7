package billing

// Card gateways beyond the sandbox (Stripe, internal/payment/stripe):
//
//   - Each account gets one gateway customer (gateway_customers, migration
//     00011), made before its first card is saved or charged, with the
//     account's ID as the idempotency key.
//   - A card the gateway collected itself (a Stripe payment_method ID from
//     Stripe's form) is saved with SaveGatewayCard; the number never
//     reaches dialtone.
//   - A charge that the bank wants the customer to authenticate (Strong
//     Customer Authentication: a PaymentIntent that requires_action) rolls
//     the order's transaction back — nothing is fulfilled, nothing else is
//     charged — and keeps the order's input in pending_orders. The API
//     answers 402 authentication_required with the bank's page
//     (next_action_url) and the order's future ID. When the customer comes
//     back (POST /v1/orders/{id}/confirm, or the portal's return page) or
//     the gateway's event says the intent succeeded, the order is priced
//     and fulfilled again in one transaction that also moves the pending
//     row from pending to completed with a conditional UPDATE: exactly one
//     caller completes it. If it can no longer be fulfilled as paid (a
//     price changed, the number was sold meanwhile) the charge is refunded
//     and the pending order fails. Off-session charges (automatic renewals
//     and top-ups) are never left pending: the gateway declines them with
//     reason authentication_required and dunning follows.
//   - Webhook events (ApplyGatewayEvent) are applied once: each event's ID
//     is stored (gateway_events) in the transaction that applies it.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/payment"
	"github.com/dialtone/dialtone/internal/store"
)

// pendingCharge is a charge waiting for the customer to authenticate it:
// the order's transaction rolls back with it, and placeOrder keeps the
// order pending.
type pendingCharge struct {
	me       *market.Error // authentication_required
	ref      string
	amount   int64
	currency string
}

func (p *pendingCharge) Error() string { return p.me.Error() }
func (p *pendingCharge) Unwrap() error { return p.me }

// returnURL is where the bank's page sends the customer back to: the
// portal's page that completes the order.
func (s *Service) returnURL(orderID string) string {
	return strings.TrimRight(s.cfg.PublicURL, "/") + "/orders/" + orderID + "/return"
}

// chargeError is cardError for a charge of an order; a charge waiting for
// authentication becomes a *pendingCharge.
func (s *Service) chargeError(err error, orderID string, amount int64, currency string) error {
	var pe *payment.Error
	if errors.As(err, &pe) && pe.Code == "authentication_required" && pe.Ref != "" {
		me := cardError(err).(*market.Error)
		me.Extra["order"] = orderID
		return &pendingCharge{me: me, ref: pe.Ref, amount: amount, currency: currency}
	}
	return cardError(err)
}

// pendingInput is what a pending order keeps of its order (pending_orders.input).
type pendingInput struct {
	Order     OrderInput `json:"order"`
	CartItems []string   `json:"cart_items,omitempty"`
}

// keepPending records an order whose charge waits for authentication and
// returns the authentication_required error its caller gets. The card
// given inline (never with Stripe) is not kept.
func (s *Service) keepPending(ctx context.Context, p Principal, in OrderInput, source, orderID string, pc *pendingCharge) error {
	in.Payment.Card = nil
	raw, err := json.Marshal(pendingInput{Order: in, CartItems: in.cartItems})
	if err != nil {
		return err
	}
	url, _ := pc.me.Extra["next_action_url"].(string)
	now := s.now()
	err = s.store.Tx(context.WithoutCancel(ctx), func(q *store.Q) error {
		if err := q.InsertPendingOrder(ctx, market.PendingOrder{ID: orderID, CustomerID: p.CustomerID, UserID: p.UserID,
			Gateway: s.gateway.Name(), Intent: pc.ref, Amount: pc.amount, Currency: pc.currency, Source: source,
			Input: string(raw), NextActionURL: url, CreatedAt: now}); err != nil {
			return err
		}
		return bindResult(ctx, q, in.key, orderID) // a retry is answered by the pending order (replayedOrder)
	})
	if err != nil {
		// The intent stays unconfirmed at the gateway: without the bank's
		// page nobody can confirm it, so no money moves.
		s.log.Error("pending order not recorded", "order", orderID, "intent", pc.ref, "err", err)
		return fmt.Errorf("pending order %s: %w", orderID, err)
	}
	return pc.me
}

// gatewayCustomer returns the gateway's customer of an account, making it
// at the first use; "" for a gateway without customers (the sandbox).
func (s *Service) gatewayCustomer(ctx context.Context, customerID string) (string, error) {
	ref, err := s.store.Read().GatewayCustomer(ctx, customerID, s.gateway.Name())
	if err == nil || !market.IsCode(err, market.CodeNotFound) {
		return ref, err
	}
	cust, err := s.store.Read().Customer(ctx, customerID)
	if err != nil {
		return "", err
	}
	ref, err = s.gateway.Customer(ctx, payment.CustomerInput{AccountID: cust.ID, Email: cust.Email, Company: cust.Company})
	if err != nil || ref == "" {
		return "", err
	}
	err = s.store.Tx(ctx, func(q *store.Q) error {
		if err := q.PutGatewayCustomer(ctx, customerID, s.gateway.Name(), ref, s.now()); err != nil {
			return err
		}
		ref, err = q.GatewayCustomer(ctx, customerID, s.gateway.Name())
		return err
	})
	return ref, err
}

// insertCard saves a tokenized card; the first becomes the default.
func (s *Service) insertCard(ctx context.Context, customerID string, t payment.Token, key Key) (market.PaymentMethod, error) {
	var pm market.PaymentMethod
	err := s.store.Tx(ctx, func(q *store.Q) error {
		if ref, err := s.firstResult(ctx, q, key); err != nil || ref != "" {
			if err == nil {
				pm, err = q.PaymentMethod(ctx, customerID, ref) // the first request's card
			}
			return err
		}
		// The customer's lock keeps "the first card is the default" true
		// against a checkout saving a card at the same time.
		if _, err := q.LockCustomer(ctx, customerID); err != nil {
			return err
		}
		var err error
		pm, err = q.InsertPaymentMethod(ctx, market.PaymentMethod{ID: s.ids.New("pm"), CustomerID: customerID, Gateway: s.gateway.Name(),
			Token: t.Token, Brand: t.Brand, Last4: t.Last4, ExpMonth: t.ExpMonth, ExpYear: t.ExpYear, CreatedAt: s.now()})
		if err != nil {
			return err
		}
		return bindResult(ctx, q, key, pm.ID)
	})
	return pm, err
}

// PendingOrder returns an order of the customer that waits for the
// customer to authenticate its payment (or did). Error: not_found.
func (s *Service) PendingOrder(ctx context.Context, p Principal, orderID string) (market.PendingOrder, error) {
	return s.store.Read().PendingOrder(ctx, p.CustomerID, orderID)
}

// CompletePendingOrder completes an order whose card payment waited for
// the customer to authenticate it, once the gateway says it succeeded; an
// order completed already is returned as it is. Errors: not_found,
// authentication_required (still waiting, with next_action_url),
// card_declined (the authentication failed: order again), and the
// order's own refusals if it can no longer be fulfilled as paid (the
// payment is then refunded).
func (s *Service) CompletePendingOrder(ctx context.Context, p Principal, orderID string) (market.Order, error) {
	// Confirming a payment is paying (PRODUCT.md "Logins and the operator":
	// billing logins handle payments), as the route's forBilling says: the
	// order itself was placed by a login that may buy it.
	if err := p.mayBill(); err != nil {
		return market.Order{}, err
	}
	po, err := s.store.Read().PendingOrder(ctx, p.CustomerID, orderID)
	if err != nil {
		if o, oerr := s.store.Read().Order(ctx, p.CustomerID, orderID); oerr == nil {
			return o, nil
		}
		return market.Order{}, err
	}
	return s.settlePending(context.WithoutCancel(ctx), po, nil, nil)
}

// settlePending completes or fails a pending order by its charge: known
// (from a signed event) or looked up at the gateway. record, if given,
// runs in the transaction that settles it (the event's ID).
func (s *Service) settlePending(ctx context.Context, po market.PendingOrder, known *payment.Charge, record func(*store.Q) error) (market.Order, error) {
	switch po.Status {
	case "completed":
		if err := s.recordOnly(ctx, record); err != nil {
			return market.Order{}, err
		}
		return s.store.Read().Order(ctx, po.CustomerID, po.ID)
	case "failed":
		if err := s.recordOnly(ctx, record); err != nil {
			return market.Order{}, err
		}
		return market.Order{}, &market.Error{Code: market.CodeCardDeclined, Message: "the payment of this order failed: order again",
			Extra: map[string]any{"decline_code": po.Reason}}
	}
	ch := known
	if ch == nil {
		c, err := s.gateway.LookupCharge(ctx, po.Intent)
		var pe *payment.Error
		switch {
		case errors.As(err, &pe) && pe.Code == "authentication_required":
			return market.Order{}, &market.Error{Code: market.CodeAuthenticationRequired,
				Message: "the payment still waits for you to authenticate it at your bank",
				Extra:   map[string]any{"next_action_url": po.NextActionURL, "order": po.ID}}
		case errors.As(err, &pe) && pe.Code == "card_declined":
			if ferr := s.failPending(ctx, po, pe.Reason, record); ferr != nil {
				return market.Order{}, ferr
			}
			return market.Order{}, cardError(err)
		case err != nil:
			return market.Order{}, fmt.Errorf("pending order %s: %w", po.ID, err)
		}
		ch = &c
	}
	return s.completePending(ctx, po, *ch, record)
}

// completePending fulfils a pending order whose charge succeeded, exactly
// once (see the top of this file).
func (s *Service) completePending(ctx context.Context, po market.PendingOrder, ch payment.Charge, record func(*store.Q) error) (market.Order, error) {
	var pin pendingInput
	if err := json.Unmarshal([]byte(po.Input), &pin); err != nil {
		return market.Order{}, fmt.Errorf("pending order %s: %w", po.ID, err)
	}
	in := pin.Order
	var order market.Order
	already := false
	err := s.store.Tx(ctx, func(q *store.Q) error {
		now := s.now()
		cust, err := q.LockCustomer(ctx, po.CustomerID)
		if err != nil {
			return err
		}
		done, err := q.FinishPendingOrder(ctx, po.ID, "completed", "", now)
		if err != nil {
			return err
		}
		if already = !done; already {
			return runRecord(q, record)
		}
		pr, err := s.build(ctx, q, cust, in, now)
		if err != nil {
			return err
		}
		if pr.totals.Total != ch.Amount || !strings.EqualFold(ch.Currency, cust.Currency) {
			return &market.Error{Code: market.CodePriceChanged,
				Message: "prices changed while the payment waited for authentication: the payment is refunded, order again"}
		}
		pay := paid{method: "card", gateway: ch.ID}
		if pm, err := q.PaymentMethod(ctx, cust.ID, in.Payment.PaymentMethod); err == nil {
			pay.pm, pay.brand, pay.last4 = &pm, pm.Brand, pm.Last4
		}
		if order, err = s.fulfil(ctx, q, pr, po.ID, pay, po.Source); err != nil {
			return err
		}
		if len(pin.CartItems) > 0 {
			// A cart checkout: the items bought leave the cart (those the
			// customer removed meanwhile are gone already).
			for _, item := range pin.CartItems {
				if err := q.RemoveCartItem(ctx, cust.ID, item); err != nil && !market.IsCode(err, market.CodeNotFound) {
					return err
				}
			}
			if err := q.SetCartPromo(ctx, cust.ID, "", now); err != nil {
				return err
			}
		}
		return runRecord(q, record)
	})
	if errors.Is(err, errEventSeen) || err == nil && already {
		// Settled by another caller: completed, or failed meanwhile.
		if o, oerr := s.store.Read().Order(ctx, po.CustomerID, po.ID); oerr == nil || !market.IsCode(oerr, market.CodeNotFound) {
			return o, oerr
		}
		return market.Order{}, &market.Error{Code: market.CodeCardDeclined, Message: "the payment of this order failed: order again"}
	}
	var me *market.Error
	if err != nil && errors.As(err, &me) {
		// Paid, but it cannot be fulfilled as it was paid: the money goes
		// back (once: the refund's key is the order's), the order fails.
		if _, rerr := s.gateway.Refund(ctx, payment.RefundInput{ChargeID: ch.ID, Amount: ch.Amount, Currency: ch.Currency,
			IdempotencyKey: po.ID + "/unfulfilled"}); rerr != nil {
			return market.Order{}, fmt.Errorf("pending order %s: refund of the unfulfilled payment %s: %w", po.ID, ch.ID, rerr)
		}
		if ferr := s.failPending(ctx, po, string(me.Code), record); ferr != nil {
			return market.Order{}, ferr
		}
		return market.Order{}, me
	}
	return order, err
}

// failPending marks a pending order failed (if it still is pending).
func (s *Service) failPending(ctx context.Context, po market.PendingOrder, reason string, record func(*store.Q) error) error {
	err := s.store.Tx(ctx, func(q *store.Q) error {
		if _, err := q.FinishPendingOrder(ctx, po.ID, "failed", reason, s.now()); err != nil {
			return err
		}
		return runRecord(q, record)
	})
	if errors.Is(err, errEventSeen) {
		return nil
	}
	return err
}

// errEventSeen rolls back the work of an event applied before.
var errEventSeen = errors.New("gateway event applied already")

func runRecord(q *store.Q, record func(*store.Q) error) error {
	if record == nil {
		return nil
	}
	return record(q)
}

// recordOnly stores an event's ID with nothing else.
func (s *Service) recordOnly(ctx context.Context, record func(*store.Q) error) error {
	if record == nil {
		return nil
	}
	err := s.store.Tx(ctx, record)
	if errors.Is(err, errEventSeen) {
		return nil
	}
	return err
}

// ApplyGatewayEvent applies a gateway's (signature-checked) event once:
// payment_intent.succeeded completes the order waiting for it,
// payment_intent.payment_failed fails it, charge.refunded records a
// refund made at the gateway (its dashboard) with the ledger and a credit
// note; any other type is acknowledged and ignored. A replayed event
// changes nothing. An error means the event should be sent again.
func (s *Service) ApplyGatewayEvent(ctx context.Context, ev payment.Event) error {
	if ev.ID == "" {
		return market.Invalid("id", "the event has no id")
	}
	ctx = context.WithoutCancel(ctx)
	gw := s.gateway.Name()
	if seen, err := s.store.Read().GatewayEventSeen(ctx, ev.ID); err != nil || seen {
		return err
	}
	record := func(q *store.Q) error {
		fresh, err := q.RecordGatewayEvent(ctx, ev.ID, gw, ev.Type, s.now())
		if err == nil && !fresh {
			return errEventSeen
		}
		return err
	}
	switch ev.Type {
	case "payment_intent.succeeded", "payment_intent.payment_failed":
		po, err := s.store.Read().PendingOrderByIntent(ctx, gw, ev.Ref)
		if market.IsCode(err, market.CodeNotFound) && ev.Type == "payment_intent.succeeded" {
			return s.settleOrphan(ctx, ev, record)
		}
		if market.IsCode(err, market.CodeNotFound) || err == nil && po.Status != "pending" {
			// A payment that failed at once, or an order settled already.
			return s.recordOnly(ctx, record)
		}
		if err != nil {
			return err
		}
		if ev.Type == "payment_intent.payment_failed" {
			return s.failPending(ctx, po, ev.Reason, record)
		}
		_, err = s.settlePending(ctx, po, &payment.Charge{ID: ev.Ref, Amount: ev.Amount, Currency: ev.Currency}, record)
		var me *market.Error
		if errors.As(err, &me) {
			// Settled: refused and refunded (a business rule), not to be sent again.
			return nil
		}
		return err
	case "charge.refunded":
		return s.refundFromGateway(ctx, ev, record)
	case "charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed":
		return s.recordDispute(ctx, ev, record)
	case "payment_method.automatically_updated", "payment_method.updated":
		return s.cardUpdated(ctx, ev, record)
	}
	return s.recordOnly(ctx, record)
}

// recordDispute keeps a dispute of an order's charge with its latest
// status, marks the order with it (Order.DisputeStatus), and tells the
// operator: an order.disputed webhook event in the same transaction, and
// a warning in the log. The money moves when Stripe settles the dispute;
// the ledger does not follow it yet.
func (s *Service) recordDispute(ctx context.Context, ev payment.Event, record func(*store.Q) error) error {
	pay, err := s.store.Read().PaymentByGatewayRef(ctx, ev.Ref)
	if market.IsCode(err, market.CodeNotFound) || err == nil && ev.Dispute == "" {
		return s.recordOnly(ctx, record)
	}
	if err != nil {
		return err
	}
	now := s.now()
	err = s.store.Tx(ctx, func(q *store.Q) error {
		if err := q.PutDispute(ctx, market.Dispute{ID: ev.Dispute, CustomerID: pay.CustomerID, OrderID: pay.OrderID, Amount: ev.Amount,
			Currency: ev.Currency, Reason: ev.Reason, Status: ev.Status, CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		// The provider's systems hear of it with the order as it now
		// stands (dispute_status), in the transaction that marks it.
		if err := s.emit(ctx, q, EventOrderDisputed, func() (any, error) {
			o, err := q.Order(ctx, pay.CustomerID, pay.OrderID)
			if err != nil {
				return nil, err
			}
			p, err := q.PaymentByID(ctx, o.PaymentID)
			return PaidOrder{Order: o, Payment: p}, err
		}); err != nil {
			return err
		}
		return record(q)
	})
	if errors.Is(err, errEventSeen) {
		return nil
	}
	if err == nil {
		s.log.Warn("CARD PAYMENT DISPUTED: respond in Stripe's dashboard", "event", ev.Type, "dispute", ev.Dispute, "status", ev.Status,
			"reason", ev.Reason, "order", pay.OrderID, "customer", pay.CustomerID, "amount", ev.Amount, "currency", ev.Currency)
	}
	return err
}

// OrderDisputes returns the disputes of an order's card payment (the
// operator's view). Errors: not_found (the order).
func (s *Service) OrderDisputes(ctx context.Context, orderID string) ([]market.Dispute, error) {
	q := s.store.Read()
	if _, err := q.Order(ctx, "", orderID); err != nil {
		return nil, err
	}
	return q.OrderDisputes(ctx, orderID)
}

// settleOrphan checks a charge that succeeded at once, of an order paid
// without waiting: under the account's lock, which the order's transaction
// holds from before its charge until its commit or rollback, the order's
// payment is there, or the charge is an orphan — the process died between
// the gateway's charge and the commit — and is refunded (keyed as
// placeOrder's own refund of a charge whose order did not commit, so the
// gateway refunds it once). A charge dialtone did not make is ignored.
func (s *Service) settleOrphan(ctx context.Context, ev payment.Event, record func(*store.Q) error) error {
	if ev.Key == "" || ev.AccountID == "" {
		return s.recordOnly(ctx, record)
	}
	// First, committed: is it an orphan? If so, an automatic top-up whose
	// order ID is its key gets a new one before the charge is refunded, so
	// that the top-up's next attempt charges anew instead of getting this
	// charge back, refunded, and crediting it.
	orphan := false
	err := s.store.Tx(ctx, func(q *store.Q) error {
		orphan = false
		if _, err := q.LockCustomer(ctx, ev.AccountID); err != nil {
			if market.IsCode(err, market.CodeNotFound) {
				return record(q)
			}
			return err
		}
		if _, err := q.PaymentByGatewayRef(ctx, ev.Ref); err == nil || !market.IsCode(err, market.CodeNotFound) {
			if err != nil {
				return err
			}
			return record(q)
		}
		if _, err := q.PendingOrderByIntent(ctx, s.gateway.Name(), ev.Ref); err == nil {
			return record(q) // waits for authentication: settled by its own path
		}
		orphan = true
		_, err := q.RetireTopUpOrder(ctx, ev.AccountID, ev.Key, s.ids.New("ord"))
		return err
	})
	if errors.Is(err, errEventSeen) {
		return nil
	}
	if err != nil || !orphan {
		return err
	}
	// Then the refund (once, whoever asks: keyed as placeOrder's own refund
	// of a charge whose order did not commit), and the event recorded. If
	// either fails, the event comes again and finds the orphan again.
	r, err := s.gateway.Refund(ctx, payment.RefundInput{ChargeID: ev.Ref, Amount: ev.Amount, Currency: ev.Currency,
		IdempotencyKey: ev.Key + "/unfulfilled"})
	if err != nil {
		s.log.Error("orphan charge", "charge", ev.Ref, "err", err)
		return fmt.Errorf("refund of orphan charge %s: %w", ev.Ref, err)
	}
	s.log.Warn("ORPHAN CHARGE REFUNDED: the card was charged for an order that never committed", "order", ev.Key,
		"customer", ev.AccountID, "charge", ev.Ref, "refund", r.ID, "amount", ev.Amount, "currency", ev.Currency)
	return s.recordOnly(ctx, record)
}

// refundFromGateway records what a gateway refunded of an order's charge
// beyond what dialtone's refunds of it recorded (a refund made in Stripe's
// dashboard): a refund payment, its ledger transaction and a credit note,
// as RefundOrder does, without calling the gateway again.
func (s *Service) refundFromGateway(ctx context.Context, ev payment.Event, record func(*store.Q) error) error {
	pay, err := s.store.Read().PaymentByGatewayRef(ctx, ev.Ref)
	if market.IsCode(err, market.CodeNotFound) {
		return s.recordOnly(ctx, record)
	}
	if err != nil {
		return err
	}
	ref := ev.Refund
	if ref == "" {
		ref = ev.ID
	}
	err = s.store.Tx(ctx, func(q *store.Q) error {
		if _, err := q.LockCustomer(ctx, pay.CustomerID); err != nil {
			return err
		}
		o, err := q.Order(ctx, pay.CustomerID, pay.OrderID)
		if err != nil {
			return err
		}
		if diff := ev.Amount - o.Refunded; diff > 0 {
			at := refundAttempt{gw: &payment.Refund{ID: ref}, charge: pay.GatewayRef, amount: diff}
			res, err := s.refund(ctx, q, pay.CustomerID, o.ID, RefundInput{Amount: &diff, Reason: "refunded at the card gateway (" + ref + ")"}, &at)
			if err != nil {
				return err
			}
			// The provider's systems hear of it as of dialtone's own refunds.
			if err := s.emit(ctx, q, EventRefundCreated, func() (any, error) { return res, nil }); err != nil {
				return err
			}
		}
		return record(q)
	})
	var me *market.Error
	switch {
	case errors.Is(err, errEventSeen):
		return nil
	case errors.As(err, &me):
		// The gateway gave the money back already; what refuses it here
		// (a top-up's credit that has been spent) is for the operator.
		s.log.Error("GATEWAY REFUND NOT RECORDED: reconcile by hand", "order", pay.OrderID, "charge", ev.Ref,
			"gateway_refund", ref, "refunded_total", ev.Amount, "err", err)
		return s.recordOnly(ctx, record)
	}
	return err
}

// cardUpdated keeps a saved card as the gateway now knows it (the bank's
// card updater sent a new expiry or number) and tells its customer.
func (s *Service) cardUpdated(ctx context.Context, ev payment.Event, record func(*store.Q) error) error {
	if ev.Card == nil || ev.Card.Token == "" {
		return s.recordOnly(ctx, record)
	}
	c := ev.Card
	err := s.store.Tx(ctx, func(q *store.Q) error {
		cards, err := q.UpdateCardByToken(ctx, s.gateway.Name(), c.Token, c.Brand, c.Last4, c.ExpMonth, c.ExpYear)
		if err != nil {
			return err
		}
		for _, pm := range cards {
			if err := s.notifyTx(ctx, q, pm.CustomerID, "card_updated", "Your saved card was updated",
				fmt.Sprintf("Your bank updated your saved card: it is now %s, expiring %02d/%d. Renewals and top-ups go on using it.",
					cardWords(pm), pm.ExpMonth, pm.ExpYear),
				"payment_method", pm.ID, "card_updated:"+ev.ID+":"+pm.ID); err != nil {
				return err
			}
		}
		return record(q)
	})
	if errors.Is(err, errEventSeen) {
		return nil
	}
	return err
}
