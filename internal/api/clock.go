package api

import (
	"context"
	"errors"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
)

// The sandbox clock (API.md, Operator: sandbox mode only, 404 otherwise).

// ClockResponse is the sandbox time.
type ClockResponse struct {
	Now     time.Time `json:"now"`
	Offset  int64     `json:"offset_seconds" doc:"How far the sandbox clock is ahead of the wall clock (negative when --sandbox-start set it in the past)."`
	Sandbox bool      `json:"sandbox"`
}

func (s *Handler) clockResponse() ClockResponse {
	return ClockResponse{Now: s.svc.Now(), Offset: int64(s.cfg.SandboxClock.Offset().Seconds()), Sandbox: true}
}

func (s *Handler) AdminGetClock(ctx context.Context, _ billing.Principal, _ *struct{}) (*out[ClockResponse], error) {
	if !s.cfg.Sandbox || s.cfg.SandboxClock == nil {
		return nil, market.NotFound("clock")
	}
	return reply(s.clockResponse()), nil
}

type advanceIn struct {
	idemHeader
	Body struct {
		Seconds int64      `json:"seconds,omitempty" minimum:"0" maximum:"315360000"`
		To      *time.Time `json:"to,omitempty"`
	}
}

func (s *Handler) AdminAdvanceClock(ctx context.Context, _ billing.Principal, in *advanceIn) (*out[ClockResponse], error) {
	if !s.cfg.Sandbox || s.cfg.SandboxClock == nil {
		return nil, market.NotFound("clock")
	}
	if err := s.moveClock(ctx, in.Body.Seconds, in.Body.To); err != nil {
		return nil, err
	}
	return reply(s.clockResponse()), nil
}

// moveClock moves the sandbox clock by seconds or to a time and runs what
// became due (the API's and the back office's move).
func (s *Handler) moveClock(ctx context.Context, seconds int64, to *time.Time) error {
	// The move runs to its end even if the client goes away: the work on
	// the way is done (and committed) at each moment it fell due, so a
	// move canceled part way would leave the clock where nobody asked.
	ctx = context.WithoutCancel(ctx)
	s.clockMu.Lock()
	defer s.clockMu.Unlock()
	d := time.Duration(seconds) * time.Second
	if to != nil {
		now := s.svc.Now()
		if to.Before(now) {
			return market.Invalid("to", "the clock only moves forward (it is %s)", now.Format(time.RFC3339))
		}
		d = to.Sub(now)
	}
	if d <= 0 && to == nil {
		return market.Invalid("seconds", "give seconds > 0 or to")
	}
	if d > 10*365*24*time.Hour {
		return market.Invalid("seconds", "move at most ten years at once")
	}
	// Each step of the move (the scheduler stops at every moment work
	// falls due) keeps the clock's new offset with its audit entry, in one
	// transaction (billing.MoveSandboxClock), before the work of that
	// moment runs.
	clk, from := s.cfg.SandboxClock, s.svc.Now()
	target, last, lastOff := from.Add(d), from, clk.Offset()
	var stepErr error
	clk.OnAdvance = func(off time.Duration) {
		now := s.svc.Now()
		if off == lastOff && !now.After(last) {
			return
		}
		if err := s.svc.MoveSandboxClock(ctx, last, now, target, off); err != nil && stepErr == nil {
			stepErr = err
		}
		last, lastOff = now, off
	}
	defer func() { clk.OnAdvance = nil }()
	var err error
	if s.cfg.Advance == nil {
		clk.Advance(d)
	} else {
		err = s.cfg.Advance(ctx, clk, d)
	}
	return errors.Join(stepErr, err)
}
