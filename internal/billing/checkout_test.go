package billing_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

func item(typ string) billing.ItemInput { return billing.ItemInput{Type: typ} }

func buy(plan string, q, term int) billing.ItemInput {
	return billing.ItemInput{Type: "subscription", Plan: plan, Quantity: q, TermMonths: term}
}

// TestLifecycleAmounts walks one customer through the Voiptime flows with
// hand-computed amounts: top-up, buy, renew in advance with another term,
// upgrade across the stacked period, more licenses, and the ledger.
func TestLifecycleAmounts(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		p := e.mustSignup(t, "owner@acme.test", "DE", "EUR")
		addr := e.mustAddress(t, p, "DE", "10115") // DE: 19 %
		e.mustTopUp(t, p, 1_000_000)               // 10,000.00
		if got := e.balance(t, p); got != 1_000_000 {
			t.Fatalf("balance after top-up = %d, want 1000000", got)
		}

		// Buy Business, 5 licenses x 12 months = 5 x 384.00 = 1920.00 + 19 % = 2284.80.
		o := e.mustOrder(t, p, addr, buy("business", 5, 12))
		if o.Totals != (market.Totals{Subtotal: 192000, Tax: 36480, Total: 228480}) {
			t.Errorf("buy totals = %+v", o.Totals)
		}
		subID := o.Lines[0].SubscriptionID
		sub, err := e.svc.Subscription(ctx, p, subID)
		if err != nil {
			t.Fatal(err)
		}
		// Bought Jan 31 2026 10:00 for 12 months -> Jan 31 2027 10:00.
		if want := time.Date(2027, 1, 31, 10, 0, 0, 0, time.UTC); !sub.ExpiresAt.Equal(want) || sub.Status != market.StatusActive {
			t.Errorf("sub = %s until %s, want active until %s", sub.Status, sub.ExpiresAt, want)
		}

		// Renew in advance for 6 months: period Jan 31 2027 -> Jul 31 2027,
		// 5 x 216.00 = 1080.00 + 19 % = 1285.20.
		o = e.mustOrder(t, p, addr, billing.ItemInput{Type: "renewal", Subscription: subID, TermMonths: 6})
		if o.Totals.Total != 128520 {
			t.Errorf("renewal total = %d, want 128520", o.Totals.Total)
		}
		sub, _ = e.svc.Subscription(ctx, p, subID)
		if want := time.Date(2027, 7, 31, 10, 0, 0, 0, time.UTC); !sub.ExpiresAt.Equal(want) || len(sub.Periods) != 2 {
			t.Errorf("after renewal: %d periods until %s, want 2 until %s", len(sub.Periods), sub.ExpiresAt, want)
		}

		// Halfway through the first period (182.5 of 365 days) upgrade to
		// Enterprise: 5 x (576.00-384.00) x 1/2 = 480.00 for the first period,
		// 5 x (324.00-216.00) x 1 = 540.00 for the stacked 6-month period:
		// 1020.00 net, + 19 % = 1213.80.
		e.clk.Advance(182*24*time.Hour + 12*time.Hour)
		o = e.mustOrder(t, p, addr, billing.ItemInput{Type: "upgrade", Subscription: subID, Plan: "enterprise"})
		if o.Totals.Subtotal != 102000 || o.Totals.Total != 121380 {
			t.Errorf("upgrade totals = %+v, want subtotal 102000 total 121380", o.Totals)
		}
		// Downgrade is refused and changes nothing.
		before := e.balance(t, p)
		if _, err := e.order(p, addr, billing.ItemInput{Type: "upgrade", Subscription: subID, Plan: "start"}); code(err) != market.CodeDowngradeNotAllowed {
			t.Errorf("downgrade: %v, want downgrade_not_allowed", err)
		}
		// 2 more licenses now (co-terminous): 2 x 576.00 x 1/2 + 2 x 324.00 = 576.00 + 648.00 = 1224.00 + 19 % = 1456.56.
		o = e.mustOrder(t, p, addr, billing.ItemInput{Type: "licenses", Subscription: subID, Quantity: 2})
		if o.Totals.Subtotal != 122400 || o.Totals.Total != 145656 {
			t.Errorf("licenses totals = %+v, want subtotal 122400 total 145656", o.Totals)
		}
		if got, want := e.balance(t, p), before-145656; got != want {
			t.Errorf("balance = %d, want %d", got, want)
		}
		sub, _ = e.svc.Subscription(ctx, p, subID)
		if sub.Plan != "enterprise" || sub.Quantity(e.svc.Now()) != 7 || !sub.ExpiresAt.Equal(time.Date(2027, 7, 31, 10, 0, 0, 0, time.UTC)) {
			t.Errorf("after upgrade and licenses: %s x%d until %s", sub.Plan, sub.Quantity(e.svc.Now()), sub.ExpiresAt)
		}
		for _, per := range sub.Periods {
			if per.Plan != "enterprise" || per.Quantity != 7 {
				t.Errorf("period %d: %s x%d, want enterprise x7", per.Seq, per.Plan, per.Quantity)
			}
		}
		want := int64(1_000_000 - 228480 - 128520 - 121380 - 145656)
		if got := e.balance(t, p); got != want {
			t.Errorf("final balance = %d, want %d", got, want)
		}
		e.checkLedger(t, p)

		// Billing tab: one row per payment, newest first.
		rows, err := e.svc.Transactions(ctx, p, store.PaymentFilter{})
		if err != nil {
			t.Fatal(err)
		}
		wantPurposes := []market.Purpose{market.PurposeLicenses, market.PurposeUpgrade, market.PurposeRenewal, market.PurposeSubscription, market.PurposeRefill}
		if len(rows) != len(wantPurposes) {
			t.Fatalf("%d transactions, want %d", len(rows), len(wantPurposes))
		}
		for i, r := range rows {
			if r.Purpose != wantPurposes[i] || r.InvoiceID == "" || r.OrderID == "" {
				t.Errorf("row %d: %s invoice %q order %q", i, r.Purpose, r.InvoiceID, r.OrderID)
			}
		}
	})
}

