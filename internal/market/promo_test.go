package market

import (
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/money"
)

func TestPromoCheck(t *testing.T) {
	t.Parallel()
	now := day("2026-06-01T12:00:00Z")
	before, after := now.Add(-time.Hour), now.Add(time.Hour)
	base := Promo{Code: "SPRING20", PercentOff: money.MustRate("20"), HasPercent: true, MaxPerCustomer: 1, Active: true}
	use := PromoUse{Now: now, Currency: "EUR"}
	tests := []struct {
		name   string
		change func(p *Promo, u *PromoUse)
		want   Code
	}{
		{"OK", func(*Promo, *PromoUse) {}, ""},
		{"ErrInactive", func(p *Promo, _ *PromoUse) { p.Active = false }, CodePromoInvalid},
		{"ErrNotYetValid", func(p *Promo, _ *PromoUse) { p.ValidFrom = &after }, CodePromoInvalid},
		{"ValidFromNow", func(p *Promo, _ *PromoUse) { p.ValidFrom = &now }, ""},
		{"ErrExpired", func(p *Promo, _ *PromoUse) { p.ValidUntil = &before }, CodePromoInvalid},
		{"ErrExpiredAtUntil", func(p *Promo, _ *PromoUse) { p.ValidUntil = &now }, CodePromoInvalid},
		{"ErrExhausted", func(p *Promo, _ *PromoUse) { p.MaxRedemptions, p.Redemptions = 10, 10 }, CodePromoExhausted},
		{"OneLeft", func(p *Promo, _ *PromoUse) { p.MaxRedemptions, p.Redemptions = 10, 9 }, ""},
		{"ErrPerCustomer", func(_ *Promo, u *PromoUse) { u.CustomerRedemptions = 1 }, CodePromoExhausted},
		{"NoPerCustomerLimit", func(p *Promo, u *PromoUse) { p.MaxPerCustomer, u.CustomerRedemptions = 0, 5 }, ""},
		{"ErrFirstPurchaseOnly", func(p *Promo, u *PromoUse) { p.FirstPurchaseOnly, u.HasPaidOrders = true, true }, CodePromoInvalid},
		{"FirstPurchase", func(p *Promo, _ *PromoUse) { p.FirstPurchaseOnly = true }, ""},
		{"ErrAmountOtherCurrency", func(p *Promo, _ *PromoUse) {
			p.HasPercent, p.PercentOff, p.AmountOff, p.Currency = false, money.Rate{}, 500, "CHF"
		}, CodePromoInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, u := base, use
			tt.change(&p, &u)
			if got := ErrorCode(p.Check(u)); got != tt.want {
				t.Errorf("Check = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPromoApply(t *testing.T) {
	t.Parallel()
	sub := func(plan string, term, q int, amount int64) Line {
		return Line{Type: ItemSubscription, Plan: plan, TermMonths: term, Quantity: q, Amount: amount}
	}
	pct := Promo{Code: "P", PercentOff: money.MustRate("20"), HasPercent: true}
	tests := []struct {
		name  string
		promo Promo
		lines []Line
		want  []int64
		code  Code
	}{
		{"Percent", pct, []Line{sub("business", 12, 5, 192000)}, []int64{38400}, ""},
		// 20 % of 12345 = 2469; of 1 = 0.2 -> 0; rounded per line
		{"PercentPerLine", pct, []Line{sub("start", 1, 2, 12345), sub("start", 1, 2, 1)}, []int64{2469, 0}, ""},
		{"Fixed", Promo{Code: "F", AmountOff: 5000, Currency: "EUR"},
			[]Line{sub("start", 1, 2, 3000), sub("start", 1, 2, 4000)}, []int64{3000, 2000}, ""},
		{"FixedNeverMoreThanLine", Promo{Code: "F", AmountOff: 50000, Currency: "EUR"},
			[]Line{sub("start", 1, 2, 3000)}, []int64{3000}, ""},
		{"PlanRestricted", Promo{Code: "P", PercentOff: money.MustRate("10"), HasPercent: true, Plans: []string{"business"}},
			[]Line{sub("start", 1, 2, 5000), sub("business", 1, 2, 8000)}, []int64{0, 800}, ""},
		{"ErrPlanRestricted", Promo{Code: "P", PercentOff: money.MustRate("10"), HasPercent: true, Plans: []string{"business"}},
			[]Line{sub("start", 1, 2, 5000)}, []int64{0}, CodePromoInvalid},
		{"ErrTermRestricted", Promo{Code: "P", PercentOff: money.MustRate("10"), HasPercent: true, Terms: []int{12}},
			[]Line{sub("start", 1, 2, 5000)}, []int64{0}, CodePromoInvalid},
		{"ErrMinQuantity", Promo{Code: "P", PercentOff: money.MustRate("10"), HasPercent: true, MinQuantity: 5},
			[]Line{sub("start", 1, 4, 5000)}, []int64{0}, CodePromoInvalid},
		{"ErrRenewalNotAllowed", pct, []Line{{Type: ItemRenewal, Plan: "start", TermMonths: 1, Quantity: 2, Amount: 5000}}, []int64{0}, CodePromoInvalid},
		{"RenewalAllowed", Promo{Code: "P", PercentOff: money.MustRate("10"), HasPercent: true, Renewals: true},
			[]Line{{Type: ItemRenewal, Plan: "start", TermMonths: 1, Quantity: 2, Amount: 5000}}, []int64{500}, ""},
		{"ErrTopUpNotDiscounted", pct, []Line{{Type: ItemTopUp, Amount: 5000}}, []int64{0}, CodePromoInvalid},
		{"ErrTrialNotDiscounted", pct, []Line{{Type: ItemSubscription, Plan: "hosted-pbx", Trial: true}}, []int64{0}, CodePromoInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.promo.Apply(tt.lines)
			if got := ErrorCode(err); got != tt.code {
				t.Fatalf("Apply error = %q, want %q", got, tt.code)
			}
			for i, l := range tt.lines {
				if l.Discount != tt.want[i] {
					t.Errorf("line %d discount = %d, want %d", i, l.Discount, tt.want[i])
				}
			}
		})
	}
}
