package store_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

func fxSIP(t *testing.T, q *store.Q, customerID, id, kind, userID string) market.SIPAccount {
	t.Helper()
	a := market.SIPAccount{ID: id, CustomerID: customerID, Kind: kind, Username: "u-" + id, Password: "pw-" + id, Domain: "sip.test",
		UserID: userID, CreatedAt: tµ}
	must(t, q.InsertSIPAccount(ctx, a))
	a.CreatedAt = µs(tµ)
	return a
}

// fxBinding registers contact for account a from created until expires, and
// returns the binding as it reads back.
func fxBinding(t *testing.T, q *store.Q, a market.SIPAccount, id, contact string, created, expires time.Time) market.SIPBinding {
	t.Helper()
	b := market.SIPBinding{ID: id, SIPAccountID: a.ID, CustomerID: a.CustomerID, Contact: contact, UserAgent: "ua " + id,
		Source: "192.0.2.1:5060", Transport: "UDP", CallID: "call-" + id, CSeq: 1, ExpiresAt: expires, CreatedAt: created, UpdatedAt: created}
	must(t, q.PutSIPBinding(ctx, b))
	b.ExpiresAt, b.CreatedAt, b.UpdatedAt = µs(expires), µs(created), µs(created)
	return b
}

func bindingIDs(bs []market.SIPBinding) string {
	var s []string
	for _, b := range bs {
		s = append(s, b.ID)
	}
	return strings.Join(s, " ")
}

// waits reports whether f is still running after a while (it is blocked),
// and returns a channel that yields f's error once it ends.
func waits(f func() error) (bool, <-chan error) {
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		done <- err
		return false, done
	case <-time.After(150 * time.Millisecond):
		return true, done
	}
}

