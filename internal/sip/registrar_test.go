package sip_test

import (
	"context"
	"strings"
	"testing"
	"time"

	gosip "github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dialtone/dialtone/internal/clock"
	"github.com/dialtone/dialtone/internal/id"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/sip"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

func TestRegister(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		r := newRig(t, st, sip.Config{})
		for _, alg := range []string{"SHA-256", "MD5"} {
			for _, tp := range []string{"udp", "tcp"} {
				t.Run(alg+"/"+tp, func(t *testing.T) {
					a := r.newAccount(t, "trunk", "")
					p := newPhone(t, r, a)
					p.algorithm, p.transport = alg, tp

					// Unauthenticated: a challenge offering both algorithms.
					res := p.do(p.request(gosip.REGISTER, contact(5070), expires(300)))
					if res.StatusCode != 401 || len(res.GetHeaders("WWW-Authenticate")) != 2 {
						t.Fatalf("got %s, want 401 with two challenges", res.String())
					}
					if len(r.bindings(t, a)) != 0 {
						t.Fatal("a binding before authentication")
					}
					res = p.answer(res, contact(5070), expires(300))
					if res.StatusCode != 200 {
						t.Fatalf("register: got %d %s, want 200", res.StatusCode, res.Reason)
					}
					if got := contactsOf(res); len(got) != 1 || !strings.Contains(got[0], "expires=300") {
						t.Fatalf("200's contacts: got %v, want the one with expires=300", got)
					}
					bs := r.bindings(t, a)
					if len(bs) != 1 {
						t.Fatalf("bindings: got %d, want 1", len(bs))
					}
					b := bs[0]
					if b.UserAgent != "test-phone/1.0" || b.Transport != strings.ToUpper(tp) || !strings.HasPrefix(b.Source, "127.0.0.1:") ||
						!strings.Contains(b.Contact, "sip:phone@127.0.0.1:5070") || !b.ExpiresAt.Equal(r.clock.Now().Add(300*time.Second)) {
						t.Fatalf("binding: got %+v", b)
					}
				})
			}
		}
	})
}

func TestRegisterRefreshUnregister(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		r := newRig(t, st, sip.Config{})
		a := r.account
		p := newPhone(t, r, a)
		if res := p.register(contact(5070), expires(300)); res.StatusCode != 200 {
			t.Fatalf("register: got %d", res.StatusCode)
		}
		first := r.bindings(t, a)[0]

		// A second device on the same account.
		if res := p.register(contact(5071), expires(600)); res.StatusCode != 200 || len(contactsOf(res)) != 2 {
			t.Fatalf("second contact: got %d with %v, want 200 listing both", res.StatusCode, contactsOf(res))
		}

		// A refresh 100 s later moves the expiry, keeps since when.
		r.clock.Advance(100 * time.Second)
		if res := p.register(contact(5070), expires(300)); res.StatusCode != 200 {
			t.Fatalf("refresh: got %d", res.StatusCode)
		}
		bs := r.bindings(t, a)
		if len(bs) != 2 {
			t.Fatalf("bindings after refresh: got %d, want 2", len(bs))
		}
		for _, b := range bs {
			if b.Contact == first.Contact {
				if !b.ExpiresAt.Equal(r.clock.Now().Add(300*time.Second)) || !b.CreatedAt.Equal(first.CreatedAt) {
					t.Fatalf("refreshed: got expires %s since %s, want %s since %s", b.ExpiresAt, b.CreatedAt,
						r.clock.Now().Add(300*time.Second), first.CreatedAt)
				}
			}
		}

		// A query (no Contact) lists them and changes nothing.
		if res := p.register(); res.StatusCode != 200 || len(contactsOf(res)) != 2 {
			t.Fatalf("query: got %d with %v", res.StatusCode, contactsOf(res))
		}

		// Expires: 0 removes one binding; its expires param does too.
		if res := p.register(contact(5070), expires(0)); res.StatusCode != 200 || len(contactsOf(res)) != 1 {
			t.Fatalf("unregister: got %d with %v, want 200 with one left", res.StatusCode, contactsOf(res))
		}
		if res := p.register(contact(5071, "expires", "0")); res.StatusCode != 200 || len(contactsOf(res)) != 0 {
			t.Fatalf("unregister by param: got %d with %v", res.StatusCode, contactsOf(res))
		}
		if bs := r.bindings(t, a); len(bs) != 0 {
			t.Fatalf("bindings after unregister: got %d, want 0", len(bs))
		}

		// "*" with Expires: 0 removes all; "*" without it is 400.
		p.register(contact(5070), expires(300))
		p.register(contact(5072), expires(300))
		star := &gosip.ContactHeader{Address: gosip.Uri{Wildcard: true}}
		if res := p.register(star); res.StatusCode != 400 || len(r.bindings(t, a)) != 2 {
			t.Fatalf("* without Expires: got %d, want 400 and both kept", res.StatusCode)
		}
		if res := p.register(star, expires(0)); res.StatusCode != 200 || len(r.bindings(t, a)) != 0 {
			t.Fatalf("* with Expires 0: got %d, bindings %d", res.StatusCode, len(r.bindings(t, a)))
		}
	})
}

