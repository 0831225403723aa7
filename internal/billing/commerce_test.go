package billing_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/clock"
	"github.com/dialtone/dialtone/internal/inventory"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
	"github.com/dialtone/dialtone/internal/payment"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// shopGateway is the sandbox gateway with a record of what it did, and a
// switch to make refunds fail.
type shopGateway struct {
	*payment.Sandbox
	mu          sync.Mutex
	charges     map[string]payment.ChargeInput // by charge ID
	chargeCalls int                            // successful charges, repeats included
	refunds     []payment.RefundInput
	failRefunds bool
}

func (g *shopGateway) Charge(ctx context.Context, in payment.ChargeInput) (payment.Charge, error) {
	ch, err := g.Sandbox.Charge(ctx, in)
	if err == nil {
		g.mu.Lock()
		g.charges[ch.ID] = in
		g.chargeCalls++
		g.mu.Unlock()
	}
	return ch, err
}

func (g *shopGateway) Refund(ctx context.Context, in payment.RefundInput) (payment.Refund, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.failRefunds {
		return payment.Refund{}, errors.New("sandbox: refunds are down")
	}
	r, err := g.Sandbox.Refund(ctx, in)
	if err == nil {
		g.refunds = append(g.refunds, in)
	}
	return r, err
}

// counts returns the successful charges and refunds so far.
func (g *shopGateway) counts() (charges, refunds int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.chargeCalls, len(g.refunds)
}

// shop is a billing env whose gateway keeps a record.
type shop struct {
	*env
	gw *shopGateway
}

func newShop(t testing.TB, st *store.Store) *shop {
	t.Helper()
	gw := &shopGateway{Sandbox: payment.NewSandbox(), charges: map[string]payment.ChargeInput{}}
	clk := clock.NewFrozen(start)
	svc := billing.New(st, clk, gw, slog.New(slog.NewTextHandler(io.Discard, nil)), billing.Config{Argon2: cheap})
	if _, err := svc.SeedDemo(ctx); err != nil {
		t.Fatalf("seed: %v", err)
	}
	return &shop{env: &env{svc: svc, st: st, clk: clk}, gw: gw}
}

// mustPromo creates a promo code.
func (s *shop) mustPromo(t testing.TB, p market.Promo) market.Promo {
	t.Helper()
	got, err := s.svc.SavePromo(ctx, p, true)
	if err != nil {
		t.Fatalf("promo %s: %v", p.Code, err)
	}
	return got
}

func percentOff(code, pct string) market.Promo {
	return market.Promo{Code: code, PercentOff: money.MustRate(pct), HasPercent: true, MaxPerCustomer: 1, Active: true}
}

func cardPay(c *billing.CardInput, save bool) billing.PaymentInput {
	return billing.PaymentInput{Method: "card", Card: c, Save: save}
}

var (
	declined   = &billing.CardInput{Number: "4000000000000002", ExpMonth: 12, ExpYear: 2030, CVC: "123"}
	mastercard = &billing.CardInput{Number: "5555 5555 5555 4444", ExpMonth: 6, ExpYear: 2031, CVC: "321"}
)

