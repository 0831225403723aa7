// Package sip is dialtone's SIP registrar (RFC 3261 section 10): phones
// and PBXs REGISTER their contacts for a customer's SIP account with
// digest authentication (RFC 8760: SHA-256 and MD5, qop=auth), and the
// bindings are kept in the database so that every dialtone process sharing
// it answers alike (and the API and portal show what is connected).
//
// Time: a binding's expiry is real-world protocol time, agreed with the
// phone in seconds, so it is measured on the wall clock (Config.Now), like
// the nonces' age (a security timer). Only whether a user's subscription is
// in force is business time, read from the business clock (Config.Clock),
// as everywhere else in dialtone.
//
// The transport (UDP and TCP) is github.com/emiago/sipgo; it has no
// registrar, so the nonces, the binding store and expiry are ours. Handle
// is the whole of the message handling, free of the network, so it can be
// tested and fuzzed directly.
package sip

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	gosip "github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/clock"
	"github.com/dialtone/dialtone/internal/id"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
)

// Config tunes the registrar. Zero fields take the defaults named.
type Config struct {
	// Realm is the SIP domain, the digest realm (default sip.dialtone.local).
	Realm string
	// MinExpires, MaxExpires and DefaultExpires bound a binding's lifetime
	// in seconds (defaults 60, 3600, 3600): a shorter non-zero request is
	// refused with 423 Interval Too Brief, a longer one is shortened.
	MinExpires, MaxExpires, DefaultExpires int
	// MaxContacts is how many live contacts one account may have
	// (default 10); a REGISTER that would exceed it gets 403.
	MaxContacts int
	// NonceTTL is how long a nonce may be used (default 5 minutes); a
	// later use with a right password gets a new one with stale=true.
	NonceTTL time.Duration
	// Algorithms are the digest algorithms offered, in the order of the
	// challenges (RFC 8760: a phone takes the first it supports); default
	// SHA-256, MD5. Phones that read only the first challenge and know only
	// MD5 (sipp 3.6, older devices) need MD5 first.
	Algorithms []string
	// Now is the wall clock (default time.Now); tests may drive it.
	Now func() time.Time
	// Clock is the business clock, for whether a subscription is in force
	// (default the wall clock).
	Clock clock.Clock
	// Log receives failures (default: discarded).
	Log *slog.Logger
	// Metrics, if set, gets the registrar's metrics (metrics.go).
	Metrics prometheus.Registerer
	// ThrottleEvery, ThrottleIPBurst and ThrottleUserBurst tune the
	// throttle of failed digests (throttle.go): after a burst of failures
	// (defaults 10 per source address, 20 per username) one more attempt
	// per interval (default 10 s).
	ThrottleEvery                      time.Duration
	ThrottleIPBurst, ThrottleUserBurst int
	// Events, if set, is told when an account becomes reachable (its
	// first live binding) or unreachable (its last one goes: unregistered,
	// lapsed, suspended), in the transaction of the change
	// (billing.Service: a notification and a webhook event).
	Events Events
}

// Events is told of an account's changes of state (see Config.Events).
type Events interface {
	// live are a's live bindings after the change: some when it became
	// reachable, none when it became unreachable.
	SIPRegistrationChanged(ctx context.Context, q *store.Q, a market.SIPAccount, live []market.SIPBinding, why string, now time.Time) error
}

