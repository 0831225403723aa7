// Package web holds what the HTTP faces share below the server: what the
// middleware puts in a request's context (its ID, the caller's principal,
// the client's address, whether it came over TLS), the one table from the
// contract's error codes to HTTP statuses, the idempotency keys, and the
// form and page helpers of the portal and the back office. The server
// (the mux and its middleware), the JSON API, the portal and the back
// office import it; it imports none of them, nor the store.
package web

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
)

// SessionCookie is the cookie that holds a customer's session token: the
// portal sets it at log-in, the server reads it like a bearer token.
const SessionCookie = "dialtone_session"

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyPrincipal
	keySecure
	keyWithhold
	keyClient
	keyIdempotency
)

// WithRequestID puts a request's ID in its context.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, keyRequestID, id)
}

// RequestID is the ID of the request of ctx ("" outside one).
func RequestID(ctx context.Context) string {
	v, _ := ctx.Value(keyRequestID).(string)
	return v
}

// WithPrincipal puts who is calling in a request's context.
func WithPrincipal(ctx context.Context, p billing.Principal) context.Context {
	return context.WithValue(ctx, keyPrincipal, p)
}

// PrincipalOf is who is calling, if the request carried valid credentials.
func PrincipalOf(ctx context.Context) (billing.Principal, bool) {
	p, ok := ctx.Value(keyPrincipal).(billing.Principal)
	return p, ok
}

// IsCustomer reports whether p, found or not (ok), is a customer's login.
func IsCustomer(p billing.Principal, ok bool) bool {
	return ok && !p.Operator && p.CustomerID != ""
}

// WithSecure records whether a request came over TLS (directly or through
// a proxy that says so).
func WithSecure(ctx context.Context, secure bool) context.Context {
	return context.WithValue(ctx, keySecure, secure)
}

// Secure reports whether the request of ctx came over TLS.
func Secure(ctx context.Context) bool {
	v, _ := ctx.Value(keySecure).(bool)
	return v
}

// WithClient records the ClientAddr of a request in its context.
func WithClient(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, keyClient, addr)
}

// ClientOf returns the ClientAddr of the request of ctx.
func ClientOf(ctx context.Context) string {
	v, _ := ctx.Value(keyClient).(string)
	return v
}

// ClientAddr is the address a request comes from, as log-in throttling
// counts it: the peer's IP address, and for IPv6 its /64 network (one
// host's to choose from).
func ClientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// LogPath is the request's path as logs may show it: the token that ends
// an invitation or password-reset link is a secret (it sets a password),
// so it is replaced by "…".
func LogPath(r *http.Request) string {
	p := r.URL.Path
	for _, prefix := range []string{"/v1/password_resets/", "/password_resets/", "/invitations/"} {
		if rest, ok := strings.CutPrefix(p, prefix); ok && rest != "" {
			return prefix + "…"
		}
	}
	return p
}

// IsAPI reports whether a path is the JSON API's.
func IsAPI(path string) bool { return strings.HasPrefix(path, "/v1/") || path == "/v1" }

// cookie returns the session cookie: HttpOnly, SameSite=Lax, Secure when
// the request came over TLS.
func SessionCookieOf(tok string, ctx context.Context) http.Cookie {
	secure := Secure(ctx)
	return http.Cookie{Name: SessionCookie, Value: tok, Path: "/", HttpOnly: true, Secure: secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int((30 * 24 * time.Hour).Seconds())}
}