func TestRegisterRefused(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		r := newRig(t, st, sip.Config{})
		a := r.account

		wrong := newPhone(t, r, a)
		wrong.password = "not-the-password"
		resWrong := wrong.register(contact(5070), expires(300))

		unknown := newPhone(t, r, a)
		unknown.username = "nobody-" + id.Secret(4)
		resUnknown := unknown.register(contact(5070), expires(300))

		for name, res := range map[string]*gosip.Response{"wrong password": resWrong, "unknown user": resUnknown} {
			if res.StatusCode != 401 || len(res.GetHeaders("WWW-Authenticate")) != 2 {
				t.Errorf("%s: got %d, want 401 challenged again", name, res.StatusCode)
			}
		}
		if resWrong.Reason != resUnknown.Reason || len(resWrong.Headers()) != len(resUnknown.Headers()) {
			t.Errorf("a wrong password and an unknown user differ: %q vs %q", resWrong.String(), resUnknown.String())
		}
		if len(r.bindings(t, a)) != 0 {
			t.Fatal("a refused REGISTER left a binding")
		}

		// Credentials of one account cannot register another's address.
		other := r.newAccount(t, "trunk", "")
		p := newPhone(t, r, a)
		p.toUser = other.Username
		if res := p.register(contact(5070), expires(300)); res.StatusCode != 403 {
			t.Fatalf("another's address: got %d, want 403", res.StatusCode)
		}
		if len(r.bindings(t, other)) != 0 || len(r.bindings(t, a)) != 0 {
			t.Fatal("a refused REGISTER left a binding")
		}
	})
}

func TestRegisterExpiry(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		r := newRig(t, st, sip.Config{MinExpires: 60, MaxExpires: 3600})
		a := r.account
		p := newPhone(t, r, a)

		// Too brief: 423 with Min-Expires, nothing bound.
		res := p.register(contact(5070), expires(10))
		if res.StatusCode != 423 || res.GetHeader("Min-Expires") == nil || res.GetHeader("Min-Expires").Value() != "60" {
			t.Fatalf("got %s, want 423 with Min-Expires: 60", res.String())
		}
		if len(r.bindings(t, a)) != 0 {
			t.Fatal("423 left a binding")
		}
		// Too long: shortened to the maximum.
		if res := p.register(contact(5070), expires(86400)); res.StatusCode != 200 || !strings.Contains(contactsOf(res)[0], "expires=3600") {
			t.Fatalf("got %d %v, want 200 with expires=3600", res.StatusCode, contactsOf(res))
		}
		// A binding lapses at its expiry, without any request.
		r.clock.Advance(3599 * time.Second)
		if len(r.bindings(t, a)) != 1 {
			t.Fatal("lapsed a second early")
		}
		r.clock.Advance(time.Second)
		if len(r.bindings(t, a)) != 0 {
			t.Fatal("still bound at its expiry")
		}
		// The sweep deletes it; a new registration starts a new "since".
		if n, err := r.reg.Sweep(context.Background()); err != nil || n != 1 {
			t.Fatalf("sweep: got %d, %v; want 1 binding swept", n, err)
		}
	})
}

