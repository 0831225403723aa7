package billing

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/internal/market"
)

// TestItemKindsRegistered checks that the kinds a customer may order are
// exactly ItemInput's documented types, each shown by the portal and with
// a purpose of its own, and that the scheduler's kind is not orderable.
func TestItemKindsRegistered(t *testing.T) {
	t.Parallel()
	f, _ := reflect.TypeFor[ItemInput]().FieldByName("Type")
	enum := strings.Split(f.Tag.Get("enum"), ",")
	var orderable []string
	purposes := map[market.Purpose]string{}
	for typ, k := range itemKinds {
		if !k.orderable() {
			if _, ok := KindOf(string(typ)); ok {
				t.Errorf("KindOf(%q) found the scheduler's kind", typ)
			}
			continue
		}
		orderable = append(orderable, string(typ))
		sh := k.Show()
		if sh.Label == "" || sh.Heading == "" || sh.PayLabel == "" || !slices.Contains([]string{"plans", "numbers", "billing"}, sh.Nav) {
			t.Errorf("%s: Show() = %+v, want a label, heading, pay label and menu", typ, sh)
		}
		if other, ok := purposes[k.Purpose()]; ok || k.Purpose() == "" {
			t.Errorf("%s: purpose %q, also %s's", typ, k.Purpose(), other)
		}
		purposes[k.Purpose()] = string(typ)
	}
	slices.Sort(enum)
	slices.Sort(orderable)
	if !slices.Equal(orderable, enum) {
		t.Errorf("orderable kinds %v, ItemInput's enum %v", orderable, enum)
	}
	if _, ok := KindOf(string(itemNumberRental)); ok {
		t.Errorf("number_rental is orderable")
	}
}

func TestPurposeOf(t *testing.T) {
	t.Parallel()
	l := func(typ market.ItemType) market.Line { return market.Line{Type: typ} }
	for _, tc := range []struct {
		name  string
		lines []market.Line
		want  market.Purpose
	}{
		{"None", nil, market.PurposeOrder},
		{"Subscription", []market.Line{l(market.ItemSubscription)}, market.PurposeSubscription},
		{"TwoRenewals", []market.Line{l(market.ItemRenewal), l(market.ItemRenewal)}, market.PurposeRenewal},
		{"TopUp", []market.Line{l(market.ItemTopUp)}, market.PurposeRefill},
		{"Rental", []market.Line{l(itemNumberRental)}, market.PurposeNumberRental},
		{"Mixed", []market.Line{l(market.ItemUpgrade), l(market.ItemLicenses)}, market.PurposeOrder},
		{"Unknown", []market.Line{l("gift")}, market.PurposeOrder},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := purposeOf(tc.lines); got != tc.want {
				t.Errorf("purposeOf = %q, want %q", got, tc.want)
			}
		})
	}
}