func TestOrderErrorsChangeNothing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		p := e.mustSignup(t, "errors@acme.test", "CH", "CHF")
		addr := e.mustAddress(t, p, "CH", "8001")
		e.mustTopUp(t, p, 10000) // 100.00
		tests := []struct {
			name string
			it   billing.ItemInput
			want market.Code
		}{
			{"ErrMinLicenses", buy("start", 1, 1), market.CodeMinLicenses},
			{"ErrMaxLicenses", buy("start", 501, 1), market.CodeMaxLicenses},
			{"ErrInvalidTerm", buy("start", 2, 3), market.CodeInvalidTerm},
			{"ErrUnknownPlan", buy("nope", 2, 1), market.CodeInvalidRequest},
			{"ErrTrialWithoutTrial", billing.ItemInput{Type: "subscription", Plan: "start", Quantity: 2, TermMonths: 1, Trial: true}, market.CodeInvalidRequest},
			// 2 x 25.00 x 12 x 0.8 = 480.00 + 8.1 % > 100.00
			{"ErrInsufficientFunds", buy("start", 2, 12), market.CodeInsufficientFunds},
			{"ErrUnknownSubscription", billing.ItemInput{Type: "renewal", Subscription: "sub_nope"}, market.CodeNotFound},
		}
		for _, tt := range tests {
			_, err := e.order(p, addr, tt.it)
			if got := code(err); got != tt.want {
				t.Errorf("%s: %v, want %s", tt.name, err, tt.want)
			}
		}
		// insufficient_funds says exactly what is missing: 480.00 + 38.88 tax - 100.00 = 418.88.
		_, err := e.order(p, addr, buy("start", 2, 12))
		me, _ := err.(*market.Error)
		if me == nil || me.Extra["missing"] != int64(41888) || me.Extra["currency"] != "CHF" {
			t.Errorf("insufficient_funds extra = %+v, want missing 41888 CHF", me)
		}
		if b := e.balance(t, p); b != 10000 {
			t.Errorf("balance = %d, want 10000 (unchanged)", b)
		}
		orders, _ := e.svc.Orders(ctx, p, store.Page{})
		subs, _ := e.svc.Subscriptions(ctx, p, store.Page{})
		if len(orders) != 1 || len(subs) != 0 {
			t.Errorf("%d orders, %d subscriptions; want 1 (the top-up), 0", len(orders), len(subs))
		}
		// A top-up cannot be paid from the balance; an order needs an address.
		if _, err := e.order(p, "", buy("start", 2, 1)); code(err) != market.CodeInvalidRequest {
			t.Errorf("no address: %v", err)
		}
		if _, err := e.order(p, addr, billing.ItemInput{Type: "balance_top_up", Amount: 5000}); code(err) != market.CodeInvalidRequest {
			t.Errorf("top-up from balance: %v", err)
		}
		e.checkLedger(t, p)
	})
}

