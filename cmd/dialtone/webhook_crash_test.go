package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestCrashDuringWebhookDeliveries: a few hundred events wait in the
// outbox while the server delivering them is killed with SIGKILL at random
// moments of the burst and restarted, five times; in the end every event
// has reached the receiver (at least once) and every delivery is recorded
// as succeeded.
func TestCrashDuringWebhookDeliveries(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	for _, kind := range storetest.Kinds(t) {
		t.Run(kind, func(t *testing.T) {
			var mu sync.Mutex
			got := map[string]int{}
			calls, cut := 0, 0
			// The receiver counts an event only when its whole body arrived
			// and names the event of the Dialtone-Event-Id header. A sender
			// killed while writing a request leaves the receiver a body cut
			// short (fewer bytes than its Content-Length): that is no event
			// (its JSON does not even parse, so it has no id), it is
			// answered 400 as a receiver would, and the sender never
			// recorded it, so the delivery is still owed.
			rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var e struct{ ID string }
				body, err := io.ReadAll(r.Body)
				if err == nil {
					err = json.Unmarshal(body, &e)
				}
				if err != nil || e.ID == "" || e.ID != r.Header.Get("Dialtone-Event-Id") {
					mu.Lock()
					cut++
					mu.Unlock()
					http.Error(w, "not a complete event", http.StatusBadRequest)
					return
				}
				time.Sleep(10 * time.Millisecond)
				mu.Lock()
				got[e.ID]++
				calls++
				mu.Unlock()
			}))
			defer rc.Close()
			received := func() int {
				mu.Lock()
				defer mu.Unlock()
				return calls
			}

			db := storetest.URL(t, kind)
			events := seedEvents(t, db, rc.URL)
			rng := rand.New(rand.NewPCG(3, 4))
			const rounds = 5
			points := make([]int, rounds)
			for i := range points {
				points[i] = 1 + rng.IntN(events-1)
			}
			slices.Sort(points)
			for round, at := range points {
				cmd, _ := child(t, db) // its scheduler delivers at once
				deadline := time.Now().Add(time.Minute)
				for received() < at && time.Now().Before(deadline) {
					time.Sleep(2 * time.Millisecond)
				}
				_ = cmd.Process.Signal(syscall.SIGKILL)
				_ = cmd.Wait()
				t.Logf("round %d: killed after %d requests (aimed at %d of %d events)", round, received(), at, events)
				// The killed process's leases would end two minutes later:
				// end them now.
				expireLeases(t, db)
			}
			cmd, base := child(t, db)
			for i := 0; i < 5 && pendingDeliveries(t, db) > 0; i++ {
				// Two minutes a step: a last attempt that failed (a timeout on a
				// loaded machine) is retried a minute later, within the step.
				req, _ := http.NewRequest("POST", base+"/v1/admin/clock/advance", strings.NewReader(`{"seconds":120}`))
				req.Header.Set("Authorization", "Bearer adm_crash")
				req.Header.Set("Content-Type", "application/json")
				if res, err := http.DefaultClient.Do(req); err == nil {
					res.Body.Close()
				}
			}
			_ = cmd.Process.Signal(syscall.SIGTERM)
			_ = cmd.Wait()

			st, err := store.Open(context.Background(), db)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			rows, err := st.DB().Query(`SELECT v.id, d.status FROM webhook_events v JOIN webhook_deliveries d ON d.event_id = v.id`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			n, twice := 0, 0
			mu.Lock()
			defer mu.Unlock()
			for rows.Next() {
				var id, status string
				if err := rows.Scan(&id, &status); err != nil {
					t.Fatal(err)
				}
				n++
				if status != market.DeliverySucceeded || got[id] == 0 {
					t.Errorf("event %s: delivery %s, received %d times", id, status, got[id])
				}
				if got[id] > 1 {
					twice++
				}
			}
			if n != events || len(got) != events {
				t.Errorf("%d deliveries in the outbox, %d events received; want %d", n, len(got), events)
			}
			t.Logf("%d events, %d received more than once (sent, then killed before it was recorded), %d requests cut short by a kill",
				events, twice, cut)
		})
	}
}

// seedEvents migrates db, registers an endpoint at url for order.paid and
// subscription.created, and places orders that queue events; it returns
// how many.
func seedEvents(t *testing.T, db, url string) int {
	t.Helper()
	ctx := context.Background()
	svc, closeStore := demoService(t, db)
	defer closeStore()
	if _, err := svc.CreateWebhookEndpoint(ctx, billing.WebhookEndpointInput{URL: url,
		Events: []string{billing.EventOrderPaid, billing.EventSubscriptionCreated}}); err != nil {
		t.Fatal(err)
	}
	const customers, orders, subs = 5, 4, 10
	for c := range customers {
		cust, _, err := svc.Signup(ctx, billing.SignupInput{Email: fmt.Sprintf("hooks%d@acme.test", c), Password: "correct horse",
			Company: "Hooks", Country: "CH", Currency: "CHF"})
		if err != nil {
			t.Fatal(err)
		}
		p := billing.Principal{CustomerID: cust.ID, Role: "owner"}
		a, err := svc.SaveAddress(ctx, p, "", billing.AddressInput{Name: "Hooks", Line1: "Weg 1", City: "Bern", PostalCode: "3000", Country: "CH"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AdjustBalance(ctx, cust.ID, billing.AdjustmentInput{Amount: 1_000_000, Reason: "credit"}); err != nil {
			t.Fatal(err)
		}
		for range orders {
			items := make([]billing.ItemInput, subs)
			for i := range items {
				items[i] = billing.ItemInput{Type: "subscription", Plan: "ivr", Quantity: 1, TermMonths: 1}
			}
			if _, err := svc.PlaceOrder(ctx, p, billing.OrderInput{Items: items, BillingAddress: a.ID,
				Payment: billing.PaymentInput{Method: "balance"}}, "test"); err != nil {
				t.Fatal(err)
			}
		}
	}
	return customers * orders * (1 + subs)
}

func expireLeases(t *testing.T, db string) {
	t.Helper()
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.DB().Exec(`UPDATE webhook_deliveries SET leased_until = NULL`); err != nil {
		t.Fatal(err)
	}
}

func pendingDeliveries(t *testing.T, db string) int {
	t.Helper()
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var n int
	if err := st.DB().QueryRow(`SELECT COUNT(*) FROM webhook_deliveries WHERE status <> 'succeeded'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
