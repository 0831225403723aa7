// Package id makes the opaque, prefixed identifiers of the API ("cus_…",
// "sub_…"). IDs sort by creation time within a process, so lists ordered by
// ID are ordered by age and paginate with a simple "id < cursor".
package id

import (
	"crypto/rand"
	"encoding/binary"
	"strings"
	"sync"
	"time"
)

const alphabet = "0123456789abcdefghjkmnpqrstvwxyz" // Crockford base32, lower case

var (
	mu   sync.Mutex
	last int64
)

// New returns prefix + "_" + 20 characters: 10 of a millisecond timestamp
// (monotonic within the process) and 10 random ones.
func New(prefix string) string {
	mu.Lock()
	ms := time.Now().UnixMilli()
	if ms <= last {
		ms = last + 1
	}
	last = ms
	mu.Unlock()

	var b strings.Builder
	b.Grow(len(prefix) + 21)
	b.WriteString(prefix)
	b.WriteByte('_')
	for i := 9; i >= 0; i-- {
		b.WriteByte(alphabet[(ms>>(uint(i)*5))&31])
	}
	var r [8]byte
	_, _ = rand.Read(r[:])
	v := binary.BigEndian.Uint64(r[:])
	for i := 0; i < 10; i++ {
		b.WriteByte(alphabet[v&31])
		v >>= 5
	}
	return b.String()
}

// Secret returns n random bytes as lower-case base32 text, for tokens and
// passwords.
func Secret(n int) string {
	r := make([]byte, n)
	_, _ = rand.Read(r)
	var b strings.Builder
	var acc uint
	var bits uint
	for _, c := range r {
		acc = acc<<8 | uint(c)
		bits += 8
		for bits >= 5 {
			b.WriteByte(alphabet[(acc>>(bits-5))&31])
			bits -= 5
		}
	}
	if bits > 0 {
		b.WriteByte(alphabet[(acc<<(5-bits))&31])
	}
	return b.String()
}

// HasPrefix reports whether s looks like an ID of the given prefix.
func HasPrefix(s, prefix string) bool {
	return strings.HasPrefix(s, prefix+"_") && len(s) == len(prefix)+21
}
