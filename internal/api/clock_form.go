package api

import (
	"context"
	"strconv"
	"time"

	"github.com/dialtone/dialtone/internal/market"
)

// AdvanceClockForm is the back office's move of the sandbox clock: by a
// number of days, or to the start of a date (UTC), as POST
// /v1/admin/clock/advance moves it.
func (s *Handler) AdvanceClockForm(ctx context.Context, days, to string) error {
	switch {
	case days != "" && to != "":
		return market.Invalid("days", "give the days or the date, not both")
	case to != "":
		t, err := time.Parse("2006-01-02", to)
		if err != nil {
			return market.Invalid("to", "the date must be like 2026-04-30")
		}
		return s.moveClock(ctx, 0, &t)
	}
	n, err := strconv.Atoi(days)
	if err != nil || n < 1 || n > 3650 {
		return market.Invalid("days", "days must be a whole number from 1 to 3650")
	}
	return s.moveClock(ctx, int64(n)*24*3600, nil)
}