// TestPromoRestrictions runs every restriction of a promo code through the
// checkout engine: each case is a fresh DE customer (19 %) with credit,
// ordering Business 2 x 12 months (2 x 384.00 = 768.00 net) with the code
// typed in lower case, unless the case says otherwise.
func TestPromoRestrictions(t *testing.T) {
	t.Parallel()
	day := 24 * time.Hour
	ptr := func(t time.Time) *time.Time { return &t }
	tests := []struct {
		name     string
		promo    func(p *market.Promo)
		typed    string                                                              // as the customer types it ("" = the code in lower case)
		prep     func(t *testing.T, s *shop, p billing.Principal, addr, code string) // before the order
		renewal  bool                                                                // buy the subscription first, then order its renewal
		want     market.Code
		msg      string // the error message says why
		discount int64
	}{
		// 20 % of 768.00 = 153.60.
		{name: "OKPercent", discount: 15360},
		{name: "OKMixedCaseAndSpaces", typed: "  sPrInG-%02d ", discount: 15360},
		{name: "ErrUnknownCode", typed: "nope-%02d", want: market.CodePromoInvalid, msg: "does not exist"},
		{name: "ErrPlan", promo: func(p *market.Promo) { p.Plans = []string{"enterprise", "start"} }, want: market.CodePromoInvalid, msg: "not applicable"},
		{name: "OKPlan", promo: func(p *market.Promo) { p.Plans = []string{"business"} }, discount: 15360},
		{name: "ErrTerm", promo: func(p *market.Promo) { p.Terms = []int{1, 6} }, want: market.CodePromoInvalid, msg: "not applicable"},
		{name: "OKTerm", promo: func(p *market.Promo) { p.Terms = []int{12} }, discount: 15360},
		{name: "ErrMinQuantity", promo: func(p *market.Promo) { p.MinQuantity = 3 }, want: market.CodePromoInvalid, msg: "not applicable"},
		{name: "OKMinQuantity", promo: func(p *market.Promo) { p.MinQuantity = 2 }, discount: 15360},
		{name: "ErrFirstPurchaseOnly", promo: func(p *market.Promo) { p.FirstPurchaseOnly = true },
			prep: func(t *testing.T, s *shop, p billing.Principal, addr, _ string) {
				s.mustOrder(t, p, addr, buy("ivr", 1, 1))
			},
			want: market.CodePromoInvalid, msg: "first purchase"},
		// A top-up is a deposit, not a purchase: the first order after it
		// is still the first purchase.
		{name: "OKFirstPurchaseAfterTopUp", promo: func(p *market.Promo) { p.FirstPurchaseOnly = true }, discount: 15360},
		{name: "ErrRenewalNotAllowed", renewal: true, want: market.CodePromoInvalid, msg: "not applicable"},
		{name: "OKRenewalAllowed", promo: func(p *market.Promo) { p.Renewals = true }, renewal: true, discount: 15360},
		{name: "ErrNotYetValid", promo: func(p *market.Promo) { p.ValidFrom = ptr(start.Add(day)) }, want: market.CodePromoInvalid, msg: "not valid yet"},
		{name: "ErrExpired", promo: func(p *market.Promo) { p.ValidUntil = ptr(start) }, want: market.CodePromoInvalid, msg: "expired"},
		{name: "OKValidWindow", promo: func(p *market.Promo) { p.ValidFrom, p.ValidUntil = ptr(start.Add(-day)), ptr(start.Add(day)) }, discount: 15360},
		{name: "ErrAmountInOtherCurrency", promo: func(p *market.Promo) {
			p.HasPercent, p.PercentOff, p.AmountOff, p.Currency = false, money.Rate{}, 5000, "CHF"
		}, want: market.CodePromoInvalid, msg: "CHF"},
		{name: "OKAmountOff", promo: func(p *market.Promo) {
			p.HasPercent, p.PercentOff, p.AmountOff, p.Currency = false, money.Rate{}, 5000, "EUR"
		}, discount: 5000},
		{name: "ErrInactive", promo: func(p *market.Promo) { p.Active = false }, want: market.CodePromoInvalid, msg: "no longer active"},
		{name: "ErrUsedByThisCustomer", prep: func(t *testing.T, s *shop, p billing.Principal, addr, code string) {
			if _, err := s.svc.PlaceOrder(ctx, p, billing.OrderInput{Items: []billing.ItemInput{buy("start", 2, 1)}, BillingAddress: addr,
				PromoCode: code, Payment: billing.PaymentInput{Method: "balance"}}, "test"); err != nil {
				t.Fatalf("first use: %v", err)
			}
		}, want: market.CodePromoExhausted, msg: "already used"},
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := newShop(t, st)
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p := s.mustSignup(t, fmt.Sprintf("promo%02d@acme.test", i), "DE", "EUR")
				addr := s.mustAddress(t, p, "DE", "10115")
				s.mustTopUp(t, p, 1_000_000)
				promo := percentOff(fmt.Sprintf("SPRING-%02d", i), "20")
				if tt.promo != nil {
					tt.promo(&promo)
				}
				s.mustPromo(t, promo)
				it := buy("business", 2, 12)
				if tt.renewal {
					it = billing.ItemInput{Type: "renewal", Subscription: s.mustOrder(t, p, addr, it).Lines[0].SubscriptionID}
				}
				if tt.prep != nil {
					tt.prep(t, s, p, addr, promo.Code)
				}
				typed := strings.ToLower(promo.Code)
				if tt.typed != "" {
					typed = fmt.Sprintf(tt.typed, i)
				}
				before := s.balance(t, p)
				o, err := s.svc.PlaceOrder(ctx, p, billing.OrderInput{Items: []billing.ItemInput{it}, BillingAddress: addr, PromoCode: typed,
					Payment: billing.PaymentInput{Method: "balance"}}, "test")
				if tt.want != "" {
					var me *market.Error
					if code(err) != tt.want || !errors.As(err, &me) || !strings.Contains(me.Message, tt.msg) || me.Param != "promo_code" {
						t.Fatalf("order: %v; want %s saying %q, naming promo_code", err, tt.want, tt.msg)
					}
					if got := s.balance(t, p); got != before {
						t.Errorf("balance = %d after a refused order, want %d", got, before)
					}
					return
				}
				if err != nil {
					t.Fatalf("order: %v", err)
				}
				// Tax is 19 % of what is left after the discount.
				net := int64(76800) - tt.discount
				tax := money.MustRate("19").Apply(net)
				if o.Totals != (market.Totals{Subtotal: 76800, Discount: tt.discount, Tax: tax, Total: net + tax}) || o.PromoCode != promo.Code {
					t.Errorf("totals = %+v with %q, want discount %d tax %d total %d with %s", o.Totals, o.PromoCode, tt.discount, tax, net+tax, promo.Code)
				}
				if got := s.balance(t, p); got != before-o.Totals.Total {
					t.Errorf("balance = %d, want %d", got, before-o.Totals.Total)
				}
				if got, _ := s.svc.Promo(ctx, promo.Code); got.Redemptions != 1 {
					t.Errorf("%d redemptions, want 1", got.Redemptions)
				}
			})
		}
		s.checkLedger(t)
	})
}

