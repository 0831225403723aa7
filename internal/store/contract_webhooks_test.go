package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// wall is a real (wall-clock) instant for leases, far from the business
// clock's tµ: the two clocks are independent.
var wall = time.Date(2026, 12, 1, 20, 0, 0, 654321987, time.FixedZone("EST", -5*3600))

func fxEndpoint(t *testing.T, q *store.Q, id string, events ...string) market.WebhookEndpoint {
	t.Helper()
	e := market.WebhookEndpoint{ID: id, URL: "https://hooks.test/" + id, Events: events, Secret: "whsec_" + id, CreatedAt: tµ}
	must(t, q.InsertWebhookEndpoint(ctx, e))
	e.CreatedAt = µs(tµ)
	return e
}

// fxEvent puts an event of typ created at `at` in the outbox for the
// endpoints taking its type, and returns its deliveries' IDs by endpoint.
func fxEvent(t *testing.T, q *store.Q, id, typ string, at time.Time) map[string]string {
	t.Helper()
	targets, err := q.WebhookTargets(ctx, typ)
	must(t, err)
	must(t, q.InsertWebhookEvent(ctx, market.WebhookEvent{ID: id, Type: typ, Payload: []byte(`{"id":"` + id + `"}`), CreatedAt: at}, targets))
	out := map[string]string{}
	for _, eid := range targets {
		ds, err := q.WebhookDeliveries(ctx, eid, store.Page{})
		must(t, err)
		for _, d := range ds {
			if d.EventID == id {
				out[eid] = d.ID
			}
		}
		if out[eid] == "" {
			t.Fatalf("event %s: no delivery to %s", id, eid)
		}
	}
	return out
}

func endpointIDs(es []market.WebhookEndpoint) string {
	var s []string
	for _, e := range es {
		s = append(s, e.ID)
	}
	return strings.Join(s, " ")
}

func deliveryEvents(ds []market.WebhookDelivery) string {
	var s []string
	for _, d := range ds {
		s = append(s, d.EventID)
	}
	return strings.Join(s, " ")
}

func dueEvents(ds []store.DueDelivery) string {
	var s []string
	for _, d := range ds {
		s = append(s, d.EventID+">"+d.EndpointID)
	}
	return strings.Join(s, " ")
}

// lease takes what is due at the business time now, at the wall time w,
// for the 2 minutes the scheduler holds a lease.
func lease(t *testing.T, q *store.Q, now, w time.Time, limit int) []store.DueDelivery {
	t.Helper()
	ds, err := q.LeaseWebhookDeliveries(ctx, now, w, w.Add(2*time.Minute), limit)
	must(t, err)
	return ds
}

