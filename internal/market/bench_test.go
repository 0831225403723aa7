package market

import (
	"testing"
	"time"
)

func BenchmarkProrateStacked(b *testing.B) {
	start := time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC)
	now := start.AddDate(0, 5, 3)
	var shares []Share
	for i := range 4 {
		s := AddMonths(start, 12*i)
		shares = append(shares, ShareOf(s, AddMonths(s, 12), now, 25, 19200))
	}
	for b.Loop() {
		_ = Prorate(shares)
	}
}

func BenchmarkAddMonths(b *testing.B) {
	t := time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC)
	for b.Loop() {
		_ = AddMonths(t, 13)
	}
}