// TestTaxPerLine: tax is rounded once per line, half away from zero, by
// the billing address's country, after the line's discount; top-ups are not
// taxed; a country without a rate pays none.
func TestTaxPerLine(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := newShop(t, st)
		s.mustPromo(t, func() market.Promo {
			p := percentOff("TAX10", "10")
			p.Plans = []string{"hosted-pbx"}
			return p
		}())
		topUp := billing.ItemInput{Type: "balance_top_up", Amount: 1000}
		tests := []struct {
			name, country, postal, currency, promo string
			items                                  []billing.ItemInput
			rate                                   string
			tax                                    []int64 // per line
			totals                                 market.Totals
		}{
			// CH 8.1 %: IVR 9.00 -> 0.729 -> 0.73; Hosted PBX 15.00 -> 1.215 ->
			// 1.22; the top-up none: 1.95, where 8.1 % of the sum (24.00) would
			// be 1.944 -> 1.94.
			{"CH", "CH", "8001", "CHF", "", []billing.ItemInput{buy("ivr", 1, 1), buy("hosted-pbx", 1, 1), topUp},
				"8.1", []int64{73, 122, 0}, market.Totals{Subtotal: 3400, Tax: 195, Total: 3595}},
			// Tax is on the line after its discount: 15.00 - 10 % = 13.50 ->
			// 1.0935 -> 1.09 (not 1.22).
			{"CHDiscounted", "CH", "8001", "CHF", "tax10", []billing.ItemInput{buy("hosted-pbx", 1, 1)},
				"8.1", []int64{109}, market.Totals{Subtotal: 1500, Discount: 150, Tax: 109, Total: 1459}},
			// DE 19 %: 50.00 -> 9.50; 25.50 -> 4.845 -> 4.85; 43.50 -> 8.265 -> 8.27
			// (22.62 per line; 19 % of 119.00 would be 22.61).
			{"DE", "DE", "10115", "EUR", "", []billing.ItemInput{buy("start", 2, 1), buy("ivr", 1, 3), buy("hosted-pbx", 1, 3), topUp},
				"19", []int64{950, 485, 827, 0}, market.Totals{Subtotal: 12900, Tax: 2262, Total: 15162}},
			// No rate for Norway: no tax.
			{"NoRate", "NO", "0150", "EUR", "", []billing.ItemInput{buy("start", 2, 1), buy("ivr", 1, 3)},
				"0", []int64{0, 0}, market.Totals{Subtotal: 7550, Total: 7550}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p := s.mustSignup(t, "tax-"+tt.name+"@acme.test", tt.country, tt.currency)
				addr := s.mustAddress(t, p, tt.country, tt.postal)
				in := billing.OrderInput{Items: tt.items, BillingAddress: addr, PromoCode: tt.promo, Payment: cardPay(visa, false)}
				q, err := s.svc.Quote(ctx, p, in)
				if err != nil {
					t.Fatal(err)
				}
				o, err := s.svc.PlaceOrder(ctx, p, in, "test")
				if err != nil {
					t.Fatal(err)
				}
				stored, err := s.svc.Order(ctx, p, o.ID)
				if err != nil {
					t.Fatal(err)
				}
				for _, got := range []struct {
					what   string
					lines  []market.Line
					totals market.Totals
				}{{"quote", q.Lines, q.Totals}, {"order", o.Lines, o.Totals}, {"stored order", stored.Lines, stored.Totals}} {
					if got.totals != tt.totals {
						t.Errorf("%s totals = %+v, want %+v", got.what, got.totals, tt.totals)
					}
					for i, l := range got.lines {
						wantRate := tt.rate
						if l.Type == market.ItemTopUp {
							wantRate = "0"
						}
						if l.Tax != tt.tax[i] || l.TaxRate.String() != wantRate {
							t.Errorf("%s line %d (%s): tax %d at %s %%, want %d at %s %%", got.what, i, l.Type, l.Tax, l.TaxRate, tt.tax[i], wantRate)
						}
					}
				}
			})
		}
		s.checkLedger(t)
	})
}

// cartState is everything a failed checkout must leave as it was.
type cartState struct {
	Balance       int64
	CartItems     []string
	CartPromo     string
	Orders        int
	Payments      int
	Invoices      int
	Cards         int
	Subscriptions []string
	Numbers       []string
	Redemptions   int
	Charges       int
	Revenue       int64
}

func (s *shop) cartState(t *testing.T, p billing.Principal, promo string) cartState {
	t.Helper()
	var c cartState
	c.Balance = s.balance(t, p)
	items, code, err := s.st.Read().Cart(ctx, p.CustomerID)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		c.CartItems = append(c.CartItems, it.ID+" "+it.Item)
	}
	c.CartPromo = code
	orders, _ := s.svc.Orders(ctx, p, store.Page{})
	pays, _ := s.svc.Transactions(ctx, p, store.PaymentFilter{})
	invs, _ := s.svc.Invoices(ctx, p, store.Page{})
	cards, _ := s.svc.Cards(ctx, p)
	subs, _ := s.svc.Subscriptions(ctx, p, store.Page{})
	nums, _ := s.svc.Numbers(ctx, p)
	c.Orders, c.Payments, c.Invoices, c.Cards = len(orders), len(pays), len(invs), len(cards)
	for _, sub := range subs {
		c.Subscriptions = append(c.Subscriptions, fmt.Sprintf("%s %s x%d until %s, %d periods", sub.ID, sub.Plan, sub.Quantity(s.svc.Now()),
			sub.ExpiresAt, len(sub.Periods)))
	}
	for _, n := range nums {
		c.Numbers = append(c.Numbers, n.Number)
	}
	if pr, err := s.svc.Promo(ctx, promo); err == nil {
		c.Redemptions = pr.Redemptions
	}
	c.Charges, _ = s.gw.counts()
	c.Revenue, _ = s.st.Read().AccountSum(ctx, market.SystemAccount("revenue", "CHF"))
	return c
}

