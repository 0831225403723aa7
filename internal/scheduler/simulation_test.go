package scheduler_test

import (
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/clock"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/payment"
	"github.com/dialtone/dialtone/internal/scheduler"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// taxCH adds Swiss VAT (8.1 %) to a net amount, rounding half away from
// zero: the reference's own arithmetic, independent of money.Rate.
func taxCH(net int64) int64 {
	num := new(big.Int).Mul(big.NewInt(net), big.NewInt(81))
	q, m := new(big.Int).QuoRem(num, big.NewInt(1000), new(big.Int))
	if m.Int64()*2 >= 1000 {
		q.Add(q, big.NewInt(1))
	}
	return net + q.Int64()
}

type payRow struct {
	at      time.Time
	purpose string
	amount  int64
}

func (p payRow) String() string {
	return fmt.Sprintf("%s %-22s %8d", p.at.Format("2006-01-02T15:04"), p.purpose, p.amount)
}

// TestThirtySixMonths runs three years day by day: a monthly auto-renewing
// IVR and a monthly auto-renewing Start x2 that is upgraded to Business in
// month 6 (bought on Jan 31: the month-end clamp drifts the dates), a Hosted
// PBX x3 trial that turns into a paid 12-month term at the trial's end, and
// a yearly Business x2 the customer renews in advance 10 days before each
// expiry. Every payment must match a reference computed independently: one
// charge per period, none early, none missed.
func TestThirtySixMonths(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 31, 9, 0, 0, 0, time.UTC)
	end := market.AddMonths(t0, 36).Add(-time.Hour)
	st := storetest.Open(t, storetest.Kinds(t)[len(storetest.Kinds(t))-1])
	clk := clock.NewFrozen(t0)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := billing.New(st, clk, payment.NewSandbox(), log, billing.Config{Argon2: cheapParams()})
	if _, err := svc.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	sched := scheduler.New(svc, log)
	c, _, err := svc.Signup(ctx, billing.SignupInput{Email: "sim@acme.test", Password: "correct horse", Company: "Sim", Country: "CH", Currency: "CHF"})
	if err != nil {
		t.Fatal(err)
	}
	p := billing.Principal{CustomerID: c.ID, Role: "owner"}
	a, _ := svc.SaveAddress(ctx, p, "", billing.AddressInput{Name: "Sim", Line1: "Weg 1", City: "Bern", PostalCode: "3000", Country: "CH"})
	if _, err := svc.AdjustBalance(ctx, c.ID, billing.AdjustmentInput{Amount: 10_000_000, Reason: "credit"}); err != nil {
		t.Fatal(err)
	}
	order := func(items ...billing.ItemInput) market.Order {
		t.Helper()
		o, err := svc.PlaceOrder(ctx, p, billing.OrderInput{Items: items, BillingAddress: a.ID, Payment: billing.PaymentInput{Method: "balance"}}, "test")
		if err != nil {
			t.Fatalf("%s: %v", svc.Now(), err)
		}
		return o
	}
	ivr := order(billing.ItemInput{Type: "subscription", Plan: "ivr", Quantity: 1, TermMonths: 1, AutoRenew: true}).Lines[0].SubscriptionID
	start := order(billing.ItemInput{Type: "subscription", Plan: "start", Quantity: 2, TermMonths: 1, AutoRenew: true}).Lines[0].SubscriptionID
	pbx := order(billing.ItemInput{Type: "subscription", Plan: "hosted-pbx", Quantity: 3, TermMonths: 12, Trial: true, AutoRenew: true}).Lines[0].SubscriptionID
	yearly := order(billing.ItemInput{Type: "subscription", Plan: "business", Quantity: 2, TermMonths: 12}).Lines[0].SubscriptionID

	// The reference.
	want := []payRow{{t0, "adjustment", 10_000_000}, {t0, "subscription_purchase", taxCH(900)}, {t0, "subscription_purchase", taxCH(5000)},
		{t0, "subscription_purchase", 0}, {t0, "subscription_purchase", taxCH(76800)}}
	for e := market.AddMonths(t0, 1); !e.After(end); e = market.AddMonths(e, 1) {
		want = append(want, payRow{e, "renewal", taxCH(900)})
	}
	// Start x2: monthly; the upgrade to Business happens on the first day
	// step at or after 5.5 months, prorated on the period then running.
	upgradeAt := t0.Add(time.Duration(167) * 24 * time.Hour) // 2026-07-17 09:00
	var startPeriods [][2]time.Time
	for s := t0; s.Before(end); s = market.AddMonths(s, 1) {
		startPeriods = append(startPeriods, [2]time.Time{s, market.AddMonths(s, 1)})
	}
	for _, per := range startPeriods[1:] {
		if per[0].After(end) {
			break
		}
		price := int64(2 * 2500)
		if per[0].After(upgradeAt) {
			price = 2 * 4000
		}
		want = append(want, payRow{per[0], "renewal", taxCH(price)})
	}
	for _, per := range startPeriods {
		if !upgradeAt.Before(per[0]) && upgradeAt.Before(per[1]) {
			// 2 x (40.00 - 25.00) x remaining / length, exact, rounded once.
			r := new(big.Rat).SetFrac64(2*1500*(per[1].Unix()-upgradeAt.Unix()), per[1].Unix()-per[0].Unix())
			n := new(big.Int).Quo(new(big.Int).Add(new(big.Int).Mul(r.Num(), big.NewInt(2)), r.Denom()), new(big.Int).Mul(r.Denom(), big.NewInt(2)))
			want = append(want, payRow{upgradeAt, "upgrade", taxCH(n.Int64())})
		}
	}
	// Hosted PBX: trial of 30 days, then 12-month terms from the trial's end.
	for e := t0.AddDate(0, 0, 30); !e.After(end); e = market.AddMonths(e, 12) {
		want = append(want, payRow{e, "renewal", taxCH(3 * 16200)})
	}
	// Yearly Business: renewed by the customer 10 days before each expiry.
	for e := market.AddMonths(t0, 12); !e.Add(-10 * 24 * time.Hour).After(end); e = market.AddMonths(e, 12) {
		want = append(want, payRow{e.Add(-10 * 24 * time.Hour), "renewal", taxCH(76800)})
	}

	// The run, day by day.
	renewedFor := map[time.Time]bool{}
	for now := t0; now.Before(end); now = svc.Now() {
		step := 24 * time.Hour
		if now.Add(step).After(end) {
			step = end.Sub(now)
		}
		if err := sched.Advance(ctx, clk, step); err != nil {
			t.Fatal(err)
		}
		now = svc.Now()
		if !now.Before(upgradeAt) && now.Before(upgradeAt.Add(24*time.Hour)) {
			order(billing.ItemInput{Type: "upgrade", Subscription: start, Plan: "business"})
		}
		y, err := svc.Subscription(ctx, p, yearly)
		if err != nil {
			t.Fatal(err)
		}
		if !now.Before(y.ExpiresAt.Add(-10*24*time.Hour)) && !renewedFor[y.ExpiresAt] {
			renewedFor[y.ExpiresAt] = true
			order(billing.ItemInput{Type: "renewal", Subscription: yearly})
		}
	}

	pays, err := svc.Transactions(ctx, p, store.PaymentFilter{Page: store.Page{Limit: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	var got []payRow
	for _, x := range pays {
		got = append(got, payRow{x.CreatedAt, string(x.Purpose), x.Amount})
	}
	sortRows := func(r []payRow) {
		slices.SortFunc(r, func(a, b payRow) int {
			if c := a.at.Compare(b.at); c != 0 {
				return c
			}
			if c := strings.Compare(a.purpose, b.purpose); c != 0 {
				return c
			}
			return int(a.amount - b.amount)
		})
	}
	sortRows(got)
	sortRows(want)
	if !slices.Equal(got, want) {
		var g, w strings.Builder
		for _, r := range got {
			g.WriteString(r.String() + "\n")
		}
		for _, r := range want {
			w.WriteString(r.String() + "\n")
		}
		t.Errorf("payments differ from the reference\ngot %d:\n%s\nwant %d:\n%s", len(got), g.String(), len(want), w.String())
	}
	// One period per payment, and the ledger balances.
	for _, id := range []string{ivr, start, pbx, yearly} {
		s, _ := svc.Subscription(ctx, p, id)
		for i := 1; i < len(s.Periods); i++ {
			if !s.Periods[i].Start.Equal(s.Periods[i-1].End) {
				t.Errorf("%s: period %d starts %s, previous ends %s", s.Plan, i, s.Periods[i].Start, s.Periods[i-1].End)
			}
		}
		if s.Status != market.StatusActive {
			t.Errorf("%s is %s at the end, want active", s.Plan, s.Status)
		}
	}
	total, unbalanced, _ := st.Read().LedgerImbalance(ctx)
	bal, _ := st.Read().AccountSum(ctx, market.BalanceAccount(c.ID))
	cust, _ := svc.Customer(ctx, c.ID)
	var spent int64
	for _, r := range want[1:] {
		spent += r.amount
	}
	if total != 0 || unbalanced != 0 || bal != cust.Balance || cust.Balance != 10_000_000-spent {
		t.Errorf("ledger total %d unbalanced %d; balance %d, postings %d, reference %d", total, unbalanced, cust.Balance, bal, 10_000_000-spent)
	}
}
