package store_test

import (
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
)

// Contract: customers, users, sessions, SIP accounts, passwords, login
// throttles and idempotency keys.
func init() {
	addContract(map[string]contractCase{
		"Q.InsertCustomer": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			want := fxCustomer(t, q, "cus_1")
			got, err := q.Customer(ctx, "cus_1")
			must(t, err)
			eq(t, "customer", got, want) // zero balance, created_at in µs, UTC
			if err := q.InsertCustomer(ctx, market.Customer{ID: "cus_1", CreatedAt: tµ}); err == nil {
				t.Error("a second customer with the same ID was stored")
			}
		},
		"Q.Customer": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			_, err := q.Customer(ctx, "cus_none")
			wantNotFound(t, err)
		},
		"Q.LockCustomer": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			want := fxCustomer(t, q, "cus_1")
			got, err := q.LockCustomer(ctx, "cus_1")
			must(t, err)
			eq(t, "customer", got, want)
			_, err = q.LockCustomer(ctx, "cus_none")
			wantNotFound(t, err)
		},
		"Q.Customers": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			for _, id := range []string{"cus_b", "cus_a", "cus_c"} {
				fxCustomer(t, q, id)
			}
			ids := func(p store.Page) []string {
				cs, err := q.Customers(ctx, p)
				must(t, err)
				var out []string
				for _, c := range cs {
					out = append(out, c.ID)
				}
				return out
			}
			// Newest (highest ID) first; a page holds Limit+1 rows so that
			// the caller sees there is more.
			eq(t, "all", ids(store.Page{}), []string{"cus_c", "cus_b", "cus_a"})
			eq(t, "limit 1", ids(store.Page{Limit: 1}), []string{"cus_c", "cus_b"})
			eq(t, "after", ids(store.Page{After: "cus_b"}), []string{"cus_a"})
			eq(t, "past the end", ids(store.Page{After: "cus_a"}), []string(nil))
		},
		"Q.NextExtension": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			for want := 100; want < 103; want++ {
				n, err := q.NextExtension(ctx, "cus_1")
				must(t, err)
				eq(t, "extension", n, want)
			}
			_, err := q.NextExtension(ctx, "cus_none")
			wantNotFound(t, err)
		},
		"Q.InsertUser": func(t *testing.T, st *store.Store) {
			setup := func(t *testing.T) *store.Q {
				q := txQ(t, st)
				fxCustomer(t, q, "cus_1")
				fxCustomer(t, q, "cus_2")
				fxUser(t, q, "cus_1", "usr_1", "Ann@x.test", "hash")
				return q
			}
			t.Run("ReadsBack", func(t *testing.T) {
				q := setup(t)
				u := market.User{ID: "usr_2", CustomerID: "cus_1", Name: "Seat", Email: "seat@x.test", Role: "member",
					Extension: "101", CreatedAt: tµ}
				must(t, q.InsertUser(ctx, u))
				got, err := q.User(ctx, "cus_1", "usr_2")
				must(t, err)
				u.CreatedAt = µs(tµ)
				eq(t, "seat (NULL hash, subscription, SIP account read as \"\")", got, u)
			})
			t.Run("SameEmailOnAccountAnyCase", func(t *testing.T) {
				q := setup(t)
				err := q.InsertUser(ctx, market.User{ID: "usr_2", CustomerID: "cus_1", Email: "ann@X.TEST", Role: "member", Extension: "101", CreatedAt: tµ})
				wantCode(t, err, market.CodeConflict, "email")
			})
			t.Run("AnotherLoginsEmail", func(t *testing.T) {
				q := setup(t)
				err := q.InsertUser(ctx, market.User{ID: "usr_2", CustomerID: "cus_2", Email: "Ann@x.test", PasswordHash: "h", Role: "owner", Extension: "100", CreatedAt: tµ})
				wantCode(t, err, market.CodeConflict, "email")
			})
			t.Run("SeatOfAnotherAccountMayShareEmail", func(t *testing.T) {
				q := setup(t)
				must(t, q.InsertUser(ctx, market.User{ID: "usr_2", CustomerID: "cus_2", Email: "Ann@x.test", Role: "member", Extension: "100", CreatedAt: tµ}))
			})
			t.Run("SameExtensionIsNotAnEmailConflict", func(t *testing.T) {
				q := setup(t)
				err := q.InsertUser(ctx, market.User{ID: "usr_2", CustomerID: "cus_1", Email: "other@x.test", Role: "member", Extension: "usr_1", CreatedAt: tµ})
				if err == nil {
					t.Fatal("a second user with the extension was stored")
				}
				if market.ErrorCode(err) == market.CodeConflict {
					t.Errorf("a duplicate extension reads as an e-mail conflict: %v", err)
				}
			})
			t.Run("SameIDIsNotAnEmailConflict", func(t *testing.T) {
				q := setup(t)
				err := q.InsertUser(ctx, market.User{ID: "usr_1", CustomerID: "cus_1", Email: "other@x.test", Role: "member", Extension: "102", CreatedAt: tµ})
				if err == nil {
					t.Fatal("a second user with the ID was stored")
				}
				if market.ErrorCode(err) == market.CodeConflict {
					t.Errorf("a duplicate ID reads as an e-mail conflict: %v", err)
				}
			})
		},
		"Q.LoginByEmail": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			want := fxUser(t, q, "cus_1", "usr_1", "ann@x.test", "hash")
			fxUser(t, q, "cus_1", "usr_2", "seat@x.test", "")
			got, err := q.LoginByEmail(ctx, "ann@x.test")
			must(t, err)
			eq(t, "login", got, want)
			_, err = q.LoginByEmail(ctx, "ANN@x.test") // exact match on both databases: the caller normalizes
			wantNotFound(t, err)
			_, err = q.LoginByEmail(ctx, "seat@x.test") // a seat without a login
			wantNotFound(t, err)
			_, err = q.LoginByEmail(ctx, "nobody@x.test")
			wantNotFound(t, err)
		},
		"Q.User": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxCustomer(t, q, "cus_2")
			fxUser(t, q, "cus_1", "usr_1", "ann@x.test", "hash")
			_, err := q.User(ctx, "cus_2", "usr_1") // another customer's
			wantNotFound(t, err)
			_, err = q.User(ctx, "cus_1", "usr_none")
			wantNotFound(t, err)
		},
		"Q.Users": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			b := fxUser(t, q, "cus_1", "usr_b", "b@x.test", "")
			a := fxUser(t, q, "cus_1", "usr_a", "a@x.test", "hash")
			us, err := q.Users(ctx, "cus_1")
			must(t, err)
			eq(t, "users, by ID", us, []market.User{a, b})
			us, err = q.Users(ctx, "cus_none")
			must(t, err)
			eq(t, "none", len(us), 0)
		},
		"Q.UsersOfSubscription": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxPlan(t, q, "pln")
			fxSub(t, q, "cus_1", "sub_1", "pln", tµ)
			u := market.User{ID: "usr_1", CustomerID: "cus_1", Name: "n", Email: "a@x.test", Role: "member", SubscriptionID: "sub_1", Extension: "100", CreatedAt: tµ}
			must(t, q.InsertUser(ctx, u))
			fxUser(t, q, "cus_1", "usr_2", "b@x.test", "")
			us, err := q.UsersOfSubscription(ctx, "sub_1")
			must(t, err)
			u.CreatedAt = µs(tµ)
			eq(t, "licensed users", us, []market.User{u})
			n, err := q.CountUsers(ctx, "sub_1")
			must(t, err)
			eq(t, "count", n, 1)
		},
		"Q.CountUsers": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			n, err := q.CountUsers(ctx, "sub_none")
			must(t, err)
			eq(t, "count", n, 0)
		},
		"Q.DeleteUser": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxCustomer(t, q, "cus_2")
			fxUser(t, q, "cus_1", "usr_1", "a@x.test", "hash")
			must(t, q.InsertSession(ctx, market.Session{TokenHash: "h1", UserID: "usr_1", CustomerID: "cus_1", CreatedAt: tµ, ExpiresAt: tµ.Add(time.Hour)}))
			wantNotFound(t, q.DeleteUser(ctx, "cus_2", "usr_1"))
			must(t, q.DeleteUser(ctx, "cus_1", "usr_1"))
			_, _, err := q.SessionByHash(ctx, "h1")
			wantNotFound(t, err) // its sessions went with it
			wantNotFound(t, q.DeleteUser(ctx, "cus_1", "usr_1"))
		},
		"Q.InsertSession": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			u := fxUser(t, q, "cus_1", "usr_1", "a@x.test", "hash")
			s := market.Session{TokenHash: "h1", UserID: "usr_1", CustomerID: "cus_1", CreatedAt: tµ, ExpiresAt: tµ.Add(time.Hour)}
			must(t, q.InsertSession(ctx, s))
			gs, gu, err := q.SessionByHash(ctx, "h1")
			must(t, err)
			s.CreatedAt, s.ExpiresAt = µs(tµ), µs(tµ.Add(time.Hour))
			eq(t, "session", gs, s)
			eq(t, "user", gu, u)
			if err := q.InsertSession(ctx, market.Session{TokenHash: "h2", UserID: "usr_none", CustomerID: "cus_1", CreatedAt: tµ, ExpiresAt: tµ}); err == nil {
				t.Error("a session of no user was stored")
			}
		},
		"Q.SessionByHash": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			_, _, err := q.SessionByHash(ctx, "none")
			wantNotFound(t, err)
		},
		"Q.DeleteSession": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxUser(t, q, "cus_1", "usr_1", "a@x.test", "hash")
			must(t, q.InsertSession(ctx, market.Session{TokenHash: "h1", UserID: "usr_1", CustomerID: "cus_1", CreatedAt: tµ, ExpiresAt: tµ}))
			must(t, q.DeleteSession(ctx, "h1"))
			_, _, err := q.SessionByHash(ctx, "h1")
			wantNotFound(t, err)
			must(t, q.DeleteSession(ctx, "h1")) // idempotent: logging out twice is fine
		},
		"Q.DeleteOtherSessions": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxUser(t, q, "cus_1", "usr_1", "a@x.test", "hash")
			for _, h := range []string{"h1", "h2", "h3"} {
				must(t, q.InsertSession(ctx, market.Session{TokenHash: h, UserID: "usr_1", CustomerID: "cus_1", CreatedAt: tµ, ExpiresAt: tµ}))
			}
			n, err := q.DeleteOtherSessions(ctx, "usr_1", "h2")
			must(t, err)
			eq(t, "ended", n, int64(2))
			_, _, err = q.SessionByHash(ctx, "h2")
			must(t, err)
			n, err = q.DeleteOtherSessions(ctx, "usr_1", "")
			must(t, err)
			eq(t, "ended", n, int64(1))
			n, err = q.DeleteOtherSessions(ctx, "usr_none", "")
			must(t, err)
			eq(t, "ended", n, int64(0))
		},
		"Q.SetPasswordHash": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxUser(t, q, "cus_1", "usr_1", "a@x.test", "old")
			fxUser(t, q, "cus_1", "usr_2", "b@x.test", "")
			must(t, q.SetPasswordHash(ctx, "cus_1", "usr_1", "new"))
			u, err := q.LoginByEmail(ctx, "a@x.test")
			must(t, err)
			eq(t, "hash", u.PasswordHash, "new")
			wantNotFound(t, q.SetPasswordHash(ctx, "cus_1", "usr_2", "new")) // a seat has no login
			wantNotFound(t, q.SetPasswordHash(ctx, "cus_2", "usr_1", "new"))
		},
		"Q.InsertSIPAccount": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			a := market.SIPAccount{ID: "sip_1", CustomerID: "cus_1", Kind: "trunk", Username: "trunk-1", Password: "pw", Domain: "sip.test", CreatedAt: tµ}
			must(t, q.InsertSIPAccount(ctx, a))
			got, err := q.SIPAccount(ctx, "cus_1", "sip_1")
			must(t, err)
			a.CreatedAt = µs(tµ)
			eq(t, "SIP account (NULL user as \"\")", got, a)
			if err := q.InsertSIPAccount(ctx, market.SIPAccount{ID: "sip_2", CustomerID: "cus_1", Kind: "trunk", Username: "trunk-1", CreatedAt: tµ}); err == nil {
				t.Error("a second SIP account with the username was stored")
			}
		},
		"Q.SIPAccount": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			must(t, q.InsertSIPAccount(ctx, market.SIPAccount{ID: "sip_1", CustomerID: "cus_1", Kind: "trunk", Username: "t1", CreatedAt: tµ}))
			_, err := q.SIPAccount(ctx, "cus_2", "sip_1")
			wantNotFound(t, err)
		},
		"Q.SIPAccountByUsername": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			must(t, q.InsertSIPAccount(ctx, market.SIPAccount{ID: "sip_1", CustomerID: "cus_1", Kind: "user", Username: "u100", UserID: "usr_1", CreatedAt: tµ}))
			a, err := q.SIPAccountByUsername(ctx, "u100")
			must(t, err)
			eq(t, "account", a.ID+" "+a.UserID, "sip_1 usr_1")
			_, err = q.SIPAccountByUsername(ctx, "nobody")
			wantNotFound(t, err)
		},
		"Q.SIPAccounts": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			for _, id := range []string{"sip_b", "sip_a"} {
				must(t, q.InsertSIPAccount(ctx, market.SIPAccount{ID: id, CustomerID: "cus_1", Kind: "trunk", Username: id, CreatedAt: tµ}))
			}
			as, err := q.SIPAccounts(ctx, "cus_1")
			must(t, err)
			if len(as) != 2 || as[0].ID != "sip_a" || as[1].ID != "sip_b" {
				t.Errorf("accounts = %+v, want sip_a, sip_b", as)
			}
			as, err = q.SIPAccounts(ctx, "cus_none")
			must(t, err)
			eq(t, "none", len(as), 0)
		},
		"Q.DeleteSIPAccount": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			must(t, q.InsertSIPAccount(ctx, market.SIPAccount{ID: "sip_1", CustomerID: "cus_1", Kind: "trunk", Username: "t1", CreatedAt: tµ}))
			fxNumber(t, q, "num_1", "+12125550100", "212")
			must(t, q.ClaimNumber(ctx, "num_1", "cus_1", "sip_1", tµ, tµ.AddDate(0, 1, 0)))
			must(t, q.DeleteSIPAccount(ctx, "cus_1", "sip_1"))
			_, err := q.SIPAccount(ctx, "cus_1", "sip_1")
			wantNotFound(t, err)
			n, err := q.Number(ctx, "num_1")
			must(t, err)
			eq(t, "number's SIP account", n.SIPAccountID, "")  // unassigned
			must(t, q.DeleteSIPAccount(ctx, "cus_1", "sip_1")) // idempotent
		},
		"Q.Throttles": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			must(t, q.ChargeThrottle(ctx, "k1", tµ, time.Second))
			m, err := q.Throttles(ctx, "k1", "k2")
			must(t, err)
			eq(t, "throttles (absent keys absent)", m, map[string]time.Time{"k1": µs(tµ.Add(time.Second))})
		},
		"Q.ChargeThrottle": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			must(t, q.ChargeThrottle(ctx, "k", tµ, time.Second))
			must(t, q.ChargeThrottle(ctx, "k", tµ, time.Second)) // from the stored time
			must(t, q.ChargeThrottle(ctx, "j", tµ.Add(-time.Hour), time.Second))
			must(t, q.ChargeThrottle(ctx, "j", tµ, time.Second)) // the stored time is past: from now
			m, err := q.Throttles(ctx, "k", "j")
			must(t, err)
			eq(t, "throttles", m, map[string]time.Time{"k": µs(tµ.Add(2 * time.Second)), "j": µs(tµ.Add(time.Second))})
		},
		"Q.ClearThrottle": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			must(t, q.ChargeThrottle(ctx, "k", tµ, time.Second))
			must(t, q.ClearThrottle(ctx, "k"))
			must(t, q.ClearThrottle(ctx, "k")) // idempotent
			m, err := q.Throttles(ctx, "k")
			must(t, err)
			eq(t, "throttles", len(m), 0)
		},
		"Q.PruneThrottles": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			must(t, q.ChargeThrottle(ctx, "old", tµ, time.Second))
			must(t, q.ChargeThrottle(ctx, "new", tµ, time.Hour))
			must(t, q.PruneThrottles(ctx, tµ.Add(time.Minute)))
			m, err := q.Throttles(ctx, "old", "new")
			must(t, err)
			eq(t, "kept", len(m), 1)
			if _, ok := m["new"]; !ok {
				t.Errorf("kept %v, want new", m)
			}
		},
		"Q.ClaimIdempotencyKey": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			r, claimed, err := q.ClaimIdempotencyKey(ctx, "cus_1", "k", "hash1", tµ, time.Hour)
			must(t, err)
			if !claimed || r != (store.IdempotentResponse{}) {
				t.Errorf("first claim = %+v, %v", r, claimed)
			}
			r, claimed, err = q.ClaimIdempotencyKey(ctx, "cus_1", "k", "hash2", tµ.Add(time.Minute), time.Hour)
			must(t, err)
			eq(t, "second claim", claimed, false)
			eq(t, "stored record", r, store.IdempotentResponse{RequestHash: "hash1", CreatedAt: µs(tµ)})
			_, claimed, err = q.ClaimIdempotencyKey(ctx, "cus_2", "k", "hash1", tµ, time.Hour) // another scope
			must(t, err)
			eq(t, "other scope claimed", claimed, true)
			_, claimed, err = q.ClaimIdempotencyKey(ctx, "cus_1", "k", "hash3", tµ.Add(2*time.Hour), time.Hour) // expired
			must(t, err)
			eq(t, "expired key claimed anew", claimed, true)
		},
		"Q.CompleteIdempotencyKey": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			_, _, err := q.ClaimIdempotencyKey(ctx, "s", "k", "h", tµ, time.Hour)
			must(t, err)
			must(t, q.CompleteIdempotencyKey(ctx, "s", "k", 201, `{"id":"x"}`, "application/json"))
			r, claimed, err := q.ClaimIdempotencyKey(ctx, "s", "k", "h", tµ, time.Hour)
			must(t, err)
			eq(t, "claimed", claimed, false)
			eq(t, "stored response", r, store.IdempotentResponse{RequestHash: "h", Status: 201, Body: `{"id":"x"}`, ContentType: "application/json", CreatedAt: µs(tµ)})
			// A key that is gone (purged meanwhile) is not an error: the
			// request's own work is done.
			must(t, q.CompleteIdempotencyKey(ctx, "s", "gone", 200, "", ""))
		},
		"Q.ReleaseIdempotencyKey": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			_, _, err := q.ClaimIdempotencyKey(ctx, "s", "running", "h", tµ, time.Hour)
			must(t, err)
			_, _, err = q.ClaimIdempotencyKey(ctx, "s", "done", "h", tµ, time.Hour)
			must(t, err)
			must(t, q.CompleteIdempotencyKey(ctx, "s", "done", 200, "ok", "text/plain"))
			must(t, q.ReleaseIdempotencyKey(ctx, "s", "running"))
			must(t, q.ReleaseIdempotencyKey(ctx, "s", "done")) // a completed key stays
			must(t, q.ReleaseIdempotencyKey(ctx, "s", "none"))
			_, claimed, err := q.ClaimIdempotencyKey(ctx, "s", "running", "h", tµ, time.Hour)
			must(t, err)
			eq(t, "released key claimed again", claimed, true)
			_, claimed, err = q.ClaimIdempotencyKey(ctx, "s", "done", "h", tµ, time.Hour)
			must(t, err)
			eq(t, "completed key claimed again", claimed, false)
		},
		"Q.PurgeIdempotencyKeys": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			_, _, err := q.ClaimIdempotencyKey(ctx, "s", "old", "h", tµ, time.Hour)
			must(t, err)
			_, _, err = q.ClaimIdempotencyKey(ctx, "s", "new", "h", tµ.Add(time.Hour), time.Hour)
			must(t, err)
			must(t, q.PurgeIdempotencyKeys(ctx, tµ.Add(time.Minute)))
			_, claimed, err := q.ClaimIdempotencyKey(ctx, "s", "old", "h", tµ.Add(time.Hour), 24*time.Hour)
			must(t, err)
			eq(t, "purged key claimed again", claimed, true)
			_, claimed, err = q.ClaimIdempotencyKey(ctx, "s", "new", "h", tµ.Add(time.Hour), 24*time.Hour)
			must(t, err)
			eq(t, "kept key claimed again", claimed, false)
		},
	})
}
