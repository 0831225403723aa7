package market

import (
	"math/big"
	"time"
)

// AddMonths returns t plus n calendar months in UTC, clamped to the end of
// the target month: Jan 31 + 1 month is Feb 28 (Feb 29 in a leap year). The
// time of day is kept.
func AddMonths(t time.Time, n int) time.Time {
	t = t.UTC()
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(n), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	last := daysIn(first.Year(), first.Month())
	if d > last {
		d = last
	}
	return first.AddDate(0, 0, d-1)
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// Share is one part of a prorated charge: quantity x unit delta x
// remaining / length, with time measured in whole seconds.
type Share struct {
	Quantity  int64
	UnitDelta int64 // minor units per license for the whole period
	Remaining int64 // seconds of the period not yet over
	Length    int64 // seconds of the whole period
}

// Prorate sums the shares exactly and rounds once, half away from zero, to
// the minor unit (PRODUCT.md "Upgrade"). Shares with a zero length are
// skipped.
func Prorate(shares []Share) int64 {
	sum := new(big.Rat)
	for _, s := range shares {
		if s.Length <= 0 || s.Remaining <= 0 {
			continue
		}
		num := new(big.Int).Mul(big.NewInt(s.Quantity), big.NewInt(s.UnitDelta))
		num.Mul(num, big.NewInt(s.Remaining))
		sum.Add(sum, new(big.Rat).SetFrac(num, big.NewInt(s.Length)))
	}
	return roundRat(sum)
}

// roundRat rounds r half away from zero to an integer.
func roundRat(r *big.Rat) int64 {
	num := new(big.Int).Set(r.Num())
	den := r.Denom()
	neg := num.Sign() < 0
	num.Abs(num)
	// q = floor((2*num + den) / (2*den))
	twice := new(big.Int).Lsh(num, 1)
	twice.Add(twice, den)
	q := twice.Quo(twice, new(big.Int).Lsh(den, 1))
	if neg {
		q.Neg(q)
	}
	return q.Int64()
}

// ShareOf returns the share of a period [start, end) that is not over at now,
// for a unit delta and quantity. A period entirely in the future counts whole;
// one that is over counts nothing.
func ShareOf(start, end, now time.Time, quantity, unitDelta int64) Share {
	length := end.Unix() - start.Unix()
	from := start
	if now.After(from) {
		from = now
	}
	rem := end.Unix() - from.Unix()
	if rem < 0 {
		rem = 0
	}
	return Share{Quantity: quantity, UnitDelta: unitDelta, Remaining: rem, Length: length}
}