// Contract: the webhook endpoints, the outbox, deliveries, leases and the
// attempt log.
func init() {
	addContract(map[string]contractCase{
		"Q.InsertWebhookEndpoint": func(t *testing.T, st *store.Store) {
			t.Run("ReadsBack", func(t *testing.T) {
				q := txQ(t, st)
				e := fxEndpoint(t, q, "we_1", "order.paid", "refund.created")
				got, err := q.WebhookEndpoint(ctx, "we_1")
				must(t, err)
				eq(t, "endpoint (events in order, time in µs UTC)", got, e)
				none := fxEndpoint(t, q, "we_2")
				got, err = q.WebhookEndpoint(ctx, "we_2")
				must(t, err)
				eq(t, "no events", len(got.Events), 0)
				eq(t, "secret", got.Secret, none.Secret)
			})
			t.Run("DuplicateID", func(t *testing.T) {
				q := txQ(t, st)
				fxEndpoint(t, q, "we_1", "order.paid")
				if err := q.InsertWebhookEndpoint(ctx, market.WebhookEndpoint{ID: "we_1", URL: "https://x.test", Events: []string{"order.paid"}, Secret: "s", CreatedAt: tµ}); err == nil {
					t.Error("a second endpoint of one ID was stored")
				}
			})
		},
		"Q.WebhookEndpoint": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			e := fxEndpoint(t, q, "we_1", "order.paid")
			got, err := q.WebhookEndpoint(ctx, "we_1")
			must(t, err)
			eq(t, "endpoint", got, e)
			_, err = q.WebhookEndpoint(ctx, "we_none")
			wantNotFound(t, err)
			must(t, q.DeleteWebhookEndpoint(ctx, "we_1", tµ))
			_, err = q.WebhookEndpoint(ctx, "we_1")
			wantNotFound(t, err)
		},
		"Q.WebhookEndpoints": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			es, err := q.WebhookEndpoints(ctx, store.Page{})
			must(t, err)
			eq(t, "none", len(es), 0)
			a := fxEndpoint(t, q, "we_a", "order.paid")
			fxEndpoint(t, q, "we_b", "order.paid")
			c := fxEndpoint(t, q, "we_c", "refund.created")
			d := fxEndpoint(t, q, "we_d", "refund.created")
			must(t, q.DeleteWebhookEndpoint(ctx, "we_b", tµ))
			es, err = q.WebhookEndpoints(ctx, store.Page{})
			must(t, err)
			eq(t, "newest (highest ID) first, deleted left out", es, []market.WebhookEndpoint{d, c, a})
			es, err = q.WebhookEndpoints(ctx, store.Page{Limit: 1})
			must(t, err)
			eq(t, "a page of 1, and one more for has_more", endpointIDs(es), "we_d we_c")
			es, err = q.WebhookEndpoints(ctx, store.Page{Limit: 1, After: "we_d"})
			must(t, err)
			eq(t, "after we_d", endpointIDs(es), "we_c we_a")
			es, err = q.WebhookEndpoints(ctx, store.Page{After: "we_c"})
			must(t, err)
			eq(t, "after we_c, past the deleted", endpointIDs(es), "we_a")
			es, err = q.WebhookEndpoints(ctx, store.Page{After: "we_a"})
			must(t, err)
			eq(t, "after the last", len(es), 0)
		},
		"Q.DeleteWebhookEndpoint": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxEndpoint(t, q, "we_1", "order.paid")
			fxEndpoint(t, q, "we_2", "order.paid")
			done := fxEvent(t, q, "evt_1", "order.paid", tµ)
			must(t, q.RecordWebhookAttempt(ctx, market.WebhookAttempt{ID: "wha_1", DeliveryID: done["we_1"], AttemptedAt: tµ, StatusCode: 200},
				market.DeliverySucceeded, tµ))
			fxEvent(t, q, "evt_2", "order.paid", tµ.Add(time.Second))
			must(t, q.DeleteWebhookEndpoint(ctx, "we_1", tµ.Add(time.Minute)))
			_, err := q.WebhookEndpoint(ctx, "we_1")
			wantNotFound(t, err)
			// Its log stays: the pending delivery is dropped (failed), the
			// succeeded one stays succeeded.
			ds, err := q.WebhookDeliveries(ctx, "we_1", store.Page{})
			must(t, err)
			eq(t, "log", deliveryEvents(ds), "evt_2 evt_1")
			eq(t, "statuses", []string{ds[0].Status, ds[1].Status}, []string{market.DeliveryFailed, market.DeliverySucceeded})
			eq(t, "no next attempt", ds[0].NextAttemptAt, (*time.Time)(nil))
			// It takes no new events and has nothing to send; the other
			// endpoint is untouched.
			targets, err := q.WebhookTargets(ctx, "order.paid")
			must(t, err)
			eq(t, "targets", strings.Join(targets, " "), "we_2")
			eq(t, "due", dueEvents(lease(t, q, tµ.Add(time.Hour), wall, 10)), "evt_1>we_2 evt_2>we_2")
			wantNotFound(t, q.DeleteWebhookEndpoint(ctx, "we_1", tµ))
			wantNotFound(t, q.DeleteWebhookEndpoint(ctx, "we_none", tµ))
		},
		"Q.WebhookTargets": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			targets, err := q.WebhookTargets(ctx, "order.paid")
			must(t, err)
			eq(t, "no endpoints", len(targets), 0)
			fxEndpoint(t, q, "we_c", "order.paid")
			fxEndpoint(t, q, "we_a", "refund.created", "order.paid")
			fxEndpoint(t, q, "we_b", "refund.created")
			fxEndpoint(t, q, "we_d", "order.paid.extra", "order") // whole types only
			fxEndpoint(t, q, "we_e", "order.paid")
			must(t, q.DeleteWebhookEndpoint(ctx, "we_e", tµ))
			targets, err = q.WebhookTargets(ctx, "order.paid")
			must(t, err)
			eq(t, "by ID, deleted left out", strings.Join(targets, " "), "we_a we_c")
			targets, err = q.WebhookTargets(ctx, "number.released")
			must(t, err)
			eq(t, "no taker", len(targets), 0)
			fxEndpoint(t, q, "we_f", "sipXaccount.registered") // LIKE's _ is no wildcard here
			targets, err = q.WebhookTargets(ctx, "sip_account.registered")
			must(t, err)
			eq(t, "exact type", len(targets), 0)
		},
		"Q.InsertWebhookEvent": func(t *testing.T, st *store.Store) {
			t.Run("ReadsBack", func(t *testing.T) {
				q := txQ(t, st)
				fxEndpoint(t, q, "we_1", "order.paid")
				fxEndpoint(t, q, "we_2", "order.paid")
				payload := []byte(`{"id":"evt_1","type":"order.paid","data":{"object":{"company":"Zürich AG"}}}`)
				must(t, q.InsertWebhookEvent(ctx, market.WebhookEvent{ID: "evt_1", Type: "order.paid", Payload: payload, CreatedAt: tµ}, []string{"we_1", "we_2"}))
				got, err := q.WebhookEventPayload(ctx, "evt_1")
				must(t, err)
				eq(t, "payload byte for byte", string(got), string(payload))
				for _, eid := range []string{"we_1", "we_2"} {
					ds, err := q.WebhookDeliveries(ctx, eid, store.Page{})
					must(t, err)
					if len(ds) != 1 {
						t.Fatalf("%s: %d deliveries, want 1", eid, len(ds))
					}
					if !strings.HasPrefix(ds[0].ID, "whd_") {
						t.Errorf("delivery ID %q", ds[0].ID)
					}
					eq(t, "a pending delivery due when the event was created", ds[0], market.WebhookDelivery{ID: ds[0].ID, EndpointID: eid,
						EventID: "evt_1", EventType: "order.paid", Status: market.DeliveryPending, NextAttemptAt: ptr(µs(tµ)), CreatedAt: µs(tµ)})
				}
				// No targets: the event is stored, nothing to deliver.
				must(t, q.InsertWebhookEvent(ctx, market.WebhookEvent{ID: "evt_2", Type: "refund.created", Payload: []byte(`{}`), CreatedAt: tµ}, nil))
				_, err = q.WebhookEventPayload(ctx, "evt_2")
				must(t, err)
			})
			t.Run("DuplicateID", func(t *testing.T) {
				q := txQ(t, st)
				must(t, q.InsertWebhookEvent(ctx, market.WebhookEvent{ID: "evt_1", Type: "order.paid", Payload: []byte(`{}`), CreatedAt: tµ}, nil))
				if err := q.InsertWebhookEvent(ctx, market.WebhookEvent{ID: "evt_1", Type: "order.paid", Payload: []byte(`{}`), CreatedAt: tµ}, nil); err == nil {
					t.Error("a second event of one ID was stored")
				}
			})
			t.Run("UnknownEndpoint", func(t *testing.T) {
				q := txQ(t, st)
				if err := q.InsertWebhookEvent(ctx, market.WebhookEvent{ID: "evt_1", Type: "order.paid", Payload: []byte(`{}`), CreatedAt: tµ}, []string{"we_none"}); err == nil {
					t.Error("a delivery to no endpoint was stored")
				}
			})
			t.Run("OneDeliveryPerEndpoint", func(t *testing.T) { // UNIQUE (endpoint_id, event_id)
				q := txQ(t, st)
				fxEndpoint(t, q, "we_1", "order.paid")
				if err := q.InsertWebhookEvent(ctx, market.WebhookEvent{ID: "evt_1", Type: "order.paid", Payload: []byte(`{}`), CreatedAt: tµ}, []string{"we_1", "we_1"}); err == nil {
					t.Error("two deliveries of one event to one endpoint were stored")
				}
			})
		},
		"Q.WebhookEventPayload": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			must(t, q.InsertWebhookEvent(ctx, market.WebhookEvent{ID: "evt_1", Type: "order.paid", Payload: []byte("{\"a\": \"\u00e9\u20ac\",\n \"b\": 1}"), CreatedAt: tµ}, nil))
			got, err := q.WebhookEventPayload(ctx, "evt_1")
			must(t, err)
			eq(t, "payload", string(got), "{\"a\": \"\u00e9\u20ac\",\n \"b\": 1}")
			_, err = q.WebhookEventPayload(ctx, "evt_none")
			wantNotFound(t, err)
		},
		"Q.LeaseWebhookDeliveries": func(t *testing.T, st *store.Store) {
			t.Run("DueAndOrdered", func(t *testing.T) {
				q := txQ(t, st)
				e := fxEndpoint(t, q, "we_1", "order.paid")
				fxEvent(t, q, "evt_b", "order.paid", tµ)
				fxEvent(t, q, "evt_early", "order.paid", tµ.Add(-time.Hour))
				fxEvent(t, q, "evt_later", "order.paid", tµ.Add(time.Microsecond)) // not yet due at tµ
				ds := lease(t, q, tµ, wall, 10)
				eq(t, "due at the business time, by due date", dueEvents(ds), "evt_early>we_1 evt_b>we_1")
				if len(ds) == 2 {
					got := ds[0]
					eq(t, "what sending takes", got, store.DueDelivery{
						WebhookDelivery: market.WebhookDelivery{ID: got.ID, EndpointID: "we_1", EventID: "evt_early", EventType: "order.paid",
							Status: market.DeliveryPending, NextAttemptAt: ptr(µs(tµ.Add(-time.Hour))), CreatedAt: µs(tµ.Add(-time.Hour))},
						URL: e.URL, Secret: e.Secret, Payload: []byte(`{"id":"evt_early"}`), EventCreatedAt: µs(tµ.Add(-time.Hour))})
				}
				eq(t, "the later one when due", dueEvents(lease(t, q, tµ.Add(time.Microsecond), wall, 10)), "evt_later>we_1")
			})
			t.Run("Limit", func(t *testing.T) {
				q := txQ(t, st)
				fxEndpoint(t, q, "we_1", "order.paid")
				fxEndpoint(t, q, "we_2", "order.paid")
				fxEvent(t, q, "evt_1", "order.paid", tµ)
				fxEvent(t, q, "evt_2", "order.paid", tµ.Add(time.Second))
				eq(t, "the first 3", len(lease(t, q, tµ.Add(time.Hour), wall, 3)), 3)
				eq(t, "the rest", len(lease(t, q, tµ.Add(time.Hour), wall, 3)), 1)
			})
			t.Run("LeaseHeldUntilItLapses", func(t *testing.T) {
				q := txQ(t, st)
				fxEndpoint(t, q, "we_1", "order.paid")
				fxEvent(t, q, "evt_1", "order.paid", tµ)
				eq(t, "first lease", dueEvents(lease(t, q, tµ, wall, 10)), "evt_1>we_1")
				eq(t, "held: another process gets nothing", len(lease(t, q, tµ, wall, 10)), 0)
				eq(t, "held a microsecond before it lapses", len(lease(t, q, tµ, wall.Add(2*time.Minute-time.Microsecond), 10)), 0)
				eq(t, "held whatever the business clock says", len(lease(t, q, tµ.AddDate(1, 0, 0), wall.Add(time.Minute), 10)), 0)
				// The sender crashed: when the lease lapses another takes it
				// (at least once), and holds it in turn.
				eq(t, "lapsed", dueEvents(lease(t, q, tµ, wall.Add(2*time.Minute), 10)), "evt_1>we_1")
				eq(t, "held again", len(lease(t, q, tµ, wall.Add(3*time.Minute), 10)), 0)
			})
			t.Run("LeasedInAnotherTransaction", func(t *testing.T) {
				// Two processes: what one leased and committed, the other
				// does not get until the lease lapses.
				s := storetest.Open(t, string(st.Dialect()))
				must(t, s.Tx(ctx, func(q *store.Q) error {
					fxEndpoint(t, q, "we_1", "order.paid")
					fxEvent(t, q, "evt_1", "order.paid", tµ)
					return nil
				}))
				leaseTx := func(w time.Time) []store.DueDelivery {
					var ds []store.DueDelivery
					must(t, s.Tx(ctx, func(q *store.Q) error { ds = lease(t, q, tµ, w, 10); return nil }))
					return ds
				}
				eq(t, "first", len(leaseTx(wall)), 1)
				eq(t, "second, while held", len(leaseTx(wall.Add(time.Minute))), 0)
				eq(t, "after it lapsed", len(leaseTx(wall.Add(2*time.Minute))), 1)
			})
			t.Run("NotPendingOrDeleted", func(t *testing.T) {
				q := txQ(t, st)
				fxEndpoint(t, q, "we_1", "order.paid")
				fxEndpoint(t, q, "we_2", "order.paid")
				fxEndpoint(t, q, "we_3", "order.paid")
				ids := fxEvent(t, q, "evt_1", "order.paid", tµ)
				must(t, q.RecordWebhookAttempt(ctx, market.WebhookAttempt{ID: "wha_1", DeliveryID: ids["we_1"], AttemptedAt: tµ, StatusCode: 204},
					market.DeliverySucceeded, tµ))
				must(t, q.RecordWebhookAttempt(ctx, market.WebhookAttempt{ID: "wha_2", DeliveryID: ids["we_2"], AttemptedAt: tµ, StatusCode: 500},
					market.DeliveryFailed, tµ))
				must(t, q.DeleteWebhookEndpoint(ctx, "we_3", tµ))
				eq(t, "succeeded, failed, deleted: nothing", len(lease(t, q, tµ.Add(time.Hour), wall, 10)), 0)
			})
		},
		"Q.ReleaseWebhookLease": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxEndpoint(t, q, "we_1", "order.paid")
			ids := fxEvent(t, q, "evt_1", "order.paid", tµ)
			eq(t, "leased", len(lease(t, q, tµ, wall, 10)), 1)
			must(t, q.ReleaseWebhookLease(ctx, ids["we_1"]))
			eq(t, "given back: leased again at once", dueEvents(lease(t, q, tµ, wall, 10)), "evt_1>we_1")
			d, err := q.WebhookDelivery(ctx, "", ids["we_1"])
			must(t, err)
			eq(t, "unsent: no attempt counted", d.Attempts, 0)
			must(t, q.ReleaseWebhookLease(ctx, "whd_none")) // nothing to give back
		},
		"Q.RecordWebhookAttempt": func(t *testing.T, st *store.Store) {
			t.Run("Outcomes", func(t *testing.T) {
				q := txQ(t, st)
				fxEndpoint(t, q, "we_1", "order.paid")
				id := fxEvent(t, q, "evt_1", "order.paid", tµ)["we_1"]
				lease(t, q, tµ, wall, 10)
				// Failed: pending again, due later, the lease ended.
				next := tµ.Add(time.Minute)
				must(t, q.RecordWebhookAttempt(ctx, market.WebhookAttempt{ID: "wha_1", DeliveryID: id, AttemptedAt: tµ, StatusCode: 500,
					Error: "HTTP 500", Duration: 1500 * time.Millisecond, Response: "oops"}, market.DeliveryPending, next))
				d, err := q.WebhookDelivery(ctx, "we_1", id)
				must(t, err)
				eq(t, "retry due", d, market.WebhookDelivery{ID: id, EndpointID: "we_1", EventID: "evt_1", EventType: "order.paid",
					Status: market.DeliveryPending, Attempts: 1, NextAttemptAt: ptr(µs(next)), CreatedAt: µs(tµ)})
				eq(t, "not due before", len(lease(t, q, tµ, wall, 10)), 0)
				eq(t, "the lease ended: due at next", len(lease(t, q, next, wall, 10)), 1)
				// Succeeded: delivered at the attempt, no next attempt.
				at := tµ.Add(time.Minute + time.Second)
				must(t, q.RecordWebhookAttempt(ctx, market.WebhookAttempt{ID: "wha_2", DeliveryID: id, AttemptedAt: at, StatusCode: 200,
					Duration: 20 * time.Millisecond}, market.DeliverySucceeded, at))
				d, err = q.WebhookDelivery(ctx, "we_1", id)
				must(t, err)
				eq(t, "delivered", d, market.WebhookDelivery{ID: id, EndpointID: "we_1", EventID: "evt_1", EventType: "order.paid",
					Status: market.DeliverySucceeded, Attempts: 2, CreatedAt: µs(tµ), DeliveredAt: ptr(µs(at))})
				log, err := q.WebhookAttempts(ctx, []string{id})
				must(t, err)
				eq(t, "the log, oldest first (duration in ms)", log[id], []market.WebhookAttempt{
					{ID: "wha_1", DeliveryID: id, AttemptedAt: µs(tµ), StatusCode: 500, Error: "HTTP 500", Duration: 1500 * time.Millisecond, Response: "oops"},
					{ID: "wha_2", DeliveryID: id, AttemptedAt: µs(at), StatusCode: 200, Duration: 20 * time.Millisecond}})
			})
			t.Run("RetriedDuringTheSend", func(t *testing.T) {
				// The operator's retry while the send is in flight: the
				// send's outcome does not overwrite it; the next lease clears
				// the mark, so that lease's outcome counts again.
				q := txQ(t, st)
				fxEndpoint(t, q, "we_1", "order.paid")
				id := fxEvent(t, q, "evt_1", "order.paid", tµ)["we_1"]
				lease(t, q, tµ, wall, 10)
				retry := tµ.Add(time.Second)
				must(t, q.RetryWebhookDelivery(ctx, id, retry))
				must(t, q.RecordWebhookAttempt(ctx, market.WebhookAttempt{ID: "wha_1", DeliveryID: id, AttemptedAt: tµ, StatusCode: 200},
					market.DeliverySucceeded, tµ))
				d, err := q.WebhookDelivery(ctx, "we_1", id)
				must(t, err)
				eq(t, "pending, due at the retry", d, market.WebhookDelivery{ID: id, EndpointID: "we_1", EventID: "evt_1", EventType: "order.paid",
					Status: market.DeliveryPending, Attempts: 1, NextAttemptAt: ptr(µs(retry)), CreatedAt: µs(tµ), DeliveredAt: ptr(µs(tµ))})
				eq(t, "leased again at the retry", len(lease(t, q, retry, wall, 10)), 1)
				must(t, q.RecordWebhookAttempt(ctx, market.WebhookAttempt{ID: "wha_2", DeliveryID: id, AttemptedAt: retry, StatusCode: 200},
					market.DeliverySucceeded, retry))
				d, err = q.WebhookDelivery(ctx, "we_1", id)
				must(t, err)
				eq(t, "the retry's send counts", words(d.Status, d.Attempts), "succeeded 2")
			})
			t.Run("AnswerKeptStorable", func(t *testing.T) {
				// A receiver's answer may hold anything: both databases keep
				// its first 1000 bytes, without NUL or invalid UTF-8; the
				// error its first 500.
				q := txQ(t, st)
				fxEndpoint(t, q, "we_1", "order.paid")
				id := fxEvent(t, q, "evt_1", "order.paid", tµ)["we_1"]
				answer := "a\x00b\xffc" + strings.Repeat("x", 2000)
				must(t, q.RecordWebhookAttempt(ctx, market.WebhookAttempt{ID: "wha_1", DeliveryID: id, AttemptedAt: tµ, StatusCode: 0,
					Error: strings.Repeat("e", 600), Response: answer}, market.DeliveryPending, tµ.Add(time.Minute)))
				log, err := q.WebhookAttempts(ctx, []string{id})
				must(t, err)
				if len(log[id]) != 1 {
					t.Fatalf("log: %+v", log)
				}
				a := log[id][0]
				eq(t, "response", a.Response, "abc"+strings.Repeat("x", 995))
				eq(t, "error", a.Error, strings.Repeat("e", 500))
				eq(t, "no answer", a.StatusCode, 0)
			})
			t.Run("EndpointDeletedWhileSending", func(t *testing.T) {
				// The operator deletes the endpoint while a delivery to it is
				// on its way: the failed attempt does not make it pending
				// again (deleting drops what is pending, for good); one that
				// got through stays succeeded.
				q := txQ(t, st)
				fxEndpoint(t, q, "we_1", "order.paid")
				ids := fxEvent(t, q, "evt_1", "order.paid", tµ)
				fxEvent(t, q, "evt_2", "order.paid", tµ)
				eq(t, "leased", len(lease(t, q, tµ, wall, 10)), 2)
				must(t, q.DeleteWebhookEndpoint(ctx, "we_1", tµ))
				two, err := q.WebhookDeliveries(ctx, "we_1", store.Page{})
				must(t, err)
				must(t, q.RecordWebhookAttempt(ctx, market.WebhookAttempt{ID: "wha_1", DeliveryID: ids["we_1"], AttemptedAt: tµ, StatusCode: 503},
					market.DeliveryPending, tµ.Add(time.Minute)))
				other := two[0].ID // evt_2's
				must(t, q.RecordWebhookAttempt(ctx, market.WebhookAttempt{ID: "wha_2", DeliveryID: other, AttemptedAt: tµ, StatusCode: 200},
					market.DeliverySucceeded, tµ))
				ds, err := q.WebhookDeliveries(ctx, "we_1", store.Page{})
				must(t, err)
				eq(t, "evt_2 succeeded, evt_1 dropped", []string{ds[0].EventID + " " + ds[0].Status, ds[1].EventID + " " + ds[1].Status},
					[]string{"evt_2 " + market.DeliverySucceeded, "evt_1 " + market.DeliveryFailed})
				_, ok, err := q.NextWebhookAttempt(ctx, tµ)
				must(t, err)
				eq(t, "nothing more to send", ok, false)
			})
			t.Run("UnknownDelivery", func(t *testing.T) {
				q := txQ(t, st)
				if err := q.RecordWebhookAttempt(ctx, market.WebhookAttempt{ID: "wha_1", DeliveryID: "whd_none", AttemptedAt: tµ},
					market.DeliveryFailed, tµ); err == nil {
					t.Error("an attempt of no delivery was stored")
				}
			})
		},
		"Q.NextWebhookAttempt": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			_, ok, err := q.NextWebhookAttempt(ctx, tµ)
			must(t, err)
			eq(t, "nothing pending", ok, false)
			fxEndpoint(t, q, "we_1", "order.paid")
			fxEndpoint(t, q, "we_2", "order.paid")
			ids := fxEvent(t, q, "evt_1", "order.paid", tµ)
			_, ok, err = q.NextWebhookAttempt(ctx, tµ)
			must(t, err)
			eq(t, "due now is not after now", ok, false)
			must(t, q.RecordWebhookAttempt(ctx, market.WebhookAttempt{ID: "wha_1", DeliveryID: ids["we_1"], AttemptedAt: tµ, StatusCode: 500},
				market.DeliveryPending, tµ.Add(4*time.Minute)))
			must(t, q.RecordWebhookAttempt(ctx, market.WebhookAttempt{ID: "wha_2", DeliveryID: ids["we_2"], AttemptedAt: tµ, StatusCode: 500},
				market.DeliveryPending, tµ.Add(2*time.Minute)))
			at, ok, err := q.NextWebhookAttempt(ctx, tµ)
			must(t, err)
			eq(t, "the earliest", words(at, ok), words(µs(tµ.Add(2*time.Minute)), true))
			at, ok, err = q.NextWebhookAttempt(ctx, tµ.Add(2*time.Minute))
			must(t, err)
			eq(t, "after it", words(at, ok), words(µs(tµ.Add(4*time.Minute)), true))
			must(t, q.RecordWebhookAttempt(ctx, market.WebhookAttempt{ID: "wha_3", DeliveryID: ids["we_1"], AttemptedAt: tµ, StatusCode: 500},
				market.DeliveryFailed, tµ.Add(4*time.Minute)))
			_, ok, err = q.NextWebhookAttempt(ctx, tµ.Add(2*time.Minute))
			must(t, err)
			eq(t, "a failed delivery has no next attempt", ok, false)
		},
		"Q.RetryWebhookDelivery": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxEndpoint(t, q, "we_1", "order.paid")
			fxEndpoint(t, q, "we_2", "order.paid")
			ids := fxEvent(t, q, "evt_1", "order.paid", tµ)
			must(t, q.RecordWebhookAttempt(ctx, market.WebhookAttempt{ID: "wha_1", DeliveryID: ids["we_1"], AttemptedAt: tµ, StatusCode: 200},
				market.DeliverySucceeded, tµ))
			must(t, q.RecordWebhookAttempt(ctx, market.WebhookAttempt{ID: "wha_2", DeliveryID: ids["we_2"], AttemptedAt: tµ, StatusCode: 500},
				market.DeliveryFailed, tµ))
			later := tµ.AddDate(0, 0, 5)
			for _, eid := range []string{"we_1", "we_2"} {
				must(t, q.RetryWebhookDelivery(ctx, ids[eid], later))
				d, err := q.WebhookDelivery(ctx, eid, ids[eid])
				must(t, err)
				eq(t, eid+" pending again, due at now", []any{d.Status, d.NextAttemptAt, d.Attempts}, []any{market.DeliveryPending, ptr(µs(later)), 1})
			}
			eq(t, "both sent at the next scan", len(lease(t, q, later, wall, 10)), 2)
			wantNotFound(t, q.RetryWebhookDelivery(ctx, "whd_none", later))
			must(t, q.DeleteWebhookEndpoint(ctx, "we_2", later))
			wantNotFound(t, q.RetryWebhookDelivery(ctx, ids["we_2"], later))
		},
		"Q.WebhookDelivery": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxEndpoint(t, q, "we_1", "order.paid")
			fxEndpoint(t, q, "we_2", "order.paid")
			ids := fxEvent(t, q, "evt_1", "order.paid", tµ)
			want := market.WebhookDelivery{ID: ids["we_1"], EndpointID: "we_1", EventID: "evt_1", EventType: "order.paid",
				Status: market.DeliveryPending, NextAttemptAt: ptr(µs(tµ)), CreatedAt: µs(tµ)}
			for _, of := range []string{"we_1", ""} {
				d, err := q.WebhookDelivery(ctx, of, ids["we_1"])
				must(t, err)
				eq(t, "delivery of "+of, d, want)
			}
			_, err := q.WebhookDelivery(ctx, "we_2", ids["we_1"])
			wantNotFound(t, err)
			_, err = q.WebhookDelivery(ctx, "", "whd_none")
			wantNotFound(t, err)
			must(t, q.DeleteWebhookEndpoint(ctx, "we_1", tµ))
			_, err = q.WebhookDelivery(ctx, "", ids["we_1"])
			wantNotFound(t, err)
		},
		"Q.WebhookDeliveries": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxEndpoint(t, q, "we_1", "order.paid", "refund.created")
			fxEndpoint(t, q, "we_2", "refund.created")
			var ids []string
			for i, typ := range []string{"order.paid", "refund.created", "order.paid"} {
				ids = append(ids, fxEvent(t, q, "evt_"+string(rune('a'+i)), typ, tµ.Add(time.Duration(i)*time.Second))["we_1"])
			}
			ds, err := q.WebhookDeliveries(ctx, "we_1", store.Page{})
			must(t, err)
			eq(t, "newest (highest ID) first, one endpoint's", deliveryEvents(ds), "evt_c evt_b evt_a")
			if len(ds) == 3 {
				eq(t, "a delivery", ds[1], market.WebhookDelivery{ID: ids[1], EndpointID: "we_1", EventID: "evt_b", EventType: "refund.created",
					Status: market.DeliveryPending, NextAttemptAt: ptr(µs(tµ.Add(time.Second))), CreatedAt: µs(tµ.Add(time.Second))})
			}
			ds, err = q.WebhookDeliveries(ctx, "we_1", store.Page{Limit: 1})
			must(t, err)
			eq(t, "a page of 1 and one more", deliveryEvents(ds), "evt_c evt_b")
			ds, err = q.WebhookDeliveries(ctx, "we_1", store.Page{Limit: 1, After: ids[1]})
			must(t, err)
			eq(t, "after", deliveryEvents(ds), "evt_a")
			ds, err = q.WebhookDeliveries(ctx, "we_2", store.Page{})
			must(t, err)
			eq(t, "the other endpoint", deliveryEvents(ds), "evt_b")
			ds, err = q.WebhookDeliveries(ctx, "we_none", store.Page{})
			must(t, err)
			eq(t, "none", len(ds), 0)
		},
		"Q.WebhookAttempts": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			log, err := q.WebhookAttempts(ctx, nil)
			must(t, err)
			eq(t, "no IDs", len(log), 0)
			fxEndpoint(t, q, "we_1", "order.paid")
			fxEndpoint(t, q, "we_2", "order.paid")
			fxEndpoint(t, q, "we_3", "order.paid")
			ids := fxEvent(t, q, "evt_1", "order.paid", tµ)
			at := func(i int) time.Time { return tµ.Add(time.Duration(i) * time.Minute) }
			for i, a := range []struct{ id, endpoint string }{{"wha_1", "we_2"}, {"wha_2", "we_1"}, {"wha_3", "we_2"}, {"wha_4", "we_3"}} {
				must(t, q.RecordWebhookAttempt(ctx, market.WebhookAttempt{ID: a.id, DeliveryID: ids[a.endpoint], AttemptedAt: at(i), StatusCode: 502,
					Error: "HTTP 502", Duration: time.Duration(i) * time.Millisecond}, market.DeliveryPending, at(i+1)))
			}
			log, err = q.WebhookAttempts(ctx, []string{ids["we_1"], ids["we_2"], "whd_none"})
			must(t, err)
			a := func(id, endpoint string, i int) market.WebhookAttempt {
				return market.WebhookAttempt{ID: id, DeliveryID: ids[endpoint], AttemptedAt: µs(at(i)), StatusCode: 502, Error: "HTTP 502",
					Duration: time.Duration(i) * time.Millisecond}
			}
			eq(t, "by delivery, oldest first, only those asked for", log, map[string][]market.WebhookAttempt{
				ids["we_1"]: {a("wha_2", "we_1", 1)}, ids["we_2"]: {a("wha_1", "we_2", 0), a("wha_3", "we_2", 2)}})
		},
	})
}
