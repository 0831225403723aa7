package billing

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
	"github.com/dialtone/dialtone/internal/payment"
	"github.com/dialtone/dialtone/internal/store"
)

// Quote is what an order would cost.
type Quote struct {
	Lines      []market.Line
	Totals     market.Totals
	Currency   string
	PromoCode  string
	TaxCountry string
	// Token identifies the prices the quote used; an order given it fails
	// with price_changed if any of them changed since.
	Token string
	// prices is what Token fingerprints, key by key: the list price of
	// each plan, term and currency, each number's, the promo code's terms
	// and each billing address's country and tax rate. The cart keeps it
	// as what the customer was shown (Service.Cart).
	prices map[string]string
}

// workSub is a subscription being changed by an order, in memory until the
// order is paid. Several items of one order act on the same copy, so a
// renewal and an upgrade in one cart stack as they would one after the
// other.
type workSub struct {
	sub     market.Subscription
	isNew   bool
	orig    int          // periods that exist in the store
	changed map[int]bool // indexes of stored periods changed
	trial   bool
}

// pricing is the state of one quote or order while it is priced.
type pricing struct {
	s      *Service
	q      *store.Q
	now    time.Time
	cust   market.Customer
	plans  map[string]market.Plan
	subs   map[string]*workSub
	order  []*workSub // every touched subscription, in first-touch order
	lines  []market.Line
	fp     []string // every price and rate used, for the quote token
	promo  *market.Promo
	addr   *market.BillingAddress
	totals market.Totals
	// taxCountry, set by a kind's pricing, is the country whose tax rate
	// applies when the order names no billing address (a number's rental:
	// the customer's latest address, else its sign-up country).
	taxCountry string
	// unrecorded, set by a kind's fulfilment, leaves the order without a
	// payment, ledger transaction and invoice: nothing was paid after all.
	unrecorded bool
	// held are the numbers whose months number_rental items pay, by ID.
	held map[string]market.Number
}

func (pr *pricing) plan(ctx context.Context, code string) (market.Plan, error) {
	if p, ok := pr.plans[code]; ok {
		return p, nil
	}
	p, err := pr.q.Plan(ctx, code)
	if market.IsCode(err, market.CodeNotFound) {
		return p, market.Invalid("plan", "there is no plan %q", code)
	}
	if err != nil {
		return p, err
	}
	pr.plans[code] = p
	return p, nil
}

func (pr *pricing) price(ctx context.Context, code string, term int) (int64, error) {
	p, err := pr.plan(ctx, code)
	if err != nil {
		return 0, err
	}
	v, err := p.UnitPrice(pr.cust.Currency, term)
	pr.fp = append(pr.fp, fmt.Sprintf("%s/%d/%s=%d", code, term, pr.cust.Currency, v))
	return v, err
}

func (pr *pricing) sub(ctx context.Context, subID string) (*workSub, error) {
	if w, ok := pr.subs[subID]; ok {
		return w, nil
	}
	s, err := pr.q.Subscription(ctx, pr.cust.ID, subID)
	if err != nil {
		return nil, err
	}
	if s.Status == market.StatusCanceled {
		return nil, market.Invalid("subscription", "this subscription was canceled")
	}
	w := &workSub{sub: s, orig: len(s.Periods), changed: map[int]bool{}}
	pr.subs[subID] = w
	pr.order = append(pr.order, w)
	return w, nil
}

// build prices an order: lines for every item, the promo code, tax by the
// billing address's country, totals. It changes nothing in the store.
func (s *Service) build(ctx context.Context, q *store.Q, cust market.Customer, in OrderInput, now time.Time) (*pricing, error) {
	pr := &pricing{s: s, q: q, now: now, cust: cust, plans: map[string]market.Plan{}, subs: map[string]*workSub{}}
	for i, it := range in.Items {
		l, err := pr.item(ctx, it)
		if err != nil {
			var me *market.Error
			if errors.As(err, &me) && me.Param != "" && !strings.HasPrefix(me.Param, "items") && me.Param != "promo_code" {
				return nil, me.WithParam(fmt.Sprintf("items[%d].%s", i, me.Param))
			}
			return nil, err
		}
		pr.lines = append(pr.lines, l)
	}
	if in.PromoCode != "" {
		if err := pr.applyPromo(ctx, in.PromoCode); err != nil {
			return nil, err
		}
	}
	rate := money.Rate{}
	if in.BillingAddress != "" {
		a, err := q.BillingAddress(ctx, cust.ID, in.BillingAddress)
		if err != nil {
			return nil, market.Invalid("billing_address", "there is no billing address %q", in.BillingAddress)
		}
		pr.addr = &a
		if rate, err = q.TaxRateFor(ctx, a.Country); err != nil {
			return nil, err
		}
	} else if pr.taxCountry != "" {
		var err error
		if rate, err = q.TaxRateFor(ctx, pr.taxCountry); err != nil {
			return nil, err
		}
	} else if !in.preview && market.TopUpTotal(pr.lines) != market.Sum(pr.lines).Subtotal {
		return nil, market.Invalid("billing_address", "a billing address is required")
	}
	if pr.addr != nil {
		// Keyed by the address: another address is the customer's choice,
		// not a price change; the same address's country or rate changing
		// is one.
		pr.fp = append(pr.fp, "tax/"+pr.addr.ID+"="+pr.addr.Country+":"+rate.String())
	}
	market.ApplyTax(pr.lines, rate)
	pr.totals = market.Sum(pr.lines)
	return pr, nil
}