// Contract: the SIP registrar's bindings and nonce counts, and the setting
// it makes once.
func init() {
	own := func(t *testing.T, st *store.Store) *store.Store {
		t.Helper()
		return storetest.Open(t, string(st.Dialect()))
	}
	addContract(map[string]contractCase{
		"Q.PutSIPBinding": func(t *testing.T, st *store.Store) {
			t.Run("InsertRefreshLapse", func(t *testing.T) {
				q := txQ(t, st)
				fxCustomer(t, q, "cus_1")
				a := fxSIP(t, q, "cus_1", "sip_1", "trunk", "")
				b := fxBinding(t, q, a, "reg_1", "sip:p@192.0.2.1", tµ, tµ.Add(time.Hour))
				bs, err := q.SIPBindingsOfAccountAll(ctx, "sip_1")
				must(t, err)
				eq(t, "binding (µs, UTC)", bs, []market.SIPBinding{b})

				// A refresh while live replaces everything but the id and
				// created_at; the same contact stays one row.
				at := tµ.Add(10 * time.Minute)
				r := market.SIPBinding{ID: "reg_2", SIPAccountID: "sip_1", CustomerID: "cus_1", Contact: b.Contact, UserAgent: "ua 2",
					Source: "192.0.2.2:5070", Transport: "TCP", CallID: "call-2", CSeq: 7, ExpiresAt: at.Add(time.Hour), CreatedAt: at, UpdatedAt: at}
				must(t, q.PutSIPBinding(ctx, r))
				want := r
				want.ID, want.CreatedAt, want.UpdatedAt, want.ExpiresAt = "reg_1", µs(tµ), µs(at), µs(at.Add(time.Hour))
				bs, err = q.SIPBindingsOfAccountAll(ctx, "sip_1")
				must(t, err)
				eq(t, "refreshed", bs, []market.SIPBinding{want})

				// At its expiry it has lapsed: a new registration starts
				// anew (created_at is the new one; the row keeps its id).
				at = at.Add(time.Hour)
				r = market.SIPBinding{ID: "reg_3", SIPAccountID: "sip_1", CustomerID: "cus_1", Contact: b.Contact, UserAgent: "ua 3",
					Source: "192.0.2.3:5060", Transport: "TLS", CallID: "call-3", CSeq: 1, ExpiresAt: at.Add(time.Minute), CreatedAt: at, UpdatedAt: at}
				must(t, q.PutSIPBinding(ctx, r))
				want = r
				want.ID, want.CreatedAt, want.UpdatedAt, want.ExpiresAt = "reg_1", µs(at), µs(at), µs(at.Add(time.Minute))
				bs, err = q.SIPBindingsOfAccountAll(ctx, "sip_1")
				must(t, err)
				eq(t, "after a lapse", bs, []market.SIPBinding{want})
			})
			t.Run("UniquePerAccountAndContact", func(t *testing.T) {
				q := txQ(t, st)
				fxCustomer(t, q, "cus_1")
				a := fxSIP(t, q, "cus_1", "sip_1", "trunk", "")
				b := fxSIP(t, q, "cus_1", "sip_2", "trunk", "")
				a1 := fxBinding(t, q, a, "reg_1", "sip:p@h", tµ, tµ.Add(time.Hour))
				a2 := fxBinding(t, q, a, "reg_2", "sip:q@h", tµ, tµ.Add(time.Hour))
				b1 := fxBinding(t, q, b, "reg_3", "sip:p@h", tµ, tµ.Add(time.Hour)) // the same contact, another account
				bs, err := q.SIPBindingsOfAccountAll(ctx, "sip_1")
				must(t, err)
				eq(t, "account 1", bs, []market.SIPBinding{a1, a2})
				bs, err = q.SIPBindingsOfAccountAll(ctx, "sip_2")
				must(t, err)
				eq(t, "account 2", bs, []market.SIPBinding{b1})
			})
			t.Run("UnknownAccount", func(t *testing.T) {
				q := txQ(t, st)
				fxCustomer(t, q, "cus_1")
				err := q.PutSIPBinding(ctx, market.SIPBinding{ID: "reg_1", SIPAccountID: "sip_none", CustomerID: "cus_1", Contact: "sip:p@h",
					ExpiresAt: tµ, CreatedAt: tµ, UpdatedAt: tµ})
				if err == nil {
					t.Error("a binding of no SIP account was stored")
				}
			})
		},
		"Q.SIPBindings": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			a := fxSIP(t, q, "cus_1", "sip_1", "trunk", "")
			o := fxSIP(t, q, "cus_1", "sip_2", "trunk", "")
			b2 := fxBinding(t, q, a, "reg_b", "sip:b@h", tµ, tµ.Add(time.Microsecond)) // live 1µs after now
			a2 := fxBinding(t, q, a, "reg_a", "sip:a@h", tµ, tµ.Add(time.Hour))        // the same created_at: by id
			old := fxBinding(t, q, a, "reg_z", "sip:z@h", tµ.Add(-time.Hour), tµ.Add(time.Hour))
			fxBinding(t, q, a, "reg_lapsed", "sip:l@h", tµ.Add(-time.Hour), µs(tµ)) // lapses at now
			fxBinding(t, q, o, "reg_other", "sip:o@h", tµ, tµ.Add(time.Hour))
			bs, err := q.SIPBindings(ctx, "sip_1", tµ)
			must(t, err)
			eq(t, "live, oldest first then by id", bs, []market.SIPBinding{old, a2, b2})
			bs, err = q.SIPBindings(ctx, "sip_1", tµ.Add(time.Microsecond))
			must(t, err)
			eq(t, "at a binding's expiry", bindingIDs(bs), "reg_z reg_a")
			bs, err = q.SIPBindings(ctx, "sip_none", tµ)
			must(t, err)
			eq(t, "none", len(bs), 0)
		},
		"Q.SIPBindingsOfAccountAll": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			a := fxSIP(t, q, "cus_1", "sip_1", "trunk", "")
			o := fxSIP(t, q, "cus_1", "sip_2", "trunk", "")
			b := fxBinding(t, q, a, "reg_b", "sip:b@h", tµ, tµ.Add(time.Hour))
			l := fxBinding(t, q, a, "reg_a", "sip:a@h", tµ, tµ.Add(-time.Hour)) // lapsed, not yet swept
			z := fxBinding(t, q, a, "reg_z", "sip:z@h", tµ.Add(-2*time.Hour), tµ.Add(-time.Hour))
			fxBinding(t, q, o, "reg_other", "sip:o@h", tµ, tµ.Add(time.Hour))
			bs, err := q.SIPBindingsOfAccountAll(ctx, "sip_1")
			must(t, err)
			eq(t, "live and lapsed, oldest first then by id", bs, []market.SIPBinding{z, l, b})
			bs, err = q.SIPBindingsOfAccountAll(ctx, "sip_none")
			must(t, err)
			eq(t, "none", len(bs), 0)
		},
		"Q.CustomerSIPBindings": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxCustomer(t, q, "cus_2")
			a := fxSIP(t, q, "cus_1", "sip_1", "trunk", "")
			b := fxSIP(t, q, "cus_1", "sip_2", "trunk", "")
			o := fxSIP(t, q, "cus_2", "sip_3", "trunk", "")
			a1 := fxBinding(t, q, a, "reg_2", "sip:p@h", tµ, tµ.Add(time.Hour))
			b1 := fxBinding(t, q, b, "reg_1", "sip:p@h", tµ, tµ.Add(time.Hour))
			b2 := fxBinding(t, q, b, "reg_3", "sip:q@h", tµ.Add(-time.Minute), tµ.Add(time.Hour))
			fxBinding(t, q, a, "reg_lapsed", "sip:l@h", tµ.Add(-time.Hour), tµ)
			fxBinding(t, q, o, "reg_other", "sip:p@h", tµ, tµ.Add(time.Hour))
			bs, err := q.CustomerSIPBindings(ctx, "cus_1", tµ)
			must(t, err)
			eq(t, "live bindings of all the customer's accounts, oldest first then by id", bs, []market.SIPBinding{b2, b1, a1})
			bs, err = q.CustomerSIPBindings(ctx, "cus_none", tµ)
			must(t, err)
			eq(t, "none", len(bs), 0)
		},
		"Q.CountSIPBindings": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			n, err := q.CountSIPBindings(ctx, tµ)
			must(t, err)
			eq(t, "empty", n, int64(0))
			fxCustomer(t, q, "cus_1")
			fxCustomer(t, q, "cus_2")
			a := fxSIP(t, q, "cus_1", "sip_1", "trunk", "")
			o := fxSIP(t, q, "cus_2", "sip_2", "trunk", "")
			fxBinding(t, q, a, "reg_1", "sip:p@h", tµ, tµ.Add(time.Microsecond))
			fxBinding(t, q, a, "reg_2", "sip:q@h", tµ.Add(-time.Hour), tµ) // lapses at now
			fxBinding(t, q, o, "reg_3", "sip:p@h", tµ, tµ.Add(time.Hour))
			n, err = q.CountSIPBindings(ctx, tµ)
			must(t, err)
			eq(t, "live, of every account", n, int64(2))
			n, err = q.CountSIPBindings(ctx, tµ.Add(time.Microsecond))
			must(t, err)
			eq(t, "a µs later", n, int64(1))
		},
		"Q.DeleteSIPBinding": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			a := fxSIP(t, q, "cus_1", "sip_1", "trunk", "")
			o := fxSIP(t, q, "cus_1", "sip_2", "trunk", "")
			fxBinding(t, q, a, "reg_1", "sip:p@h", tµ, tµ.Add(time.Hour))
			q1 := fxBinding(t, q, a, "reg_2", "sip:q@h", tµ, tµ.Add(time.Hour))
			o1 := fxBinding(t, q, o, "reg_3", "sip:p@h", tµ, tµ.Add(time.Hour))
			must(t, q.DeleteSIPBinding(ctx, "sip_1", "sip:p@h"))
			bs, err := q.SIPBindingsOfAccountAll(ctx, "sip_1")
			must(t, err)
			eq(t, "the other contact stays", bs, []market.SIPBinding{q1})
			bs, err = q.SIPBindingsOfAccountAll(ctx, "sip_2")
			must(t, err)
			eq(t, "the same contact of another account stays", bs, []market.SIPBinding{o1})
			// Removing a contact the account does not have (RFC 3261
			// Expires: 0 for an unknown contact) is not an error.
			must(t, q.DeleteSIPBinding(ctx, "sip_1", "sip:p@h"))
			must(t, q.DeleteSIPBinding(ctx, "sip_none", "sip:p@h"))
		},
		"Q.DeleteSIPBindings": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			a := fxSIP(t, q, "cus_1", "sip_1", "trunk", "")
			o := fxSIP(t, q, "cus_1", "sip_2", "trunk", "")
			fxBinding(t, q, a, "reg_1", "sip:p@h", tµ, tµ.Add(time.Microsecond))
			fxBinding(t, q, a, "reg_2", "sip:q@h", tµ, tµ.Add(time.Hour))
			fxBinding(t, q, a, "reg_3", "sip:l@h", tµ.Add(-time.Hour), tµ) // lapsed at now
			o1 := fxBinding(t, q, o, "reg_4", "sip:p@h", tµ, tµ.Add(time.Hour))
			n, err := q.DeleteSIPBindings(ctx, "sip_1", tµ)
			must(t, err)
			eq(t, "live ones removed", n, int64(2))
			bs, err := q.SIPBindingsOfAccountAll(ctx, "sip_1")
			must(t, err)
			eq(t, "every row of the account gone, lapsed too", len(bs), 0)
			bs, err = q.SIPBindingsOfAccountAll(ctx, "sip_2")
			must(t, err)
			eq(t, "another account's stay", bs, []market.SIPBinding{o1})
			n, err = q.DeleteSIPBindings(ctx, "sip_1", tµ)
			must(t, err)
			eq(t, "again", n, int64(0))
		},
		"Q.DeleteSuspendedSIPBindings": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxPlan(t, q, "pln")
			now := tµ
			subs := map[string]struct {
				expires time.Time
				status  string
			}{
				"sub_active":   {now.Add(time.Microsecond), "active"},
				"sub_trial":    {now.Add(time.Hour), "trialing"},
				"sub_pd_grace": {now.Add(time.Hour), "past_due"}, // past_due in the DB, but not yet at its expiry
				"sub_canceled": {now.Add(time.Hour), "canceled"},
				"sub_at":       {now, "active"},                   // expires at now: expired
				"sub_expired":  {now.Add(-time.Hour), "expired"},  //
				"sub_pastdue":  {now.Add(-time.Hour), "past_due"}, //
				"sub_lapsed":   {now.Add(-time.Hour), "active"},   // not yet renewed or expired by the scheduler
			}
			suspended := map[string]bool{"sub_canceled": true, "sub_at": true, "sub_expired": true, "sub_pastdue": true, "sub_lapsed": true}
			for id, sv := range subs {
				s := fxSub(t, q, "cus_1", id, "pln", sv.expires)
				if sv.status != "active" {
					s.Status = market.Status(sv.status)
					must(t, q.UpdateSubscription(ctx, s, now))
				}
				u := "usr_" + strings.TrimPrefix(id, "sub_")
				must(t, q.InsertUser(ctx, market.User{ID: u, CustomerID: "cus_1", Name: u, Email: u + "@x.test", Role: "member",
					SubscriptionID: id, Extension: u, CreatedAt: now}))
				a := fxSIP(t, q, "cus_1", "sip_"+u, "user", u)
				fxBinding(t, q, a, "reg_"+u+"_1", "sip:1@h", now, now.Add(time.Hour))
				fxBinding(t, q, a, "reg_"+u+"_2", "sip:2@h", now.Add(-time.Hour), now.Add(-time.Minute)) // lapsed: goes too
			}
			// A user without a subscription is active, and a trunk has no
			// subscription.
			must(t, q.InsertUser(ctx, market.User{ID: "usr_free", CustomerID: "cus_1", Name: "free", Email: "free@x.test", Role: "member",
				Extension: "free", CreatedAt: now}))
			free := fxSIP(t, q, "cus_1", "sip_usr_free", "user", "usr_free")
			fxBinding(t, q, free, "reg_free", "sip:1@h", now, now.Add(time.Hour))
			trunk := fxSIP(t, q, "cus_1", "sip_trunk", "trunk", "")
			fxBinding(t, q, trunk, "reg_trunk", "sip:1@h", now, now.Add(time.Hour))

			n, err := q.DeleteSuspendedSIPBindings(ctx, now)
			must(t, err)
			eq(t, "bindings of suspended users removed", n, int64(2*len(suspended)))
			for id := range subs {
				u := "usr_" + strings.TrimPrefix(id, "sub_")
				bs, err := q.SIPBindingsOfAccountAll(ctx, "sip_"+u)
				must(t, err)
				want := 2
				if suspended[id] {
					want = 0
				}
				eq(t, "bindings of "+u+" ("+subs[id].status+")", len(bs), want)
			}
			for _, id := range []string{"sip_usr_free", "sip_trunk"} {
				bs, err := q.SIPBindingsOfAccountAll(ctx, id)
				must(t, err)
				eq(t, "bindings of "+id, len(bs), 1)
			}
			n, err = q.DeleteSuspendedSIPBindings(ctx, now)
			must(t, err)
			eq(t, "again", n, int64(0))
		},
		"Q.SweepSIP": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			now := tµ
			n, err := q.SweepSIP(ctx, now)
			must(t, err)
			eq(t, "empty", n, int64(0))
			fxCustomer(t, q, "cus_1")
			a := fxSIP(t, q, "cus_1", "sip_1", "trunk", "")
			fxBinding(t, q, a, "reg_1", "sip:1@h", now.Add(-time.Hour), now.Add(-time.Microsecond))
			fxBinding(t, q, a, "reg_2", "sip:2@h", now.Add(-time.Hour), µs(now)) // lapses at now
			live := fxBinding(t, q, a, "reg_3", "sip:3@h", now.Add(-time.Hour), now.Add(time.Microsecond))
			for _, nc := range []struct {
				nonce   string
				expires time.Time
			}{{"n-before", now.Add(-time.Second)}, {"n-at", µs(now)}, {"n-after", now.Add(time.Microsecond)}} {
				fresh, err := q.UseSIPNonce(ctx, nc.nonce, 5, nc.expires)
				must(t, err)
				eq(t, "nonce "+nc.nonce, fresh, true)
			}
			n, err = q.SweepSIP(ctx, now)
			must(t, err)
			eq(t, "lapsed bindings swept", n, int64(2))
			bs, err := q.SIPBindingsOfAccountAll(ctx, "sip_1")
			must(t, err)
			eq(t, "the live one stays", bs, []market.SIPBinding{live})
			// A swept nonce's record is gone (its count starts again; the
			// registrar refuses it by its age); a kept one still refuses a
			// replay.
			for _, tt := range []struct {
				nonce string
				fresh bool
			}{{"n-before", true}, {"n-at", true}, {"n-after", false}} {
				fresh, err := q.UseSIPNonce(ctx, tt.nonce, 5, now.Add(time.Hour))
				must(t, err)
				eq(t, "count 5 of "+tt.nonce+" after the sweep", fresh, tt.fresh)
			}
		},
		"Q.UseSIPNonce": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			exp := tµ.Add(time.Hour)
			for _, tt := range []struct {
				nonce string
				nc    int64
				fresh bool
			}{
				{"n1", 1, true},
				{"n1", 1, false}, // a replay
				{"n1", 3, true},  // counts may skip
				{"n1", 2, false}, // lower than the highest seen
				{"n1", 3, false},
				{"n2", 1, true}, // another nonce counts on its own
				{"n1", 4, true},
				{"n2", 1, false},
			} {
				fresh, err := q.UseSIPNonce(ctx, tt.nonce, tt.nc, exp)
				must(t, err)
				eq(t, words("nonce", tt.nonce, "count", tt.nc), fresh, tt.fresh)
			}
			// The record lives until its first expiry: a later use does not
			// move it.
			_, err := q.UseSIPNonce(ctx, "n1", 9, exp.Add(time.Hour))
			must(t, err)
			_, err = q.SweepSIP(ctx, exp)
			must(t, err)
			fresh, err := q.UseSIPNonce(ctx, "n1", 1, exp.Add(time.Hour))
			must(t, err)
			eq(t, "swept at its first expiry", fresh, true)
		},
		"Q.InsertSettingOnce": func(t *testing.T, st *store.Store) {
			t.Run("FirstValueKept", func(t *testing.T) {
				q := txQ(t, st)
				v, err := q.InsertSettingOnce(ctx, "k", "v1")
				must(t, err)
				eq(t, "inserted", v, "v1")
				v, err = q.InsertSettingOnce(ctx, "k", "v2")
				must(t, err)
				eq(t, "the first value", v, "v1")
				v, ok, err := q.Setting(ctx, "k")
				must(t, err)
				eq(t, "stored", words(v, ok), "v1 true")
				must(t, q.PutSetting(ctx, "p", ""))
				v, err = q.InsertSettingOnce(ctx, "p", "v3")
				must(t, err)
				eq(t, "an existing empty value", v, "")
			})
			// Two processes starting at once: the second waits for the
			// first's transaction and gets its value, or, when that rolls
			// back, stores its own.
			for _, commit := range []bool{true, false} {
				t.Run(map[bool]string{true: "RaceFirstCommits", false: "RaceFirstRollsBack"}[commit], func(t *testing.T) {
					s := own(t, st)
					inserted, release := make(chan struct{}), make(chan struct{})
					first := make(chan error, 1)
					go func() {
						first <- s.Tx(ctx, func(q *store.Q) error {
							v, err := q.InsertSettingOnce(ctx, "secret", "first")
							if err != nil {
								return err
							}
							if v != "first" {
								return errors.New("first got " + v)
							}
							close(inserted)
							<-release
							if !commit {
								return errRollback
							}
							return nil
						})
					}()
					select {
					case <-inserted:
					case err := <-first:
						t.Fatalf("first: %v", err)
					}
					var second string
					blocked, done := waits(func() error {
						return s.Tx(ctx, func(q *store.Q) error {
							var err error
							second, err = q.InsertSettingOnce(ctx, "secret", "second")
							return err
						})
					})
					close(release)
					if err := <-first; commit && err != nil || !commit && !errors.Is(err, errRollback) {
						t.Fatalf("first: %v", err)
					}
					must(t, <-done)
					if !blocked {
						t.Error("the second did not wait for the first's transaction")
					}
					want := map[bool]string{true: "first", false: "second"}[commit]
					eq(t, "second's value", second, want)
					v, _, err := s.Read().Setting(ctx, "secret")
					must(t, err)
					eq(t, "stored", v, want)
				})
			}
		},
		"Q.LockSIPAccountByUsername": func(t *testing.T, st *store.Store) {
			t.Run("ReadsBack", func(t *testing.T) {
				q := txQ(t, st)
				fxCustomer(t, q, "cus_1")
				fxUser(t, q, "cus_1", "usr_1", "a@x.test", "")
				a := fxSIP(t, q, "cus_1", "sip_1", "user", "usr_1")
				got, err := q.LockSIPAccountByUsername(ctx, a.Username)
				must(t, err)
				eq(t, "account", got, a)
				_, err = q.LockSIPAccountByUsername(ctx, "nobody")
				wantNotFound(t, err)
			})
			// One account's REGISTERs change its bindings one at a time: a
			// second transaction locking it waits for the first to end. A
			// read outside a transaction does not wait.
			t.Run("Locks", func(t *testing.T) {
				s := own(t, st)
				var a market.SIPAccount
				must(t, s.Tx(ctx, func(q *store.Q) error {
					fxCustomer(t, q, "cus_1")
					a = fxSIP(t, q, "cus_1", "sip_1", "trunk", "")
					return nil
				}))
				locked, release := make(chan struct{}), make(chan struct{})
				first := make(chan error, 1)
				go func() {
					first <- s.Tx(ctx, func(q *store.Q) error {
						if _, err := q.LockSIPAccountByUsername(ctx, a.Username); err != nil {
							return err
						}
						close(locked)
						<-release
						return nil
					})
				}()
				select {
				case <-locked:
				case err := <-first:
					t.Fatalf("first: %v", err)
				}
				got, err := s.Read().LockSIPAccountByUsername(ctx, a.Username)
				must(t, err)
				eq(t, "read outside a transaction while locked", got, a)
				blocked, done := waits(func() error {
					return s.Tx(ctx, func(q *store.Q) error {
						_, err := q.LockSIPAccountByUsername(ctx, a.Username)
						return err
					})
				})
				close(release)
				must(t, <-first)
				must(t, <-done)
				if !blocked {
					t.Error("a second transaction locked the account while the first held it")
				}
			})
		},
	})
}