// TestCartCheckout fills a cart with items of every kind and a promo code;
// checkouts that fail (insufficient funds, a declined card) leave it and
// everything else as it was; a paid checkout buys it all and empties it.
func TestCartCheckout(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := newShop(t, st)
		rows := []inventory.Row{
			{Number: "+493020000001", Country: "DE", Area: "Berlin", Type: inventory.TypeLocal, SetupAmount: 1000, MonthlyAmount: 500, Currency: "CHF"},
			{Number: "+493020000002", Country: "DE", Area: "Berlin", Type: inventory.TypeLocal, SetupAmount: 1000, MonthlyAmount: 500, Currency: "CHF"},
		}
		if n, _, err := s.svc.ImportNumbers(ctx, rows); err != nil || n != 2 {
			t.Fatalf("import: %d, %v", n, err)
		}
		s.mustPromo(t, percentOff("CART10", "10"))
		p := s.mustSignup(t, "cart@acme.test", "CH", "CHF")
		addr := s.mustAddress(t, p, "CH", "8001") // 8.1 %
		s.mustTopUp(t, p, 20000)
		subA := s.mustOrder(t, p, addr, buy("hosted-pbx", 1, 1)).Lines[0].SubscriptionID // 15.00 + 1.22
		subB := s.mustOrder(t, p, addr, buy("business", 2, 1)).Lines[0].SubscriptionID   // 80.00 + 6.48
		// Balance: 200.00 - 16.22 - 86.48 = 97.30.

		items := []billing.ItemInput{
			buy("start", 2, 12),                                       // 2 x 240.00 = 480.00, 10 % off: 432.00 + 34.99 (34.992)
			{Type: "renewal", Subscription: subA},                     // 15.00 + 1.22 (1.215)
			{Type: "upgrade", Subscription: subB, Plan: "enterprise"}, // 2 x (60.00 - 40.00) x 1 = 40.00 + 3.24
			{Type: "licenses", Subscription: subB, Quantity: 1},       // 1 x 60.00 (enterprise now) = 60.00 + 4.86
			{Type: "phone_number", Number: "+49 30 20000001"},         // 15.00 + 1.22
			{Type: "phone_number", Country: "DE", Area: "Berlin"},     // the other one: 15.00 + 1.22
		}
		for _, it := range items {
			if _, err := s.svc.AddToCart(ctx, p, it); err != nil {
				t.Fatalf("add %s: %v", it.Type, err)
			}
		}
		if _, err := s.svc.SetCartPromo(ctx, p, " cart10"); err != nil {
			t.Fatalf("promo: %v", err)
		}
		cart, err := s.svc.Cart(ctx, p, addr)
		if err != nil || cart.Quote == nil {
			t.Fatalf("cart: %+v, %v", cart, err)
		}
		want := market.Totals{Subtotal: 62500, Discount: 4800, Tax: 3499 + 122 + 324 + 486 + 122 + 122}
		want.Total = want.Subtotal - want.Discount + want.Tax // 621.75
		if cart.Quote.Totals != want || cart.PromoCode != "CART10" {
			t.Fatalf("cart quote = %+v with %q, want %+v with CART10", cart.Quote.Totals, cart.PromoCode, want)
		}

		before := s.cartState(t, p, "CART10")
		_, err = s.svc.CheckoutCart(ctx, p, billing.CheckoutInput{BillingAddress: addr, Payment: billing.PaymentInput{Method: "balance"}})
		var me *market.Error
		if code(err) != market.CodeInsufficientFunds || !errors.As(err, &me) || me.Extra["missing"] != want.Total-9730 {
			t.Errorf("checkout from a short balance: %v, want insufficient_funds missing %d", err, want.Total-9730)
		}
		if got := s.cartState(t, p, "CART10"); !reflect.DeepEqual(got, before) {
			t.Errorf("after insufficient funds:\n got %+v\nwant %+v", got, before)
		}
		_, err = s.svc.CheckoutCart(ctx, p, billing.CheckoutInput{BillingAddress: addr, Payment: cardPay(declined, true)})
		if code(err) != market.CodeCardDeclined {
			t.Errorf("checkout with a declined card: %v, want card_declined", err)
		}
		if got := s.cartState(t, p, "CART10"); !reflect.DeepEqual(got, before) {
			t.Errorf("after a declined card:\n got %+v\nwant %+v", got, before)
		}

		// A top-up too, then pay it all by card.
		if _, err := s.svc.AddToCart(ctx, p, billing.ItemInput{Type: "balance_top_up", Amount: 5000}); err != nil {
			t.Fatal(err)
		}
		o, err := s.svc.CheckoutCart(ctx, p, billing.CheckoutInput{BillingAddress: addr, Payment: cardPay(visa, true)})
		if err != nil {
			t.Fatalf("checkout: %v", err)
		}
		want.Subtotal += 5000
		want.Total += 5000
		if o.Totals != want || len(o.Lines) != 7 || o.PromoCode != "CART10" || o.Source != "cart" {
			t.Errorf("order = %+v, %d lines, promo %q, source %q; want %+v", o.Totals, len(o.Lines), o.PromoCode, o.Source, want)
		}
		for i, l := range o.Lines {
			if (l.Discount != 0) != (i == 0) {
				t.Errorf("line %d (%s): discount %d; only the new subscription is discounted", i, l.Type, l.Discount)
			}
		}
		after, _ := s.svc.Cart(ctx, p, "")
		if len(after.Items) != 0 || after.PromoCode != "" {
			t.Errorf("cart after checkout: %d items, promo %q; want empty", len(after.Items), after.PromoCode)
		}
		if got := s.balance(t, p); got != 9730+5000 {
			t.Errorf("balance = %d, want %d (the top-up added)", got, 9730+5000)
		}
		nums, _ := s.svc.Numbers(ctx, p)
		if len(nums) != 2 {
			t.Errorf("%d numbers, want 2", len(nums))
		}
		b, _ := s.svc.Subscription(ctx, p, subB)
		if b.Plan != "enterprise" || b.Quantity(s.svc.Now()) != 3 {
			t.Errorf("subscription B: %s x%d, want enterprise x3", b.Plan, b.Quantity(s.svc.Now()))
		}
		a, _ := s.svc.Subscription(ctx, p, subA)
		if len(a.Periods) != 2 {
			t.Errorf("subscription A: %d periods, want 2 (renewed)", len(a.Periods))
		}
		if pr, _ := s.svc.Promo(ctx, "cart10"); pr.Redemptions != 1 {
			t.Errorf("%d redemptions, want 1", pr.Redemptions)
		}
		if cards, _ := s.svc.Cards(ctx, p); len(cards) != 1 || !cards[0].Default || cards[0].Last4 != "4242" {
			t.Errorf("cards = %+v, want the saved visa as default", cards)
		}
		if _, err := s.svc.CheckoutCart(ctx, p, billing.CheckoutInput{BillingAddress: addr, Payment: cardPay(visa, false)}); code(err) != market.CodeInvalidRequest {
			t.Errorf("checkout of an empty cart: %v, want invalid_request", err)
		}
		s.checkLedger(t, p)
	})
}

