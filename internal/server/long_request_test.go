package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/clock"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// slowAdvance makes every clock move take at least delay before the
// scheduler's own work, as a move with thousands of renewals due does. It
// stops early, as that work would, if the request's context ends.
func slowAdvance(delay time.Duration) func(next advanceFunc) advanceFunc {
	return func(next advanceFunc) advanceFunc {
		return func(ctx context.Context, clk *clock.Sandbox, d time.Duration) error {
			select {
			case <-time.After(delay):
			case <-ctx.Done():
				return ctx.Err()
			}
			return next(ctx, clk, d)
		}
	}
}

// monthlyIVR signs up a customer with an automatically renewing monthly
// IVR and returns the subscription.
func monthlyIVR(t *testing.T, a *api, email string) string {
	t.Helper()
	tok := a.signup(email, "CHF")
	adr := a.address(tok)
	if r := a.do("POST", "/v1/orders", tok, topUp(50000)); r.status != 201 {
		t.Fatalf("top-up: %d %s", r.status, r.raw)
	}
	r := a.do("POST", "/v1/orders", tok, map[string]any{"items": []any{map[string]any{"type": "subscription", "plan": "ivr",
		"quantity": 1, "term_months": 1, "auto_renew": true}}, "billing_address": adr, "payment": map[string]any{"method": "balance"}})
	if r.status != 201 {
		t.Fatalf("buy: %d %s", r.status, r.raw)
	}
	return r.body["items"].([]any)[0].(map[string]any)["subscription"].(string)
}

// renewedOnce asserts that the clock is at want and the subscription was
// renewed once.
func renewedOnce(t *testing.T, a *api, email, sub string, want time.Time) {
	t.Helper()
	if now := a.clk.Now(); !now.Equal(want) {
		t.Errorf("clock at %s, want %s", now, want)
	}
	_, _, ps := a.subPeriods(a.relogin(email), sub)
	if len(ps) != 2 {
		t.Errorf("%d periods after the move, want 2 (renewed once)", len(ps))
	}
}

// TestLongAdvanceRunsToItsEnd: a clock move that takes longer than huma's
// five-second body-read deadline, or than a server's ReadTimeout and
// WriteTimeout, answers 200 with the clock where it was asked to go and the
// renewal done (it used to be canceled part way: "request canceled"); and a
// move whose client goes away still runs to its end.
func TestLongAdvanceRunsToItsEnd(t *testing.T) {
	t.Parallel()
	const days40 = 40 * 24 * time.Hour
	for _, kind := range storetest.Kinds(t) {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			t.Run("PastHumasBodyReadDeadline", func(t *testing.T) {
				t.Parallel()
				a := newSchedulerAPI(t, storetest.Open(t, kind), slowAdvance(5500*time.Millisecond))
				sub := monthlyIVR(t, a, "slow@acme.test")
				start := a.clk.Now()
				a.moveClock(map[string]any{"seconds": 40 * 86400})
				renewedOnce(t, a, "slow@acme.test", sub, start.Add(days40))
			})
			t.Run("PastTheServersTimeouts", func(t *testing.T) {
				t.Parallel()
				// As `dialtone serve` sets them, only shorter.
				a := newSchedulerAPI(t, storetest.Open(t, kind), slowAdvance(2500*time.Millisecond))
				h := a.srv.Config.Handler
				a.srv.Close()
				a.srv = httptest.NewUnstartedServer(h)
				a.srv.Config.ReadTimeout, a.srv.Config.WriteTimeout = time.Second, 2*time.Second
				a.srv.Start()
				t.Cleanup(a.srv.Close)
				sub := monthlyIVR(t, a, "timeouts@acme.test")
				start := a.clk.Now()
				a.moveClock(map[string]any{"seconds": 40 * 86400})
				renewedOnce(t, a, "timeouts@acme.test", sub, start.Add(days40))
			})
			t.Run("ClientGoesAway", func(t *testing.T) {
				t.Parallel()
				a := newSchedulerAPI(t, storetest.Open(t, kind), slowAdvance(time.Second))
				sub := monthlyIVR(t, a, "gone@acme.test")
				start := a.clk.Now()
				ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
				defer cancel()
				body, _ := json.Marshal(map[string]any{"seconds": 40 * 86400})
				req, _ := http.NewRequestWithContext(ctx, "POST", a.srv.URL+"/v1/admin/clock/advance", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+adminToken)
				if res, err := a.srv.Client().Do(req); err == nil {
					res.Body.Close()
					t.Fatalf("the client was answered %d before it went away", res.StatusCode)
				}
				// The move goes on without its client: the clock reaches
				// its target, with the renewal on the way.
				moved := false
				for deadline := time.Now().Add(10 * time.Second); !moved && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
					r := a.do("GET", "/v1/admin/clock", adminToken, nil)
					moved = parseAPITime(t, r.body["now"]).Equal(start.Add(days40))
				}
				if !moved {
					t.Fatalf("the clock stayed at %s when its mover went away, want %s", a.clk.Now(), start.Add(days40))
				}
				renewedOnce(t, a, "gone@acme.test", sub, start.Add(days40))
			})
		})
	}
}
