package store_test

import (
	"sync"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// fxPending stores a pending order of a customer waiting on intent, and
// returns it as it reads back.
func fxPending(t *testing.T, q *store.Q, customerID, id, intent string) market.PendingOrder {
	t.Helper()
	p := market.PendingOrder{ID: id, CustomerID: customerID, UserID: "usr_1", Gateway: "stripe", Intent: intent, Amount: 1081,
		Currency: "CHF", Source: "api", Input: `{"order":{"items":[]}}`, NextActionURL: "https://bank.test/3ds/" + intent, CreatedAt: tµ}
	must(t, q.InsertPendingOrder(ctx, p))
	p.Status, p.CreatedAt, p.UpdatedAt = "pending", µs(tµ), µs(tµ)
	return p
}

func fxDispute(t *testing.T, q *store.Q, customerID, orderID, id string, at time.Time) market.Dispute {
	t.Helper()
	d := market.Dispute{ID: id, CustomerID: customerID, OrderID: orderID, Amount: 1081, Currency: "CHF", Reason: "fraudulent",
		Status: "needs_response", CreatedAt: at, UpdatedAt: at}
	must(t, q.PutDispute(ctx, d))
	d.CreatedAt, d.UpdatedAt = µs(at), µs(at)
	return d
}

// Contract: the card gateway's records (migration 00011): gateway
// customers, orders waiting for authentication, webhook events applied,
// disputes, and the payments and cards the gateway's events name.
func init() {
	addContract(map[string]contractCase{
		"Q.GatewayCustomer": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxCustomer(t, q, "cus_2")
			_, err := q.GatewayCustomer(ctx, "cus_1", "stripe")
			wantNotFound(t, err)
			must(t, q.PutGatewayCustomer(ctx, "cus_1", "stripe", "cus_S1", tµ))
			ref, err := q.GatewayCustomer(ctx, "cus_1", "stripe")
			must(t, err)
			eq(t, "ref", ref, "cus_S1")
			_, err = q.GatewayCustomer(ctx, "cus_1", "sandbox") // another gateway
			wantNotFound(t, err)
			_, err = q.GatewayCustomer(ctx, "cus_2", "stripe") // another customer
			wantNotFound(t, err)
			_, err = q.GatewayCustomer(ctx, "cus_none", "stripe")
			wantNotFound(t, err)
		},
		"Q.PutGatewayCustomer": func(t *testing.T, st *store.Store) {
			t.Run("KeepsTheFirst", func(t *testing.T) { // PRIMARY KEY (customer_id, gateway): documented, no error
				q := txQ(t, st)
				fxCustomer(t, q, "cus_1")
				must(t, q.PutGatewayCustomer(ctx, "cus_1", "stripe", "cus_S1", tµ))
				must(t, q.PutGatewayCustomer(ctx, "cus_1", "stripe", "cus_S2", tµ.Add(time.Hour)))
				ref, err := q.GatewayCustomer(ctx, "cus_1", "stripe")
				must(t, err)
				eq(t, "ref after a second put", ref, "cus_S1")
				must(t, q.PutGatewayCustomer(ctx, "cus_1", "other", "cus_O1", tµ)) // one per gateway
				ref, err = q.GatewayCustomer(ctx, "cus_1", "other")
				must(t, err)
				eq(t, "ref of the other gateway", ref, "cus_O1")
			})
			t.Run("NoCustomer", func(t *testing.T) { // REFERENCES customers
				q := txQ(t, st)
				if err := q.PutGatewayCustomer(ctx, "cus_none", "stripe", "cus_S1", tµ); err == nil {
					t.Error("a gateway customer of no account was stored")
				}
			})
		},
		"Q.InsertPendingOrder": func(t *testing.T, st *store.Store) {
			t.Run("ReadsBack", func(t *testing.T) {
				q := txQ(t, st)
				fxCustomer(t, q, "cus_1")
				want := fxPending(t, q, "cus_1", "ord_1", "pi_1")
				got, err := q.PendingOrder(ctx, "cus_1", "ord_1")
				must(t, err)
				eq(t, "pending order", got, want)
			})
			t.Run("SameIntent", func(t *testing.T) { // UNIQUE (gateway, intent): documented, the first is kept
				q := txQ(t, st)
				fxCustomer(t, q, "cus_1")
				want := fxPending(t, q, "cus_1", "ord_1", "pi_1")
				again := want
				again.ID, again.Amount, again.CreatedAt = "ord_2", 5, tµ.Add(time.Hour)
				must(t, q.InsertPendingOrder(ctx, again))
				got, err := q.PendingOrderByIntent(ctx, "stripe", "pi_1")
				must(t, err)
				eq(t, "kept", got, want)
				_, err = q.PendingOrder(ctx, "", "ord_2")
				wantNotFound(t, err)
				other := want // the same intent ID at another gateway is another charge
				other.ID, other.Gateway = "ord_3", "sandbox"
				must(t, q.InsertPendingOrder(ctx, other))
				got, err = q.PendingOrderByIntent(ctx, "sandbox", "pi_1")
				must(t, err)
				eq(t, "other gateway", got.ID, "ord_3")
			})
			t.Run("SameID", func(t *testing.T) { // PRIMARY KEY (id)
				q := txQ(t, st)
				fxCustomer(t, q, "cus_1")
				p := fxPending(t, q, "cus_1", "ord_1", "pi_1")
				p.Intent = "pi_2"
				if err := q.InsertPendingOrder(ctx, p); err == nil {
					t.Error("a second pending order of the ID was stored")
				}
			})
			t.Run("NoAmount", func(t *testing.T) { // CHECK (amount > 0)
				q := txQ(t, st)
				fxCustomer(t, q, "cus_1")
				if err := q.InsertPendingOrder(ctx, market.PendingOrder{ID: "ord_1", CustomerID: "cus_1", Gateway: "stripe", Intent: "pi_1",
					Currency: "CHF", Source: "api", Input: "{}", CreatedAt: tµ}); err == nil {
					t.Error("a pending order of no amount was stored")
				}
			})
			t.Run("NoCustomer", func(t *testing.T) { // REFERENCES customers
				q := txQ(t, st)
				if err := q.InsertPendingOrder(ctx, market.PendingOrder{ID: "ord_1", CustomerID: "cus_none", Gateway: "stripe", Intent: "pi_1",
					Amount: 1, Currency: "CHF", Source: "api", Input: "{}", CreatedAt: tµ}); err == nil {
					t.Error("a pending order of no account was stored")
				}
			})
		},
		"Q.PendingOrder": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxCustomer(t, q, "cus_2")
			want := fxPending(t, q, "cus_1", "ord_1", "pi_1")
			got, err := q.PendingOrder(ctx, "", "ord_1") // any customer (operator, webhooks)
			must(t, err)
			eq(t, "any customer", got, want)
			_, err = q.PendingOrder(ctx, "cus_2", "ord_1") // another customer's
			wantNotFound(t, err)
			_, err = q.PendingOrder(ctx, "cus_1", "ord_none")
			wantNotFound(t, err)
			_, err = q.PendingOrder(ctx, "", "ord_none")
			wantNotFound(t, err)
		},
		"Q.PendingOrderByIntent": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			want := fxPending(t, q, "cus_1", "ord_1", "pi_1")
			fxPending(t, q, "cus_1", "ord_2", "pi_2")
			got, err := q.PendingOrderByIntent(ctx, "stripe", "pi_1")
			must(t, err)
			eq(t, "by intent", got, want)
			_, err = q.PendingOrderByIntent(ctx, "sandbox", "pi_1") // another gateway
			wantNotFound(t, err)
			_, err = q.PendingOrderByIntent(ctx, "stripe", "pi_none")
			wantNotFound(t, err)
			_, err = q.PendingOrderByIntent(ctx, "stripe", "")
			wantNotFound(t, err)
		},
		"Q.FinishPendingOrder": func(t *testing.T, st *store.Store) {
			t.Run("Once", func(t *testing.T) {
				q := txQ(t, st)
				fxCustomer(t, q, "cus_1")
				want := fxPending(t, q, "cus_1", "ord_1", "pi_1")
				later := tµ.Add(90 * time.Second)
				done, err := q.FinishPendingOrder(ctx, "ord_1", "completed", "", later)
				must(t, err)
				eq(t, "first finish", done, true)
				want.Status, want.UpdatedAt = "completed", µs(later)
				got, err := q.PendingOrder(ctx, "cus_1", "ord_1")
				must(t, err)
				eq(t, "completed", got, want)
				// A second finish, either way, does nothing and says so.
				for _, status := range []string{"completed", "failed"} {
					done, err = q.FinishPendingOrder(ctx, "ord_1", status, "card_declined", later.Add(time.Hour))
					must(t, err)
					eq(t, "second finish "+status, done, false)
				}
				got, err = q.PendingOrder(ctx, "cus_1", "ord_1")
				must(t, err)
				eq(t, "after a second finish", got, want)
			})
			t.Run("Failed", func(t *testing.T) {
				q := txQ(t, st)
				fxCustomer(t, q, "cus_1")
				want := fxPending(t, q, "cus_1", "ord_1", "pi_1")
				done, err := q.FinishPendingOrder(ctx, "ord_1", "failed", "insufficient_funds", tµ)
				must(t, err)
				eq(t, "finish", done, true)
				done, err = q.FinishPendingOrder(ctx, "ord_1", "completed", "", tµ)
				must(t, err)
				eq(t, "completing a failed order", done, false)
				want.Status, want.Reason = "failed", "insufficient_funds"
				got, err := q.PendingOrderByIntent(ctx, "stripe", "pi_1")
				must(t, err)
				eq(t, "failed", got, want)
			})
			t.Run("NotFound", func(t *testing.T) { // documented: reports it did nothing
				q := txQ(t, st)
				done, err := q.FinishPendingOrder(ctx, "ord_none", "completed", "", tµ)
				must(t, err)
				eq(t, "finish of no order", done, false)
			})
			t.Run("BadStatus", func(t *testing.T) { // CHECK (status IN ...)
				q := txQ(t, st)
				fxCustomer(t, q, "cus_1")
				fxPending(t, q, "cus_1", "ord_1", "pi_1")
				if _, err := q.FinishPendingOrder(ctx, "ord_1", "paid", "", tµ); err == nil {
					t.Error("a pending order moved to status paid")
				}
			})
			t.Run("Racing", func(t *testing.T) { // committed, in transactions of their own: exactly one finishes
				s := storetest.Open(t, string(st.Dialect()))
				must(t, s.Tx(ctx, func(q *store.Q) error {
					fxCustomer(t, q, "cus_1")
					fxPending(t, q, "cus_1", "ord_1", "pi_1")
					return nil
				}))
				const callers = 6
				var wg sync.WaitGroup
				results := make(chan bool, callers)
				for i := range callers {
					wg.Go(func() {
						status := []string{"completed", "failed"}[i%2]
						var done bool
						err := s.Tx(ctx, func(q *store.Q) error {
							var err error
							done, err = q.FinishPendingOrder(ctx, "ord_1", status, "", tµ)
							return err
						})
						if err != nil {
							t.Error(err)
						}
						results <- done
					})
				}
				wg.Wait()
				close(results)
				n := 0
				for done := range results {
					if done {
						n++
					}
				}
				eq(t, "callers that finished it", n, 1)
			})
		},
		"Q.RecordGatewayEvent": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fresh, err := q.RecordGatewayEvent(ctx, "evt_1", "stripe", "payment_intent.succeeded", tµ)
			must(t, err)
			eq(t, "first record", fresh, true)
			// PRIMARY KEY (id): documented, false and nothing changes.
			fresh, err = q.RecordGatewayEvent(ctx, "evt_1", "stripe", "payment_intent.succeeded", tµ.Add(time.Hour))
			must(t, err)
			eq(t, "recorded twice", fresh, false)
			fresh, err = q.RecordGatewayEvent(ctx, "evt_1", "sandbox", "charge.refunded", tµ)
			must(t, err)
			eq(t, "same ID, another gateway and type", fresh, false)
			fresh, err = q.RecordGatewayEvent(ctx, "evt_2", "stripe", "payment_intent.succeeded", tµ)
			must(t, err)
			eq(t, "another event", fresh, true)
			seen, err := q.GatewayEventSeen(ctx, "evt_1")
			must(t, err)
			eq(t, "seen", seen, true)
		},
		"Q.GatewayEventSeen": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			seen, err := q.GatewayEventSeen(ctx, "evt_1") // documented: false, no error
			must(t, err)
			eq(t, "before", seen, false)
			_, err = q.RecordGatewayEvent(ctx, "evt_1", "stripe", "charge.refunded", tµ)
			must(t, err)
			seen, err = q.GatewayEventSeen(ctx, "evt_1")
			must(t, err)
			eq(t, "after", seen, true)
			seen, err = q.GatewayEventSeen(ctx, "evt_2")
			must(t, err)
			eq(t, "another", seen, false)
		},
		"Q.PaymentByGatewayRef": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxPayment(t, q, "cus_1", "pay_0", 500, tµ) // no gateway ref
			want := market.Payment{ID: "pay_1", CustomerID: "cus_1", OrderID: "ord_1", InvoiceID: "inv_1", Purpose: market.Purpose("checkout"),
				Description: "pay", Method: "card", Amount: 1081, Currency: "CHF", CardBrand: "visa", CardLast4: "4242",
				PaymentMethodID: "pm_1", GatewayRef: "pi_1", CreatedAt: tµ}
			must(t, q.InsertPayment(ctx, want))
			want.CreatedAt = µs(tµ)
			// A refund of the charge names it as well: it is not the payment.
			must(t, q.InsertPayment(ctx, market.Payment{ID: "pay_2", CustomerID: "cus_1", OrderID: "ord_1", Purpose: market.Purpose("refund"),
				Method: "card", Amount: -1081, Currency: "CHF", GatewayRef: "pi_1", RefundOf: "pay_1", CreatedAt: tµ.Add(time.Hour)}))
			must(t, q.InsertPayment(ctx, market.Payment{ID: "pay_3", CustomerID: "cus_1", OrderID: "ord_1", Purpose: market.Purpose("refund"),
				Method: "card", Amount: -1, Currency: "CHF", GatewayRef: "pi_refund_only", RefundOf: "pay_1", CreatedAt: tµ}))
			got, err := q.PaymentByGatewayRef(ctx, "pi_1")
			must(t, err)
			eq(t, "payment", got, want)
			_, err = q.PaymentByGatewayRef(ctx, "pi_refund_only")
			wantNotFound(t, err)
			_, err = q.PaymentByGatewayRef(ctx, "") // payments without a ref are not named by ""
			wantNotFound(t, err)
			_, err = q.PaymentByGatewayRef(ctx, "pi_none")
			wantNotFound(t, err)
		},
		"Q.PutDispute": func(t *testing.T, st *store.Store) {
			t.Run("InsertsThenUpdates", func(t *testing.T) {
				q := txQ(t, st)
				fxCustomer(t, q, "cus_1")
				// What is written reads back, created_at as well.
				d := market.Dispute{ID: "dp_1", CustomerID: "cus_1", OrderID: "ord_1", Amount: 1081, Currency: "CHF", Reason: "fraudulent",
					Status: "needs_response", CreatedAt: tµ, UpdatedAt: tµ.Add(time.Minute)}
				must(t, q.PutDispute(ctx, d))
				want := d
				want.CreatedAt, want.UpdatedAt = µs(tµ), µs(tµ.Add(time.Minute))
				ds, err := q.OrderDisputes(ctx, "ord_1")
				must(t, err)
				eq(t, "inserted", ds, []market.Dispute{want})
				// Again (charge.dispute.closed): the new status and reason; the
				// rest, and when it was opened, stay.
				later := tµ.Add(48 * time.Hour)
				must(t, q.PutDispute(ctx, market.Dispute{ID: "dp_1", CustomerID: "cus_1", OrderID: "ord_1", Amount: 1081, Currency: "CHF",
					Reason: "product_not_received", Status: "won", CreatedAt: later, UpdatedAt: later}))
				want.Reason, want.Status, want.UpdatedAt = "product_not_received", "won", µs(later)
				ds, err = q.OrderDisputes(ctx, "ord_1")
				must(t, err)
				eq(t, "updated", ds, []market.Dispute{want})
			})
			t.Run("MarksTheOrder", func(t *testing.T) {
				q := txQ(t, st)
				fxCustomer(t, q, "cus_1")
				fxOrder(t, q, "cus_1", "ord_1", 1081)
				fxOrder(t, q, "cus_1", "ord_2", 1081)
				o, err := q.Order(ctx, "cus_1", "ord_1")
				must(t, err)
				eq(t, "before", o.DisputeStatus, "")
				for _, status := range []string{"needs_response", "lost"} {
					must(t, q.PutDispute(ctx, market.Dispute{ID: "dp_1", CustomerID: "cus_1", OrderID: "ord_1", Amount: 1081, Currency: "CHF",
						Reason: "fraudulent", Status: status, CreatedAt: tµ, UpdatedAt: tµ}))
					o, err = q.Order(ctx, "cus_1", "ord_1")
					must(t, err)
					eq(t, "order's dispute status", o.DisputeStatus, status)
				}
				os, err := q.Orders(ctx, "cus_1", store.Page{})
				must(t, err)
				for _, o := range os {
					want := map[string]string{"ord_1": "lost", "ord_2": ""}[o.ID]
					eq(t, "listed "+o.ID, o.DisputeStatus, want)
				}
			})
			t.Run("NoCustomer", func(t *testing.T) { // REFERENCES customers
				q := txQ(t, st)
				if err := q.PutDispute(ctx, market.Dispute{ID: "dp_1", CustomerID: "cus_none", OrderID: "ord_1", CreatedAt: tµ, UpdatedAt: tµ}); err == nil {
					t.Error("a dispute of no account was stored")
				}
			})
		},
		"Q.OrderDisputes": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			ds, err := q.OrderDisputes(ctx, "ord_1")
			must(t, err)
			eq(t, "none", len(ds), 0)
			b := fxDispute(t, q, "cus_1", "ord_1", "dp_b", tµ)
			c := fxDispute(t, q, "cus_1", "ord_1", "dp_c", tµ.Add(-time.Hour))
			a := fxDispute(t, q, "cus_1", "ord_1", "dp_a", tµ)
			fxDispute(t, q, "cus_1", "ord_2", "dp_x", tµ)
			ds, err = q.OrderDisputes(ctx, "ord_1")
			must(t, err)
			eq(t, "oldest first, then by ID", ds, []market.Dispute{c, a, b})
			ds, err = q.OrderDisputes(ctx, "ord_none")
			must(t, err)
			eq(t, "of no order", len(ds), 0)
		},
		"Q.CardsExpiring": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxCustomer(t, q, "cus_2")
			card := func(id, customerID string, month, year int) market.PaymentMethod {
				t.Helper()
				p, err := q.InsertPaymentMethod(ctx, market.PaymentMethod{ID: id, CustomerID: customerID, Gateway: "stripe", Token: "tok_" + id,
					Brand: "visa", Last4: "4242", ExpMonth: month, ExpYear: year, CreatedAt: tµ})
				must(t, err)
				p.CreatedAt = µs(tµ)
				return p
			}
			p1 := card("pm_1", "cus_1", 3, 2027)
			card("pm_2", "cus_1", 4, 2027) // next month
			p3 := card("pm_3", "cus_2", 3, 2027)
			card("pm_4", "cus_2", 3, 2028) // another year
			card("pm_5", "cus_1", 3, 2027) // removed below
			p6 := card("pm_6", "cus_2", 3, 2027)
			must(t, q.DeletePaymentMethod(ctx, "cus_1", "pm_5", tµ))
			p1.Default, p3.Default = true, true // the first card of each account
			got, err := q.CardsExpiring(ctx, 2027, 3, "", 10)
			must(t, err)
			eq(t, "expiring in 03/2027", got, []market.PaymentMethod{p1, p3, p6})
			// In pages: two, then after the second.
			got, err = q.CardsExpiring(ctx, 2027, 3, "", 2)
			must(t, err)
			eq(t, "first page", got, []market.PaymentMethod{p1, p3})
			got, err = q.CardsExpiring(ctx, 2027, 3, "pm_3", 2)
			must(t, err)
			eq(t, "second page", got, []market.PaymentMethod{p6})
			got, err = q.CardsExpiring(ctx, 2026, 3, "", 10)
			must(t, err)
			eq(t, "none", len(got), 0)
		},
		"Q.UpdateCardByToken": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxCustomer(t, q, "cus_2")
			card := func(id, customerID, gateway, token, last4 string, expYear int) market.PaymentMethod {
				t.Helper()
				p, err := q.InsertPaymentMethod(ctx, market.PaymentMethod{ID: id, CustomerID: customerID, Gateway: gateway, Token: token,
					Brand: "visa", Last4: last4, ExpMonth: 12, ExpYear: expYear, CreatedAt: tµ})
				must(t, err)
				p.CreatedAt = µs(tµ)
				return p
			}
			p1 := card("pm_1", "cus_1", "stripe", "pm_S1", "4242", 2026)
			p2 := card("pm_2", "cus_2", "stripe", "pm_S1", "4242", 2026)
			p3 := card("pm_3", "cus_1", "sandbox", "pm_S1", "4242", 2026)   // another gateway's token
			card("pm_4", "cus_1", "stripe", "pm_S1", "4242", 2026)          // removed below
			p5 := card("pm_5", "cus_2", "stripe", "pm_S1", "1111", 2031)    // already as the gateway says
			p6 := card("pm_6", "cus_1", "stripe", "pm_other", "4242", 2026) // another token
			must(t, q.DeletePaymentMethod(ctx, "cus_1", "pm_4", tµ))
			cards, err := q.UpdateCardByToken(ctx, "stripe", "pm_S1", "visa", "1111", 12, 2031)
			must(t, err)
			p1.Last4, p1.ExpYear = "1111", 2031
			p2.Last4, p2.ExpYear = "1111", 2031
			eq(t, "changed cards, by ID", cards, []market.PaymentMethod{p1, p2})
			for _, want := range []market.PaymentMethod{p1, p2, p3, p5, p6} {
				got, err := q.PaymentMethod(ctx, want.CustomerID, want.ID)
				must(t, err)
				eq(t, "card "+want.ID, got, want)
			}
			cards, err = q.UpdateCardByToken(ctx, "stripe", "pm_S1", "visa", "1111", 12, 2031) // the same again
			must(t, err)
			eq(t, "changed again", len(cards), 0)
			cards, err = q.UpdateCardByToken(ctx, "stripe", "pm_none", "visa", "1111", 12, 2031)
			must(t, err)
			eq(t, "no card of the token", len(cards), 0)
		},
	})
}
