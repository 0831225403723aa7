package server_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/clock"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/payment"
	"github.com/dialtone/dialtone/internal/scheduler"
	"github.com/dialtone/dialtone/internal/server"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// advanceFunc moves a sandbox clock, as server.Config.Advance.
type advanceFunc = func(ctx context.Context, clk *clock.Sandbox, d time.Duration) error

// newSchedulerAPI is newAPI wired as `dialtone serve` is: moving the sandbox
// clock runs the scheduler at every moment work falls due on the way.
// advance, if given, wraps the scheduler's move (to slow it down).
func newSchedulerAPI(t testing.TB, st *store.Store, advance func(next advanceFunc) advanceFunc) *api {
	t.Helper()
	clk := clock.NewFrozen(time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := billing.New(st, clk, payment.NewSandbox(), log,
		billing.Config{Argon2: &argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}})
	if _, err := svc.SeedDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	move := scheduler.New(svc, log).Advance
	if advance != nil {
		move = advance(move)
	}
	h := server.New(svc, log, prometheus.NewRegistry(), server.Config{AdminToken: adminToken, Sandbox: true, SandboxClock: clk, Advance: move})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &api{t: t, srv: srv, clk: clk}
}

// relogin opens a fresh session (moving the clock far may end the old one).
func (a *api) relogin(email string) string {
	a.t.Helper()
	r := a.do("POST", "/v1/sessions", "", map[string]any{"email": email, "password": "correct horse"})
	if r.status != 201 {
		a.t.Fatalf("login: %d %s", r.status, r.raw)
	}
	return r.body["token"].(string)
}

func (a *api) moveClock(body map[string]any) {
	a.t.Helper()
	if r := a.do("POST", "/v1/admin/clock/advance", adminToken, body); r.status != 200 {
		a.t.Fatalf("advance %v: %d %s", body, r.status, r.raw)
	}
}

func parseAPITime(t testing.TB, v any) time.Time {
	t.Helper()
	s, _ := v.(string)
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("time %q: %v", s, err)
	}
	return tm
}

type apiPeriod struct {
	start, end time.Time
	trial      bool
}

func (a *api) subPeriods(tok, sub string) (status string, expires time.Time, ps []apiPeriod) {
	a.t.Helper()
	r := a.do("GET", "/v1/subscriptions/"+sub, tok, nil)
	if r.status != 200 {
		a.t.Fatalf("subscription %s: %d %s", sub, r.status, r.raw)
	}
	for _, p := range r.body["periods"].([]any) {
		m := p.(map[string]any)
		ps = append(ps, apiPeriod{start: parseAPITime(a.t, m["start"]), end: parseAPITime(a.t, m["end"]), trial: m["trial"] == true})
	}
	status, _ = r.body["status"].(string)
	return status, parseAPITime(a.t, r.body["expires_at"]), ps
}

// checkPeriodChain asserts that the periods follow one another without a gap,
// each a whole term long from where the one before ended, starting at
// first: so expires_at keeps the time of day of the purchase, to the
// microsecond.
func checkPeriodChain(t *testing.T, name string, ps []apiPeriod, first time.Time, months int, want int, expires time.Time) {
	t.Helper()
	if len(ps) != want {
		t.Fatalf("%s: %d periods, want %d: %+v", name, len(ps), want, ps)
	}
	at := first
	for i, p := range ps {
		if !p.start.Equal(at) {
			t.Errorf("%s: period %d starts at %s, want %s (where the one before ended)", name, i+1, p.start.Format(time.RFC3339Nano), at.Format(time.RFC3339Nano))
		}
		if !p.trial {
			if end := market.AddMonths(p.start, months); !p.end.Equal(end) {
				t.Errorf("%s: period %d ends at %s, want %s", name, i+1, p.end.Format(time.RFC3339Nano), end.Format(time.RFC3339Nano))
			}
		}
		at = p.end
	}
	if !expires.Equal(at) {
		t.Errorf("%s: expires_at %s, want the last period's end %s", name, expires.Format(time.RFC3339Nano), at.Format(time.RFC3339Nano))
	}
}

