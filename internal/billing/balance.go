package billing

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dialtone/dialtone/internal/inventory"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
	"github.com/dialtone/dialtone/internal/payment"
	"github.com/dialtone/dialtone/internal/store"
)

// CoversHorizon is how far ahead balance_covers_until looks: a balance
// that pays every renewal of the next five years covers them "until" the
// horizon's end.
const CoversHorizon = 5 * 12 // months

// Renewing is a charge that recurs from the balance: First, then every
// Months months after it (from First, so month ends stay put), Amount
// each time (incl. tax, at today's price).
type Renewing struct {
	First  time.Time
	Months int
	Amount int64
}

// CoversUntil simulates the balance paying the renewals in date order
// (those on one date in the order given) and returns the date of the first
// one it cannot pay; nil when nothing renews. When it pays all of them up
// to the horizon (now + horizonMonths) it returns the horizon.
func CoversUntil(balance int64, now time.Time, rs []Renewing, horizonMonths int) *time.Time {
	var live []Renewing
	for _, r := range rs {
		if r.Months > 0 && r.Amount > 0 {
			live = append(live, r)
		}
	}
	if len(live) == 0 {
		return nil
	}
	horizon := market.AddMonths(now, horizonMonths)
	// A heap of each renewal's next charge: a hundred numbers over five
	// years are 6,000 charges, each taken in O(log n).
	next := make(dueHeap, len(live))
	for i, r := range live {
		next[i] = due{at: r.First, i: i, amt: r.Amount}
	}
	heap.Init(&next)
	for {
		d := &next[0]
		if d.at.After(horizon) {
			return &horizon
		}
		if balance < d.amt {
			at := d.at
			if at.Before(now) {
				at = now
			}
			return &at
		}
		balance -= d.amt
		d.k++
		d.at = market.AddMonths(live[d.i].First, d.k*live[d.i].Months)
		heap.Fix(&next, 0)
	}
}

// due is a renewal's next charge: its k-th after First.
type due struct {
	at  time.Time
	i   int
	k   int
	amt int64
}

// dueHeap orders charges by date, those on one date in the order given.
type dueHeap []due

