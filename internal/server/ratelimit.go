package server

import (
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/dialtone/dialtone/internal/market"
)

// loginLimiter slows password guessing: each client address may try to log
// in 10 times in a burst, then once every 2 seconds (30 a minute).
type loginLimiter struct {
	mu      sync.Mutex
	clients map[string]*client
	last    time.Time
}

type client struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLoginLimiter() *loginLimiter { return &loginLimiter{clients: map[string]*client{}} }

func (l *loginLimiter) allow(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.last) > time.Minute {
		for k, c := range l.clients {
			if now.Sub(c.seen) > 10*time.Minute {
				delete(l.clients, k)
			}
		}
		l.last = now
	}
	c, ok := l.clients[host]
	if !ok {
		c = &client{lim: rate.NewLimiter(rate.Every(2*time.Second), 10)}
		l.clients[host] = c
	}
	c.seen = now
	return c.lim.Allow()
}

// limitLogins answers 429 rate_limited to a client that tries to log in
// too often through the API; the portal's log-in form shares the limiter.
func (s *Server) limitLogins(next http.Handler) http.Handler {
	l := s.logins
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/v1/sessions" && !l.allow(r.RemoteAddr) {
			w.Header().Set("Retry-After", "2")
			writeError(w, r, s.log, &market.Error{Code: market.CodeRateLimited, Message: "too many log-in attempts: wait a few seconds and try again"})
			return
		}
		next.ServeHTTP(w, r)
	})
}
