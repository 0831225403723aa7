package money

import (
	"fmt"
	"math"
	"math/bits"
)

// MulDivRound returns x*num/den rounded once, half away from zero. The
// product is held in 128 bits, so it is exact for every int64 input. It
// returns ErrInvalidDenominator if den <= 0 and ErrOverflow if the rounded
// result does not fit in an int64.
func MulDivRound(x, num, den int64) (int64, error) {
	if den <= 0 {
		return 0, fmt.Errorf("money: %d*%d/%d: %w", x, num, den, ErrInvalidDenominator)
	}
	neg := (x < 0) != (num < 0)
	hi, lo := bits.Mul64(abs(x), abs(num))
	d := uint64(den)
	if hi >= d { // the quotient needs more than 64 bits
		return 0, fmt.Errorf("money: %d*%d/%d: %w", x, num, den, ErrOverflow)
	}
	q, r := bits.Div64(hi, lo, d)
	// Round the magnitude half up, which is half away from zero once the
	// sign is put back. r < d < 2^63, so r*2 cannot overflow; q may be
	// 2^64-1, so compare before adding.
	up := r*2 >= d
	limit := uint64(math.MaxInt64)
	if neg {
		limit++ // -2^63 fits
	}
	if q > limit || (q == limit && up) {
		return 0, fmt.Errorf("money: %d*%d/%d: %w", x, num, den, ErrOverflow)
	}
	if up {
		q++
	}
	if neg {
		return -int64(q), nil // for q == 2^63 this wraps to MinInt64, as wanted
	}
	return int64(q), nil
}

// abs returns |v| as a uint64, which holds |MinInt64| too.
func abs(v int64) uint64 {
	if v < 0 {
		return -uint64(v)
	}
	return uint64(v)
}
