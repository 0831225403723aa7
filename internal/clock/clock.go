// Package clock is the one place dialtone reads the time from. Production
// uses the wall clock; sandbox mode and tests use a clock that can be moved
// forward.
package clock

import (
	"sync"
	"time"
)

// Clock tells the time. Every time-dependent rule takes it from here.
type Clock interface {
	Now() time.Time
}

// Normalize returns t in UTC truncated to microseconds, the precision both
// stores keep.
func Normalize(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// Wall is the real clock.
type Wall struct{}

// Now returns the current wall-clock time (UTC, microseconds).
func (Wall) Now() time.Time { return Normalize(time.Now()) }

// Sandbox is a clock that runs with the wall clock, offset by however far the
// operator has moved it. A frozen sandbox (NewFrozen) does not run: it only
// moves when told to, which makes tests exact.
type Sandbox struct {
	// OnAdvance, if set, is called with the new offset after every move
	// (to persist it).
	OnAdvance func(offset time.Duration)

	mu     sync.Mutex
	offset time.Duration
	frozen bool
	at     time.Time
}

// NewSandbox returns a running sandbox clock with the given offset from the
// wall clock.
func NewSandbox(offset time.Duration) *Sandbox { return &Sandbox{offset: offset} }

// NewFrozen returns a sandbox clock stopped at t.
func NewFrozen(t time.Time) *Sandbox { return &Sandbox{frozen: true, at: Normalize(t)} }

// Now returns the sandbox time.
func (s *Sandbox) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.frozen {
		return s.at
	}
	return Normalize(time.Now().Add(s.offset))
}

// Advance moves the clock forward by d (never backwards) and returns the new
// time.
func (s *Sandbox) Advance(d time.Duration) time.Time {
	if d < 0 {
		d = 0
	}
	s.mu.Lock()
	var now time.Time
	if s.frozen {
		s.at = Normalize(s.at.Add(d))
		now = s.at
	} else {
		s.offset += d
		now = Normalize(time.Now().Add(s.offset))
	}
	off := s.offset
	s.mu.Unlock()
	if s.OnAdvance != nil {
		s.OnAdvance(off)
	}
	return now
}

// Offset returns how far a running sandbox clock is ahead of the wall clock.
func (s *Sandbox) Offset() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.offset
}
