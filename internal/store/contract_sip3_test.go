package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// reg is a REGISTER of username with throttle keys "ip" and "user", at the
// business time tµ.
func reg(username, nonce string, nc int64) store.SIPRegister {
	return store.SIPRegister{Username: username, KeyA: "ip", KeyB: "user", Nonce: nonce, NC: nc, NonceExpires: tµ.Add(time.Hour), BusinessNow: tµ}
}

// fxSuspendable stores customer cus_1's user usr_1 on subscription sub_1
// (expiring at expires) and the user's SIP account sip_u (username
// "u-sip_u").
func fxSuspendable(t *testing.T, q *store.Q, expires time.Time) {
	t.Helper()
	fxPlan(t, q, "pbx")
	fxSub(t, q, "cus_1", "sub_1", "pbx", expires)
	must(t, q.InsertUser(ctx, market.User{ID: "usr_1", CustomerID: "cus_1", Name: "U", Email: "u@x.test", Role: "member",
		SubscriptionID: "sub_1", Extension: "101", CreatedAt: tµ}))
	fxSIP(t, q, "cus_1", "sip_u", "user", "usr_1")
}

// Contract: the registrar's REGISTER transaction.
func init() {
	addContract(map[string]contractCase{
		"Q.ApplySIPBindingChanges": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			a := fxSIP(t, q, "cus_1", "sip_1", "trunk", "")
			fxBinding(t, q, a, "reg_old", "sip:old@192.0.2.1", tµ.Add(-time.Hour), tµ) // lapsed at tµ
			fxBinding(t, q, a, "reg_a", "sip:a@192.0.2.1", tµ, tµ.Add(time.Hour))
			fxBinding(t, q, a, "reg_b", "sip:b@192.0.2.1", tµ, tµ.Add(time.Hour))
			c := market.SIPBinding{ID: "reg_c", SIPAccountID: "sip_1", CustomerID: "cus_1", Contact: "sip:c@192.0.2.1", CallID: "x", CSeq: 2,
				ExpiresAt: tµ.Add(time.Hour), CreatedAt: tµ, UpdatedAt: tµ}
			// b is removed and set again in one change: a new row.
			b2 := c
			b2.ID, b2.Contact = "reg_b2", "sip:b@192.0.2.1"
			must(t, q.ApplySIPBindingChanges(ctx, store.SIPBindingChanges{AccountID: "sip_1", DeleteLapsed: true, Now: tµ,
				Delete: []string{"sip:a@192.0.2.1", "sip:b@192.0.2.1"}, Put: []market.SIPBinding{c, b2}}))
			all, err := q.SIPBindingsOfAccountAll(ctx, "sip_1")
			must(t, err)
			eq(t, "bindings", bindingIDs(all), "reg_b2 reg_c")
			must(t, q.ApplySIPBindingChanges(ctx, store.SIPBindingChanges{AccountID: "sip_1", DeleteAll: true}))
			all, err = q.SIPBindingsOfAccountAll(ctx, "sip_1")
			must(t, err)
			eq(t, "all deleted", len(all), 0)
			must(t, q.ApplySIPBindingChanges(ctx, store.SIPBindingChanges{AccountID: "sip_1"})) // nothing to do
		},
		"Store.ChargeThrottles": func(t *testing.T, st *store.Store) {
			s := storetest.Open(t, string(st.Dialect()))
			tats, err := s.ChargeThrottles(ctx, tµ, time.Second, "a", "b", "a")
			must(t, err)
			eq(t, "new keys, each charged once", tats, map[string]time.Time{"a": µs(tµ.Add(time.Second)), "b": µs(tµ.Add(time.Second))})
			tats, err = s.ChargeThrottles(ctx, tµ, time.Second, "a")
			must(t, err)
			eq(t, "charged again: one interval later", tats, map[string]time.Time{"a": µs(tµ.Add(2 * time.Second))})
			tats, err = s.ChargeThrottles(ctx, tµ.Add(time.Hour), time.Second, "b")
			must(t, err)
			eq(t, "a tat in the past starts from now", tats, map[string]time.Time{"b": µs(tµ.Add(time.Hour + time.Second))})
			read, err := s.Read().Throttles(ctx, "a", "b", "c")
			must(t, err)
			eq(t, "committed as Throttles reads them", read, map[string]time.Time{"a": µs(tµ.Add(2 * time.Second)), "b": µs(tµ.Add(time.Hour + time.Second))})
			tats, err = s.ChargeThrottles(ctx, tµ, time.Second)
			must(t, err)
			eq(t, "no keys", len(tats), 0)
		},
		"Store.RegisterSIP": func(t *testing.T, st *store.Store) {
			s := storetest.Open(t, string(st.Dialect()))
			must(t, s.Tx(ctx, func(q *store.Q) error {
				fxCustomer(t, q, "cus_1")
				fxSIP(t, q, "cus_1", "sip_1", "trunk", "")
				fxSuspendable(t, q, tµ.Add(time.Hour))
				return q.ChargeThrottle(ctx, "ip", tµ, time.Second)
			}))
			put := func(id, contact string) market.SIPBinding {
				return market.SIPBinding{ID: id, SIPAccountID: "sip_1", CustomerID: "cus_1", Contact: contact, CallID: "call", CSeq: 1,
					ExpiresAt: tµ.Add(time.Hour), CreatedAt: tµ, UpdatedAt: tµ}
			}
			bindings := func() string {
				all, err := s.Read().SIPBindingsOfAccountAll(ctx, "sip_1")
				must(t, err)
				return bindingIDs(all)
			}
			var got store.SIPRegisterLock
			must(t, s.RegisterSIP(ctx, reg("u-sip_1", "n1", 1), func(q *store.Q, lk store.SIPRegisterLock) (store.SIPBindingChanges, error) {
				got = lk
				return store.SIPBindingChanges{AccountID: "sip_1", Put: []market.SIPBinding{put("reg_1", "sip:a@192.0.2.1")}}, nil
			}))
			eq(t, "lock", []any{got.Known, got.Account.ID, got.NonceFresh, got.Suspended, len(got.Bindings), got.Throttles},
				[]any{true, "sip_1", true, false, 0, map[string]time.Time{"ip": µs(tµ.Add(time.Second))}})
			eq(t, "committed", bindings(), "reg_1")

			// decide's error rolls everything back, the nonce's use too.
			errNo := errors.New("refused")
			err := s.RegisterSIP(ctx, reg("u-sip_1", "n2", 1), func(q *store.Q, lk store.SIPRegisterLock) (store.SIPBindingChanges, error) {
				got = lk
				must(t, q.PutSIPBinding(ctx, put("reg_x", "sip:x@192.0.2.1")))
				return store.SIPBindingChanges{AccountID: "sip_1", DeleteAll: true}, errNo
			})
			if !errors.Is(err, errNo) {
				t.Fatalf("decide's error: got %v", err)
			}
			eq(t, "the bindings read, oldest first", bindingIDs(got.Bindings), "reg_1")
			eq(t, "rolled back", bindings(), "reg_1")

			// A change that fails (a customer that does not exist) fails
			// the whole: nothing of it is committed, and the store goes on.
			bad := put("reg_bad", "sip:bad@192.0.2.1")
			bad.CustomerID = "cus_none"
			err = s.RegisterSIP(ctx, reg("u-sip_1", "n2", 1), func(q *store.Q, lk store.SIPRegisterLock) (store.SIPBindingChanges, error) {
				return store.SIPBindingChanges{AccountID: "sip_1", DeleteAll: true, Put: []market.SIPBinding{bad}}, nil
			})
			if err == nil {
				t.Fatal("a binding of a customer that does not exist was written")
			}
			eq(t, "nothing of the failed change", bindings(), "reg_1")

			// What decide writes through q and the changes it returns are
			// committed together; the nonce is fresh again (it was rolled
			// back), then a replay.
			for _, want := range []bool{true, false} {
				must(t, s.RegisterSIP(ctx, reg("u-sip_1", "n2", 1), func(q *store.Q, lk store.SIPRegisterLock) (store.SIPBindingChanges, error) {
					got = lk
					if !lk.NonceFresh {
						return store.SIPBindingChanges{}, nil
					}
					if err := q.PutSIPBinding(ctx, put("reg_2", "sip:b@192.0.2.1")); err != nil {
						return store.SIPBindingChanges{}, err
					}
					return store.SIPBindingChanges{AccountID: "sip_1", Delete: []string{"sip:a@192.0.2.1"}}, nil
				}))
				eq(t, "nonce fresh", got.NonceFresh, want)
			}
			eq(t, "both committed", bindings(), "reg_2")

			// One account's REGISTERs run one at a time: the second reads
			// what the first committed.
			release := make(chan struct{})
			first := make(chan error, 1)
			go func() {
				first <- s.RegisterSIP(ctx, reg("u-sip_1", "n3", 1), func(q *store.Q, lk store.SIPRegisterLock) (store.SIPBindingChanges, error) {
					<-release
					return store.SIPBindingChanges{AccountID: "sip_1", Put: []market.SIPBinding{put("reg_3", "sip:c@192.0.2.1")}}, nil
				})
			}()
			time.Sleep(50 * time.Millisecond)
			blocked, second := waits(func() error {
				return s.RegisterSIP(ctx, reg("u-sip_1", "n4", 1), func(q *store.Q, lk store.SIPRegisterLock) (store.SIPBindingChanges, error) {
					got = lk
					return store.SIPBindingChanges{}, nil
				})
			})
			close(release)
			must(t, <-first)
			must(t, <-second)
			if !blocked {
				t.Error("the second REGISTER of an account did not wait for the first")
			}
			eq(t, "the second read the first's binding", bindingIDs(got.Bindings), "reg_2 reg_3")

			// A user's account is suspended once its subscription is not in
			// force at the business time, or canceled.
			suspended := func(at time.Time) bool {
				r := reg("u-sip_u", "n-"+at.String(), 1)
				r.BusinessNow = at
				must(t, s.RegisterSIP(ctx, r, func(q *store.Q, lk store.SIPRegisterLock) (store.SIPBindingChanges, error) {
					got = lk
					return store.SIPBindingChanges{}, nil
				}))
				return got.Suspended
			}
			eq(t, "in force, then expired", []bool{suspended(tµ), suspended(tµ.Add(time.Hour))}, []bool{false, true})
			must(t, s.Tx(ctx, func(q *store.Q) error {
				sub, err := q.Subscription(ctx, "cus_1", "sub_1")
				if err != nil {
					return err
				}
				sub.Status = market.StatusCanceled
				return q.UpdateSubscription(ctx, sub, tµ)
			}))
			eq(t, "canceled", suspended(tµ), true)

			// An unknown username: not known, the throttles all the same.
			err = s.RegisterSIP(ctx, reg("nobody", "n5", 1), func(q *store.Q, lk store.SIPRegisterLock) (store.SIPBindingChanges, error) {
				got = lk
				return store.SIPBindingChanges{}, errNo
			})
			if !errors.Is(err, errNo) {
				t.Fatalf("decide's error: got %v", err)
			}
			eq(t, "unknown", []any{got.Known, got.Account.ID, got.NonceFresh, len(got.Bindings), got.Throttles},
				[]any{false, "", false, 0, map[string]time.Time{"ip": µs(tµ.Add(time.Second))}})
		},
	})
}