// tokenEncoding writes quote tokens with letters only.
var tokenEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyzABCDEF").WithPadding(base32.NoPadding)

func (pr *pricing) quote() Quote {
	q := Quote{Lines: pr.lines, Totals: pr.totals, Currency: pr.cust.Currency}
	if pr.promo != nil {
		q.PromoCode = pr.promo.Code
	}
	if pr.addr != nil {
		q.TaxCountry = pr.addr.Country
	}
	h := sha256.New()
	h.Write([]byte(pr.cust.ID))
	q.prices = make(map[string]string, len(pr.fp))
	for _, f := range pr.fp {
		h.Write([]byte{0})
		h.Write([]byte(f))
		// Entries are "key=value"; values hold no "=".
		if i := strings.LastIndexByte(f, '='); i >= 0 {
			q.prices[f[:i]] = f[i+1:]
		}
	}
	// Letters only: a hex digest can hold a long run of digits that looks
	// like a card number to anyone scanning logs and stored responses.
	q.Token = "qt_" + tokenEncoding.EncodeToString(h.Sum(nil)[:16])
	return q
}

// checkPromo reads a promo code and checks that the customer may use it
// now, whatever the lines. Errors: promo_invalid (also for an unknown
// code), promo_exhausted.
func (pr *pricing) checkPromo(ctx context.Context, code string) (market.Promo, error) {
	p, err := pr.q.Promo(ctx, code, pr.q != nil)
	if market.IsCode(err, market.CodeNotFound) {
		return p, &market.Error{Code: market.CodePromoInvalid, Param: "promo_code", Message: "promo code " + code + " does not exist"}
	}
	if err != nil {
		return p, err
	}
	used, err := pr.q.CustomerRedemptions(ctx, p.Code, pr.cust.ID)
	if err != nil {
		return p, err
	}
	paid, err := pr.q.HasPaidOrders(ctx, pr.cust.ID)
	if err != nil {
		return p, err
	}
	return p, p.Check(market.PromoUse{Now: pr.now, Currency: pr.cust.Currency, CustomerRedemptions: used, HasPaidOrders: paid})
}

func (pr *pricing) applyPromo(ctx context.Context, code string) error {
	p, err := pr.checkPromo(ctx, code)
	if err != nil {
		return err
	}
	if err := p.Apply(pr.lines); err != nil {
		return err
	}
	pr.promo = &p
	pr.fp = append(pr.fp, fmt.Sprintf("promo=%s/%s/%d/%s", p.Code, p.PercentOff, p.AmountOff, p.Currency))
	return nil
}

// Quote prices an order without changing anything.
func (s *Service) Quote(ctx context.Context, p Principal, in OrderInput) (Quote, error) {
	if err := in.validateShape(true); err != nil {
		return Quote{}, err
	}
	q := s.store.Read()
	cust, err := q.Customer(ctx, p.CustomerID)
	if err != nil {
		return Quote{}, err
	}
	pr, err := s.build(ctx, q, cust, in, s.now())
	if err != nil {
		return Quote{}, err
	}
	return pr.quote(), nil
}

// Preview prices an order like Quote, but quotes it without tax when no
// billing address is given (instead of failing): what the portal shows
// before the customer has picked an address. Errors: those of Quote.
func (s *Service) Preview(ctx context.Context, p Principal, in OrderInput) (Quote, error) {
	in.preview = true
	return s.Quote(ctx, p, in)
}

// PlaceOrder prices, pays and fulfils an order atomically: either every
// item is fulfilled and paid, or nothing changes. Errors: invalid_request,
// insufficient_funds (with "missing"), card_declined, number_unavailable,
// price_changed (with a fresh "quote"), the catalog's min_licenses,
// max_licenses, invalid_term, downgrade_not_allowed, trial_already_used, and
// promo_invalid / promo_exhausted.
func (s *Service) PlaceOrder(ctx context.Context, p Principal, in OrderInput, source string) (market.Order, error) {
	// A billing login may top up the balance, and buy nothing else.
	if err := p.mayBill(); err != nil {
		return market.Order{}, err
	}
	if !p.IsAdmin() {
		for _, it := range in.Items {
			if it.Type != string(market.ItemTopUp) {
				return market.Order{}, &market.Error{Code: market.CodeForbidden, Message: "a billing login may only top up the balance: only the account's owner or an admin may buy"}
			}
		}
	}
	// The invoice is numbered behind the answer (sequencer.go).
	return s.placeOrder(numberBehind(ctx), p, in, source, nil)
}

