package store_test

import (
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
)

// Contract: SIP credentials (HA1s) and the bindings' changes of state.
func init() {
	addContract(map[string]contractCase{
		"Q.LockSIPAccountForRegister": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			must(t, q.InsertSIPAccount(ctx, market.SIPAccount{ID: "sip_1", CustomerID: "cus_1", Kind: "trunk", Username: "t1", CreatedAt: tµ,
				HA1Realm: "sip.test", HA1MD5: "md5hex", HA1SHA256: "sha256hex"}))
			must(t, q.ChargeThrottle(ctx, "ip", tµ, time.Second))
			lk, err := q.LockSIPAccountForRegister(ctx, reg("t1", "n1", 1))
			must(t, err)
			a := lk.Account
			eq(t, "account", []any{lk.Known, a.ID, a.CustomerID, a.HA1Realm, a.HA1MD5, a.HA1SHA256, a.CreatedAt},
				[]any{true, "sip_1", "cus_1", "sip.test", "md5hex", "sha256hex", µs(tµ)})
			eq(t, "throttles (absent keys absent)", lk.Throttles, map[string]time.Time{"ip": µs(tµ.Add(time.Second))})
			eq(t, "a new nonce is fresh", lk.NonceFresh, true)
			lk, err = q.LockSIPAccountForRegister(ctx, reg("t1", "n1", 1))
			must(t, err)
			eq(t, "the same count again: a replay", lk.NonceFresh, false)
			lk, err = q.LockSIPAccountForRegister(ctx, reg("t1", "n1", 2))
			must(t, err)
			eq(t, "a higher count is fresh", lk.NonceFresh, true)
			fresh, err := q.UseSIPNonce(ctx, "n1", 2, tµ.Add(time.Hour))
			must(t, err)
			eq(t, "recorded as UseSIPNonce does", fresh, false)
			must(t, q.ChargeThrottle(ctx, "user", tµ, 2*time.Second))
			lk, err = q.LockSIPAccountForRegister(ctx, reg("nobody", "n2", 1))
			must(t, err)
			eq(t, "unknown username: no account, the throttles all the same", []any{lk.Known, lk.Account.ID, lk.Throttles},
				[]any{false, "", map[string]time.Time{"ip": µs(tµ.Add(time.Second)), "user": µs(tµ.Add(2 * time.Second))}})
			fxBinding(t, q, a, "reg_2", "sip:b@192.0.2.1", tµ.Add(time.Second), tµ)
			fxBinding(t, q, a, "reg_1", "sip:a@192.0.2.1", tµ, tµ.Add(time.Hour))
			lk, err = q.LockSIPAccountForRegister(ctx, reg("t1", "n1", 3))
			must(t, err)
			eq(t, "every binding, lapsed too, oldest first", bindingIDs(lk.Bindings), "reg_1 reg_2")
			eq(t, "a trunk is never suspended", lk.Suspended, false)
			fxSuspendable(t, q, tµ)
			lk, err = q.LockSIPAccountForRegister(ctx, reg("u-sip_u", "n3", 1))
			must(t, err)
			eq(t, "a user whose subscription expired at tµ is suspended", []any{lk.Known, lk.Suspended}, []any{true, true})
		},
		"Q.SetSIPCredentials": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			must(t, q.InsertSIPAccount(ctx, market.SIPAccount{ID: "sip_1", CustomerID: "cus_1", Kind: "trunk", Username: "t1", Password: "pw", CreatedAt: tµ}))
			must(t, q.SetSIPCredentials(ctx, "sip_1", "", "sip.test", "md5hex", "sha256hex"))
			a, err := q.SIPAccount(ctx, "cus_1", "sip_1")
			must(t, err)
			eq(t, "credentials", []string{a.Password, a.HA1Realm, a.HA1MD5, a.HA1SHA256}, []string{"", "sip.test", "md5hex", "sha256hex"})
			wantNotFound(t, q.SetSIPCredentials(ctx, "sip_none", "", "r", "a", "b"))
		},
		"Q.SIPAccountsWithoutHA1": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			for _, a := range []market.SIPAccount{
				{ID: "sip_a", Username: "a", Password: "pw"},                                                 // none: listed
				{ID: "sip_b", Username: "b", Password: "pw", HA1Realm: "sip.test"},                           // has them
				{ID: "sip_c", Username: "c", Password: "", HA1Realm: "other"},                                // no password to compute from
				{ID: "sip_d", Username: "d", Password: "pw", HA1Realm: "other", HA1MD5: "x", HA1SHA256: "y"}, // another realm: listed
			} {
				a.CustomerID, a.Kind, a.CreatedAt = "cus_1", "trunk", tµ
				must(t, q.InsertSIPAccount(ctx, a))
			}
			as, err := q.SIPAccountsWithoutHA1(ctx, "sip.test")
			must(t, err)
			var ids []string
			for _, a := range as {
				ids = append(ids, a.ID)
			}
			eq(t, "accounts", ids, []string{"sip_a", "sip_d"})
		},
		"Q.SIPAccountsWithLapsedBindings": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxSIPBindings(t, q)
			as, err := q.SIPAccountsWithLapsedBindings(ctx, tµ)
			must(t, err)
			eq(t, "accounts", len(as), 1)
			eq(t, "account", as[0].ID, "sip_1")
		},
		"Q.DeleteLapsedSIPBindings": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxSIPBindings(t, q)
			n, err := q.DeleteLapsedSIPBindings(ctx, "sip_1", tµ)
			must(t, err)
			eq(t, "deleted", n, int64(1))
			all, err := q.SIPBindingsOfAccountAll(ctx, "sip_1")
			must(t, err)
			eq(t, "left", len(all), 1)
			eq(t, "left live", all[0].Contact, "sip:live@192.0.2.1")
		},
		"Q.SuspendedSIPAccounts": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxSIPBindings(t, q)
			// No user accounts: none suspended.
			as, err := q.SuspendedSIPAccounts(ctx, tµ)
			must(t, err)
			eq(t, "accounts", len(as), 0)
		},
	})
}

// fxSIPBindings stores account sip_1 of cus_1 with a binding lapsed at tµ
// and one live at tµ.
func fxSIPBindings(t *testing.T, q *store.Q) {
	t.Helper()
	fxCustomer(t, q, "cus_1")
	must(t, q.InsertSIPAccount(ctx, market.SIPAccount{ID: "sip_1", CustomerID: "cus_1", Kind: "trunk", Username: "t1", CreatedAt: tµ}))
	for i, c := range []struct {
		contact string
		exp     time.Time
	}{{"sip:old@192.0.2.1", tµ}, {"sip:live@192.0.2.1", tµ.Add(time.Minute)}} {
		must(t, q.PutSIPBinding(ctx, market.SIPBinding{ID: "reg_" + string(rune('a'+i)), SIPAccountID: "sip_1", CustomerID: "cus_1",
			Contact: c.contact, CallID: "c", CSeq: 1, ExpiresAt: c.exp, CreatedAt: tµ, UpdatedAt: tµ}))
	}
}
