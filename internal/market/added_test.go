package market

import (
	"math"
	"testing"
)

func TestCheckAdded(t *testing.T) {
	t.Parallel()
	p := Plan{Name: "Start", MinLicenses: 2, MaxLicenses: 500}
	tests := []struct {
		name        string
		held, added int
		code        Code
	}{
		{"OK", 2, 3, ""},
		{"OKUpToMax", 2, 498, ""},
		{"ErrMaxLicenses", 2, 499, CodeMaxLicenses},
		{"ErrMaxLicensesHuge", 2, math.MaxInt, CodeMaxLicenses},
		{"ErrMaxLicensesFull", 500, 1, CodeMaxLicenses},
		{"ErrMinLicenses", 0, 1, CodeMinLicenses},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ErrorCode(p.CheckAdded(tt.held, tt.added)); got != tt.code {
				t.Errorf("CheckAdded(%d, %d) = %q, want %q", tt.held, tt.added, got, tt.code)
			}
		})
	}
	if got := (Plan{}).Max(); got != MaxQuantity {
		t.Errorf("Max of a plan without one = %d, want %d", got, MaxQuantity)
	}
}