func TestNonces(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		r := newRig(t, st, sip.Config{NonceTTL: time.Minute})
		a := r.account
		p := newPhone(t, r, a)
		if res := p.register(contact(5070), expires(300)); res.StatusCode != 200 {
			t.Fatalf("register: got %d", res.StatusCode)
		}
		// The same Authorization again (same nonce and count): a replay.
		replay := p.request(gosip.REGISTER, contact(5090), expires(300))
		replay.AppendHeader(gosip.NewHeader("Authorization", p.lastAuth))
		if res := p.do(replay); res.StatusCode != 401 {
			t.Fatalf("replay: got %d, want 401", res.StatusCode)
		}
		for _, b := range r.bindings(t, a) {
			if strings.Contains(b.Contact, "5090") {
				t.Fatal("a replayed REGISTER made a binding")
			}
		}
		// The nonce expires: a right answer to an old challenge is stale.
		res := p.do(p.request(gosip.REGISTER, contact(5070), expires(300)))
		r.clock.Advance(61 * time.Second)
		res = p.answer(res, contact(5070), expires(300))
		if res.StatusCode != 401 || !strings.Contains(res.GetHeader("WWW-Authenticate").Value(), "stale=true") {
			t.Fatalf("stale nonce: got %s, want 401 stale=true", res.String())
		}
		// A nonce we did not make is challenged.
		forged := p.request(gosip.REGISTER, contact(5070), expires(300))
		forged.AppendHeader(gosip.NewHeader("Authorization", strings.Replace(p.lastAuth, `nonce="`, `nonce="x`, 1)))
		if res := p.do(forged); res.StatusCode != 401 {
			t.Fatalf("forged nonce: got %d, want 401", res.StatusCode)
		}
	})
}

func TestOtherMethods(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		r := newRig(t, st, sip.Config{})
		p := newPhone(t, r, r.account)
		for _, tt := range []struct {
			method gosip.RequestMethod
			want   int
		}{{gosip.OPTIONS, 200}, {gosip.SUBSCRIBE, 405}, {gosip.MESSAGE, 405}, {gosip.BYE, 405}, {"FOO", 501}} {
			res := p.do(p.request(tt.method))
			if res.StatusCode != tt.want {
				t.Errorf("%s: got %d, want %d", tt.method, res.StatusCode, tt.want)
			}
			if tt.want != 200 && res.GetHeader("Allow") == nil {
				t.Errorf("%s: no Allow header", tt.method)
			}
		}
	})
}

