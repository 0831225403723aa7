package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"os"

	"github.com/dialtone/dialtone/internal/api"
	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/web"
)

const (
	maxBody = 1 << 20
)

// scopeOf is whose keys a request's Idempotency-Key lives among: the
// customer's, the operator's, or — for sign-up and log-in — the anonymous
// caller's address, so that strangers' keys never meet.
func scopeOf(r *http.Request) string {
	p, ok := web.PrincipalOf(r.Context())
	switch {
	case ok && p.Operator:
		return "operator"
	case ok:
		return "customer:" + p.CustomerID
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return "anonymous:" + host
}

// capture records a response so that it can be stored and replayed.
type capture struct {
	web.Recorder
	buf bytes.Buffer
}

func (c *capture) Write(b []byte) (int, error) {
	c.buf.Write(b)
	return c.Recorder.Write(b)
}

// withheldType marks a stored response whose body was not kept: it held a
// secret (withholdAnswer).
const withheldType = "application/x-dialtone-withheld"

// idempotency makes every POST with an Idempotency-Key safe to retry: the
// first request's response (status and body) is stored and replayed for
// the same key and the same request within 24 hours; the same key with
// another request is 422 idempotency_key_reused; a request while the first
// still runs is 409 idempotency_key_in_use. A first request that failed on
// our side (5xx) releases the key, since it changed nothing. A successful
// answer that holds a secret (withholdAnswer: a session token, a new SIP
// password) is not stored: the key keeps only its status, and a replay is
// 409 idempotency_key_in_use saying so (web.WithheldWords) and does nothing
// more, as a replay must; storing the body would keep the secret readable
// in the database for 24 hours.
//
// The use cases that move money or sell something (keyedRoute) take the
// key into their own transaction (billing/idempotency.go): the key names
// their result as it commits. A request with a key still in progress
// then runs again, rather than being refused, when its claim names a
// result (the first request committed, and died or failed before its
// answer was stored: the use case answers with that result) or when its
// route is such a use case (web.TakesKey; the first request never committed, or still
// runs: the use case's lock on the key lets one of them make the result
// and the other answer with it).
func (s *Server) idempotency(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		if r.Method != http.MethodPost || key == "" || isBackOffice(r.URL.Path) { // the back office keeps its keys per operator (admin/formkey.go)
			next.ServeHTTP(w, r)
			return
		}
		if len(key) > 255 {
			api.WriteError(w, r, s.log, market.Invalid("Idempotency-Key", "the Idempotency-Key header has at most 255 characters"))
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil || len(body) > maxBody {
			api.WriteError(w, r, s.log, market.Invalid("", "the request body is too large or unreadable"))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		h := sha256.New()
		io.WriteString(h, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery+"\n")
		h.Write(body)
		hash := hex.EncodeToString(h.Sum(nil))
		scope := scopeOf(r)

		ks := s.keys
		prev, claimed, err := ks.Claim(r.Context(), scope, key, hash)
		if !claimed && !(err == nil && prev.RequestHash == hash && s.runsAgain(r, prev)) {
			switch {
			case prev.RequestHash != hash:
				api.WriteError(w, r, s.log, &market.Error{Code: market.CodeIdempotencyKeyReused, Param: "Idempotency-Key",
					Message: "this Idempotency-Key was used with a different request"})
			case prev.ContentType == withheldType:
				api.WriteError(w, r, s.log, &market.Error{Code: market.CodeIdempotencyKeyInUse, Param: "Idempotency-Key", Message: web.WithheldWords})
			case prev.Status == 0:
				api.WriteError(w, r, s.log, &market.Error{Code: market.CodeIdempotencyKeyInUse, Param: "Idempotency-Key",
					Message: "a request with this Idempotency-Key is still in progress; retry in a moment"})
			default:
				if prev.ContentType != "" {
					w.Header().Set("Content-Type", prev.ContentType)
				}
				w.Header().Set("Idempotent-Replayed", "true")
				w.WriteHeader(prev.Status)
				io.WriteString(w, prev.Body)
			}
			return
		}
		c := &capture{Recorder: web.Recorder{ResponseWriter: w}}
		crash := claimed && s.cfg.CrashBeforeAnswer != "" && key == s.cfg.CrashBeforeAnswer
		if crash {
			c.ResponseWriter = discard{w} // the answer never leaves
		}
		withheld := new(bool)
		r = r.WithContext(web.WithKey(web.WithWithhold(r.Context(), withheld), billing.Key{Scope: scope, Key: key, Hash: hash}))
		ctx := context.WithoutCancel(r.Context())
		defer func() {
			if v := recover(); v != nil {
				_ = ks.Release(ctx, scope, key)
				panic(v)
			}
			if crash {
				s.log.Warn("idempotency: crashing before the answer, as DIALTONE_TEST_CRASH_BEFORE_ANSWER asks", "status", c.Status)
				os.Exit(3)
			}
			var err error
			switch {
			case c.Status >= 500 || c.Status == 0:
				err = ks.Release(ctx, scope, key)
			case *withheld && c.Status < 400:
				err = ks.Complete(ctx, scope, key, c.Status, "", withheldType)
			default:
				err = ks.Complete(ctx, scope, key, c.Status, c.buf.String(), c.Header().Get("Content-Type"))
			}
			if err != nil {
				s.log.Error("idempotency: store response", "err", err, "request_id", web.RequestID(r.Context()))
			}
		}()
		next.ServeHTTP(c, r)
	})
}

// runsAgain reports whether a request whose key was claimed before (prev,
// with the same request) runs its handler again: while the key is in
// progress (no answer stored), when its use case committed a result (the
// answer was lost) or the route's use case takes the key into its
// transaction. A stored answer is replayed, as always.
func (s *Server) runsAgain(r *http.Request, prev web.Stored) bool {
	return prev.Status == 0 && prev.ContentType != withheldType && (prev.ResultRef != "" || s.keyedRoute(r))
}

// keyedRoute reports whether r's route is one whose use case takes its
// idempotency key into its transaction (web.TakesKey of its operation:
// its handler passes web.KeyOf to the use case's input).
func (s *Server) keyedRoute(r *http.Request) bool {
	_, pattern := s.mux.Handler(r)
	return s.keyed[pattern]
}

// discard is a response writer whose answer goes nowhere (the crash hook).
type discard struct{ http.ResponseWriter }

func (d discard) Header() http.Header       { return http.Header{} }
func (discard) WriteHeader(int)             {}
func (discard) Write(b []byte) (int, error) { return len(b), nil }
