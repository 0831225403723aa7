package money

import (
	"errors"
	"math"
	"testing"
)

func TestFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a    Amount
		want string
	}{
		{New(123456, "EUR"), "€1,234.56"},
		{New(123456, "USD"), "$1,234.56"},
		{New(123456, "GBP"), "£1,234.56"},
		{New(123456, "CHF"), "CHF 1,234.56"},
		{New(123456, "UAH"), "UAH 1,234.56"},
		{New(1234, "JPY"), "¥1,234"},
		{New(999, "JPY"), "¥999"},
		{New(1234567, "KWD"), "KWD 1,234.567"},
		{New(-500, "EUR"), "-€5.00"},
		{New(-500, "CHF"), "-CHF 5.00"},
		{New(-5, "EUR"), "-€0.05"},
		{New(100, "XYZ"), "XYZ 1.00"},
		{New(0, "EUR"), "€0.00"},
		{New(0, "JPY"), "¥0"},
		{New(99999, "EUR"), "€999.99"},
		{New(100000, "EUR"), "€1,000.00"},
		{New(100000000, "EUR"), "€1,000,000.00"},
		{New(math.MaxInt64, "EUR"), "€92,233,720,368,547,758.07"},
		{New(math.MinInt64, "EUR"), "-€92,233,720,368,547,758.08"},
		{New(math.MinInt64, "JPY"), "-¥9,223,372,036,854,775,808"},
		{Amount{Minor: 150}, "1.50"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			if got := Format(tt.a); got != tt.want {
				t.Fatalf("Format(%#v) = %q; want %q", tt.a, got, tt.want)
			}
		})
	}
}

func TestFormatPlain(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a    Amount
		want string
	}{
		{New(123456, "EUR"), "1234.56"},
		{New(-5, "EUR"), "-0.05"},
		{New(1234, "JPY"), "1234"},
		{New(-1234, "JPY"), "-1234"},
		{New(5, "KWD"), "0.005"},
		{New(0, "EUR"), "0.00"},
		{New(0, "JPY"), "0"},
		{New(100, "EUR"), "1.00"},
		{New(100, "XYZ"), "1.00"},
		{New(math.MaxInt64, "EUR"), "92233720368547758.07"},
		{New(math.MinInt64, "EUR"), "-92233720368547758.08"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			if got := FormatPlain(tt.a); got != tt.want {
				t.Fatalf("FormatPlain(%#v) = %q; want %q", tt.a, got, tt.want)
			}
		})
	}
}

func TestParseMajor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, currency string
		want         int64
	}{
		{"12", "EUR", 1200},
		{"12.5", "EUR", 1250},
		{"12.50", "EUR", 1250},
		{"1,234.50", "EUR", 123450},
		{"1,234,567", "CHF", 123456700},
		{"0", "EUR", 0},
		{"0.01", "EUR", 1},
		{"007", "EUR", 700},
		{" 12.50 ", "EUR", 1250},
		{"1,234", "JPY", 1234},
		{"1234", "JPY", 1234},
		{"1.234", "KWD", 1234},
		{"1.2", "KWD", 1200},
		{"92233720368547758.07", "EUR", math.MaxInt64},
		{"92,233,720,368,547,758.07", "EUR", math.MaxInt64},
		{"9223372036854775807", "JPY", math.MaxInt64},
	}
	for _, tt := range tests {
		t.Run("OK/"+tt.currency+"/"+tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseMajor(tt.in, tt.currency)
			want := New(tt.want, tt.currency)
			if err != nil || got != want {
				t.Fatalf("ParseMajor(%q, %q) = %v, %v; want %v", tt.in, tt.currency, got, err, want)
			}
		})
	}
}

func TestParseMajorInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, currency string
		wantErr      []error
	}{
		{"", "EUR", []error{ErrInvalidAmount}},
		{"   ", "EUR", []error{ErrInvalidAmount}},
		{"abc", "EUR", []error{ErrInvalidAmount}},
		{"-5", "EUR", []error{ErrInvalidAmount}},
		{"-0", "EUR", []error{ErrInvalidAmount}},
		{"+5", "EUR", []error{ErrInvalidAmount}},
		{"12.345", "EUR", []error{ErrInvalidAmount}},
		{"12.500", "EUR", []error{ErrInvalidAmount}},
		{"5.0", "JPY", []error{ErrInvalidAmount}},
		{"5.", "JPY", []error{ErrInvalidAmount}},
		{"1.2345", "KWD", []error{ErrInvalidAmount}},
		{"12.", "EUR", []error{ErrInvalidAmount}},
		{".5", "EUR", []error{ErrInvalidAmount}},
		{"12,50", "EUR", []error{ErrInvalidAmount}}, // a European decimal comma, not 1250
		{"1,23", "EUR", []error{ErrInvalidAmount}},
		{",123", "EUR", []error{ErrInvalidAmount}},
		{"123,", "EUR", []error{ErrInvalidAmount}},
		{"1,2345", "EUR", []error{ErrInvalidAmount}},
		{"1234,567", "EUR", []error{ErrInvalidAmount}},
		{"1,,234", "EUR", []error{ErrInvalidAmount}},
		{"1.234,50", "EUR", []error{ErrInvalidAmount}},
		{"1,234.5,0", "EUR", []error{ErrInvalidAmount}},
		{"1 234", "EUR", []error{ErrInvalidAmount}},
		{"1e3", "EUR", []error{ErrInvalidAmount}},
		{"12.5.0", "EUR", []error{ErrInvalidAmount}},
		{"€12", "EUR", []error{ErrInvalidAmount}},
		{"１２", "EUR", []error{ErrInvalidAmount}},
		{"92233720368547758.08", "EUR", []error{ErrInvalidAmount, ErrOverflow}},
		{"9223372036854775808", "JPY", []error{ErrInvalidAmount, ErrOverflow}},
		{"99999999999999999999999", "EUR", []error{ErrInvalidAmount, ErrOverflow}},
		{"12", "eur", []error{ErrUnknownCurrency}},
		{"12", "XYZ", []error{ErrUnknownCurrency}},
		{"12", "", []error{ErrUnknownCurrency}},
	}
	for _, tt := range tests {
		t.Run("Err/"+tt.currency+"/"+tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseMajor(tt.in, tt.currency)
			for _, want := range tt.wantErr {
				if !errors.Is(err, want) {
					t.Errorf("ParseMajor(%q, %q) = %v, %v; want error %v", tt.in, tt.currency, got, err, want)
				}
			}
		})
	}
}
