package market

import (
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/money"
)

func day(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestAddMonths(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		from string
		n    int
		want string
	}{
		{"Jan31Plus1", "2026-01-31T10:00:00Z", 1, "2026-02-28T10:00:00Z"},
		{"Jan31Plus1Leap", "2024-01-31T10:00:00Z", 1, "2024-02-29T10:00:00Z"},
		{"Mar31Plus1", "2026-03-31T00:00:00Z", 1, "2026-04-30T00:00:00Z"},
		{"Dec15Plus1", "2026-12-15T08:30:00Z", 1, "2027-01-15T08:30:00Z"},
		{"Aug31Plus6", "2026-08-31T00:00:00Z", 6, "2027-02-28T00:00:00Z"},
		{"Leap29Plus12", "2024-02-29T12:00:00Z", 12, "2025-02-28T12:00:00Z"},
		{"Leap29Plus48", "2024-02-29T12:00:00Z", 48, "2028-02-29T12:00:00Z"},
		{"Plus24", "2026-11-22T23:59:59Z", 24, "2028-11-22T23:59:59Z"},
		{"Oct31Plus3", "2026-10-31T00:00:00Z", 3, "2027-01-31T00:00:00Z"},
		{"NonUTCInput", "2026-01-31T23:30:00+02:00", 1, "2026-02-28T21:30:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := AddMonths(day(tt.from), tt.n)
			if want := day(tt.want); !got.Equal(want) || got.Location() != time.UTC {
				t.Errorf("AddMonths(%s, %d) = %s, want %s UTC", tt.from, tt.n, got, want)
			}
		})
	}
}

func TestProrate(t *testing.T) {
	t.Parallel()
	year := day("2027-01-01T00:00:00Z").Unix() - day("2026-01-01T00:00:00Z").Unix() // 365 days
	tests := []struct {
		name   string
		shares []Share
		want   int64
	}{
		{"Empty", nil, 0},
		{"Whole", []Share{{Quantity: 5, UnitDelta: 19200, Remaining: year, Length: year}}, 96000},
		{"Half", []Share{{Quantity: 5, UnitDelta: 19200, Remaining: year / 2, Length: year}}, 48000},
		// 3 x 1000 x 1 day / 31 days = 96.774… -> 97
		{"OneDayOfJanuary", []Share{{Quantity: 3, UnitDelta: 1000, Remaining: 86400, Length: 31 * 86400}}, 97},
		// Two quarters of a cent are rounded once: 0.5 -> 1, not 0 + 0.
		{"RoundedOnce", []Share{{1, 1, 1, 4}, {1, 1, 1, 4}}, 1},
		{"HalfAwayFromZeroNegative", []Share{{1, -1, 1, 2}}, -1},
		{"JustBelowHalf", []Share{{1, 1, 49, 100}}, 0},
		{"SkipsOverAndEmpty", []Share{{5, 100, 0, 10}, {5, 100, 5, 0}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Prorate(tt.shares); got != tt.want {
				t.Errorf("Prorate = %d, want %d", got, tt.want)
			}
		})
	}
}