// TestSuspendedUser: a user's account whose subscription expired is
// refused with 403 and loses its bindings.
func TestSuspendedUser(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		r := newRig(t, st, sip.Config{})
		owner := r.account
		day := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
		sub := market.Subscription{ID: testIDs.New("sub"), CustomerID: owner.CustomerID, Product: "hosted-pbx", Plan: "hosted-pbx-basic",
			TermMonths: 1, Status: market.StatusActive, Currency: "EUR", StartedAt: day.AddDate(0, -1, 0), ExpiresAt: day.Add(time.Hour)}
		u := market.User{ID: testIDs.New("usr"), CustomerID: owner.CustomerID, Name: "Ann", Email: id.Secret(4) + "@example.com", Role: "member",
			SubscriptionID: sub.ID, Extension: "101", CreatedAt: day}
		acct := market.SIPAccount{ID: testIDs.New("sip"), CustomerID: owner.CustomerID, Kind: "user", Username: "u101-" + id.Secret(4),
			Password: id.Secret(12), Domain: realm, UserID: u.ID, CreatedAt: day}
		if err := st.Tx(ctx, func(q *store.Q) error {
			if err := q.UpsertProduct(ctx, "hosted-pbx", "Hosted PBX", ""); err != nil {
				return err
			}
			if err := q.InsertPlan(ctx, market.Plan{Code: sub.Plan, Product: "hosted-pbx", Name: "Basic", Rank: 1, MinLicenses: 1,
				MaxLicenses: 10, Terms: []int{1}}, day); err != nil {
				return err
			}
			if err := q.InsertSubscription(ctx, sub, day); err != nil {
				return err
			}
			u.SIPAccountID = acct.ID
			if err := q.InsertSIPAccount(ctx, acct); err != nil {
				return err
			}
			return q.InsertUser(ctx, u)
		}); err != nil {
			t.Fatal(err)
		}
		p := newPhone(t, r, acct)
		if res := p.register(contact(5070), expires(300)); res.StatusCode != 200 {
			t.Fatalf("active user: got %d, want 200", res.StatusCode)
		}
		// Two hours later (business time) the subscription has expired:
		// the sweep removes the user's bindings without any request...
		later := newRig(t, st, sip.Config{Clock: clock.NewFrozen(day.Add(2 * time.Hour))})
		if n, err := r.reg.Sweep(ctx); err != nil || n != 0 {
			t.Fatalf("sweep while active: got %d, %v; want nothing removed", n, err)
		}
		if n, err := later.reg.Sweep(ctx); err != nil || n != 1 {
			t.Fatalf("sweep once suspended: got %d, %v; want the binding removed", n, err)
		}
		// ...and a REGISTER is refused, and removes any it finds.
		if res := p.register(contact(5071), expires(300)); res.StatusCode != 200 {
			t.Fatalf("active user: got %d, want 200", res.StatusCode)
		}
		p2 := newPhone(t, later, acct)
		if res := p2.register(contact(5070), expires(300)); res.StatusCode != 403 {
			t.Fatalf("suspended user: got %d, want 403", res.StatusCode)
		}
		if bs := r.bindings(t, acct); len(bs) != 0 {
			t.Fatalf("suspended user's bindings: got %d, want none", len(bs))
		}
	})
}

// TestThrottle: failed digests are throttled per source address and per
// username; right credentials get through again once the bucket refills.
func TestThrottle(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		t.Run("PerSource", func(t *testing.T) {
			r := newRig(t, st, sip.Config{ThrottleIPBurst: 3, ThrottleUserBurst: 100, ThrottleEvery: 10 * time.Second})
			wrong := newPhone(t, r, r.account)
			wrong.password = "guess"
			for i := range 3 {
				if res := wrong.register(contact(5070), expires(300)); res.StatusCode != 401 {
					t.Fatalf("guess %d: got %d, want 401", i+1, res.StatusCode)
				}
			}
			// Now even another account's right password from this address waits.
			other := r.newAccount(t, "trunk", "")
			if res := newPhone(t, r, other).register(contact(5070), expires(300)); res.StatusCode != 403 {
				t.Fatalf("throttled source: got %d, want 403", res.StatusCode)
			}
			if res := wrong.register(contact(5070), expires(300)); res.StatusCode != 403 {
				t.Fatalf("throttled guess: got %d, want 403", res.StatusCode)
			}
			r.clock.Advance(10 * time.Second)
			if res := newPhone(t, r, other).register(contact(5070), expires(300)); res.StatusCode != 200 {
				t.Fatalf("after the refill: got %d, want 200", res.StatusCode)
			}
			if len(r.bindings(t, r.account)) != 0 {
				t.Fatal("guesses made a binding")
			}
		})
		t.Run("PerUsername", func(t *testing.T) {
			r := newRig(t, st, sip.Config{ThrottleIPBurst: 100, ThrottleUserBurst: 2, ThrottleEvery: 10 * time.Second})
			wrong := newPhone(t, r, r.account)
			wrong.password = "guess"
			wrong.register(contact(5070), expires(300))
			wrong.register(contact(5070), expires(300))
			if res := newPhone(t, r, r.account).register(contact(5070), expires(300)); res.StatusCode != 403 {
				t.Fatalf("throttled username: got %d, want 403", res.StatusCode)
			}
			// Another username from the same address is not slowed.
			other := r.newAccount(t, "trunk", "")
			if res := newPhone(t, r, other).register(contact(5070), expires(300)); res.StatusCode != 200 {
				t.Fatalf("another username: got %d, want 200", res.StatusCode)
			}
		})
	})
}

