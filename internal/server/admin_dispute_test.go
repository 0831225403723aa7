package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestOfficeShowsDisputes: an order whose card payment is disputed says so
// on the back office's order page and in its list, for every role.
func TestOfficeShowsDisputes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		o := newOffice(t, st, false)
		tok := o.signup("disputed@acme.test", "CHF")
		r := o.do("POST", "/v1/orders", tok, topUp(5000))
		if r.status != 201 {
			t.Fatalf("order: %d %s", r.status, r.raw)
		}
		id, cus := r.body["id"].(string), r.body["customer"]
		page := o.get(billing.RoleFinance, "/admin/orders/"+id)
		if page.status != 200 || strings.Contains(page.body, "disputed at the bank") {
			t.Fatalf("undisputed order page: %d, says disputed: %v", page.status, strings.Contains(page.body, "disputed at the bank"))
		}
		customer, _ := cus.(string)
		if customer == "" {
			ord, err := st.Read().Order(context.Background(), "", id)
			if err != nil {
				t.Fatal(err)
			}
			customer = ord.CustomerID
		}
		now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
		if err := st.Tx(context.Background(), func(q *store.Q) error {
			return q.PutDispute(context.Background(), market.Dispute{ID: "dp_1", CustomerID: customer, OrderID: id, Amount: 5000,
				Currency: "CHF", Reason: "fraudulent", Status: "needs_response", CreatedAt: now, UpdatedAt: now})
		}); err != nil {
			t.Fatal(err)
		}
		for _, role := range billing.OperatorRoles {
			page := o.get(role, "/admin/orders/"+id)
			if page.status != 200 || !strings.Contains(page.body, "disputed at the bank") || !strings.Contains(page.body, `data-testid="dispute"`) {
				t.Errorf("%s: disputed order page %d does not say it is disputed", role, page.status)
			}
		}
		list := o.get(billing.RoleSupport, "/admin/orders?customer="+customer)
		if list.status != 200 || !strings.Contains(list.body, "<strong>disputed</strong>") {
			t.Errorf("orders list %d does not mark the disputed order", list.status)
		}
	})
}
