package money

import (
	"fmt"
	"strconv"
	"strings"
)

// microPerPercent is the number of Rate units in one percent.
const microPerPercent = 1_000_000

// rateDecimals is how many decimal places of a percentage a Rate holds.
const rateDecimals = 6

// maxMicro is 100 %, the largest Rate.
const maxMicro = 100 * microPerPercent

// Rate is a percentage such as a tax rate or a promo discount, between 0 and
// 100, held exactly as an integer count of millionths of a percent. The zero
// value is 0 %. Rates are made only by ParseRate and MustRate, so every Rate
// is in range.
type Rate struct{ micro int64 }

// ParseRate parses a percentage written as a plain decimal number: "19",
// "8.1", "7.725", "0". It accepts 0 to 100 with at most 6 decimal places
// and leading zeros ("08.10"); it rejects an empty string, signs, exponents,
// spaces, thousands separators, a bare point at either end (".5", "8.") and
// anything above 100. Errors wrap ErrInvalidRate.
func ParseRate(s string) (Rate, error) {
	v, err := parseScaled(s, rateDecimals, false)
	if err == nil && v > maxMicro {
		err = fmt.Errorf("above 100")
	}
	if err != nil {
		return Rate{}, fmt.Errorf("%w %q: %w", ErrInvalidRate, s, err)
	}
	return Rate{micro: v}, nil
}

// MustRate is ParseRate for constants in code and tests; it panics if s is
// not a valid rate.
func MustRate(s string) Rate {
	r, err := ParseRate(s)
	if err != nil {
		panic(err)
	}
	return r
}

// String returns the rate as the shortest decimal string that ParseRate
// reads back to the same Rate: "8.1", "19", "0", "7.725".
func (r Rate) String() string {
	whole := strconv.FormatInt(r.micro/microPerPercent, 10)
	frac := r.micro % microPerPercent
	if frac == 0 {
		return whole
	}
	digits := fmt.Sprintf("%06d", frac)
	return whole + "." + strings.TrimRight(digits, "0")
}

// IsZero reports whether r is 0 %.
func (r Rate) IsZero() bool {
	return r.micro == 0
}

// Micro returns r in millionths of a percent: 8.1 % is 8_100_000.
func (r Rate) Micro() int64 {
	return r.micro
}

// Apply returns base*r/100 rounded once, half away from zero: 19 % of 4150
// is 789 (788.5), 8.1 % of 6173 is 500 (500.013). It works for every int64
// base and never fails: r <= 100 %, so the result's magnitude is at most
// |base|.
func (r Rate) Apply(base int64) int64 {
	v, err := MulDivRound(base, r.micro, maxMicro)
	if err != nil {
		// Unreachable: the denominator is positive and |v| <= |base|.
		panic(fmt.Sprintf("money: Rate.Apply(%d) with %s%%: %v", base, r, err))
	}
	return v
}
