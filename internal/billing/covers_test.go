package billing

import (
	"testing"
	"time"
)

func TestCoversUntil(t *testing.T) {
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 9, 0, 0, 0, time.UTC) }
	horizon := d(2031, 3, 10)
	for _, c := range []struct {
		name    string
		balance int64
		rs      []Renewing
		want    *time.Time
	}{
		{"nothing renews", 5000, nil, nil},
		{"only free renewals", 5000, []Renewing{{First: d(2026, 4, 1), Months: 1, Amount: 0}}, nil},
		{"empty balance: the first renewal", 0, []Renewing{{First: d(2026, 4, 1), Months: 1, Amount: 100}}, ptrTime(d(2026, 4, 1))},
		{"three months of a number", 350, []Renewing{{First: d(2026, 4, 1), Months: 1, Amount: 100}}, ptrTime(d(2026, 7, 1))},
		{"exactly three months", 300, []Renewing{{First: d(2026, 4, 1), Months: 1, Amount: 100}}, ptrTime(d(2026, 7, 1))},
		{"month ends stay put", 300, []Renewing{{First: d(2026, 1, 31), Months: 1, Amount: 100}}, ptrTime(d(2026, 4, 30))},
		{"a yearly subscription and a number", 12*100 + 5000 + 50, []Renewing{
			{First: d(2026, 3, 14), Months: 12, Amount: 5000},
			{First: d(2026, 3, 20), Months: 1, Amount: 100},
		}, ptrTime(d(2027, 3, 14))}, // 5000 on 14 Mar, then 12 months of the number; 50 left for the next year's 5000
		{"same day: in the order given", 100, []Renewing{
			{First: d(2026, 4, 1), Months: 1, Amount: 100},
			{First: d(2026, 4, 1), Months: 1, Amount: 1},
		}, ptrTime(d(2026, 4, 1))},
		{"past due now: now", 0, []Renewing{{First: d(2026, 3, 1), Months: 1, Amount: 100}}, ptrTime(now)},
		{"covered past the horizon", 1 << 40, []Renewing{{First: d(2026, 4, 1), Months: 1, Amount: 100}}, &horizon},
	} {
		got := CoversUntil(c.balance, now, c.rs, CoversHorizon)
		if (got == nil) != (c.want == nil) || (got != nil && !got.Equal(*c.want)) {
			t.Errorf("%s: CoversUntil = %v, want %v", c.name, got, c.want)
		}
	}
}

func ptrTime(t time.Time) *time.Time { return &t }