// TestSavedCards: save a card at checkout, pay with it, add another, make it
// the default, delete it.
func TestSavedCards(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := newShop(t, st)
		p := s.mustSignup(t, "cards@acme.test", "DE", "EUR")
		other := s.mustSignup(t, "other-cards@acme.test", "DE", "EUR")
		addr := s.mustAddress(t, p, "DE", "10115")
		topUp := []billing.ItemInput{{Type: "balance_top_up", Amount: 10000}}

		// A declined card is not saved.
		if _, err := s.svc.PlaceOrder(ctx, p, billing.OrderInput{Items: topUp, Payment: cardPay(declined, true)}, "test"); code(err) != market.CodeCardDeclined {
			t.Fatalf("declined: %v", err)
		}
		if cards, _ := s.svc.Cards(ctx, p); len(cards) != 0 {
			t.Fatalf("cards after a decline: %+v", cards)
		}
		o, err := s.svc.PlaceOrder(ctx, p, billing.OrderInput{Items: topUp, Payment: cardPay(visa, true)}, "test")
		if err != nil {
			t.Fatal(err)
		}
		cards, _ := s.svc.Cards(ctx, p)
		if len(cards) != 1 || !cards[0].Default || cards[0].Brand != "visa" || cards[0].Last4 != "4242" || cards[0].ExpYear != 2030 {
			t.Fatalf("cards = %+v, want the visa, default", cards)
		}
		first := cards[0]
		if pay, _ := s.st.Read().PaymentByID(ctx, o.PaymentID); pay.PaymentMethodID != first.ID || pay.Method != "card" {
			t.Errorf("top-up payment = %+v, want by %s", pay, first.ID)
		}

		// Pay by the saved card.
		charges, _ := s.gw.counts()
		o, err = s.svc.PlaceOrder(ctx, p, billing.OrderInput{Items: []billing.ItemInput{buy("ivr", 1, 1)}, BillingAddress: addr,
			Payment: billing.PaymentInput{Method: "card", PaymentMethod: first.ID}}, "test")
		if err != nil {
			t.Fatal(err)
		}
		pay, _ := s.st.Read().PaymentByID(ctx, o.PaymentID)
		if pay.PaymentMethodID != first.ID || pay.CardLast4 != "4242" || pay.Amount != 1071 { // 9.00 + 19 %
			t.Errorf("payment = %+v, want 10.71 by %s", pay, first.ID)
		}
		if c, _ := s.gw.counts(); c != charges+1 || s.balance(t, p) != 10000 {
			t.Errorf("%d charges, balance %d; want one more charge and the balance untouched", c-charges, s.balance(t, p))
		}

		// A second card is not the default until made so.
		second, err := s.svc.AddCard(ctx, p, *mastercard)
		if err != nil || second.Default || second.Brand != "mastercard" || second.Last4 != "4444" {
			t.Fatalf("second card = %+v, %v", second, err)
		}
		if got, err := s.svc.SetDefaultCard(ctx, p, second.ID); err != nil || !got.Default {
			t.Fatalf("set default: %+v, %v", got, err)
		}
		defaults := func() []string {
			var out []string
			cs, _ := s.svc.Cards(ctx, p)
			for _, c := range cs {
				if c.Default {
					out = append(out, c.ID)
				}
			}
			return out
		}
		if d := defaults(); len(d) != 1 || d[0] != second.ID {
			t.Errorf("defaults = %v, want [%s]", d, second.ID)
		}
		// Deleting the default makes the remaining card the default.
		if err := s.svc.DeleteCard(ctx, p, second.ID); err != nil {
			t.Fatal(err)
		}
		if d := defaults(); len(d) != 1 || d[0] != first.ID {
			t.Errorf("defaults after delete = %v, want [%s]", d, first.ID)
		}
		if _, err := s.svc.PlaceOrder(ctx, p, billing.OrderInput{Items: topUp, Payment: billing.PaymentInput{Method: "card", PaymentMethod: second.ID}}, "test"); code(err) != market.CodeInvalidRequest {
			t.Errorf("pay by a deleted card: %v, want invalid_request", err)
		}
		// Another customer's card is not there for them.
		if _, err := s.svc.PlaceOrder(ctx, other, billing.OrderInput{Items: topUp, Payment: billing.PaymentInput{Method: "card", PaymentMethod: first.ID}}, "test"); code(err) != market.CodeInvalidRequest {
			t.Errorf("pay by another customer's card: %v, want invalid_request", err)
		}
		for name, err := range map[string]error{
			"delete again":          s.svc.DeleteCard(ctx, p, second.ID),
			"delete another's card": s.svc.DeleteCard(ctx, other, first.ID),
			"default of unknown":    func() error { _, err := s.svc.SetDefaultCard(ctx, p, "pm_nope"); return err }(),
		} {
			if code(err) != market.CodeNotFound {
				t.Errorf("%s: %v, want not_found", name, err)
			}
		}
		s.checkLedger(t, p, other)
	})
}

// mustRefund refunds an order (amount 0: all that is left).
func (s *shop) mustRefund(t *testing.T, orderID string, amount int64) billing.Refund {
	t.Helper()
	in := billing.RefundInput{Reason: "goodwill"}
	if amount != 0 {
		in.Amount = &amount
	}
	r, err := s.svc.RefundOrder(ctx, orderID, in)
	if err != nil {
		t.Fatalf("refund %d of %s: %v", amount, orderID, err)
	}
	return r
}

