package money

import (
	"errors"
	"math"
	"testing"
)

func TestMulDivRound(t *testing.T) {
	t.Parallel()
	const (
		maxI = math.MaxInt64
		minI = math.MinInt64
	)
	tests := []struct {
		name        string
		x, num, den int64
		want        int64
		wantErr     error
	}{
		// Exact halves round away from zero, whatever the sign.
		{"HalfUp", 5, 1, 2, 3, nil},
		{"HalfDownNegX", -5, 1, 2, -3, nil},
		{"HalfDownNegNum", 5, -1, 2, -3, nil},
		{"HalfBothNeg", -5, -1, 2, 3, nil},
		{"Third", 1, 1, 3, 0, nil},
		{"TwoThirds", 2, 1, 3, 1, nil},
		{"MinusTwoThirds", -2, 1, 3, -1, nil},
		{"MinusThird", -1, 1, 3, 0, nil},
		{"Exact", 12, 5, 4, 15, nil},
		{"ZeroX", 0, 7, 3, 0, nil},
		{"ZeroNumNegX", -9, 0, 3, 0, nil},
		{"DenOne", -7, 1, 1, -7, nil},
		{"JustBelowHalf", 4999, 1, 10000, 0, nil},
		{"JustHalf", 5000, 1, 10000, 1, nil},
		// The product overflows int64 but the result fits.
		{"MaxTimesMaxOverMax", maxI, maxI, maxI, maxI, nil},
		{"MaxTimesTwoOverTwo", maxI, 2, 2, maxI, nil},
		{"MaxThreeQuarters", maxI, 3, 4, 6917529027641081855, nil}, // ...855.25
		{"MaxHalf", maxI, 1, 2, 4611686018427387904, nil},          // ...903.5
		{"MinHalf", minI, 1, 2, -4611686018427387904, nil},
		{"MinPlusOneHalf", minI + 1, 1, 2, -4611686018427387904, nil}, // ...903.5
		{"MinTimesMinusOneHalf", minI, -1, 2, 4611686018427387904, nil},
		{"MinIdentity", minI, 1, 1, minI, nil},
		{"MinTimesMaxOverMax", minI, maxI, maxI, minI, nil},
		{"RateOnLargeBase", 1 << 53, 8_100_000, 100_000_000, 729583139634020, nil}, // 8.1 % of 2^53 = ...020.352
		{"NegativeJustFits", -65535, 281479271743489, 2, minI, nil},                // -(2^64-1)/2 = -2^63+0.5 -> -2^63
		// Results that do not fit.
		{"ErrOverflowMaxTimesTwo", maxI, 2, 1, 0, ErrOverflow},
		{"ErrOverflowMinNegated", minI, -1, 1, 0, ErrOverflow},
		{"ErrOverflowMaxSquared", maxI, maxI, 1, 0, ErrOverflow},
		{"ErrOverflowMinSquared", minI, minI, 3, 0, ErrOverflow},
		{"ErrOverflowByRounding", 65535, 281479271743489, 2, 0, ErrOverflow},       // (2^64-1)/2 = 2^63-0.5
		{"ErrOverflowQuotientAllOnes", 253921, 145295143558111, 2, 0, ErrOverflow}, // (2^65-1)/2: q = 2^64-1, then rounds up
		{"ErrInvalidDenominatorZero", 1, 1, 0, 0, ErrInvalidDenominator},
		{"ErrInvalidDenominatorNegative", 1, 1, -3, 0, ErrInvalidDenominator},
		{"ErrInvalidDenominatorMin", 1, 1, minI, 0, ErrInvalidDenominator},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := MulDivRound(tt.x, tt.num, tt.den)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("MulDivRound(%d, %d, %d) = %d, %v; want error %v", tt.x, tt.num, tt.den, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("MulDivRound(%d, %d, %d) = %d, %v; want %d", tt.x, tt.num, tt.den, got, err, tt.want)
			}
		})
	}
}