func (c *Config) defaults() {
	if c.Realm == "" {
		c.Realm = "sip.dialtone.local"
	}
	if c.MinExpires <= 0 {
		c.MinExpires = 60
	}
	if c.MaxExpires <= 0 {
		c.MaxExpires = 3600
	}
	if c.MaxExpires < c.MinExpires {
		c.MaxExpires = c.MinExpires
	}
	if c.DefaultExpires <= 0 {
		c.DefaultExpires = 3600
	}
	c.DefaultExpires = min(max(c.DefaultExpires, c.MinExpires), c.MaxExpires)
	if c.MaxContacts <= 0 {
		c.MaxContacts = 10
	}
	if c.NonceTTL <= 0 {
		c.NonceTTL = 5 * time.Minute
	}
	if len(c.Algorithms) == 0 {
		c.Algorithms = []string{"SHA-256", "MD5"}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Clock == nil {
		c.Clock = clock.Wall{}
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.ThrottleEvery <= 0 {
		c.ThrottleEvery = 10 * time.Second
	}
	if c.ThrottleIPBurst <= 0 {
		c.ThrottleIPBurst = 10
	}
	if c.ThrottleUserBurst <= 0 {
		c.ThrottleUserBurst = 20
	}
}

// Registrar answers SIP requests for the domain.
type Registrar struct {
	st     *store.Store
	cfg    Config
	nonces nonces
	log    *slog.Logger
	th     *throttle
	m      *metrics
	ids    *id.Generator
}

// New returns a registrar on st. It reads (or, at the first start, makes)
// the nonce secret shared by every process on the database.
func New(ctx context.Context, st *store.Store, cfg Config) (*Registrar, error) {
	cfg.defaults()
	var b [32]byte
	_, _ = rand.Read(b[:])
	var secret string
	err := st.Tx(ctx, func(q *store.Q) error {
		var err error
		secret, err = q.InsertSettingOnce(ctx, "sip_nonce_secret", hex.EncodeToString(b[:]))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sip: nonce secret: %w", err)
	}
	for i, a := range cfg.Algorithms {
		cfg.Algorithms[i] = strings.ToUpper(strings.TrimSpace(a))
		if cfg.Algorithms[i] != "MD5" && cfg.Algorithms[i] != "SHA-256" {
			return nil, fmt.Errorf("sip: digest algorithm %q: want MD5 or SHA-256", a)
		}
	}
	key, err := hex.DecodeString(secret)
	if err != nil || len(key) < 16 {
		return nil, errors.New("sip: the stored nonce secret (settings sip_nonce_secret) is not 16+ hex bytes")
	}
	if err := keepHA1(ctx, st, cfg.Realm); err != nil {
		return nil, fmt.Errorf("sip: HA1s of the accounts: %w", err)
	}
	return &Registrar{ids: id.NewGenerator(time.Now), st: st, cfg: cfg, nonces: nonces{secret: key, ttl: cfg.NonceTTL}, log: cfg.Log,
		th: newThrottle(st, cfg.ThrottleEvery, cfg.ThrottleIPBurst, cfg.ThrottleUserBurst, cfg.Log),
		m:  newMetrics(cfg.Metrics, st, cfg.Now)}, nil
}

// keepHA1 computes the HA1s for realm of the accounts that still have
// their plain password but none for realm (made before migration 00013,
// or under another SIP domain), so that the password can be forgotten
// once the customer has seen it.
func keepHA1(ctx context.Context, st *store.Store, realm string) error {
	accts, err := st.Read().SIPAccountsWithoutHA1(ctx, realm)
	if err != nil || len(accts) == 0 {
		return err
	}
	return st.Tx(ctx, func(q *store.Q) error {
		for _, a := range accts {
			md, sh := billing.DigestHA1(a.Username, realm, a.Password)
			if err := q.SetSIPCredentials(ctx, a.ID, a.Password, realm, md, sh); err != nil && !market.IsCode(err, market.CodeNotFound) {
				return err
			}
		}
		return nil
	})
}

// Config returns the registrar's configuration with its defaults filled in.
func (r *Registrar) Config() Config { return r.cfg }

// allow lists the methods we answer, for Allow headers.
const allow = "REGISTER, OPTIONS"

// Handle answers one request. It returns nil for a request that gets no
// response (ACK). It never panics: a failure is logged and answered 500.
func (r *Registrar) Handle(ctx context.Context, req *gosip.Request) (res *gosip.Response) {
	defer func() {
		if v := recover(); v != nil {
			r.log.Error("sip: panic handling a request", "panic", fmt.Sprint(v), "method", string(req.Method))
			res = respond(req, gosip.StatusInternalServerError, "Server Internal Error")
		}
		if res != nil {
			r.m.requests.WithLabelValues(methodLabel(string(req.Method)), strconv.Itoa(res.StatusCode)).Inc()
		}
	}()
	switch req.Method {
	case gosip.REGISTER:
		return r.register(ctx, req)
	case gosip.OPTIONS:
		res = respond(req, gosip.StatusOK, "OK")
		res.AppendHeader(gosip.NewHeader("Allow", allow))
		res.AppendHeader(gosip.NewHeader("Accept", "application/sdp"))
		return res
	case gosip.ACK:
		return nil
	case gosip.CANCEL:
		return respond(req, gosip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
	case gosip.INVITE, gosip.BYE, gosip.SUBSCRIBE, gosip.NOTIFY, gosip.MESSAGE, gosip.INFO,
		gosip.PRACK, gosip.UPDATE, gosip.REFER, gosip.PUBLISH:
		res = respond(req, gosip.StatusMethodNotAllowed, "Method Not Allowed")
		res.AppendHeader(gosip.NewHeader("Allow", allow))
		return res
	default:
		res = respond(req, gosip.StatusNotImplemented, "Not Implemented")
		res.AppendHeader(gosip.NewHeader("Allow", allow))
		return res
	}
}

func respond(req *gosip.Request, code int, reason string) *gosip.Response {
	res := gosip.NewResponseFromRequest(req, code, reason, nil)
	res.AppendHeader(gosip.NewHeader("Server", "dialtone"))
	return res
}

// outcome is how a REGISTER's transaction ended when it did not succeed.
type outcome struct {
	code       int
	reason     string
	metric     string // the failure's reason label
	stale      bool   // a right answer to an expired nonce: challenge anew with stale=true
	minExpires bool   // 423: with Min-Expires
}

func (o *outcome) Error() string { return o.reason }

// register answers a REGISTER (RFC 3261 section 10.3).
func (r *Registrar) register(ctx context.Context, req *gosip.Request) *gosip.Response {
	to := req.To()
	if to == nil || to.Address.User == "" || req.CallID() == nil || req.CSeq() == nil {
		r.fail("bad_request")
		return respond(req, gosip.StatusBadRequest, "Bad Request: To with a user, Call-ID and CSeq are required")
	}
	now := r.cfg.Now()
	cred, issued, ok := r.credentials(req)
	if !ok {
		if req.GetHeader("Authorization") != nil {
			r.fail("bad_credentials")
		}
		return r.challenge(req, now, false)
	}
	ip := sourceIP(req)
	nc := int64(cred.Nc)
	if cred.QOP == "" {
		nc = 1 // without qop there is no count: the nonce is good once
	}
	// One transaction from the account's lock to its new bindings, in as
	// few round trips as the store allows (store.Store.RegisterSIP: two on
	// PostgreSQL: BEGIN with the account locked, its throttles, the nonce's
	// use, whether its user is suspended and its bindings; then the changes
	// with COMMIT): a REGISTER is the registrar's hot path. Refusals roll
	// it back.
	var live []market.SIPBinding
	refused := false
	reg := store.SIPRegister{Username: cred.Username, KeyA: ipKey(ip), KeyB: userKey(cred.Username), Nonce: cred.Nonce, NC: nc,
		NonceExpires: issued.Add(r.cfg.NonceTTL + time.Minute), BusinessNow: r.cfg.Clock.Now()}
	err := r.st.RegisterSIP(ctx, reg, safe(func(q *store.Q, lk store.SIPRegisterLock) (ch store.SIPBindingChanges, err error) {
		live, refused = nil, false
		a, known, tats := lk.Account, lk.Known, lk.Throttles
		if r.th.blocked(tats, ip, cred.Username, now) {
			return ch, &outcome{code: gosip.StatusForbidden, reason: "Forbidden: too many failed attempts, try again later", metric: "throttled"}
		}
		if !known {
			// The same work as for a known account, so that an unknown
			// username and a wrong password look alike, in time too.
			a = market.SIPAccount{Username: cred.Username, Password: "\x00unknown"}
		}
		if !r.verify(req, cred, a) || !known {
			return ch, &outcome{code: gosip.StatusUnauthorized, reason: "wrong", metric: "wrong_credentials"}
		}
		if !r.nonces.fresh(issued, now) {
			return ch, &outcome{code: gosip.StatusUnauthorized, reason: "stale", metric: "stale_nonce", stale: true}
		}
		if to.Address.User != a.Username {
			return ch, &outcome{code: gosip.StatusForbidden, reason: "Forbidden: these credentials do not register that address", metric: "forbidden"}
		}
		ops, wildcard, bad := r.contacts(req)
		if bad != "" {
			return ch, &outcome{code: gosip.StatusBadRequest, reason: "Bad Request: " + bad, metric: "bad_request"}
		}
		for i, op := range ops {
			if op.expires != 0 && op.expires < r.cfg.MinExpires {
				return ch, &outcome{code: gosip.StatusIntervalToBrief, reason: "Interval Too Brief", metric: "interval_too_brief", minExpires: true}
			}
			ops[i].expires = min(op.expires, r.cfg.MaxExpires)
		}
		if !lk.NonceFresh {
			return ch, &outcome{code: gosip.StatusUnauthorized, reason: "replay", metric: "replay"}
		}
		live, refused, ch, err = r.plan(ctx, q, a, lk, req, ops, wildcard, now)
		return ch, err
	}))
	var o *outcome
	switch {
	case errors.As(err, &o) && o.stale:
		r.fail(o.metric)
		return r.challenge(req, now, true)
	case errors.As(err, &o) && o.code == gosip.StatusUnauthorized:
		r.th.failed(ctx, ip, cred.Username, now)
		r.fail(o.metric)
		return r.challenge(req, now, false)
	case errors.As(err, &o) && o.minExpires:
		r.fail(o.metric)
		res := respond(req, o.code, o.reason)
		res.AppendHeader(gosip.NewHeader("Min-Expires", strconv.Itoa(r.cfg.MinExpires)))
		return res
	case errors.As(err, &o):
		r.fail(o.metric)
		return respond(req, o.code, o.reason)
	case err != nil:
		r.log.Error("sip: register", "err", err, "username", cred.Username)
		return respond(req, gosip.StatusInternalServerError, "Server Internal Error")
	case refused:
		r.fail("suspended")
		return respond(req, gosip.StatusForbidden, "Forbidden: the subscription of this account is not in force")
	}
	res := respond(req, gosip.StatusOK, "OK")
	for _, b := range live {
		secs := int(b.ExpiresAt.Sub(now).Round(time.Second) / time.Second)
		res.AppendHeader(gosip.NewHeader("Contact", "<"+b.Contact+">;expires="+strconv.Itoa(max(secs, 1))))
	}
	res.AppendHeader(gosip.NewHeader("Date", now.UTC().Format(http.TimeFormat)))
	return res
}

// fail counts a refused REGISTER.
func (r *Registrar) fail(reason string) { r.m.failures.WithLabelValues(reason).Inc() }

// sourceIP is the address a request came from, without its port.
func sourceIP(req *gosip.Request) string {
	if host, _, err := net.SplitHostPort(req.Source()); err == nil {
		return host
	}
	return req.Source()
}

// safe turns a panic inside a transaction into its error, so that the
// transaction is rolled back (and its connection and, on SQLite, the write
// lock are not kept) before Handle answers 500.
func safe(fn registerFunc) registerFunc {
	return func(q *store.Q, lk store.SIPRegisterLock) (ch store.SIPBindingChanges, err error) {
		defer func() {
			if v := recover(); v != nil {
				err = fmt.Errorf("sip: panic: %v", v)
			}
		}()
		return fn(q, lk)
	}
}

type registerFunc = func(q *store.Q, lk store.SIPRegisterLock) (store.SIPBindingChanges, error)

// credentials parses the Authorization of req and checks what can be
// checked without the account: realm, algorithm, qop and that the nonce is
// ours. ok is false when the request must be challenged.
func (r *Registrar) credentials(req *gosip.Request) (cred *digest.Credentials, issued time.Time, ok bool) {
	h := req.GetHeader("Authorization")
	if h == nil {
		return nil, time.Time{}, false
	}
	cred, err := digest.ParseCredentials(h.Value())
	if err != nil || cred.Username == "" || len(cred.Username) > 200 || !cleanText(cred.Username) ||
		cred.Realm != r.cfg.Realm || cred.URI == "" || cred.Response == "" {
		return nil, time.Time{}, false
	}
	alg := strings.ToUpper(cred.Algorithm)
	if alg == "" {
		alg = "MD5" // RFC 2617: no algorithm means MD5
	}
	if !slices.Contains(r.cfg.Algorithms, alg) {
		return nil, time.Time{}, false
	}
	switch cred.QOP {
	case "":
	case "auth":
		if cred.Cnonce == "" || cred.Nc <= 0 {
			return nil, time.Time{}, false
		}
	default:
		return nil, time.Time{}, false
	}
	issued, ok = r.nonces.check(cred.Nonce)
	return cred, issued, ok
}

// verify reports whether the digest response of cred is right for the
// account: from its HA1 for the realm (RFC 2617 section 3.2.2.1), or, for
// an account that has none for this realm yet, from its password.
func (r *Registrar) verify(req *gosip.Request, cred *digest.Credentials, a market.SIPAccount) bool {
	alg := strings.ToUpper(cred.Algorithm)
	h := func(s string) string {
		if alg == "SHA-256" {
			b := sha256.Sum256([]byte(s))
			return hex.EncodeToString(b[:])
		}
		b := md5.Sum([]byte(s))
		return hex.EncodeToString(b[:])
	}
	ha1 := ""
	switch {
	case a.HA1Realm == r.cfg.Realm && alg == "SHA-256":
		ha1 = a.HA1SHA256
	case a.HA1Realm == r.cfg.Realm:
		ha1 = a.HA1MD5
	case a.Password != "":
		ha1 = h(cred.Username + ":" + r.cfg.Realm + ":" + a.Password)
	default:
		// Neither: nothing can match (the same work all the same).
		ha1 = h("\x00" + cred.Username)
	}
	ha2 := h(string(req.Method) + ":" + cred.URI)
	want := h(ha1 + ":" + cred.Nonce + ":" + ha2)
	if cred.QOP != "" {
		want = h(ha1 + ":" + cred.Nonce + ":" + fmt.Sprintf("%08x", cred.Nc) + ":" + cred.Cnonce + ":" + cred.QOP + ":" + ha2)
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(cred.Response))) == 1 && ha1 != ""
}

// challenge is 401 with a fresh nonce, one challenge per algorithm in
// the configured order (RFC 8760: in order of preference).
func (r *Registrar) challenge(req *gosip.Request, now time.Time, stale bool) *gosip.Response {
	res := respond(req, gosip.StatusUnauthorized, "Unauthorized")
	nonce := r.nonces.issue(now)
	for _, alg := range r.cfg.Algorithms {
		c := digest.Challenge{Realm: r.cfg.Realm, Nonce: nonce, Algorithm: alg, QOP: []string{"auth"}, Stale: stale}
		res.AppendHeader(gosip.NewHeader("WWW-Authenticate", c.String()))
	}
	return res
}

// Sweep deletes lapsed bindings and expired nonce records, and the
// bindings of users whose subscription is no longer in force (business
// time); serve runs it every 30 s (reads ignore lapsed rows anyway). It
// returns how many bindings went.
func (r *Registrar) Sweep(ctx context.Context) (int64, error) {
	var n int64
	now := r.cfg.Now()
	err := r.st.Tx(ctx, func(q *store.Q) error {
		n = 0
		accts, err := q.SIPAccountsWithLapsedBindings(ctx, now)
		if err != nil {
			return err
		}
		for _, a := range accts {
			// Locked, as a REGISTER locks it, so that one account's last
			// binding goes (and is told) once.
			if a, err = q.LockSIPAccountByUsername(ctx, a.Username); err != nil {
				return err
			}
			lapsed, err := r.settleCount(ctx, q, a, now)
			if err != nil {
				return err
			}
			n += lapsed
		}
		lapsed, err := q.SweepSIP(ctx, now)
		if err != nil {
			return err
		}
		n += lapsed
		suspended, err := q.SuspendedSIPAccounts(ctx, r.cfg.Clock.Now())
		if err != nil {
			return err
		}
		var gone int64
		for _, a := range suspended {
			if a, err = q.LockSIPAccountByUsername(ctx, a.Username); err != nil {
				return err
			}
			before, err := q.SIPBindingsOfAccountAll(ctx, a.ID)
			if err != nil {
				return err
			}
			if err := r.removeAll(ctx, q, a, now, "its user's subscription is not in force"); err != nil {
				return err
			}
			gone += int64(len(before))
		}
		if gone > 0 {
			r.log.Info("sip: bindings of suspended users removed", "bindings", gone)
		}
		n += gone
		return nil
	})
	r.th.sweep(ctx, now)
	return n, err
}

func (r *Registrar) settleCount(ctx context.Context, q *store.Q, a market.SIPAccount, now time.Time) (int64, error) {
	n, err := q.DeleteLapsedSIPBindings(ctx, a.ID, now)
	if err != nil || n == 0 {
		return n, err
	}
	live, err := q.SIPBindings(ctx, a.ID, now)
	if err != nil || len(live) > 0 {
		return n, err
	}
	return n, r.changed(ctx, q, a, nil, "its registration expired", now)
}

// removeAll deletes every binding of the locked account a, telling that
// it is unreachable if one was live.
func (r *Registrar) removeAll(ctx context.Context, q *store.Q, a market.SIPAccount, now time.Time, why string) error {
	live, err := q.DeleteSIPBindings(ctx, a.ID, now)
	if err != nil || live == 0 {
		return err
	}
	return r.changed(ctx, q, a, nil, why, now)
}

// changed tells Config.Events of a change of a's state (live: its
// bindings after the change).
func (r *Registrar) changed(ctx context.Context, q *store.Q, a market.SIPAccount, live []market.SIPBinding, why string, now time.Time) error {
	if r.cfg.Events == nil {
		return nil
	}
	return r.cfg.Events.SIPRegistrationChanged(ctx, q, a, live, why, now)
}
