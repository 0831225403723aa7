package scheduler_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/clock"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/payment"
	"github.com/dialtone/dialtone/internal/scheduler"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

var ctx = context.Background()

type world struct {
	svc   *billing.Service
	st    *store.Store
	clk   *clock.Sandbox
	sched *scheduler.Scheduler
	p     billing.Principal
	addr  string
}

// newWorld: one CHF customer (8.1 % tax) with 200.00 on the balance, a
// manual Start subscription (2 x 25.00 for 1 month) and an auto-renewing IVR
// (1 x 9.00 for 1 month), bought on 2026-03-01.
func newWorld(t *testing.T, st *store.Store) (*world, string, string) {
	t.Helper()
	clk := clock.NewFrozen(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := billing.New(st, clk, payment.NewSandbox(), log, billing.Config{Argon2: cheapParams()})
	if _, err := svc.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	c, u, err := svc.Signup(ctx, billing.SignupInput{Email: "life@acme.test", Password: "correct horse", Company: "Acme", Country: "CH", Currency: "CHF"})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{svc: svc, st: st, clk: clk, sched: scheduler.New(svc, log), p: billing.Principal{CustomerID: c.ID, UserID: u.ID, Role: "owner"}}
	a, err := svc.SaveAddress(ctx, w.p, "", billing.AddressInput{Name: "Acme", Line1: "Gasse 1", City: "Bern", PostalCode: "3000", Country: "CH"})
	if err != nil {
		t.Fatal(err)
	}
	w.addr = a.ID
	if _, err := svc.AdjustBalance(ctx, c.ID, billing.AdjustmentInput{Amount: 20000, Reason: "test credit"}); err != nil {
		t.Fatal(err)
	}
	manual := w.buy(t, billing.ItemInput{Type: "subscription", Plan: "start", Quantity: 2, TermMonths: 1})
	auto := w.buy(t, billing.ItemInput{Type: "subscription", Plan: "ivr", Quantity: 1, TermMonths: 1, AutoRenew: true})
	if _, err := svc.CreateUser(ctx, w.p, billing.UserInput{Name: "Agent", Email: "agent@acme.test", Subscription: manual}); err != nil {
		t.Fatal(err)
	}
	return w, manual, auto
}

func cheapParams() *argon2id.Params {
	return &argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}
}

func (w *world) buy(t *testing.T, it billing.ItemInput) string {
	t.Helper()
	o, err := w.svc.PlaceOrder(ctx, w.p, billing.OrderInput{Items: []billing.ItemInput{it}, BillingAddress: w.addr,
		Payment: billing.PaymentInput{Method: "balance"}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	return o.Lines[0].SubscriptionID
}

// outcome is everything observable after a run: balance, statuses, the
// notifications (type and time) and the payments.
func (w *world) outcome(t *testing.T, subs ...string) string {
	t.Helper()
	var b strings.Builder
	c, _ := w.svc.Customer(ctx, w.p.CustomerID)
	fmt.Fprintf(&b, "balance %d\n", c.Balance)
	for _, id := range subs {
		s, err := w.svc.Subscription(ctx, w.p, id)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "sub %s %s until %s, %d periods\n", s.Plan, s.Status, s.ExpiresAt.Format(time.RFC3339), len(s.Periods))
	}
	ns, _ := w.st.Read().Notifications(ctx, w.p.CustomerID, store.Page{Limit: 1000})
	var lines []string
	for _, n := range ns {
		lines = append(lines, n.CreatedAt.Format(time.RFC3339)+" "+n.Type+" "+n.ObjectID[:4])
	}
	sort.Strings(lines)
	b.WriteString(strings.Join(lines, "\n") + "\n")
	pays, _ := w.svc.Transactions(ctx, w.p, store.PaymentFilter{Page: store.Page{Limit: 1000}})
	sort.Slice(pays, func(i, j int) bool { return pays[i].CreatedAt.Before(pays[j].CreatedAt) })
	for _, p := range pays {
		fmt.Fprintf(&b, "%s %s %d\n", p.CreatedAt.Format(time.RFC3339), p.Purpose, p.Amount)
	}
	return b.String()
}

func count(s, typ string) int { return strings.Count(s, " "+typ+" ") }

// A year in one call must equal a year day by day.
func TestLifecycleOneJumpEqualsDayByDay(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		jump, m1, a1 := newWorld(t, st)
		if err := jump.sched.Advance(ctx, jump.clk, 366*24*time.Hour); err != nil {
			t.Fatal(err)
		}
		got := jump.outcome(t, m1, a1)

		steps, m2, a2 := newWorld(t, storetest.Open(t, storetest.Kinds(t)[len(storetest.Kinds(t))-1]))
		for range 366 {
			if err := steps.sched.Advance(ctx, steps.clk, 24*time.Hour); err != nil {
				t.Fatal(err)
			}
		}
		if want := steps.outcome(t, m2, a2); got != want {
			t.Errorf("one jump:\n%s\nday by day:\n%s", got, want)
		}

		// Balance: 200.00 - 54.05 (Start) - 9.73 (IVR) = 136.22 left, then the
		// IVR renews monthly at 9.73 from the balance, Apr 1 2026 to Mar 1
		// 2027 within the year (until Mar 2 2027): 136.22 - 12 x 9.73 = 19.46.
		if !strings.HasPrefix(got, "balance 1946\n") {
			t.Errorf("balance line: %q", strings.SplitN(got, "\n", 2)[0])
		}
		manual, _ := jump.svc.Subscription(ctx, jump.p, m1)
		auto, _ := jump.svc.Subscription(ctx, jump.p, a1)
		if manual.Status != market.StatusExpired || auto.Status != market.StatusActive || len(auto.Periods) != 13 {
			t.Errorf("manual %s, auto %s with %d periods; want expired, active with 13", manual.Status, auto.Status, len(auto.Periods))
		}
		// Reminders 14, 7 and 1 days before Apr 1 for the manual one, once
		// each; the expiry notice once; a renewal notice 7 days before each
		// automatic renewal within the year (Mar 25 2026 to Feb 22 2027) and
		// a success after each.
		for typ, want := range map[string]int{"renewal_reminder": 3, "subscription_expired": 1, "renewal_upcoming": 12, "renewal_succeeded": 12} {
			if n := count(got, typ); n != want {
				t.Errorf("%d %s notifications, want %d\n%s", n, typ, want, got)
			}
		}
		// The expired subscription's user is suspended.
		users, _ := jump.svc.Users(ctx, jump.p)
		subs := map[string]market.Subscription{manual.ID: manual, auto.ID: auto}
		for _, u := range users {
			if u.SubscriptionID == manual.ID && billing.UserStatus(u, subs, jump.svc.Now()) != "suspended" {
				t.Errorf("user of the expired subscription is not suspended")
			}
		}
		// Running again does nothing more.
		if err := jump.sched.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		if again := jump.outcome(t, m1, a1); again != got {
			t.Errorf("a rerun changed things:\n%s", again)
		}
	})
}

