package billing_test

import (
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestPlanWords: a plan is named once, by product and plan, and its terms
// are listed as a customer reads them.
func TestPlanWords(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		plan market.Plan
		want string
	}{
		{"Distinct", market.Plan{Code: "cc-business", ProductName: "Cloud Contact Center", Name: "Business"}, "Cloud Contact Center Business"},
		{"Same", market.Plan{Code: "hosted-pbx", ProductName: "Hosted PBX", Name: "Hosted PBX"}, "Hosted PBX"},
		{"Prefix", market.Plan{Code: "sip-trunk", ProductName: "SIP Trunk", Name: "SIP Trunk (standard)"}, "SIP Trunk (standard)"},
		{"NoName", market.Plan{Code: "x"}, "x"},
	} {
		if got := tc.plan.DisplayName(); got != tc.want {
			t.Errorf("%s: DisplayName() = %q, want %q", tc.name, got, tc.want)
		}
	}
	for _, tc := range []struct {
		terms []int
		want  string
	}{
		{[]int{1, 6, 12}, "Cloud Contact Center Business is sold for 1, 6 or 12 months, not 3"},
		{[]int{1, 12}, "Cloud Contact Center Business is sold for 1 or 12 months, not 3"},
		{[]int{12}, "Cloud Contact Center Business is sold for 12 months, not 3"},
		{[]int{1}, "Cloud Contact Center Business is sold for 1 month, not 3"},
	} {
		p := market.Plan{Code: "cc-business", ProductName: "Cloud Contact Center", Name: "Business", Terms: tc.terms}
		_, err := p.UnitPrice("EUR", 3)
		if got := err.(*market.Error).Message; got != tc.want {
			t.Errorf("terms %v: got %q, want %q", tc.terms, got, tc.want)
		}
	}
}

// TestTopUpWords: the top-up limits are said in the account's currency.
func TestTopUpWords(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.Open(t, "sqlite"))
	for _, cur := range []string{"EUR", "CHF"} {
		p := e.mustSignup(t, "topup-"+cur+"@acme.test", "CH", cur)
		for _, amt := range []int64{50, 100_000_01} {
			_, err := e.svc.Quote(ctx, p, billing.OrderInput{Items: []billing.ItemInput{{Type: "balance_top_up", Amount: amt}}})
			want := "a top-up is between " + money.Format(money.New(100, cur)) + " and " + money.Format(money.New(100_000_00, cur))
			var me *market.Error
			if me, _ = err.(*market.Error); me == nil || me.Message != want || me.Param != "items[0].amount" {
				t.Errorf("%s %d: %v, want %q on items[0].amount", cur, amt, err, want)
			}
		}
	}
}

// TestNotificationWords: the notices of an auto-renewing trial name the
// plan, the amount and how it is paid, and a failed renewal says why in
// words; no ID or error code shows.
func TestNotificationWords(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		p := e.mustSignup(t, "notices@acme.test", "CH", "CHF")
		addr := e.mustAddress(t, p, "CH", "8001")
		e.mustOrder(t, p, addr, billing.ItemInput{Type: "subscription", Plan: "hosted-pbx", Quantity: 1, TermMonths: 1, Trial: true, AutoRenew: true})
		subs, err := e.svc.Subscriptions(ctx, p, store.Page{Limit: 10})
		if err != nil || len(subs) != 1 {
			t.Fatalf("subscriptions: %v %d", err, len(subs))
		}
		sub := subs[0]
		q, err := e.svc.Quote(ctx, p, billing.OrderInput{Items: []billing.ItemInput{{Type: "renewal", Subscription: sub.ID}}, BillingAddress: addr})
		if err != nil {
			t.Fatalf("quote: %v", err)
		}
		total := money.Format(money.New(q.Totals.Total, "CHF"))
		ends := sub.ExpiresAt.Format("2006-01-02")

		e.clk.Advance(sub.ExpiresAt.Add(-7 * 24 * time.Hour).Sub(e.svc.Now()))
		if err := e.svc.SendReminders(ctx); err != nil {
			t.Fatal(err)
		}
		e.clk.Advance(sub.ExpiresAt.Sub(e.svc.Now()))
		if err := e.svc.ProcessSubscription(ctx, sub.ID); err != nil {
			t.Fatal(err)
		}
		retry := sub.ExpiresAt.Add(24 * time.Hour).Format("2006-01-02")
		want := map[string]string{
			"trial_ending": "The free trial of Hosted PBX (1 license) ends on " + ends + ". It then continues as a paid subscription of 1 month, " +
				"renewed automatically. It costs " + total + ", but your prepaid balance is short by " + total + " and no card is saved: " +
				"top up your balance or save a card under Payment methods before then.",
			"renewal_failed": "The automatic renewal of Hosted PBX (1 license) for " + total + " failed because your balance was short by " + total +
				" and no card is saved. Top up your balance or save a card under Payment methods: we will try again on " + retry +
				". Until it is paid, the subscription is past due.",
		}
		ns, err := st.Read().Notifications(ctx, p.CustomerID, store.Page{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, n := range ns {
			got[n.Type] = n.Body
			if n.ObjectType != "subscription" || n.ObjectID != sub.ID {
				t.Errorf("%s: object %s %s, want subscription %s", n.Type, n.ObjectType, n.ObjectID, sub.ID)
			}
		}
		for typ, w := range want {
			if got[typ] != w {
				t.Errorf("%s:\n got %q\nwant %q", typ, got[typ], w)
			}
		}
	})
}
