package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
)

// µsSub is how a subscription written with times tµ… reads back.
func µsSub(s market.Subscription) market.Subscription {
	s.StartedAt, s.ExpiresAt = µs(s.StartedAt), µs(s.ExpiresAt)
	if s.TrialEndsAt != nil {
		s.TrialEndsAt = ptr(µs(*s.TrialEndsAt))
	}
	if s.NextAttemptAt != nil {
		s.NextAttemptAt = ptr(µs(*s.NextAttemptAt))
	}
	s.Periods = append([]market.Period(nil), s.Periods...)
	for i := range s.Periods {
		s.Periods[i].Start, s.Periods[i].End = µs(s.Periods[i].Start), µs(s.Periods[i].End)
	}
	return s
}

func subIDs(ss []market.Subscription) string {
	var s []string
	for _, x := range ss {
		s = append(s, x.ID)
	}
	return strings.Join(s, " ")
}

// Contract: subscriptions, their periods and trials.
func init() {
	addContract(map[string]contractCase{
		"Q.InsertSubscription": func(t *testing.T, st *store.Store) {
			t.Run("ReadsBack", func(t *testing.T) {
				q := txQ(t, st)
				fxCustomer(t, q, "cus_1")
				fxPlan(t, q, "pln")
				s := fxSub(t, q, "cus_1", "sub_1", "pln", tµ)
				got, err := q.Subscription(ctx, "cus_1", "sub_1")
				must(t, err)
				eq(t, "subscription (NULL trial and next attempt as nil)", got, µsSub(s))
				s2 := market.Subscription{ID: "sub_2", CustomerID: "cus_1", Product: "prod_pln", Plan: "pln", TermMonths: 1, Status: "trialing",
					Currency: "CHF", StartedAt: tµ, ExpiresAt: tµ.AddDate(0, 0, 14), TrialEndsAt: ptr(tµ.AddDate(0, 0, 14)), RenewAttempts: 2,
					NextAttemptAt: ptr(tµ.Add(time.Hour))}
				must(t, q.InsertSubscription(ctx, s2, tµ))
				got, err = q.Subscription(ctx, "cus_1", "sub_2")
				must(t, err)
				s2.Periods = []market.Period{}
				eq(t, "trial without periods", got, µsSub(s2))
			})
			t.Run("PeriodEndsBeforeItStarts", func(t *testing.T) { // CHECK (end_at > start_at)
				q := txQ(t, st)
				fxCustomer(t, q, "cus_1")
				fxPlan(t, q, "pln")
				s := market.Subscription{ID: "sub_1", CustomerID: "cus_1", Product: "prod_pln", Plan: "pln", Status: "active", Currency: "CHF",
					StartedAt: tµ, ExpiresAt: tµ, Periods: []market.Period{{Seq: 1, Start: tµ, End: tµ, Plan: "pln", Quantity: 1}}}
				if err := q.InsertSubscription(ctx, s, tµ); err == nil {
					t.Error("a period that ends when it starts was stored")
				}
			})
			t.Run("UnknownPlan", func(t *testing.T) {
				q := txQ(t, st)
				fxCustomer(t, q, "cus_1")
				s := market.Subscription{ID: "sub_1", CustomerID: "cus_1", Plan: "none", Status: "active", StartedAt: tµ, ExpiresAt: tµ}
				if err := q.InsertSubscription(ctx, s, tµ); err == nil {
					t.Error("a subscription of no plan was stored")
				}
			})
		},
		"Q.UpdateSubscription": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxPlan(t, q, "pln")
			s := fxSub(t, q, "cus_1", "sub_1", "pln", tµ)
			s.TermMonths, s.Status, s.AutoRenew, s.ExpiresAt, s.RenewAttempts = 12, "past_due", false, tµ.AddDate(1, 0, 0), 1
			s.NextAttemptAt, s.TrialEndsAt, s.CancelAtPeriodEnd = ptr(tµ.Add(time.Hour)), ptr(tµ), true
			must(t, q.UpdateSubscription(ctx, s, tµ))
			got, err := q.Subscription(ctx, "", "sub_1")
			must(t, err)
			eq(t, "subscription", got, µsSub(s))
			s.NextAttemptAt = nil // back to NULL
			must(t, q.UpdateSubscription(ctx, s, tµ))
			got, err = q.Subscription(ctx, "", "sub_1")
			must(t, err)
			eq(t, "next attempt cleared", got.NextAttemptAt, (*time.Time)(nil))
			s.ID = "sub_none"
			wantNotFound(t, q.UpdateSubscription(ctx, s, tµ))
		},
		"Q.InsertPeriod": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxPlan(t, q, "pln")
			s := fxSub(t, q, "cus_1", "sub_1", "pln", tµ)
			p := market.Period{Seq: 2, Start: tµ, End: tµ.AddDate(0, 1, 0), Plan: "pln", Quantity: 3, UnitAmount: 900, TermMonths: 1, OrderID: "ord_2"}
			must(t, q.InsertPeriod(ctx, "sub_1", p))
			got, err := q.Subscription(ctx, "cus_1", "sub_1")
			must(t, err)
			s.Periods = append(s.Periods, p)
			eq(t, "periods by seq", got.Periods, µsSub(s).Periods)
			p.Seq = 3 // a renewal paid twice: the same start
			wantCode(t, q.InsertPeriod(ctx, "sub_1", p), market.CodeConflict, "")
		},
		"Q.UpdatePeriod": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxPlan(t, q, "pln")
			s := fxSub(t, q, "cus_1", "sub_1", "pln", tµ)
			p := s.Periods[0]
			p.Plan, p.Quantity, p.UnitAmount = "pln2", 5, 1200
			must(t, q.UpdatePeriod(ctx, "sub_1", p))
			got, err := q.Subscription(ctx, "cus_1", "sub_1")
			must(t, err)
			eq(t, "period", got.Periods, µsSub(market.Subscription{Periods: []market.Period{p}}).Periods)
			p.Seq = 9
			wantNotFound(t, q.UpdatePeriod(ctx, "sub_1", p))
		},
		"Q.Subscription": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxPlan(t, q, "pln")
			fxSub(t, q, "cus_1", "sub_1", "pln", tµ)
			must(t, q.InsertUser(ctx, market.User{ID: "usr_1", CustomerID: "cus_1", Email: "a@x.test", Role: "member", SubscriptionID: "sub_1", Extension: "1", CreatedAt: tµ}))
			s, err := q.Subscription(ctx, "", "sub_1")
			must(t, err)
			eq(t, "users", s.Users, 1)
			_, err = q.Subscription(ctx, "cus_2", "sub_1")
			wantNotFound(t, err)
			_, err = q.Subscription(ctx, "", "sub_none")
			wantNotFound(t, err)
		},
		"Q.Subscriptions": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxCustomer(t, q, "cus_2")
			fxPlan(t, q, "pln")
			a := fxSub(t, q, "cus_1", "sub_a", "pln", tµ)
			b := fxSub(t, q, "cus_1", "sub_b", "pln", tµ)
			fxSub(t, q, "cus_2", "sub_c", "pln", tµ)
			must(t, q.InsertPeriod(ctx, "sub_b", market.Period{Seq: 2, Start: tµ, End: tµ.AddDate(0, 1, 0), Plan: "pln", Quantity: 1, TermMonths: 1}))
			b.Periods = append(b.Periods, market.Period{Seq: 2, Start: tµ, End: tµ.AddDate(0, 1, 0), Plan: "pln", Quantity: 1, TermMonths: 1})
			must(t, q.InsertUser(ctx, market.User{ID: "usr_1", CustomerID: "cus_1", Email: "a@x.test", Role: "member", SubscriptionID: "sub_a", Extension: "1", CreatedAt: tµ}))
			a.Users = 1
			ss, err := q.Subscriptions(ctx, "cus_1", store.Page{})
			must(t, err)
			eq(t, "newest first, with periods and users (one customer's)", ss, []market.Subscription{µsSub(b), µsSub(a)})
			ss, err = q.Subscriptions(ctx, "cus_1", store.Page{After: "sub_b"})
			must(t, err)
			eq(t, "after", subIDs(ss), "sub_a")
			ss, err = q.Subscriptions(ctx, "cus_none", store.Page{})
			must(t, err)
			eq(t, "none", len(ss), 0)
		},
		"Q.DueSubscriptions": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxPlan(t, q, "pln")
			fxSub(t, q, "cus_1", "sub_b", "pln", tµ)
			fxSub(t, q, "cus_1", "sub_a", "pln", tµ)
			fxSub(t, q, "cus_1", "sub_early", "pln", tµ.Add(-time.Hour))
			fxSub(t, q, "cus_1", "sub_later", "pln", tµ.Add(time.Microsecond))
			pd := fxSub(t, q, "cus_1", "sub_pd", "pln", tµ.Add(-2*time.Hour))
			pd.Status, pd.NextAttemptAt = "past_due", ptr(tµ)
			must(t, q.UpdateSubscription(ctx, pd, tµ))
			pf := fxSub(t, q, "cus_1", "sub_pf", "pln", tµ.Add(-3*time.Hour))
			pf.Status, pf.NextAttemptAt = "past_due", ptr(tµ.Add(time.Hour)) // not yet
			must(t, q.UpdateSubscription(ctx, pf, tµ))
			ex := fxSub(t, q, "cus_1", "sub_ex", "pln", tµ.Add(-4*time.Hour))
			ex.Status = "expired"
			must(t, q.UpdateSubscription(ctx, ex, tµ))
			ids, err := q.DueSubscriptions(ctx, tµ, 10)
			must(t, err)
			eq(t, "due, by expiry then ID", strings.Join(ids, " "), "sub_pd sub_early sub_a sub_b")
			ids, err = q.DueSubscriptions(ctx, tµ, 2)
			must(t, err)
			eq(t, "limit", strings.Join(ids, " "), "sub_pd sub_early")
		},
		"Q.TrialUsed": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			ok, err := q.TrialUsed(ctx, "cus_1", "prod")
			must(t, err)
			eq(t, "before", ok, false)
			must(t, q.InsertTrial(ctx, "cus_1", "prod", "sub_1", tµ))
			ok, err = q.TrialUsed(ctx, "cus_1", "prod")
			must(t, err)
			eq(t, "after", ok, true)
			ok, err = q.TrialUsed(ctx, "cus_1", "other")
			must(t, err)
			eq(t, "other product", ok, false)
		},
		"Q.InsertTrial": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			must(t, q.InsertTrial(ctx, "cus_1", "prod", "sub_1", tµ))
			wantCode(t, q.InsertTrial(ctx, "cus_1", "prod", "sub_2", tµ), market.CodeTrialAlreadyUsed, "")
		},
		"Q.EndingBetween": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxPlan(t, q, "pln")
			fxSub(t, q, "cus_1", "sub_from", "pln", tµ) // at from: excluded
			fxSub(t, q, "cus_1", "sub_b", "pln", tµ.Add(time.Hour))
			fxSub(t, q, "cus_1", "sub_a", "pln", tµ.Add(time.Hour))
			tr := market.Subscription{ID: "sub_tr", CustomerID: "cus_1", Product: "prod_pln", Plan: "pln", Status: "trialing", Currency: "CHF",
				StartedAt: tµ, ExpiresAt: tµ.Add(2 * time.Hour), TrialEndsAt: ptr(tµ.Add(2 * time.Hour))}
			must(t, q.InsertSubscription(ctx, tr, tµ))
			ex := fxSub(t, q, "cus_1", "sub_ex", "pln", tµ.Add(time.Hour))
			ex.Status = "canceled"
			must(t, q.UpdateSubscription(ctx, ex, tµ))
			us, err := q.EndingBetween(ctx, tµ, tµ.Add(2*time.Hour))
			must(t, err)
			eq(t, "ending in (from, to], by expiry then ID", us, []store.Upcoming{
				{ID: "sub_a", CustomerID: "cus_1", Plan: "pln", Status: "active", AutoRenew: true, ExpiresAt: µs(tµ.Add(time.Hour))},
				{ID: "sub_b", CustomerID: "cus_1", Plan: "pln", Status: "active", AutoRenew: true, ExpiresAt: µs(tµ.Add(time.Hour))},
				{ID: "sub_tr", CustomerID: "cus_1", Plan: "pln", Status: "trialing", ExpiresAt: µs(tµ.Add(2 * time.Hour)), TrialEnds: ptr(µs(tµ.Add(2 * time.Hour)))}})
		},
		"Q.NextSubscriptionEvent": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			_, ok, err := q.NextSubscriptionEvent(ctx, tµ, []time.Duration{time.Hour})
			must(t, err)
			eq(t, "no event", ok, false)
			fxCustomer(t, q, "cus_1")
			fxPlan(t, q, "pln")
			fxSub(t, q, "cus_1", "sub_1", "pln", tµ.Add(10*time.Hour))
			at, ok, err := q.NextSubscriptionEvent(ctx, tµ, nil)
			must(t, err)
			eq(t, "expiry", words(at, ok), words(µs(tµ.Add(10*time.Hour)), true))
			at, _, err = q.NextSubscriptionEvent(ctx, tµ, []time.Duration{3 * time.Hour})
			must(t, err)
			eq(t, "reminder 3h before expiry", at, µs(tµ.Add(7*time.Hour)))
			pd := fxSub(t, q, "cus_1", "sub_2", "pln", tµ.Add(-time.Hour))
			pd.Status, pd.NextAttemptAt = "past_due", ptr(tµ.Add(time.Hour))
			must(t, q.UpdateSubscription(ctx, pd, tµ))
			at, _, err = q.NextSubscriptionEvent(ctx, tµ, []time.Duration{3 * time.Hour})
			must(t, err)
			eq(t, "renewal attempt", at, µs(tµ.Add(time.Hour)))
		},
	})
}