func TestTrialOnceAndUsers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		p := e.mustSignup(t, "trial@acme.test", "CH", "CHF")
		addr := e.mustAddress(t, p, "CH", "8001")
		trial := billing.ItemInput{Type: "subscription", Plan: "hosted-pbx", Quantity: 3, TermMonths: 12, Trial: true}
		o := e.mustOrder(t, p, addr, trial)
		if o.Totals.Total != 0 {
			t.Errorf("trial total = %d, want 0", o.Totals.Total)
		}
		sub, _ := e.svc.Subscription(ctx, p, o.Lines[0].SubscriptionID)
		if sub.Status != market.StatusTrialing || !sub.ExpiresAt.Equal(start.AddDate(0, 0, 30)) {
			t.Errorf("trial sub = %s until %s", sub.Status, sub.ExpiresAt)
		}
		if _, err := e.order(p, addr, trial); code(err) != market.CodeTrialAlreadyUsed {
			t.Errorf("second trial: %v, want trial_already_used", err)
		}
		for i := 0; i < 3; i++ {
			if _, err := e.svc.CreateUser(ctx, p, billing.UserInput{Name: "U", Email: fmt.Sprintf("u%d@acme.test", i), Subscription: sub.ID}); err != nil {
				t.Fatalf("user %d: %v", i, err)
			}
		}
		_, err := e.svc.CreateUser(ctx, p, billing.UserInput{Name: "U", Email: "u@acme.test", Subscription: sub.ID})
		if code(err) != market.CodeLicenseLimitReached {
			t.Errorf("4th user: %v, want license_limit_reached", err)
		}
		users, _ := e.svc.Users(ctx, p)
		exts := map[string]bool{}
		for _, u := range users {
			if exts[u.Extension] {
				t.Errorf("extension %s twice", u.Extension)
			}
			exts[u.Extension] = true
		}
		// Paying during the trial starts the paid term at the trial's end.
		e.mustTopUp(t, p, 100000)
		o = e.mustOrder(t, p, addr, billing.ItemInput{Type: "renewal", Subscription: sub.ID})
		if !o.Lines[0].Start.Equal(sub.ExpiresAt) || o.Lines[0].Amount != 3*16200 {
			t.Errorf("paid after trial: starts %s amount %d, want %s and %d", o.Lines[0].Start, o.Lines[0].Amount, sub.ExpiresAt, 3*16200)
		}
		// Renewing with fewer licenses than users is refused.
		if _, err := e.order(p, addr, billing.ItemInput{Type: "renewal", Subscription: sub.ID, Quantity: 2}); code(err) != market.CodeMinLicenses {
			t.Errorf("renew below users: %v, want min_licenses", err)
		}
	})
}

// TestConcurrentBalanceOrders: 50 parallel orders against a balance that
// covers exactly 10 -> exactly 10 are paid, the balance is never below zero,
// and the ledger balances.
func TestConcurrentBalanceOrders(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		p := e.mustSignup(t, "race@acme.test", "US", "USD")
		addr := e.mustAddress(t, p, "NO", "0150") // no tax rate for NO in the demo: net = total
		// IVR 1 month = 9.00; 10 of them = 90.00.
		e.mustTopUp(t, p, 9000)
		var wg sync.WaitGroup
		var ok, poor, other atomic.Int32
		for i := 0; i < 50; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := e.order(p, addr, buy("ivr", 1, 1))
				switch code(err) {
				case "":
					ok.Add(1)
				case market.CodeInsufficientFunds:
					poor.Add(1)
				default:
					other.Add(1)
					t.Errorf("order: %v", err)
				}
			}()
		}
		wg.Wait()
		if ok.Load() != 10 || poor.Load() != 40 {
			t.Errorf("paid %d, refused %d, other %d; want 10, 40, 0", ok.Load(), poor.Load(), other.Load())
		}
		if b := e.balance(t, p); b != 0 {
			t.Errorf("balance = %d, want 0", b)
		}
		subs, _ := e.svc.Subscriptions(ctx, p, store.Page{})
		if len(subs) != 10 {
			t.Errorf("%d subscriptions, want 10", len(subs))
		}
		e.checkLedger(t, p)
	})
}

func TestInvoiceNumbersGapless(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		var wg sync.WaitGroup
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p := e.mustSignup(t, "inv"+string(rune('a'+i))+"@acme.test", "DE", "EUR")
				for j := 0; j < 3; j++ {
					e.mustTopUp(t, p, 1000)
				}
			}()
		}
		wg.Wait()
		if err := e.svc.NumberInvoices(ctx); err != nil { // orders are answered before their invoice's number
			t.Fatal(err)
		}
		nums, err := st.Read().InvoiceNumbers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(nums) != 24 {
			t.Fatalf("%d invoices, want 24", len(nums))
		}
		for i, n := range nums {
			if n[0] != 2026 || n[1] != i+1 {
				t.Errorf("invoice %d = %d-%d, want 2026-%d", i, n[0], n[1], i+1)
			}
		}
	})
}
