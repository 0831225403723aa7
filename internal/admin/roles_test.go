package admin

import (
	"net/http"
	"testing"
)

// TestPermit: the roles of PRODUCT.md "Logins and the operator", area by
// area: support may not change prices, the catalog, promo codes, taxes or
// operators; finance changes nothing; admin everything.
func TestPermit(t *testing.T) {
	all := []area{areaDashboard, areaCustomers, areaOrders, areaCatalog, areaPromos, areaNumbers, areaTaxes,
		areaWebhooks, areaMailbox, areaClock, areaAudit, areaOperators}
	supportWrites := map[area]bool{areaCustomers: true, areaOrders: true}
	for _, ar := range all {
		for _, tc := range []struct {
			role, method string
			want         bool
		}{
			{"admin", http.MethodGet, true},
			{"admin", http.MethodPost, true},
			{"support", http.MethodGet, ar != areaOperators},
			{"support", http.MethodPost, supportWrites[ar]},
			{"finance", http.MethodGet, true},
			{"finance", http.MethodHead, true},
			{"finance", http.MethodPost, false},
			{"finance", http.MethodDelete, false},
			{"", http.MethodGet, false},
			{"owner", http.MethodGet, false},
		} {
			if got := permit(tc.role, tc.method, ar); got != tc.want {
				t.Errorf("permit(%q, %s, %s) = %v, want %v", tc.role, tc.method, ar, got, tc.want)
			}
		}
	}
	// Everyone may log out.
	for _, role := range []string{"admin", "support", "finance"} {
		if !permit(role, http.MethodPost, areaSelf) {
			t.Errorf("%s may not log out", role)
		}
	}
}
