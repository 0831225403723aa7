package server

import (
	"context"
	"time"

	"github.com/dialtone/dialtone/internal/market"
)

// The sandbox clock (API.md, Operator: sandbox mode only, 404 otherwise).

// ClockResponse is the sandbox time.
type ClockResponse struct {
	Now     time.Time `json:"now"`
	Offset  int64     `json:"offset_seconds" doc:"How far the sandbox clock is ahead of the wall clock (negative when --sandbox-start set it in the past)."`
	Sandbox bool      `json:"sandbox"`
}

func (s *Server) clockResponse() ClockResponse {
	return ClockResponse{Now: s.svc.Now(), Offset: int64(s.cfg.SandboxClock.Offset().Seconds()), Sandbox: true}
}

func (s *Server) adminGetClock(ctx context.Context, _ *struct{}) (*out[ClockResponse], error) {
	if err := operator(ctx); err != nil {
		return nil, err
	}
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

func (s *Server) adminAdvanceClock(ctx context.Context, in *advanceIn) (*out[ClockResponse], error) {
	if err := operator(ctx); err != nil {
		return nil, err
	}
	if !s.cfg.Sandbox || s.cfg.SandboxClock == nil {
		return nil, market.NotFound("clock")
	}
	// The move runs to its end even if the client goes away: the work on
	// the way is done (and committed) at each moment it fell due, so a
	// move canceled part way would leave the clock where nobody asked.
	ctx = context.WithoutCancel(ctx)
	s.clockMu.Lock()
	defer s.clockMu.Unlock()
	d := time.Duration(in.Body.Seconds) * time.Second
	if in.Body.To != nil {
		now := s.svc.Now()
		if in.Body.To.Before(now) {
			return nil, market.Invalid("to", "the clock only moves forward (it is %s)", now.Format(time.RFC3339))
		}
		d = in.Body.To.Sub(now)
	}
	if d <= 0 && in.Body.To == nil {
		return nil, market.Invalid("seconds", "give seconds > 0 or to")
	}
	if d > 10*365*24*time.Hour {
		return nil, market.Invalid("seconds", "move at most ten years at once")
	}
	from := s.svc.Now()
	if s.cfg.Advance == nil {
		s.cfg.SandboxClock.Advance(d)
	} else if err := s.cfg.Advance(ctx, s.cfg.SandboxClock, d); err != nil {
		return nil, err
	}
	if err := s.svc.ClockMoved(ctx, from, s.svc.Now()); err != nil {
		return nil, err
	}
	return reply(s.clockResponse()), nil
}
