package billing_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// promoRacer is a customer of a promo race.
type promoRacer struct {
	p    billing.Principal
	addr string
}

// TestPromoLastRedemptionRace: a code with one redemption left, 20
// checkouts by different customers at once, paying by card. Exactly one is
// paid with the code; the others get promo_exhausted and their cards are
// never charged.
func TestPromoLastRedemptionRace(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := newShop(t, st)
		promo := percentOff("LASTONE", "25")
		promo.MaxRedemptions = 3
		s.mustPromo(t, promo)
		racers := make([]promoRacer, 22)
		for i := range racers {
			p := s.mustSignup(t, fmt.Sprintf("racer%02d@promo.test", i), "CH", "CHF")
			racers[i] = promoRacer{p: p, addr: s.mustAddress(t, p, "CH", "8001")}
		}
		in := func(r promoRacer) billing.OrderInput {
			return billing.OrderInput{Items: []billing.ItemInput{buy("start", 2, 1)}, BillingAddress: r.addr, PromoCode: "lastone",
				Payment: cardPay(visa, false)}
		}
		// Two of three redemptions go first.
		for _, r := range racers[:2] {
			if _, err := s.svc.PlaceOrder(ctx, r.p, in(r), "test"); err != nil {
				t.Fatal(err)
			}
		}
		charges, _ := s.gw.counts()

		racers = racers[2:]
		errs := make([]error, len(racers))
		orders := make([]market.Order, len(racers))
		var wg sync.WaitGroup
		for i, r := range racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				orders[i], errs[i] = s.svc.PlaceOrder(ctx, r.p, in(r), "test")
			}()
		}
		wg.Wait()

		won := -1
		for i, err := range errs {
			switch code(err) {
			case "":
				if won >= 0 {
					t.Errorf("racers %d and %d both won", won, i)
				}
				won = i
				// 2 x 25.00 = 50.00, 25 % off: 37.50 + 8.1 % (3.0375) = 40.54.
				if orders[i].Totals != (market.Totals{Subtotal: 5000, Discount: 1250, Tax: 304, Total: 4054}) {
					t.Errorf("winner's totals = %+v", orders[i].Totals)
				}
			case market.CodePromoExhausted:
			default:
				t.Errorf("racer %d: %v, want promo_exhausted", i, err)
			}
		}
		if won < 0 {
			t.Fatal("nobody won the last redemption")
		}
		if c, refunds := s.gw.counts(); c != charges+1 || refunds != 0 {
			t.Errorf("%d charges, %d refunds in the race; want 1, 0", c-charges, refunds)
		}
		if p, _ := s.svc.Promo(ctx, "LASTONE"); p.Redemptions != 3 {
			t.Errorf("%d redemptions, want 3", p.Redemptions)
		}
		for i, r := range racers {
			os, _ := s.svc.Orders(ctx, r.p, store.Page{})
			pays, _ := s.svc.Transactions(ctx, r.p, store.PaymentFilter{})
			subs, _ := s.svc.Subscriptions(ctx, r.p, store.Page{})
			want := 0
			if i == won {
				want = 1
			}
			if len(os) != want || len(pays) != want || len(subs) != want {
				t.Errorf("racer %d: %d orders, %d payments, %d subscriptions; want %d each", i, len(os), len(pays), len(subs), want)
			}
		}
		s.checkLedger(t)
	})
}

// TestPromoPerCustomerRace: one customer places 10 orders at once with a
// code it may use once; one order gets the code, the others
// promo_exhausted, and the balance pays for one.
func TestPromoPerCustomerRace(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := newShop(t, st)
		promo := percentOff("ONCEEACH", "50")
		promo.MaxPerCustomer = 1
		s.mustPromo(t, promo)
		p := s.mustSignup(t, "eager@promo.test", "DE", "EUR")
		addr := s.mustAddress(t, p, "DE", "10115")
		s.mustTopUp(t, p, 100_000)
		errs := make([]error, 10)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.svc.PlaceOrder(ctx, p, billing.OrderInput{Items: []billing.ItemInput{buy("ivr", 1, 12)}, BillingAddress: addr,
					PromoCode: "OnceEach", Payment: billing.PaymentInput{Method: "balance"}}, "test")
			}()
		}
		wg.Wait()
		paid := 0
		for i, err := range errs {
			switch code(err) {
			case "":
				paid++
			case market.CodePromoExhausted:
			default:
				t.Errorf("order %d: %v, want promo_exhausted", i, err)
			}
		}
		// 96.00 - 50 % = 48.00 + 19 % = 57.12.
		if got, want := s.balance(t, p), int64(100_000-5712); paid != 1 || got != want {
			t.Errorf("%d orders paid, balance %d; want 1 and %d", paid, got, want)
		}
		if pr, _ := s.svc.Promo(ctx, "ONCEEACH"); pr.Redemptions != 1 {
			t.Errorf("%d redemptions, want 1", pr.Redemptions)
		}
		s.checkLedger(t, p)
	})
}