func (h dueHeap) Len() int { return len(h) }
func (h dueHeap) Less(a, b int) bool {
	if !h[a].at.Equal(h[b].at) {
		return h[a].at.Before(h[b].at)
	}
	return h[a].i < h[b].i
}
func (h dueHeap) Swap(a, b int) { h[a], h[b] = h[b], h[a] }
func (h *dueHeap) Push(x any)   { *h = append(*h, x.(due)) }
func (h *dueHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// renewals lists what will renew from the customer's balance: the
// auto-renewing subscriptions (at today's renewal price, incl. tax) and
// the held numbers (their monthly price, incl. tax).
// With held, its subscriptions and numbers are those (the caller read them
// all); else they are read.
func (s *Service) renewals(ctx context.Context, cust market.Customer, held *Held) ([]Renewing, error) {
	q := s.store.Read()
	var out []Renewing
	now := s.now()
	var subs []market.Subscription
	var err error
	if held != nil {
		subs = held.Subscriptions
	} else if subs, err = q.Subscriptions(ctx, cust.ID, store.Page{Limit: 1000}); err != nil {
		return nil, err
	}
	// The last billing address prices every renewal (as the scheduler's
	// renewals and rentals take it): read it, and its tax rate, once.
	addrs, err := q.BillingAddresses(ctx, cust.ID)
	if err != nil {
		return nil, err
	}
	addrID, country := "", cust.Country
	if len(addrs) > 0 {
		addrID, country = addrs[len(addrs)-1].ID, addrs[len(addrs)-1].Country
	}
	rate, err := q.TaxRateFor(ctx, country)
	if err != nil {
		return nil, err
	}
	p := Principal{CustomerID: cust.ID, Role: "owner"}
	for _, sub := range subs {
		st := sub.StatusAt(now)
		if !sub.AutoRenew || sub.CancelAtPeriodEnd || (st != market.StatusActive && st != market.StatusPastDue && st != market.StatusTrialing) {
			continue
		}
		in := OrderInput{Items: []ItemInput{{Type: string(market.ItemRenewal), Subscription: sub.ID, ifExpiresAt: sub.ExpiresAt,
			renewFrom: renewalDue(sub)}}, Payment: PaymentInput{Method: "balance"}}
		in.BillingAddress = addrID
		qt, err := s.Quote(ctx, p, in)
		if err != nil {
			continue // cannot renew as it is (a retired plan): nothing to forecast
		}
		out = append(out, Renewing{First: renewalDue(sub), Months: sub.TermMonths, Amount: qt.Totals.Total})
	}
	var nums []market.Number
	if held != nil {
		nums = held.Numbers
	} else if nums, err = q.CustomerNumbers(ctx, cust.ID); err != nil {
		return nil, err
	}
	// The price list's answer per kind of number (a customer may hold
	// thousands priced in another currency).
	type kind struct{ country, state, area, typ, currency string }
	type price struct {
		monthly int64
		ok      bool
	}
	prices := map[kind]price{}
	for _, n := range nums {
		if n.RenewsAt == nil || (n.Status != market.NumberActive && n.Status != market.NumberGrace) {
			continue
		}
		// What a rental charges (numberRentalKind): the monthly price in the account's
		// currency, taxed as one line.
		k := kind{n.Country, n.State, n.Area, n.Type, n.Currency}
		pr, seen := prices[k]
		switch {
		case n.Currency == cust.Currency:
			pr = price{n.MonthlyAmount, true} // its own
		case !seen:
			_, m, ok, err := q.NumberPriceFor(ctx, n, cust.Currency)
			if err != nil {
				return nil, err
			}
			pr = price{m, ok}
			prices[k] = pr
		}
		monthly, ok := pr.monthly, pr.ok
		if !ok {
			continue // no price in the account's currency: it will not renew
		}
		lines := []market.Line{{Type: market.ItemPhoneNumber, Quantity: 1, UnitAmount: monthly, Amount: monthly, NumberID: n.ID}}
		market.ApplyTax(lines, rate)
		out = append(out, Renewing{First: *n.RenewsAt, Months: 1, Amount: market.Sum(lines).Total})
	}
	return out, nil
}

// BalanceView is what GET /v1/account adds about the balance.
type BalanceView struct {
	CoversUntil *time.Time
	Settings    market.BalanceSettings
}

// Balance returns the forecast and the settings of the customer's balance.
func (s *Service) Balance(ctx context.Context, cust market.Customer) (BalanceView, error) {
	return s.balance(ctx, cust, nil)
}

// Held is what a page read already of a customer's holdings: every
// subscription and every number it holds.
type Held struct {
	Subscriptions []market.Subscription
	Numbers       []market.Number
}

// BalanceOfHeld is Balance forecast from the holdings the caller read
// (the portal's Home lists them too), instead of reading them again.
func (s *Service) BalanceOfHeld(ctx context.Context, cust market.Customer, held Held) (BalanceView, error) {
	return s.balance(ctx, cust, &held)
}

func (s *Service) balance(ctx context.Context, cust market.Customer, held *Held) (BalanceView, error) {
	rs, err := s.renewals(ctx, cust, held)
	if err != nil {
		return BalanceView{}, err
	}
	set, err := s.store.Read().BalanceSettings(ctx, cust.ID)
	if err != nil {
		return BalanceView{}, err
	}
	return BalanceView{CoversUntil: CoversUntil(cust.Balance, s.now(), rs, CoversHorizon), Settings: set}, nil
}

// maxThreshold bounds the low-balance threshold and the top-up mark.
const maxThreshold = 1_000_000_00

// AutoTopUpInput is an automatic top-up: amount when the balance falls
// below below, from payment_method (the default card when "").
type AutoTopUpInput struct {
	Amount        int64  `json:"amount" doc:"Minor units of the account's currency."`
	Below         int64  `json:"below" doc:"Top up when a debit leaves the balance below this (minor units)."`
	PaymentMethod string `json:"payment_method,omitempty" maxLength:"100" doc:"A saved card; the default card when omitted."`
}

// BalanceSettingsInput changes the balance settings: a nil field stays,
// Clear* turn one off.
type BalanceSettingsInput struct {
	LowThreshold   *int64
	ClearThreshold bool
	AutoTopUp      *AutoTopUpInput
	ClearAutoTopUp bool
}

// SetBalanceSettings validates and stores the balance settings. Errors:
// invalid_request naming low_balance_threshold or auto_top_up.<field>.
func (s *Service) SetBalanceSettings(ctx context.Context, p Principal, in BalanceSettingsInput) (market.BalanceSettings, error) {
	if err := p.mayManage(); err != nil {
		return market.BalanceSettings{}, err
	}
	cust, err := s.store.Read().Customer(ctx, p.CustomerID)
	if err != nil {
		return market.BalanceSettings{}, err
	}
	f := func(v int64) string { return money.Format(money.New(v, cust.Currency)) }
	if t := in.LowThreshold; t != nil && (*t < 0 || *t > maxThreshold) {
		return market.BalanceSettings{}, market.Invalid("low_balance_threshold", "low_balance_threshold must be between %s and %s", f(0), f(maxThreshold))
	}
	if a := in.AutoTopUp; a != nil {
		if a.Amount < minTopUp || a.Amount > maxTopUp {
			return market.BalanceSettings{}, market.Invalid("auto_top_up.amount", "auto_top_up.amount must be between %s and %s", f(minTopUp), f(maxTopUp))
		}
		if a.Below < 0 || a.Below > maxThreshold {
			return market.BalanceSettings{}, market.Invalid("auto_top_up.below", "auto_top_up.below must be between %s and %s", f(0), f(maxThreshold))
		}
		a.PaymentMethod = strings.TrimSpace(a.PaymentMethod)
		if a.PaymentMethod != "" {
			if _, err := s.store.Read().PaymentMethod(ctx, p.CustomerID, a.PaymentMethod); market.IsCode(err, market.CodeNotFound) {
				return market.BalanceSettings{}, market.Invalid("auto_top_up.payment_method", "there is no saved card %q", a.PaymentMethod)
			} else if err != nil {
				return market.BalanceSettings{}, err
			}
		} else if _, err := s.store.Read().DefaultPaymentMethod(ctx, p.CustomerID); market.IsCode(err, market.CodeNotFound) {
			return market.BalanceSettings{}, market.Invalid("auto_top_up.payment_method", "an automatic top-up is paid by card: save a card under Payment methods first")
		} else if err != nil {
			return market.BalanceSettings{}, err
		}
	}
	var out market.BalanceSettings
	err = s.store.Tx(ctx, func(q *store.Q) error {
		if _, err := q.LockCustomer(ctx, p.CustomerID); err != nil {
			return err
		}
		b, err := q.BalanceSettings(ctx, p.CustomerID)
		if err != nil {
			return err
		}
		if in.ClearThreshold {
			b.LowThreshold = nil
		} else if in.LowThreshold != nil {
			b.LowThreshold = in.LowThreshold
		}
		if in.ClearAutoTopUp {
			b.AutoAmount, b.AutoBelow, b.AutoPM = nil, nil, ""
		} else if a := in.AutoTopUp; a != nil {
			b.AutoAmount, b.AutoBelow, b.AutoPM = &a.Amount, &a.Below, a.PaymentMethod
		}
		if err := q.SetBalanceSettings(ctx, b); err != nil {
			return err
		}
		out, err = q.BalanceSettings(ctx, p.CustomerID)
		return err
	})
	return out, err
}

// errTopUpNotDue ends a top-up order that another process placed first.
var errTopUpNotDue = errors.New("automatic top-up no longer due")

// RunTopUps places the automatic top-ups due at now: one top-up order per
// crossing, by card, through the checkout (ledger, invoice, billing
// history). The order's ID was chosen when it fell due and is the charge's
// idempotency key, and the order's transaction clears the due date only
// if it is still due for that crossing under that ID: a rerun after a
// crash, or a second scheduler, never charges one crossing twice. Before
// a charge made under the ID is given back (the order failed, or the
// gateway's event found it without its order), the top-up gets a new ID,
// committed first (store.RetireTopUpOrder): a refunded charge is never
// got back by its key and credited, and one charge credits at most once
// (one order per ID). A declined card clears it
// too and notifies the customer (auto_top_up_failed).
func (s *Service) RunTopUps(ctx context.Context) (int, error) {
	due, err := s.store.Read().DueTopUps(ctx, s.now(), 100)
	if err != nil {
		return 0, err
	}
	done := 0
	for _, b := range due {
		if err := s.topUp(ctx, b); err != nil {
			s.log.Error("automatic top-up", "customer", b.CustomerID, "err", err)
			continue // due still: retried on the next scan, with the same order ID
		}
		done++
	}
	return done, nil
}

func (s *Service) topUp(ctx context.Context, b market.BalanceSettings) error {
	p := Principal{CustomerID: b.CustomerID, Role: "owner"}
	clear := func(q *store.Q) error {
		ok, err := q.ClearTopUp(ctx, b.CustomerID, b.Seq)
		if err == nil && !ok {
			return errTopUpNotDue
		}
		return err
	}
	fail := func(why string) error {
		err := s.store.Tx(ctx, func(q *store.Q) error {
			if err := clear(q); err != nil {
				return err
			}
			return s.notifyTx(ctx, q, b.CustomerID, "auto_top_up_failed", "Your automatic top-up failed",
				"The automatic top-up of your balance failed because "+why+". Top up your balance or update your card under Payment methods.",
				"customer", b.CustomerID, fmt.Sprintf("auto_top_up_failed:%s:%d", b.CustomerID, b.Seq))
		})
		if errors.Is(err, errTopUpNotDue) {
			return nil
		}
		return err
	}
	if b.AutoAmount == nil {
		return fail("it was turned off")
	}
	pmID := b.AutoPM
	var pm market.PaymentMethod
	var err error
	if pmID != "" {
		pm, err = s.store.Read().PaymentMethod(ctx, b.CustomerID, pmID)
	} else {
		pm, err = s.store.Read().DefaultPaymentMethod(ctx, b.CustomerID)
	}
	if market.IsCode(err, market.CodeNotFound) {
		return fail("no card is saved")
	}
	if err != nil {
		return err
	}
	in := OrderInput{Items: []ItemInput{{Type: string(market.ItemTopUp), Amount: *b.AutoAmount}},
		Payment: PaymentInput{Method: "card", PaymentMethod: pm.ID}, orderID: b.DueOrder,
		retire: func(q *store.Q) error {
			_, err := q.RetireTopUpOrder(ctx, b.CustomerID, b.DueOrder, s.ids.New("ord"))
			return err
		},
		guard: func(q *store.Q) error {
			cur, err := q.BalanceSettings(ctx, b.CustomerID)
			if err != nil {
				return err
			}
			if cur.DueAt == nil || cur.Seq != b.Seq || cur.DueOrder != b.DueOrder {
				// Placed, or its order ID retired (its charge given back)
				// since the scan read it: the next scan has it anew.
				return errTopUpNotDue
			}
			return nil
		}}
	_, err = s.placeOrder(ctx, p, in, "auto_top_up", clear)
	switch {
	case err == nil, errors.Is(err, errTopUpNotDue):
		return nil
	case market.IsCode(err, market.CodeCardDeclined):
		return fail(declineWords(pm, err))
	}
	var me *market.Error
	if errors.As(err, &me) {
		return fail(me.Message)
	}
	// The order failed for another reason: due still, the next scan tries
	// again. A charge it made was given back only after placeOrder gave the
	// top-up a new order ID (retire), so that attempt charges anew; a
	// charge kept (a crash, or the new ID could not be written) is got back
	// by the same ID.
	return err
}

// giveBack refunds the charge of an order that did not commit (placeOrder).
// An order whose ID a later attempt reuses as its charge's key (an
// automatic top-up) first gets a new ID, committed: else the next attempt
// would get this charge back, refunded, and credit it. If that cannot be
// written, the charge is kept: the next attempt gets it back and commits
// it (or, after a crash, the gateway's event of the orphan refunds it,
// settleOrphan).
func (s *Service) giveBack(ctx context.Context, in OrderInput, orderID, chargeID string, charged payment.RefundInput) {
	ctx = context.WithoutCancel(ctx)
	if in.orderID != "" {
		err := errors.New("the order has no way to retire its ID")
		if in.retire != nil {
			err = s.store.Tx(ctx, in.retire)
		}
		if err != nil {
			s.log.Error("charge kept for the next attempt: its order's key could not be retired", "order", orderID, "charge", chargeID, "err", err)
			return
		}
	}
	if _, err := s.gateway.Refund(ctx, charged); err != nil {
		s.log.Error("refund after failed order", "order", orderID, "charge", chargeID, "err", err)
	}
}

// NumberPriceInput is a row of the operator's price list of numbers.
type NumberPriceInput struct {
	Country       string `json:"country" maxLength:"2" doc:"ISO 3166 code."`
	State         string `json:"state,omitempty" maxLength:"3" doc:"Only numbers of this state (countries with states); all when omitted."`
	Area          string `json:"area,omitempty" maxLength:"100" doc:"Only numbers of this area; all when omitted."`
	Type          string `json:"type,omitempty" maxLength:"20" doc:"Only numbers of this type (local, mobile, toll_free); all when omitted."`
	Currency      string `json:"currency" maxLength:"3" doc:"ISO 4217 code."`
	SetupAmount   int64  `json:"setup_amount" doc:"Minor units of currency."`
	MonthlyAmount int64  `json:"monthly_amount" doc:"Minor units of currency."`
}

// SetNumberPrice puts a row of the price list (replacing the row of the
// same scope and currency). Error: invalid_request naming the field.
func (s *Service) SetNumberPrice(ctx context.Context, in NumberPriceInput) (market.NumberPrice, error) {
	r, field, msg := inventory.ValidatePrice(inventory.PriceRow{Country: in.Country, State: in.State, Area: in.Area, Type: in.Type,
		Currency: in.Currency, SetupAmount: in.SetupAmount, MonthlyAmount: in.MonthlyAmount})
	if field != "" {
		return market.NumberPrice{}, market.Invalid(field, "%s", msg)
	}
	p := market.NumberPrice{Country: r.Country, State: r.State, Area: r.Area, Type: r.Type, Currency: r.Currency,
		SetupAmount: r.SetupAmount, MonthlyAmount: r.MonthlyAmount, UpdatedAt: s.now()}
	err := s.store.Tx(ctx, func(q *store.Q) error {
		var before any
		prices, err := q.NumberPrices(ctx, p.Country)
		if err != nil {
			return err
		}
		for _, x := range prices {
			if x.State == p.State && x.Area == p.Area && x.Type == p.Type && x.Currency == p.Currency {
				before = x
			}
		}
		if err := q.PutNumberPrice(ctx, p); err != nil {
			return err
		}
		key := strings.Join([]string{p.Country, p.State, p.Area, p.Type, p.Currency}, "/")
		return s.audit(ctx, q, "number_price.set", "number_price", key, before, p)
	})
	return p, err
}

// NumberPrices lists the price list.
func (s *Service) NumberPrices(ctx context.Context) ([]market.NumberPrice, error) {
	return s.store.Read().NumberPrices(ctx, "")
}

// AdjustmentInput is an operator's change of a customer's balance.
type AdjustmentInput struct {
	Amount int64  `json:"amount" doc:"Signed, in minor units of the customer's currency."`
	Reason string `json:"reason" minLength:"1" maxLength:"500"`
	// ExpectBalance, when set, is the balance the operator saw: the
	// adjustment is refused (conflict) if the balance is another by then,
	// so that a form sent twice adjusts once (the back office sets it).
	ExpectBalance *int64 `json:"-"`

	key Key // the request's idempotency key (Keyed)
}

// AdjustBalance credits (positive) or debits (negative) a customer's
// balance with a reason. Errors: invalid_request, not_found,
// insufficient_funds (a debit below zero).
func (s *Service) AdjustBalance(ctx context.Context, customerID string, in AdjustmentInput) (market.Payment, error) {
	in.Reason = strings.TrimSpace(in.Reason)
	if in.Amount == 0 || in.Amount > 1_000_000_00 || in.Amount < -1_000_000_00 {
		return market.Payment{}, market.Invalid("amount", "amount must be non-zero and at most 1000000.00 either way")
	}
	if in.Reason == "" {
		return market.Payment{}, market.Invalid("reason", "a reason is required")
	}
	var pay market.Payment
	err := s.store.Tx(ctx, func(q *store.Q) error {
		if ref, err := s.firstResult(ctx, q, in.key); err != nil || ref != "" {
			if err == nil {
				pay, err = q.PaymentByID(ctx, ref) // the first request's adjustment
			}
			return err
		}
		now := s.now()
		cust, err := q.LockCustomer(ctx, customerID)
		if err != nil {
			return err
		}
		if in.ExpectBalance != nil && *in.ExpectBalance != cust.Balance {
			return &market.Error{Code: market.CodeConflict, Param: "amount",
				Message: fmt.Sprintf("the balance changed since the page was shown (it is %s now): check it and adjust again if still needed",
					money.Format(money.New(cust.Balance, cust.Currency)))}
		}
		if cust.Balance+in.Amount < 0 {
			return &market.Error{Code: market.CodeInsufficientFunds, Param: "amount",
				Message: fmt.Sprintf("the balance is %s: a debit cannot take it below zero", money.Format(money.New(cust.Balance, cust.Currency))),
				Extra:   map[string]any{"missing": -(cust.Balance + in.Amount), "currency": cust.Currency}}
		}
		pay = market.Payment{ID: s.ids.New("pay"), CustomerID: cust.ID, Purpose: market.PurposeAdjustment, Description: in.Reason,
			Method: "operator", Amount: in.Amount, Currency: cust.Currency, CreatedAt: now}
		if err := q.InsertPayment(ctx, pay); err != nil {
			return err
		}
		if err := bindResult(ctx, q, in.key, pay.ID); err != nil {
			return err
		}
		if err := post(ctx, q, market.LedgerTx{ID: s.ids.New("ltx"), CustomerID: cust.ID, Kind: "adjustment", Description: in.Reason,
			PaymentID: pay.ID, Currency: cust.Currency, CreatedAt: now}, market.Movement{Payer: market.PayerOperator, Total: in.Amount}); err != nil {
			return err
		}
		return s.audit(ctx, q, "customer.balance_adjustment", "customer", cust.ID,
			map[string]any{"balance": cust.Balance, "currency": cust.Currency},
			map[string]any{"balance": cust.Balance + in.Amount, "currency": cust.Currency, "amount": in.Amount, "reason": in.Reason, "payment": pay.ID})
	})
	return pay, err
}