// TestRenewalsStartWhereThePeriodEnded: automatic renewals over months of
// sandbox clock moves (in minute steps, as the clock moves) each start at
// the previous period's end to the microsecond, so expires_at does not
// drift; a trial converting to paid starts its paid term at the trial's
// end; a dunning retry that succeeds starts at the retry's due time (the
// subscription was suspended until then), not at the scan's. (Each used to
// start at the scheduler's time: the whole minute after.)
func TestRenewalsStartWhereThePeriodEnded(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newSchedulerAPI(t, st, nil)
		// An instant with seconds and microseconds: 18:05:11.123456.
		a.clk.Advance(9*time.Hour + 5*time.Minute + 11*time.Second + 123456*time.Microsecond)
		bought := a.clk.Now()
		tok := a.signup("renew@acme.test", "CHF")
		adr := a.address(tok)
		if r := a.do("POST", "/v1/orders", tok, topUp(200000)); r.status != 201 {
			t.Fatalf("top-up: %d %s", r.status, r.raw)
		}
		buy := func(item map[string]any) string {
			t.Helper()
			r := a.do("POST", "/v1/orders", tok, map[string]any{"items": []any{item}, "billing_address": adr, "payment": map[string]any{"method": "balance"}})
			if r.status != 201 {
				t.Fatalf("buy %v: %d %s", item, r.status, r.raw)
			}
			return r.body["items"].([]any)[0].(map[string]any)["subscription"].(string)
		}
		ivr := buy(map[string]any{"type": "subscription", "plan": "ivr", "quantity": 1, "term_months": 1, "auto_renew": true})
		pbx := buy(map[string]any{"type": "subscription", "plan": "hosted-pbx", "quantity": 1, "term_months": 1, "trial": true, "auto_renew": true})

		// Seven months in uneven moves: a long one, odd seconds, a "to".
		a.moveClock(map[string]any{"seconds": 45 * 86400})
		a.moveClock(map[string]any{"seconds": 86400*20 + 3*3600 + 17})
		a.moveClock(map[string]any{"seconds": 59})
		a.moveClock(map[string]any{"to": "2026-10-01T00:00:00Z"})

		tok = a.relogin("renew@acme.test")
		status, expires, ps := a.subPeriods(tok, ivr)
		// Bought Mar 10, renewed Apr 10 ... Sep 10: seven periods to Oct 10.
		checkPeriodChain(t, "ivr", ps, bought, 1, 7, expires)
		if want := time.Date(2026, 10, 10, 18, 5, 11, 123456000, time.UTC); !expires.Equal(want) || status != "active" {
			t.Errorf("ivr: %s until %s, want active until %s", status, expires.Format(time.RFC3339Nano), want.Format(time.RFC3339Nano))
		}
		status, expires, ps = a.subPeriods(tok, pbx)
		// A 30-day trial to Apr 9, then monthly from its end: Apr 9 ... Sep 9.
		if len(ps) == 0 || !ps[0].trial || !ps[0].end.Equal(bought.AddDate(0, 0, 30)) {
			t.Fatalf("pbx: periods %+v, want a 30-day trial first", ps)
		}
		checkPeriodChain(t, "pbx", ps, bought, 1, 7, expires)
		if want := time.Date(2026, 10, 9, 18, 5, 11, 123456000, time.UTC); !expires.Equal(want) || status != "active" {
			t.Errorf("pbx: %s until %s, want active until %s", status, expires.Format(time.RFC3339Nano), want.Format(time.RFC3339Nano))
		}
	})
}

// TestDunningRetryStartsAtItsDueTime: an automatic renewal the balance does
// not cover leaves the subscription past due (its users suspended); the
// retry a day after the end, once the balance covers it, starts the new
// period at that retry's due time exactly, not at the minute the clock
// stepped to.
func TestDunningRetryStartsAtItsDueTime(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newSchedulerAPI(t, st, nil)
		a.clk.Advance(9*time.Hour + 5*time.Minute + 11*time.Second + 654321*time.Microsecond)
		bought := a.clk.Now()
		tok := a.signup("dunning@acme.test", "CHF")
		adr := a.address(tok)
		item := map[string]any{"type": "subscription", "plan": "ivr", "quantity": 1, "term_months": 1, "auto_renew": true}
		q := a.do("POST", "/v1/quotes", tok, map[string]any{"items": []any{item}, "billing_address": adr, "payment": map[string]any{"method": "balance"}})
		if q.status != 200 {
			t.Fatalf("quote: %d %s", q.status, q.raw)
		}
		total := num(q.body["total"])
		acct := a.do("GET", "/v1/account", tok, nil)
		cus := acct.body["id"].(string)
		credit := func(amount int64) {
			t.Helper()
			if r := a.do("POST", "/v1/admin/customers/"+cus+"/balance_adjustments", adminToken, map[string]any{"amount": amount, "reason": "test credit"}); r.status != 201 && r.status != 200 {
				t.Fatalf("credit: %d %s", r.status, r.raw)
			}
		}
		credit(total) // exactly the first month
		r := a.do("POST", "/v1/orders", tok, map[string]any{"items": []any{item}, "billing_address": adr, "payment": map[string]any{"method": "balance"}})
		if r.status != 201 {
			t.Fatalf("buy: %d %s", r.status, r.raw)
		}
		sub := r.body["items"].([]any)[0].(map[string]any)["subscription"].(string)
		end := market.AddMonths(bought, 1)

		// The renewal fails at the end: past due, retried a day later.
		a.moveClock(map[string]any{"to": end.Add(time.Hour).Format(time.RFC3339Nano)})
		tok = a.relogin("dunning@acme.test")
		if status, _, ps := a.subPeriods(tok, sub); status != "past_due" || len(ps) != 1 {
			t.Fatalf("after the end: %s with %d periods, want past_due with 1", status, len(ps))
		}
		credit(total * 2)
		a.moveClock(map[string]any{"seconds": 2 * 86400})
		tok = a.relogin("dunning@acme.test")
		status, expires, ps := a.subPeriods(tok, sub)
		retry := end.Add(24 * time.Hour)
		if status != "active" || len(ps) != 2 || !ps[1].start.Equal(retry) || !expires.Equal(market.AddMonths(retry, 1)) {
			t.Errorf("after the retry: %s, periods %+v, expires %s; want active, the second period from %s to %s",
				status, ps, expires.Format(time.RFC3339Nano), retry.Format(time.RFC3339Nano), market.AddMonths(retry, 1).Format(time.RFC3339Nano))
		}
	})
}
