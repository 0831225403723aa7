package store_test

import (
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
)

// Contract: logins with roles and the tokens of their e-mailed links
// (migration 00014).
func init() {
	addContract(map[string]contractCase{
		"Q.Logins": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxCustomer(t, q, "cus_2")
			fxUser(t, q, "cus_1", "usr_seat", "seat@x.test", "")
			a := fxLogin(t, q, "cus_1", "usr_a", "a@x.test", "admin", "h")
			v := fxLogin(t, q, "cus_1", "usr_v", "v@x.test", "viewer", "")
			fxLogin(t, q, "cus_2", "usr_o", "o@x.test", "owner", "h")
			got, err := q.Logins(ctx, "cus_1")
			must(t, err)
			eq(t, "logins", got, []market.User{a, v})
		},
		"Q.UserByEmail": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxCustomer(t, q, "cus_2")
			u := fxUser(t, q, "cus_1", "usr_1", "Ann@x.test", "")
			got, err := q.UserByEmail(ctx, "cus_1", "ann@X.test")
			must(t, err)
			eq(t, "user", got, u)
			_, err = q.UserByEmail(ctx, "cus_2", "ann@x.test")
			wantNotFound(t, err)
		},
		"Q.SetLoginRole": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxCustomer(t, q, "cus_2")
			fxLogin(t, q, "cus_1", "usr_1", "a@x.test", "admin", "h")
			must(t, q.SetLoginRole(ctx, "cus_1", "usr_1", "billing"))
			u, err := q.User(ctx, "cus_1", "usr_1")
			must(t, err)
			eq(t, "role", [2]string{u.Role, u.PasswordHash}, [2]string{"billing", "h"})
			must(t, q.SetLoginRole(ctx, "cus_1", "usr_1", "member")) // a seat again, without a password
			u, err = q.User(ctx, "cus_1", "usr_1")
			must(t, err)
			eq(t, "role", [2]string{u.Role, u.PasswordHash}, [2]string{"member", ""})
			wantNotFound(t, q.SetLoginRole(ctx, "cus_2", "usr_1", "admin"))
		},
		"Q.SetLoginPassword": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxCustomer(t, q, "cus_2")
			fxLogin(t, q, "cus_1", "usr_1", "a@x.test", "viewer", "")
			fxUser(t, q, "cus_1", "usr_seat", "s@x.test", "")
			must(t, q.SetLoginPassword(ctx, "cus_1", "usr_1", "h1"))
			u, err := q.LoginByEmail(ctx, "a@x.test")
			must(t, err)
			eq(t, "hash", u.PasswordHash, "h1")
			wantNotFound(t, q.SetLoginPassword(ctx, "cus_1", "usr_seat", "h"))
			wantNotFound(t, q.SetLoginPassword(ctx, "cus_2", "usr_1", "h"))
			// Another account's invitation of the same e-mail.
			fxLogin(t, q, "cus_2", "usr_2", "a@x.test", "admin", "")
			wantCode(t, q.SetLoginPassword(ctx, "cus_2", "usr_2", "h2"), market.CodeConflict, "email")
		},
		"Q.SetUserEmail": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			c := fxCustomer(t, q, "cus_1")
			fxCustomer(t, q, "cus_2")
			fxLogin(t, q, "cus_1", "usr_o", c.Email, "owner", "h")
			fxUser(t, q, "cus_1", "usr_s", "seat@x.test", "")
			fxLogin(t, q, "cus_2", "usr_x", "x@x.test", "owner", "h")
			must(t, q.SetUserEmail(ctx, "cus_1", "usr_o", "new@x.test"))
			got, err := q.Customer(ctx, "cus_1")
			must(t, err)
			eq(t, "customer e-mail", got.Email, "new@x.test")
			must(t, q.SetUserEmail(ctx, "cus_1", "usr_s", "seat2@x.test"))
			got, _ = q.Customer(ctx, "cus_1")
			eq(t, "customer e-mail after a seat's change", got.Email, "new@x.test")
			wantNotFound(t, q.SetUserEmail(ctx, "cus_2", "usr_o", "y@x.test"))
			// Last: on PostgreSQL the failed statement ends the transaction.
			wantCode(t, q.SetUserEmail(ctx, "cus_1", "usr_o", "SEAT2@x.test"), market.CodeConflict, "email")
		},
		"Q.SetCompany": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			must(t, q.SetCompany(ctx, "cus_1", "Acme AG"))
			c, err := q.Customer(ctx, "cus_1")
			must(t, err)
			eq(t, "company", c.Company, "Acme AG")
			wantNotFound(t, q.SetCompany(ctx, "cus_none", "x"))
		},
		"Q.InsertLoginToken": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxLogin(t, q, "cus_1", "usr_1", "a@x.test", "viewer", "")
			tok := market.LoginToken{TokenHash: "h1", UserID: "usr_1", CustomerID: "cus_1", Purpose: "invitation", CreatedAt: µs(tµ), ExpiresAt: µs(tµ.Add(time.Hour))}
			must(t, q.InsertLoginToken(ctx, tok))
			got, ok, err := q.LoginTokenValid(ctx, "h1", tµ)
			must(t, err)
			eq(t, "token", got, tok)
			eq(t, "valid", ok, true)
			if err := q.InsertLoginToken(ctx, tok); err == nil {
				t.Error("a token hash was stored twice")
			}
		},
		"Q.LoginTokenValid": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxLogin(t, q, "cus_1", "usr_1", "a@x.test", "viewer", "")
			must(t, q.InsertLoginToken(ctx, market.LoginToken{TokenHash: "h1", UserID: "usr_1", CustomerID: "cus_1", Purpose: "reset", CreatedAt: tµ, ExpiresAt: tµ.Add(time.Hour)}))
			_, ok, err := q.LoginTokenValid(ctx, "h1", tµ.Add(time.Hour-time.Microsecond))
			must(t, err)
			eq(t, "valid before expiry", ok, true)
			_, ok, err = q.LoginTokenValid(ctx, "h1", tµ.Add(time.Hour))
			must(t, err)
			eq(t, "valid at expiry", ok, false)
			_, ok, err = q.LoginTokenValid(ctx, "h_none", tµ)
			must(t, err)
			eq(t, "unknown", ok, false)
		},
		"Q.TakeLoginToken": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxLogin(t, q, "cus_1", "usr_1", "a@x.test", "viewer", "")
			tok := market.LoginToken{TokenHash: "h1", UserID: "usr_1", CustomerID: "cus_1", Purpose: "reset", CreatedAt: µs(tµ), ExpiresAt: µs(tµ.Add(time.Hour))}
			must(t, q.InsertLoginToken(ctx, tok))
			must(t, q.InsertLoginToken(ctx, market.LoginToken{TokenHash: "h2", UserID: "usr_1", CustomerID: "cus_1", Purpose: "reset", CreatedAt: tµ, ExpiresAt: tµ.Add(time.Hour)}))
			got, err := q.TakeLoginToken(ctx, "h1", tµ)
			must(t, err)
			eq(t, "taken", got, tok)
			_, err = q.TakeLoginToken(ctx, "h1", tµ) // once
			wantNotFound(t, err)
			_, err = q.TakeLoginToken(ctx, "h2", tµ.Add(time.Hour)) // expired: gone too
			wantNotFound(t, err)
			_, ok, err := q.LoginTokenValid(ctx, "h2", tµ)
			must(t, err)
			eq(t, "expired token kept", ok, false)
		},
		"Q.DeleteLoginTokens": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxLogin(t, q, "cus_1", "usr_1", "a@x.test", "viewer", "")
			fxLogin(t, q, "cus_1", "usr_2", "b@x.test", "viewer", "")
			for _, tk := range []market.LoginToken{{TokenHash: "i1", UserID: "usr_1", Purpose: "invitation"}, {TokenHash: "r1", UserID: "usr_1", Purpose: "reset"},
				{TokenHash: "r2", UserID: "usr_2", Purpose: "reset"}} {
				tk.CustomerID, tk.CreatedAt, tk.ExpiresAt = "cus_1", tµ, tµ.Add(time.Hour)
				must(t, q.InsertLoginToken(ctx, tk))
			}
			valid := func(h string) bool {
				_, ok, err := q.LoginTokenValid(ctx, h, tµ)
				must(t, err)
				return ok
			}
			must(t, q.DeleteLoginTokens(ctx, "usr_1", "reset"))
			eq(t, "after deleting usr_1's resets", [3]bool{valid("i1"), valid("r1"), valid("r2")}, [3]bool{true, false, true})
			must(t, q.DeleteLoginTokens(ctx, "usr_1", ""))
			eq(t, "after deleting all of usr_1's", [3]bool{valid("i1"), valid("r1"), valid("r2")}, [3]bool{false, false, true})
		},
		"Q.ForgetMailSecret": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			for _, n := range []market.Notification{{ID: "ntf_t", Type: "password_reset", ObjectType: "login_token", ObjectID: "secret"},
				{ID: "ntf_s", Type: "renewal_reminder", ObjectType: "subscription", ObjectID: "sub_1"}} {
				n.CustomerID, n.Subject, n.Body, n.DedupeKey, n.CreatedAt = "cus_1", "s", "b", n.ID, tµ
				_, err := q.InsertNotification(ctx, n)
				must(t, err)
				must(t, q.InsertOutbox(ctx, "out"+n.ID[3:], n.ID, "a@x.test", tµ))
			}
			must(t, q.ForgetMailSecret(ctx, "out_t"))
			must(t, q.ForgetMailSecret(ctx, "out_s"))
			ms, err := q.LeaseOutbox(ctx, tµ, tµ.Add(time.Minute), 10)
			must(t, err)
			objs := map[string]string{}
			for _, m := range ms {
				objs[m.ID] = m.ObjectID
			}
			eq(t, "objects", objs, map[string]string{"out_t": "", "out_s": "sub_1"})
			// A customer's list never shows a login token's notification.
			ns, err := q.Notifications(ctx, "cus_1", store.Page{})
			must(t, err)
			if len(ns) != 1 || ns[0].ID != "ntf_s" {
				t.Errorf("notifications: %+v", ns)
			}
		},
	})
}

func fxLogin(t *testing.T, q *store.Q, customerID, id, email, role, hash string) market.User {
	t.Helper()
	u := market.User{ID: id, CustomerID: customerID, Name: "Login " + id, Email: email, PasswordHash: hash, Role: role,
		Extension: id, CreatedAt: tµ}
	must(t, q.InsertUser(ctx, u))
	u.CreatedAt = µs(tµ)
	return u
}
