// Package id makes the opaque, prefixed identifiers of the API ("cus_…",
// "sub_…"). The IDs of one Generator sort in the order they were made, so
// lists ordered by ID are ordered by age and paginate with a simple
// "id < cursor".
package id

import (
	"crypto/rand"
	"encoding/binary"
	"strings"
	"sync"
	"time"
)

const alphabet = "0123456789abcdefghjkmnpqrstvwxyz" // Crockford base32, lower case

// Generator makes IDs: prefix + "_" + 20 characters, 10 of a millisecond
// timestamp and 10 random ones. The timestamp is the time source's, or one
// millisecond after the last ID's when that is not earlier, so every ID
// of a Generator sorts after the one made before it, whatever its time
// source does (stands still, as a frozen test clock does; goes back, as
// the wall clock may). Make one per process and share it.
//
// The time source is the wall clock in dialtone (billing.New), not the
// sandbox clock: IDs order records by creation, not by business time, and
// processes sharing a database share no sandbox clock (a move of the
// clock in one is not seen by the others until they restart), so sandbox
// timestamps of two processes can be months apart, while their wall clocks
// differ by their skew at most.
type Generator struct {
	now  func() time.Time
	mu   sync.Mutex
	last int64 // the timestamp of the last ID, in milliseconds
}

// NewGenerator returns a generator that reads the time from now.
func NewGenerator(now func() time.Time) *Generator {
	return &Generator{now: now}
}

// New returns a new ID with the prefix.
func (g *Generator) New(prefix string) string {
	g.mu.Lock()
	ms := g.now().UnixMilli()
	if ms <= g.last {
		ms = g.last + 1
	}
	g.last = ms
	g.mu.Unlock()

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
