package sip

import (
	"log/slog"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// throttle slows down guessing of SIP passwords: every failed digest (a
// wrong password, an unknown username, a replayed nonce) takes a token
// from the bucket of its source address and from that of its username.
// While either is empty, REGISTERs with credentials from that address or
// for that username are refused with 403 without looking at them; a bucket
// refills one token per interval, so a brute-force run gets a few guesses a
// minute. A challenge (no credentials) or a stale nonce costs nothing, so
// phones that refresh correctly are never slowed.
//
// The buckets are this process's memory, on the wall clock (a security
// timer); each process of a cluster throttles on its own.
type throttle struct {
	mu        sync.Mutex
	ip, user  map[string]*bucket
	every     time.Duration
	ipBurst   int
	userBurst int
	log       *slog.Logger
}

type bucket struct {
	lim    *rate.Limiter
	logged bool // the start of this run of throttling was logged
}

// maxBuckets bounds the memory a flood of sources can take; past it, the
// full (idle) buckets are dropped first, then all.
const maxBuckets = 100_000

func newThrottle(every time.Duration, ipBurst, userBurst int, log *slog.Logger) *throttle {
	return &throttle{ip: map[string]*bucket{}, user: map[string]*bucket{}, every: every, ipBurst: ipBurst,
		userBurst: userBurst, log: log}
}

// blocked reports whether credentials from ip for user are refused now.
func (t *throttle) blocked(ip, user string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, b := range []*bucket{t.ip[ip], t.user[user]} {
		if b != nil && b.lim.TokensAt(now) < 1 {
			return true
		}
	}
	return false
}

// failed records a failed digest from ip for user.
func (t *throttle) failed(ip, user string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.take(t.ip, ip, t.ipBurst, now, "source", ip)
	t.take(t.user, user, t.userBurst, now, "username", user)
}

func (t *throttle) take(m map[string]*bucket, key string, burst int, now time.Time, kind, value string) {
	b := m[key]
	if b == nil {
		if len(m) >= maxBuckets {
			t.sweepMap(m, now, 0)
			if len(m) >= maxBuckets {
				clear(m)
			}
		}
		b = &bucket{lim: rate.NewLimiter(rate.Every(t.every), burst)}
		m[key] = b
	}
	b.lim.AllowN(now, 1)
	if b.lim.TokensAt(now) < 1 {
		if !b.logged {
			b.logged = true
			t.log.Warn("sip: failed digests throttled", kind, value)
		}
	} else {
		b.logged = false
	}
}

// sweep drops the buckets that are full again (nothing to remember).
func (t *throttle) sweep(now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sweepMap(t.ip, now, t.ipBurst)
	t.sweepMap(t.user, now, t.userBurst)
}

func (t *throttle) sweepMap(m map[string]*bucket, now time.Time, burst int) {
	for k, b := range m {
		if b.lim.TokensAt(now) >= float64(max(burst, b.lim.Burst())) {
			delete(m, k)
		}
	}
}