// checkRefund checks a refund's split, its Billing tab row, its credit
// note and its order.
func (s *shop) checkRefund(t *testing.T, r billing.Refund, o market.Order, net, tax, topUp int64, status string, refunded int64) {
	t.Helper()
	amount := net + tax + topUp
	if r.Amount != amount || r.Net != net || r.Tax != tax || r.TopUp != topUp {
		t.Errorf("refund = %d (net %d, tax %d, top-up %d), want %d (%d, %d, %d)", r.Amount, r.Net, r.Tax, r.TopUp, amount, net, tax, topUp)
	}
	if r.Order.Status != status || r.Order.Refunded != refunded {
		t.Errorf("order %s, refunded %d; want %s, %d", r.Order.Status, r.Order.Refunded, status, refunded)
	}
	pay, err := s.st.Read().PaymentByID(ctx, r.Payment.ID)
	if err != nil {
		t.Fatal(err)
	}
	orig, _ := s.st.Read().PaymentByID(ctx, o.PaymentID)
	if pay.Purpose != market.PurposeRefund || pay.Amount != -amount || pay.RefundOf != o.PaymentID || pay.OrderID != o.ID ||
		pay.InvoiceID != r.CreditNote.ID || pay.Method != orig.Method || pay.CardLast4 != orig.CardLast4 {
		t.Errorf("refund payment = %+v", pay)
	}
	if (orig.Method == "card") != strings.HasPrefix(pay.GatewayRef, "re_") {
		t.Errorf("refund of a %s payment has gateway_ref %q", orig.Method, pay.GatewayRef)
	}
	inv, doc, err := s.svc.Invoice(ctx, billing.Principal{Operator: true}, r.CreditNote.ID)
	if err != nil {
		t.Fatal(err)
	}
	if inv.Kind != "credit_note" || inv.OrderID != o.ID || inv.Totals.Total != -amount || inv.Totals.Tax != -tax ||
		inv.Totals.Subtotal-inv.Totals.Discount != -(net+topUp) || doc.Kind != "credit_note" {
		t.Errorf("credit note = %+v", inv)
	}
	var lines int64
	for _, l := range doc.Lines {
		lines += l.Total
		if l.Total != l.Amount-l.Discount+l.Tax {
			t.Errorf("credit note line %+v does not add up", l)
		}
	}
	if lines != -amount {
		t.Errorf("credit note lines sum to %d, want %d", lines, -amount)
	}
	if pdf, err := billing.InvoicePDF(doc); err != nil || !strings.HasPrefix(string(pdf), "%PDF") {
		t.Errorf("credit note PDF: %v", err)
	}
}