// TestMetrics: the registrar counts its answers, its refusals and the live
// bindings.
func TestMetrics(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		reg := prometheus.NewRegistry()
		r := newRig(t, st, sip.Config{Metrics: reg, Now: time.Now})
		p := newPhone(t, r, r.account)
		if res := p.register(contact(5070), expires(300)); res.StatusCode != 200 {
			t.Fatalf("register: got %d", res.StatusCode)
		}
		wrong := newPhone(t, r, r.account)
		wrong.password = "guess"
		wrong.register(contact(5071), expires(300))
		for _, tt := range []struct {
			name   string
			labels map[string]string
			want   float64
		}{
			{"dialtone_sip_requests_total", map[string]string{"method": "REGISTER", "code": "200"}, 1},
			{"dialtone_sip_requests_total", map[string]string{"method": "REGISTER", "code": "401"}, 3},
			{"dialtone_sip_register_failures_total", map[string]string{"reason": "wrong_credentials"}, 1},
			{"dialtone_sip_bindings_active", nil, 1},
		} {
			if got := metricValue(t, reg, tt.name, tt.labels); got != tt.want {
				t.Errorf("%s%v: got %v, want %v", tt.name, tt.labels, got, tt.want)
			}
		}
	})
}

func metricValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					continue next
				}
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return -1
}

// TestOddUsername: a username PostgreSQL cannot store (invalid UTF-8, NUL)
// in an answer to a real challenge is challenged again, never a 500.
func TestOddUsername(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		r := newRig(t, st, sip.Config{})
		p := newPhone(t, r, r.account)
		for _, user := range []string{"b\xffd", "a\x00b", strings.Repeat("u", 300)} {
			res := p.do(p.request(gosip.REGISTER, contact(5070), expires(300)))
			chal := p.pick(res)
			req := p.request(gosip.REGISTER, contact(5070), expires(300))
			auth := `Digest username="` + user + `", realm="` + chal.Realm + `", nonce="` + chal.Nonce +
				`", uri="sip:x", algorithm=SHA-256, qop=auth, nc=00000001, cnonce="abc", response="00"`
			req.AppendHeader(gosip.NewHeader("Authorization", auth))
			if res := p.do(req); res.StatusCode != 401 {
				t.Errorf("username %q: got %d %s, want 401", user, res.StatusCode, res.Reason)
			}
		}
	})
}

// TestContactLimitAndOrder: at most MaxContacts live contacts (403 beyond,
// nothing changed), and a REGISTER of a binding's Call-ID must come with a
// higher CSeq (RFC 3261 section 10.3 step 7).
func TestContactLimitAndOrder(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		r := newRig(t, st, sip.Config{MaxContacts: 2})
		p := newPhone(t, r, r.account)
		p.register(contact(5070), expires(300))
		p.register(contact(5071), expires(300))
		if res := p.register(contact(5072), expires(300)); res.StatusCode != 403 {
			t.Fatalf("third contact: got %d, want 403", res.StatusCode)
		}
		if bs := r.bindings(t, r.account); len(bs) != 2 {
			t.Fatalf("bindings: got %d, want 2", len(bs))
		}
		// Replacing one is fine: remove one, add another in one request.
		if res := p.register(contact(5071, "expires", "0"), contact(5072)); res.StatusCode != 200 || len(contactsOf(res)) != 2 {
			t.Fatalf("swap: got %d %v", res.StatusCode, contactsOf(res))
		}
		// An older CSeq of the same Call-ID is refused and changes nothing.
		p.cseq = 1
		if res := p.register(contact(5070), expires(0)); res.StatusCode != 400 {
			t.Fatalf("old CSeq: got %d, want 400", res.StatusCode)
		}
		if bs := r.bindings(t, r.account); len(bs) != 2 {
			t.Fatalf("bindings after an old CSeq: got %d, want 2", len(bs))
		}
	})
}
