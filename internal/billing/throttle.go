package billing

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
)

// Log-in throttling (PRODUCT.md "Logins and the operator") counts failed
// log-ins only, per e-mail address and per client address, in the database
// (store/throttle.go) so that every process sharing it enforces one limit,
// on wall-clock time. Each key may fail burst times at once, then once per
// interval; correct log-ins are never counted. The two keys refuse
// differently:
//   - A throttled e-mail is refused before the password is checked, the
//     right one too: an answer that told a right password from a wrong one
//     would let guessing at that account go on. Its owner waits
//     Retry-After.
//   - A throttled address is refused only for a wrong password: the
//     password is checked and a correct one succeeds, whatever the
//     address's count, so that an office behind one address whose people
//     mistyped logs in. A wrong guess it refuses still counts for its
//     e-mail (which is what limits guessing at any one account), not again
//     for the address, which already waits.
//
// The check and the count are two steps: requests already past the check
// when a key reaches its limit still count, so the key then waits the
// longer, and over time no key fails more often than once per interval.
type throttleRule struct {
	prefix string
	burst  int
	every  time.Duration
	// what is throttled, in the refusal's words.
	what string
}

// The rules: an e-mail address is guessed at by one attacker from many
// addresses; an address may be an office of many people, each of whom
// mistypes now and then.
var (
	perEmail   = throttleRule{prefix: "email:", burst: 10, every: time.Minute, what: "with this e-mail address"}
	perAddress = throttleRule{prefix: "addr:", burst: 50, every: 6 * time.Second, what: "from your address"}
)

// throttleKeys returns the keys of a log-in: its e-mail address (hashed:
// the table holds no addresses of people) and, if known, the client's.
func throttleKeys(email, from string) map[throttleRule]string {
	return throttleKeysOf(email, from, perEmail, perAddress)
}

// throttleKeysOf are the keys of a log-in (or reset) under the rules
// byEmail (the normalized e-mail address's hash) and byAddress (the
// client's address, when known).
func throttleKeysOf(email, from string, byEmail, byAddress throttleRule) map[throttleRule]string {
	sum := sha256.Sum256([]byte(normEmail(email)))
	keys := map[throttleRule]string{byEmail: byEmail.prefix + hex.EncodeToString(sum[:])}
	if from != "" {
		keys[byAddress] = byAddress.prefix + from
	}
	return keys
}

// checkThrottle returns rate_limited (with "retry_after", whole seconds)
// if the log-in's key of any of the rules (one at least: a call naming
// none would check nothing) has failed too often.
func (s *Service) checkThrottle(ctx context.Context, keys map[throttleRule]string, now time.Time, rule throttleRule, more ...throttleRule) error {
	rules := append([]throttleRule{rule}, more...)
	var ks []string
	for _, r := range rules {
		if k, ok := keys[r]; ok {
			ks = append(ks, k)
		}
	}
	if len(ks) == 0 {
		return nil
	}
	tats, err := s.store.Read().Throttles(ctx, ks...)
	if err != nil {
		return err
	}
	var wait time.Duration
	var what string
	for _, r := range rules {
		tat, ok := tats[keys[r]]
		if !ok {
			continue
		}
		// Throttled while more than burst-1 intervals are owed.
		if w := tat.Sub(now) - time.Duration(r.burst-1)*r.every; w > wait {
			wait, what = w, r.what
		}
	}
	if wait <= 0 {
		return nil
	}
	secs := int64((wait + time.Second - 1) / time.Second)
	return &market.Error{Code: market.CodeRateLimited,
		Message: fmt.Sprintf("too many failed log-ins %s: try again in %s", what, seconds(secs)),
		Extra:   map[string]any{"retry_after": secs}}
}

func seconds(n int64) string {
	if n == 1 {
		return "1 second"
	}
	return strconv.FormatInt(n, 10) + " seconds"
}

// countFailure charges a failed log-in to each of its keys, always in the
// same order (so that two processes charging the same keys cannot
// deadlock), then prunes the keys that have owed nothing for an hour.
func (s *Service) countFailure(ctx context.Context, keys map[throttleRule]string, now time.Time) error {
	err := s.store.Tx(ctx, func(q *store.Q) error {
		for _, r := range []throttleRule{perEmail, perAddress, opPerEmail, opPerAddress} {
			if k, ok := keys[r]; ok {
				if err := q.ChargeThrottle(ctx, k, now, r.every); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Housekeeping outside the transaction: a row that owes nothing counts
	// nothing, so a failure here loses nothing.
	if err := s.store.Read().PruneThrottles(ctx, now.Add(-time.Hour)); err != nil {
		s.log.WarnContext(ctx, "prune login throttles", "err", err)
	}
	return nil
}