// TestRefunds: card and balance orders, full and partial refunds, a
// card-paid top-up taken back from the balance, exact splits, ledger and
// credit notes numbered with the invoices.
func TestRefunds(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := newShop(t, st)
		sign := func(name string) (billing.Principal, string) {
			p := s.mustSignup(t, name+"@refund.test", "DE", "EUR")
			return p, s.mustAddress(t, p, "DE", "10115") // 19 %
		}
		byCard := func(p billing.Principal, addr string, items ...billing.ItemInput) market.Order {
			t.Helper()
			o, err := s.svc.PlaceOrder(ctx, p, billing.OrderInput{Items: items, BillingAddress: addr, Payment: cardPay(visa, false)}, "test")
			if err != nil {
				t.Fatal(err)
			}
			return o
		}
		lastGatewayRefund := func() payment.RefundInput {
			s.gw.mu.Lock()
			defer s.gw.mu.Unlock()
			return s.gw.refunds[len(s.gw.refunds)-1]
		}

		t.Run("CardPartialThenRest", func(t *testing.T) {
			p, addr := sign("card")
			o := byCard(p, addr, buy("business", 2, 1)) // 80.00 + 15.20 = 95.20
			// Through the service, which waits for the invoice's number.
			invoice, _, _ := s.svc.Invoice(ctx, billing.Principal{Operator: true}, o.InvoiceID)
			charge, _ := s.st.Read().PaymentByID(ctx, o.PaymentID)
			// 10.00 of 95.20: tax round(10.00 x 15.20 / 95.20) = 1.60 (1.5966).
			r := s.mustRefund(t, o.ID, 1000)
			s.checkRefund(t, r, o, 840, 160, 0, "partially_refunded", 1000)
			// The key names the refund by what was refunded before it: a
			// retry after a crash asks the gateway for the same refund.
			if g := lastGatewayRefund(); g != (payment.RefundInput{ChargeID: charge.GatewayRef, Amount: 1000, Currency: "EUR", IdempotencyKey: o.ID + "/refund/0/1000"}) {
				t.Errorf("gateway refund = %+v, want 1000 EUR of %s keyed %s/refund/0/1000", g, charge.GatewayRef, o.ID)
			}
			if r.CreditNote.Year != invoice.Year || r.CreditNote.Seq != invoice.Seq+1 {
				t.Errorf("credit note %s does not follow invoice %s", r.CreditNote.Number, invoice.Number)
			}
			// The rest: 85.20, tax 15.20 - 1.60.
			r = s.mustRefund(t, o.ID, 0)
			s.checkRefund(t, r, o, 7160, 1360, 0, "refunded", 9520)
			if g := lastGatewayRefund(); g.Amount != 8520 || g.IdempotencyKey != o.ID+"/refund/1000/8520" {
				t.Errorf("second gateway refund = %+v, want 85.20 keyed %s/refund/1000/8520", g, o.ID)
			}
			if _, err := s.svc.RefundOrder(ctx, o.ID, billing.RefundInput{Reason: "again"}); code(err) != market.CodeInvalidRequest || err.(*market.Error).Param != "amount" {
				t.Errorf("refund of a refunded order: %v, want invalid_request naming amount", err)
			}
			rows, _ := s.svc.Transactions(ctx, p, store.PaymentFilter{})
			if len(rows) != 3 || rows[0].Amount != -8520 || rows[1].Amount != -1000 || rows[2].Amount != 9520 ||
				rows[0].Purpose != market.PurposeRefund || rows[0].InvoiceID == "" {
				t.Errorf("billing tab = %+v", rows)
			}
			if refunds, _ := s.svc.Transactions(ctx, p, store.PaymentFilter{Purpose: "refund"}); len(refunds) != 2 {
				t.Errorf("%d refund rows, want 2", len(refunds))
			}
		})

		t.Run("BalanceFullAndPartial", func(t *testing.T) {
			p, addr := sign("balance")
			s.mustTopUp(t, p, 20000)
			refunds := len(s.gw.refunds)
			o := s.mustOrder(t, p, addr, buy("hosted-pbx", 1, 12)) // 162.00 + 30.78 = 192.78
			r := s.mustRefund(t, o.ID, 0)
			s.checkRefund(t, r, o, 16200, 3078, 0, "refunded", 19278)
			if b := s.balance(t, p); b != 20000 {
				t.Errorf("balance = %d, want 20000 (credited back)", b)
			}
			_, doc, _ := s.svc.Invoice(ctx, p, r.CreditNote.ID)
			if len(doc.Lines) != 1 || doc.Lines[0].Amount != -16200 || doc.Lines[0].Tax != -3078 || doc.Lines[0].TaxRate != "19" {
				t.Errorf("full credit note lines = %+v, want the order's line, negated", doc.Lines)
			}
			o = s.mustOrder(t, p, addr, buy("ivr", 1, 1)) // 9.00 + 1.71 = 10.71
			// 5.00: tax round(5.00 x 1.71 / 10.71) = 0.80 (0.7983).
			s.checkRefund(t, s.mustRefund(t, o.ID, 500), o, 420, 80, 0, "partially_refunded", 500)
			if _, err := s.svc.RefundOrder(ctx, o.ID, billing.RefundInput{Amount: ptr64(572), Reason: "too much"}); code(err) != market.CodeInvalidRequest || err.(*market.Error).Param != "amount" {
				t.Errorf("refund of more than is left: %v, want invalid_request naming amount", err)
			}
			// The last 5.71 takes the rest of the tax: 1.71 - 0.80.
			s.checkRefund(t, s.mustRefund(t, o.ID, 571), o, 480, 91, 0, "refunded", 1071)
			if b := s.balance(t, p); b != 20000 || len(s.gw.refunds) != refunds {
				t.Errorf("balance %d, %d gateway refunds; want 20000 and none", b, len(s.gw.refunds)-refunds)
			}
		})

		t.Run("CardTopUpFromBalance", func(t *testing.T) {
			p, addr := sign("topup")
			o := s.mustTopUp(t, p, 5000)
			s.checkRefund(t, s.mustRefund(t, o.ID, 2000), o, 0, 0, 2000, "partially_refunded", 2000)
			if b := s.balance(t, p); b != 3000 || lastGatewayRefund().Amount != 2000 {
				t.Errorf("balance = %d, want 3000", b)
			}
			s.mustOrder(t, p, addr, buy("ivr", 1, 1))         // 10.71 of the credit spent
			if err := s.svc.NumberInvoices(ctx); err != nil { // orders are answered before their invoice's number
				t.Fatal(err)
			}
			nums, _ := s.st.Read().InvoiceNumbers(ctx)
			_, err := s.svc.RefundOrder(ctx, o.ID, billing.RefundInput{Reason: "all of it"})
			var me *market.Error
			if !errors.As(err, &me) || me.Code != market.CodeInsufficientFunds || me.Extra["missing"] != int64(1071) || me.Extra["currency"] != "EUR" {
				t.Errorf("refund of spent credit: %v, want insufficient_funds missing 1071 EUR", err)
			}
			after, _ := s.st.Read().InvoiceNumbers(ctx)
			got, _ := s.svc.Order(ctx, p, o.ID)
			if b := s.balance(t, p); b != 1929 || got.Refunded != 2000 || len(after) != len(nums) {
				t.Errorf("after a refused refund: balance %d, refunded %d, %d invoices; want 1929, 2000, %d", b, got.Refunded, len(after), len(nums))
			}
			s.checkRefund(t, s.mustRefund(t, o.ID, 1929), o, 0, 0, 1929, "partially_refunded", 3929)
			if b := s.balance(t, p); b != 0 {
				t.Errorf("balance = %d, want 0", b)
			}
		})

		t.Run("CardTopUpAndPurchase", func(t *testing.T) {
			p, addr := sign("mixed")
			// 100.00 top-up + 80.00 + 15.20 = 195.20.
			o := byCard(p, addr, billing.ItemInput{Type: "balance_top_up", Amount: 10000}, buy("business", 2, 1))
			// 50.00: top-up round(50.00 x 100.00 / 195.20) = 25.61 (25.6147);
			// of the 24.39 left, tax round(24.39 x 15.20 / 95.20) = 3.89 (3.8942).
			r := s.mustRefund(t, o.ID, 5000)
			s.checkRefund(t, r, o, 2050, 389, 2561, "partially_refunded", 5000)
			_, doc, _ := s.svc.Invoice(ctx, p, r.CreditNote.ID)
			if len(doc.Lines) != 2 || doc.Lines[1].Tax != -389 || doc.Lines[1].TaxRate != "19" || doc.Lines[0].Amount != -2561 { // one line per order line, in the order's order
				t.Errorf("partial credit note lines = %+v", doc.Lines)
			}
			s.checkRefund(t, s.mustRefund(t, o.ID, 0), o, 8000-2050, 1520-389, 10000-2561, "refunded", 19520)
			if b := s.balance(t, p); b != 0 {
				t.Errorf("balance = %d, want 0", b)
			}
		})

		t.Run("ManySmallRefunds", func(t *testing.T) {
			p, addr := sign("chunks")
			// 10.00 top-up + 9.00 + 1.71 = 20.71, given back in uneven parts:
			// every part of every refund is >= 0 and they add up exactly.
			o := byCard(p, addr, billing.ItemInput{Type: "balance_top_up", Amount: 1000}, buy("ivr", 1, 1))
			var sum refundSums
			for _, amount := range []int64{1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 0} {
				r := s.mustRefund(t, o.ID, amount)
				if r.Net < 0 || r.Tax < 0 || r.TopUp < 0 || r.Net+r.Tax+r.TopUp != r.Amount {
					t.Errorf("refund of %d split %d + %d + %d", r.Amount, r.Net, r.Tax, r.TopUp)
				}
				sum.add(r)
			}
			if sum != (refundSums{Amount: 2071, Net: 900, Tax: 171, TopUp: 1000}) {
				t.Errorf("refunds add up to %+v, want the order: 2071 = 900 + 171 + 1000", sum)
			}
		})

		t.Run("Errors", func(t *testing.T) {
			p, addr := sign("errors")
			o := byCard(p, addr, buy("ivr", 1, 1))            // 10.71, kept
			if err := s.svc.NumberInvoices(ctx); err != nil { // orders are answered before their invoice's number
				t.Fatal(err)
			}
			nums, _ := s.st.Read().InvoiceNumbers(ctx)
			s.gw.mu.Lock()
			s.gw.failRefunds = true
			s.gw.mu.Unlock()
			if _, err := s.svc.RefundOrder(ctx, o.ID, billing.RefundInput{Reason: "gateway down"}); err == nil {
				t.Error("refund with the gateway down: no error")
			}
			s.gw.mu.Lock()
			s.gw.failRefunds = false
			s.gw.mu.Unlock()
			got, _ := s.svc.Order(ctx, p, o.ID)
			rows, _ := s.svc.Transactions(ctx, p, store.PaymentFilter{})
			after, _ := s.st.Read().InvoiceNumbers(ctx)
			if got.Refunded != 0 || got.Status != "paid" || len(rows) != 1 || len(after) != len(nums) {
				t.Errorf("after a failed gateway refund: %s, refunded %d, %d payments, %d invoices", got.Status, got.Refunded, len(rows), len(after)-len(nums))
			}
			trial := s.mustOrder(t, p, addr, billing.ItemInput{Type: "subscription", Plan: "hosted-pbx", Quantity: 1, TermMonths: 1, Trial: true})
			for _, tt := range []struct {
				name, order string
				in          billing.RefundInput
				want        market.Code
				param       string
			}{
				{"ErrNotFound", "ord_nope", billing.RefundInput{Reason: "x"}, market.CodeNotFound, ""},
				{"ErrZero", o.ID, billing.RefundInput{Amount: ptr64(0), Reason: "x"}, market.CodeInvalidRequest, "amount"},
				{"ErrNegative", o.ID, billing.RefundInput{Amount: ptr64(-5), Reason: "x"}, market.CodeInvalidRequest, "amount"},
				{"ErrTooMuch", o.ID, billing.RefundInput{Amount: ptr64(1072), Reason: "x"}, market.CodeInvalidRequest, "amount"},
				{"ErrNoReason", o.ID, billing.RefundInput{Reason: "  "}, market.CodeInvalidRequest, "reason"},
				{"ErrFree", trial.ID, billing.RefundInput{Reason: "x"}, market.CodeInvalidRequest, "amount"},
			} {
				_, err := s.svc.RefundOrder(ctx, tt.order, tt.in)
				var me *market.Error
				if !errors.As(err, &me) || me.Code != tt.want || me.Param != tt.param {
					t.Errorf("%s: %v, want %s naming %q", tt.name, err, tt.want, tt.param)
				}
			}
		})

		// Every refund moved money back exactly: what is left in revenue and
		// tax is what the kept orders earned (two IVR months, 9.00 + 1.71
		// each), and the gateway holds the card money not given back.
		for acct, want := range map[string]int64{"revenue": 1800, "tax": 342, "gateway": -20000 - 1071 - 1071} {
			if got, _ := st.Read().AccountSum(ctx, market.SystemAccount(acct, "EUR")); got != want {
				t.Errorf("%s = %d, want %d", acct, got, want)
			}
		}
		s.gw.mu.Lock()
		for _, r := range s.gw.refunds {
			if ch, ok := s.gw.charges[r.ChargeID]; !ok || r.Amount > ch.Amount || r.Currency != ch.Currency {
				t.Errorf("gateway refund %+v does not fit its charge %+v", r, ch)
			}
		}
		s.gw.mu.Unlock()
		if err := s.svc.NumberInvoices(ctx); err != nil {
			t.Fatal(err)
		}
		nums, err := st.Read().InvoiceNumbers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i, n := range nums {
			if n != [2]int{2026, i + 1} {
				t.Errorf("invoice or credit note %d is %d-%d, want 2026-%d", i, n[0], n[1], i+1)
			}
		}
		var ps []billing.Principal
		cs, _ := s.svc.Customers(ctx, store.Page{})
		for _, c := range cs {
			ps = append(ps, billing.Principal{CustomerID: c.ID})
		}
		s.checkLedger(t, ps...)
	})
}

func ptr64(v int64) *int64 { return &v }

// refundSums adds refunds up.
type refundSums struct{ Amount, Net, Tax, TopUp int64 }

func (s *refundSums) add(r billing.Refund) {
	s.Amount += r.Amount
	s.Net += r.Net
	s.Tax += r.Tax
	s.TopUp += r.TopUp
}

// TestCartQuotedBeforeAnyAddress: a customer with no billing address yet
// sees the cart priced net of tax rather than an error.
func TestCartQuotedBeforeAnyAddress(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.Open(t, "sqlite"))
	p := e.mustSignup(t, "noaddr@acme.test", "DE", "EUR")
	if _, err := e.svc.AddToCart(ctx, p, billing.ItemInput{Type: "subscription", Plan: "ivr", Quantity: 1, TermMonths: 1}); err != nil {
		t.Fatal(err)
	}
	c, err := e.svc.Cart(ctx, p, "")
	if err != nil || c.QuoteError != nil || c.Quote == nil {
		t.Fatalf("cart: %v / %v", err, c.QuoteError)
	}
	if got := c.Quote.Totals; got.Subtotal != 900 || got.Tax != 0 || got.Total != 900 {
		t.Errorf("totals %+v, want 9.00 net and no tax", got)
	}
}
