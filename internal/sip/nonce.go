package sip

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"
)

// Nonces are stateless and signed: base64url(issued unix nanoseconds (8
// bytes) | random (8 bytes) | HMAC-SHA256 of those with the secret,
// truncated to 16 bytes). Every process sharing the database shares the
// secret (settings "sip_nonce_secret"), so a challenge from one is
// answered at another; issuing one writes nothing, so a flood of
// unauthenticated REGISTERs costs no database write. Their age is wall-clock
// time (a security timer); replays are refused by the nonce counts kept in
// sip_nonce_uses.

const nonceLen = 8 + 8 + 16

type nonces struct {
	secret []byte
	ttl    time.Duration
}

// issue returns a fresh nonce issued at now.
func (n nonces) issue(now time.Time) string {
	var b [nonceLen]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixNano()))
	_, _ = rand.Read(b[8:16])
	copy(b[16:], n.mac(b[:16]))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (n nonces) mac(b []byte) []byte {
	m := hmac.New(sha256.New, n.secret)
	m.Write(b)
	return m.Sum(nil)[:16]
}

// check reports whether s is a nonce of ours (valid) and, if so, when it
// was issued.
func (n nonces) check(s string) (issued time.Time, valid bool) {
	if len(s) != base64.RawURLEncoding.EncodedLen(nonceLen) {
		return time.Time{}, false
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != nonceLen || !hmac.Equal(b[16:], n.mac(b[:16])) {
		return time.Time{}, false
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(b[:8]))), true
}

// fresh reports whether a nonce issued at issued may still be used at now
// (a nonce from the future, beyond a second of skew between processes, is
// not).
func (n nonces) fresh(issued, now time.Time) bool {
	age := now.Sub(issued)
	return age <= n.ttl && age >= -time.Second
}
