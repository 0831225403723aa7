package sip

import (
	"context"
	"log/slog"
	"time"

	"github.com/dialtone/dialtone/internal/store"
)

// throttle slows down guessing of SIP passwords: every failed digest (a
// wrong password, an unknown username, a replayed nonce) is counted
// against its source address and its username. While either has failed
// more than its burst, REGISTERs with credentials from that address or for
// that username are refused with 403 without looking at them; each key
// may fail once more per interval, so a brute-force run gets a few guesses
// a minute. A challenge (no credentials) or a stale nonce costs nothing,
// so phones that refresh correctly are never slowed.
//
// The counts are kept in the database, in the log-in throttle's table
// (login_throttles, store/throttle.go: one GCRA cell per key, on the wall
// clock, a security timer), under keys of their own ("sip-addr:",
// "sip-user:"), so that every process sharing the database enforces one
// limit.
type throttle struct {
	st        *store.Store
	every     time.Duration
	ipBurst   int
	userBurst int
	log       *slog.Logger
}

func newThrottle(st *store.Store, every time.Duration, ipBurst, userBurst int, log *slog.Logger) *throttle {
	return &throttle{st: st, every: every, ipBurst: ipBurst, userBurst: userBurst, log: log}
}

func ipKey(ip string) string     { return "sip-addr:" + ip }
func userKey(user string) string { return "sip-user:" + user }

// over reports whether a key with theoretical arrival time tat is
// throttled at now: more than burst-1 intervals are owed.
func (t *throttle) over(tat, now time.Time, burst int) bool {
	return tat.Sub(now) > time.Duration(burst-1)*t.every
}

// blocked reports whether credentials from ip for user are refused now,
// given the keys' theoretical arrival times tats (read with the account,
// store.Q.LockSIPAccountForRegister).
func (t *throttle) blocked(tats map[string]time.Time, ip, user string, now time.Time) bool {
	if tat, ok := tats[ipKey(ip)]; ok && t.over(tat, now, t.ipBurst) {
		return true
	}
	tat, ok := tats[userKey(user)]
	return ok && t.over(tat, now, t.userBurst)
}

// failed counts a failed digest from ip for user, and logs the start of
// a run of throttling of either.
func (t *throttle) failed(ctx context.Context, ip, user string, now time.Time) {
	// One statement (one round trip on PostgreSQL).
	tats, err := t.st.ChargeThrottles(ctx, now, t.every, ipKey(ip), userKey(user))
	if err != nil {
		t.log.Error("sip: count a failed digest", "err", err)
		return
	}
	// The failure that made a key throttled is the one whose tat is now
	// just past the limit (less than one interval beyond it).
	if tat := tats[ipKey(ip)]; t.over(tat, now, t.ipBurst) && !t.over(tat.Add(-t.every), now, t.ipBurst) {
		t.log.Warn("sip: failed digests throttled", "source", ip)
	}
	if tat := tats[userKey(user)]; t.over(tat, now, t.userBurst) && !t.over(tat.Add(-t.every), now, t.userBurst) {
		t.log.Warn("sip: failed digests throttled", "username", user)
	}
}

// sweep forgets the keys that count nothing any more.
func (t *throttle) sweep(ctx context.Context, now time.Time) {
	if err := t.st.Tx(ctx, func(q *store.Q) error { return q.PruneThrottles(ctx, now) }); err != nil {
		t.log.Error("sip: prune the throttle", "err", err)
	}
}