// TestUpgradeProration checks the upgrade rule of PRODUCT.md on hand-computed
// cases: 5 licenses moving from Business (12 months 384.00) to Enterprise (12
// months 576.00).
func TestUpgradeProration(t *testing.T) {
	t.Parallel()
	const business, enterprise = 38400, 57600
	p1 := Period{Start: day("2026-01-01T00:00:00Z"), End: day("2027-01-01T00:00:00Z"), Quantity: 5, UnitAmount: business, TermMonths: 12}
	p2 := Period{Start: day("2027-01-01T00:00:00Z"), End: day("2028-01-01T00:00:00Z"), Quantity: 5, UnitAmount: business, TermMonths: 12}
	halfway := day("2026-07-02T12:00:00Z") // 182.5 of 365 days left
	share := func(p Period, now time.Time) Share {
		return ShareOf(p.Start, p.End, now, int64(p.Quantity), enterprise-p.UnitAmount)
	}
	tests := []struct {
		name    string
		periods []Period
		now     time.Time
		want    int64
	}{
		// 5 x 192.00 x 1/2 = 480.00
		{"HalfwayThroughTwelveMonths", []Period{p1}, halfway, 48000},
		// plus the stacked future period in full: 5 x 192.00 = 960.00
		{"AcrossStackedFuturePeriod", []Period{p1, p2}, halfway, 48000 + 96000},
		// at the very start, the whole delta
		{"AtStart", []Period{p1}, p1.Start, 96000},
		// 1 day left of 365: 5 x 19200 / 365 = 263.013… -> 263
		{"LastDay", []Period{p1}, day("2026-12-31T00:00:00Z"), 263},
		// an over period counts nothing
		{"Over", []Period{p1}, day("2027-03-01T00:00:00Z"), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var shares []Share
			for _, p := range tt.periods {
				shares = append(shares, share(p, tt.now))
			}
			if got := Prorate(shares); got != tt.want {
				t.Errorf("upgrade charge = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestSubscriptionCurrentAndStatus(t *testing.T) {
	t.Parallel()
	trialEnd := day("2026-02-01T00:00:00Z")
	s := Subscription{Status: StatusActive, ExpiresAt: day("2026-03-01T00:00:00Z"), TrialEndsAt: &trialEnd, Periods: []Period{
		{Start: day("2026-01-02T00:00:00Z"), End: trialEnd, Quantity: 2, Trial: true},
		{Start: trialEnd, End: day("2026-03-01T00:00:00Z"), Quantity: 4},
	}}
	for _, tt := range []struct {
		now      string
		status   Status
		quantity int
	}{
		{"2026-01-15T00:00:00Z", StatusTrialing, 2},
		{"2026-02-15T00:00:00Z", StatusActive, 4},
		{"2026-03-01T00:00:00Z", StatusExpired, 4},
	} {
		now := day(tt.now)
		if got := s.StatusAt(now); got != tt.status {
			t.Errorf("StatusAt(%s) = %s, want %s", tt.now, got, tt.status)
		}
		if got := s.Quantity(now); got != tt.quantity {
			t.Errorf("Quantity(%s) = %d, want %d", tt.now, got, tt.quantity)
		}
	}
	if got := s.RenewalStart(day("2026-02-10T00:00:00Z")); !got.Equal(s.ExpiresAt) {
		t.Errorf("RenewalStart before expiry = %s, want expires_at", got)
	}
	late := day("2026-04-10T00:00:00Z")
	if got := s.RenewalStart(late); !got.Equal(late) {
		t.Errorf("RenewalStart after expiry = %s, want now", got)
	}
}

func TestPlanRules(t *testing.T) {
	t.Parallel()
	p := Plan{Code: "business", Name: "Business", MinLicenses: 2, MaxLicenses: 500, Terms: []int{1, 6, 12},
		Prices: []Price{{"EUR", 1, 4000}, {"EUR", 6, 21600}, {"EUR", 12, 38400}}}
	for _, tt := range []struct {
		name string
		cur  string
		term int
		want int64
		code Code
	}{
		{"OK", "EUR", 6, 21600, ""},
		{"ErrInvalidTerm", "EUR", 3, 0, CodeInvalidTerm},
		{"ErrCurrencyMismatch", "JPY", 12, 0, CodeCurrencyMismatch},
	} {
		got, err := p.UnitPrice(tt.cur, tt.term)
		if got != tt.want || ErrorCode(err) != tt.code {
			t.Errorf("%s: UnitPrice = %d, %v; want %d, %s", tt.name, got, err, tt.want, tt.code)
		}
	}
	for _, tt := range []struct {
		q    int
		code Code
	}{{1, CodeMinLicenses}, {2, ""}, {500, ""}, {501, CodeMaxLicenses}, {0, CodeMinLicenses}} {
		if got := ErrorCode(p.CheckQuantity(tt.q)); got != tt.code {
			t.Errorf("CheckQuantity(%d) = %q, want %q", tt.q, got, tt.code)
		}
	}
}

func TestTaxAndTotals(t *testing.T) {
	t.Parallel()
	lines := []Line{
		{Type: ItemSubscription, Amount: 6173, Discount: 0}, // 8.1 % = 500.013 -> 500
		{Type: ItemRenewal, Amount: 4150, Discount: 1000},   // 8.1 % of 3150 = 255.15 -> 255
		{Type: ItemTopUp, Amount: 5000},                     // deposits are not taxed
		{Type: ItemUpgrade, Amount: 12346, Discount: 12346}, // nothing left to tax
		{Type: ItemLicenses, Amount: 6, Discount: 0},        // 0.486 -> 0
		{Type: ItemPhoneNumber, Amount: 2099, Discount: 0},  // 170.019 -> 170
	}
	ApplyTax(lines, money.MustRate("8.1"))
	wantTax := []int64{500, 255, 0, 0, 0, 170}
	for i, l := range lines {
		if l.Tax != wantTax[i] {
			t.Errorf("line %d tax = %d, want %d", i, l.Tax, wantTax[i])
		}
	}
	got := Sum(lines)
	want := Totals{Subtotal: 6173 + 4150 + 5000 + 12346 + 6 + 2099, Discount: 1000 + 12346, Tax: 925}
	want.Total = want.Subtotal - want.Discount + want.Tax
	if got != want {
		t.Errorf("Sum = %+v, want %+v", got, want)
	}
	if TopUpTotal(lines) != 5000 {
		t.Errorf("TopUpTotal = %d, want 5000", TopUpTotal(lines))
	}
}
