package money

import (
	"errors"
	"math"
	"testing"
)

func TestParseRate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in         string
		wantMicro  int64
		wantString string
	}{
		{"0", 0, "0"},
		{"19", 19_000_000, "19"},
		{"8.1", 8_100_000, "8.1"},
		{"7.725", 7_725_000, "7.725"},
		{"7.7", 7_700_000, "7.7"},
		{"100", 100_000_000, "100"},
		{"100.000000", 100_000_000, "100"},
		{"0.000001", 1, "0.000001"},
		{"99.999999", 99_999_999, "99.999999"},
		{"8.10", 8_100_000, "8.1"},
		{"08.1", 8_100_000, "8.1"},
		{"0.0", 0, "0"},
		{"000", 0, "0"},
		{"12.000500", 12_000_500, "12.0005"},
	}
	for _, tt := range tests {
		t.Run("OK/"+tt.in, func(t *testing.T) {
			t.Parallel()
			r, err := ParseRate(tt.in)
			if err != nil {
				t.Fatalf("ParseRate(%q) error = %v; want nil", tt.in, err)
			}
			if got := r.Micro(); got != tt.wantMicro {
				t.Errorf("ParseRate(%q).Micro() = %d; want %d", tt.in, got, tt.wantMicro)
			}
			if got := r.String(); got != tt.wantString {
				t.Errorf("ParseRate(%q).String() = %q; want %q", tt.in, got, tt.wantString)
			}
			if got := r.IsZero(); got != (tt.wantMicro == 0) {
				t.Errorf("ParseRate(%q).IsZero() = %v; want %v", tt.in, got, tt.wantMicro == 0)
			}
			back, err := ParseRate(r.String())
			if err != nil || back != r {
				t.Errorf("ParseRate(%q) = %v, %v; want %v", r.String(), back, err, r)
			}
		})
	}
}

func TestParseRateInvalid(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"", "abc", "-1", "-0", "+1", "1e3", "1E3", "101", "100.000001", "1000",
		" 8", "8 ", "8.", ".5", ".", "8.1234567", "8.1000000", "8,1", "1,000",
		"0x10", "８", "NaN", "Inf", "8..1", "8.1.2", "8 %", "8%", "1_0",
		"99999999999999999999999999", "9223372036854775807",
	} {
		t.Run("ErrInvalidRate/"+in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseRate(in)
			if !errors.Is(err, ErrInvalidRate) {
				t.Fatalf("ParseRate(%q) = %v, %v; want ErrInvalidRate", in, got, err)
			}
		})
	}
}

func TestMustRatePanics(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Fatal("MustRate(\"101\") did not panic; want a panic")
		}
	}()
	MustRate("101")
}

func TestRateZeroValue(t *testing.T) {
	t.Parallel()
	var r Rate
	if !r.IsZero() || r.String() != "0" || r.Apply(12345) != 0 {
		t.Fatalf("Rate{} = (IsZero %v, String %q, Apply(12345) %d); want (true, \"0\", 0)", r.IsZero(), r.String(), r.Apply(12345))
	}
}

func TestRateApply(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		rate string
		base int64
		want int64
	}{
		{"CH", "8.1", 10000, 810},
		{"CHOneCent", "8.1", 1, 0},                 // 0.081
		{"CHRoundsDown", "8.1", 6173, 500},         // 500.013
		{"DEHalfUp", "19", 4150, 789},              // 788.5
		{"OldCHJustAboveHalfDown", "7.7", 650, 50}, // 50.05
		{"ThreeDecimalsHalf", "7.725", 2000, 155},  // 154.5
		{"HalfOfOne", "50", 1, 1},                  // 0.5
		{"Zero", "0", 123456, 0},
		{"Hundred", "100", 123456, 123456},
		{"Smallest", "0.000001", 100_000_000, 1},
		{"SmallestHalf", "0.000001", 50_000_000, 1},      // 0.5
		{"SmallestBelowHalf", "0.000001", 49_999_999, 0}, // 0.49999999
		// A negative base (a refund or a credit line) rounds symmetrically.
		{"NegDEHalf", "19", -4150, -789},
		{"NegCH", "8.1", -6173, -500},
		{"NegHalfOfOne", "50", -1, -1},
		{"NegOldCH", "7.7", -650, -50},
		// Any int64 works: the rate is at most 100 %.
		{"MaxBaseHundred", "100", math.MaxInt64, math.MaxInt64},
		{"MinBaseHundred", "100", math.MinInt64, math.MinInt64},
		{"MaxBaseCH", "8.1", math.MaxInt64, 747093134985236840}, // ...840.367
		{"Base2Pow53", "19", 1 << 53, 1711367858400788},         // ...788.48
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := MustRate(tt.rate)
			if got := r.Apply(tt.base); got != tt.want {
				t.Fatalf("MustRate(%q).Apply(%d) = %d; want %d", tt.rate, tt.base, got, tt.want)
			}
		})
	}
}