// placeOrderWith is placeOrder (card_setup.go) once a card collected by
// the gateway is saved.
func (s *Service) placeOrderWith(ctx context.Context, p Principal, in OrderInput, source string, also func(q *store.Q) error) (market.Order, error) {
	card, err := s.resolveNewCard(ctx, in.Payment)
	if err != nil {
		return market.Order{}, err
	}
	if in.Payment.Method == "card" {
		if in.Payment.gatewayCustomer, err = s.gatewayCustomer(ctx, p.CustomerID); err != nil {
			return market.Order{}, err
		}
		in.Payment.offSession = strings.HasPrefix(source, "auto_")
	}
	orderID := s.ids.New("ord")
	if in.orderID != "" {
		orderID = in.orderID
	}
	var charge *payment.Charge
	var charged payment.RefundInput // what to give back if the order does not commit
	var order market.Order
	// Pipelined on PostgreSQL: the customer locked in the first round
	// trip, the order's writes sent together (store.TxPipelined).
	err = s.store.TxPipelined(ctx, p.CustomerID, func(q *store.Q) error {
		// The key before any charge: a retry whose first request
		// committed gets that order back.
		if ref, err := s.firstResult(ctx, q, in.key); err != nil || ref != "" {
			if err == nil {
				order, err = q.Order(ctx, p.CustomerID, ref)
			}
			if market.IsCode(err, market.CodeNotFound) { // a pending order's, bound since placeOrder looked
				err = &market.Error{Code: market.CodeIdempotencyKeyInUse, Param: "Idempotency-Key",
					Message: "the first request with this Idempotency-Key waits for the bank: send it again to get its answer"}
			}
			return err
		}
		now := s.now()
		cust, err := q.LockCustomer(ctx, p.CustomerID)
		if err != nil {
			return err
		}
		if in.guard != nil {
			if err := in.guard(q); err != nil {
				return err
			}
		}
		pr, err := s.build(ctx, q, cust, in, now)
		if err != nil {
			return err
		}
		if qt := pr.quote(); changedSince(qt, in.QuoteToken, in.shown) {
			return &market.Error{Code: market.CodePriceChanged, Message: "prices changed since your quote: check the new total and confirm again",
				Extra: map[string]any{"quote": qt}}
		}
		pay, err := s.pay(ctx, q, pr, in.Payment, card, orderID, &charge)
		if charge != nil {
			// Keyed as an unfulfilled pending order's refund, and as the
			// refund of the charge's orphan (its event after a crash), so
			// that the gateway refunds it once whoever gets there.
			charged = payment.RefundInput{ChargeID: charge.ID, Amount: pr.totals.Total, Currency: pr.cust.Currency,
				IdempotencyKey: orderID + "/unfulfilled"}
		}
		if err != nil {
			return err
		}
		if order, err = s.fulfil(ctx, q, pr, orderID, pay, source); err != nil {
			return err
		}
		if err := bindResult(ctx, q, in.key, order.ID); err != nil || also == nil {
			return err
		}
		return also(q)
	})
	var pc *pendingCharge
	if errors.As(err, &pc) {
		// The bank asks the customer to authenticate: nothing is fulfilled
		// until they did (CompletePendingOrder, or Stripe's event).
		return order, s.keepPending(ctx, p, in, source, orderID, pc)
	}
	if err != nil && charge != nil {
		// The card was charged but the order did not commit: give it back.
		s.giveBack(ctx, in, orderID, charge.ID, charged)
	}
	return order, err
}

// changedSince reports whether the prices of quote differ from what the
// customer saw: the quote of token when one is given (exactly: any other
// token is a change), else every price in shown that quote uses too.
// Prices the customer was never shown (an item or an address chosen
// since) are theirs to see now; with neither, nothing is compared.
func changedSince(quote Quote, token string, shown map[string]string) bool {
	if token != "" {
		return token != quote.Token
	}
	for k, v := range quote.prices {
		if was, ok := shown[k]; ok && was != v {
			return true
		}
	}
	return false
}

// resolveNewCard tokenizes a card given inline, before any transaction.
func (s *Service) resolveNewCard(ctx context.Context, in PaymentInput) (*payment.Token, error) {
	if in.Method != "card" || in.Card == nil {
		return nil, nil
	}
	t, err := s.gateway.Tokenize(ctx, payment.Card{Number: in.Card.Number, ExpMonth: in.Card.ExpMonth,
		ExpYear: in.Card.ExpYear, CVC: in.Card.CVC}, s.now())
	if err != nil {
		return nil, cardError(err)
	}
	return &t, nil
}

// cardError maps a gateway failure to the contract's codes.
func cardError(err error) error {
	var pe *payment.Error
	if !errors.As(err, &pe) {
		return fmt.Errorf("payment gateway: %w", err)
	}
	if pe.Code == "card_declined" {
		return &market.Error{Code: market.CodeCardDeclined, Message: pe.Message, Extra: map[string]any{"decline_code": pe.Reason}}
	}
	if pe.Code == "authentication_required" {
		return &market.Error{Code: market.CodeAuthenticationRequired, Message: pe.Message,
			Extra: map[string]any{"next_action_url": pe.NextActionURL}}
	}
	param := pe.Param
	if !strings.HasPrefix(param, "payment.") {
		param = "payment." + param
	}
	return &market.Error{Code: market.CodeInvalidRequest, Param: param, Message: pe.Message}
}