// TestDunning: an auto-renewing subscription the balance cannot pay and no
// card: past_due, retried after 1, 3 and 7 days, then expired; a top-up and
// renewal during dunning restores it.
func TestDunning(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w, _, auto := newWorld(t, st)
		// Take the balance down to 5.00.
		c, _ := w.svc.Customer(ctx, w.p.CustomerID)
		if _, err := w.svc.AdjustBalance(ctx, w.p.CustomerID, billing.AdjustmentInput{Amount: -(c.Balance - 500), Reason: "drain"}); err != nil {
			t.Fatal(err)
		}
		if err := w.sched.Advance(ctx, w.clk, 31*24*time.Hour+time.Hour); err != nil { // Apr 1 10:00
			t.Fatal(err)
		}
		s, _ := w.svc.Subscription(ctx, w.p, auto)
		if s.Status != market.StatusPastDue {
			t.Fatalf("after a failed renewal: %s, want past_due", s.Status)
		}
		if err := w.sched.Advance(ctx, w.clk, 8*24*time.Hour); err != nil {
			t.Fatal(err)
		}
		s, _ = w.svc.Subscription(ctx, w.p, auto)
		out := w.outcome(t)
		if s.Status != market.StatusExpired || count(out, "renewal_failed") != 3 || count(out, "subscription_expired") < 1 {
			t.Errorf("after dunning: %s\n%s", s.Status, out)
		}
		if c, _ := w.svc.Customer(ctx, w.p.CustomerID); c.Balance != 500 {
			t.Errorf("balance %d, want 500 (nothing charged)", c.Balance)
		}
		// Renewing an expired subscription starts now and restores it.
		if _, err := w.svc.AdjustBalance(ctx, w.p.CustomerID, billing.AdjustmentInput{Amount: 5000, Reason: "top up"}); err != nil {
			t.Fatal(err)
		}
		o, err := w.svc.PlaceOrder(ctx, w.p, billing.OrderInput{Items: []billing.ItemInput{{Type: "renewal", Subscription: auto}},
			BillingAddress: w.addr, Payment: billing.PaymentInput{Method: "balance"}}, "test")
		if err != nil {
			t.Fatal(err)
		}
		s, _ = w.svc.Subscription(ctx, w.p, auto)
		if s.Status != market.StatusActive || !o.Lines[0].Start.Equal(w.svc.Now()) {
			t.Errorf("after renewal: %s from %s", s.Status, o.Lines[0].Start)
		}
	})
}
