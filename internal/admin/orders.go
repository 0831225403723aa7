package admin

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
)

// Orders: the list across customers, an order's page with its items,
// payment, refunds and invoices, the refund of some or all of its items
// (with revoke: what they bought ends), and the invoices and credit notes
// themselves.

func (a *Admin) orderRoutes() {
	a.handle("GET /admin/orders", areaOrders, a.ordersPage)
	a.handle("GET /admin/orders/{id}", areaOrders, a.orderPage)
	a.handle("POST /admin/orders/{id}/refunds", areaOrders, a.refundPost)
	a.handle("GET /admin/invoices/{id}", areaOrders, a.invoicePage)
}

// orderStatuses are the statuses an order can have, for the filter.
var orderStatuses = []string{"paid", "partially_refunded", "refunded"}

// orderPurposes are the purposes of an order's payment, for the filter.
var orderPurposes = []market.Purpose{market.PurposeSubscription, market.PurposeRenewal, market.PurposeUpgrade,
	market.PurposeLicenses, market.PurposePhoneNumber, market.PurposeRefill, market.PurposeOrder}

func (a *Admin) orderList() listSpec[market.Order] {
	amount := func(v int64, cur string) string { return money.FormatPlain(money.New(v, cur)) }
	return listSpec[market.Order]{
		Name:    "orders",
		Filters: []string{"customer", "status", "purpose", "from", "to"},
		Fetch: func(ctx context.Context, q url.Values, p billing.Page) ([]market.Order, error) {
			f, err := billing.NewOrderFilter(q.Get("customer"), q.Get("status"), q.Get("purpose"), q.Get("from"), q.Get("to"))
			if err != nil {
				return nil, err
			}
			f.Page = p
			return a.svc.AllOrders(ctx, f)
		},
		ID: func(o market.Order) string { return o.ID },
		CSV: []column[market.Order]{
			{"id", func(o market.Order) string { return o.ID }},
			{"created_at", func(o market.Order) string { return o.CreatedAt.UTC().Format(time.RFC3339) }},
			{"customer", func(o market.Order) string { return o.CustomerID }},
			{"status", func(o market.Order) string { return o.Status }},
			{"items", func(o market.Order) string { return strconv.Itoa(len(o.Lines)) }},
			{"subtotal", func(o market.Order) string { return amount(o.Totals.Subtotal, o.Currency) }},
			{"discount", func(o market.Order) string { return amount(o.Totals.Discount, o.Currency) }},
			{"tax", func(o market.Order) string { return amount(o.Totals.Tax, o.Currency) }},
			{"total", func(o market.Order) string { return amount(o.Totals.Total, o.Currency) }},
			{"refunded", func(o market.Order) string { return amount(o.Refunded, o.Currency) }},
			{"currency", func(o market.Order) string { return o.Currency }},
			{"promo_code", func(o market.Order) string { return o.PromoCode }},
			{"invoice", func(o market.Order) string { return o.InvoiceID }},
		},
	}
}

type ordersData struct {
	listed[market.Order]
	Statuses []string
	Purposes []market.Purpose
}

func (a *Admin) ordersPage(w http.ResponseWriter, r *http.Request, _ billing.Actor) {
	showList(a, w, r, http.StatusOK, a.orderList(), "orders", view{Title: "Orders", Area: areaOrders},
		func(l listed[market.Order]) any {
			return ordersData{listed: l, Statuses: orderStatuses, Purposes: orderPurposes}
		})
}

func (a *Admin) orderPage(w http.ResponseWriter, r *http.Request, _ billing.Actor) {
	a.showOrder(w, r, http.StatusOK, newForm(nil))
}

func (a *Admin) showOrder(w http.ResponseWriter, r *http.Request, status int, f *form) {
	d, err := a.svc.OrderDetail(r.Context(), r.PathValue("id"))
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	a.render(w, r, status, "order", view{Title: "Order " + d.Order.ID, Area: areaOrders, Form: f, Data: d})
}

// refundPost refunds the items ticked (none ticked: all), of an amount
// (major units; empty: what they cost, at most what is left), with a
// reason, and with revoke ends what they bought.
func (a *Admin) refundPost(w http.ResponseWriter, r *http.Request, _ billing.Actor) {
	f := newForm(r.PostForm)
	d, err := a.svc.OrderDetail(r.Context(), r.PathValue("id"))
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	// A form sent twice (a double click, a reload) refunds once: the page
	// said how much was refunded, and a refund since then refuses this one.
	// (A check before the refund's transaction, not in it: refund.go is
	// the refund's one place.)
	if seen := f.Get("seen_refunded"); seen != "" && seen != strconv.FormatInt(d.Order.Refunded, 10) {
		f.Error = "This order was refunded meanwhile (" + money.Format(money.New(d.Order.Refunded, d.Order.Currency)) +
			" in all now): check the refunds below and refund again if still needed."
		f.Code = "conflict"
		a.showOrder(w, r, http.StatusConflict, f)
		return
	}
	in := billing.RefundInput{Reason: f.Get("reason"), Revoke: f.Get("revoke") == "yes"}
	for _, v := range f.Values["items"] {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > len(d.Order.Lines) {
			f.Errors["items"] = "Tick the items to refund."
			a.showOrder(w, r, http.StatusBadRequest, f)
			return
		}
		in.Items = append(in.Items, n)
	}
	if v := f.Get("amount"); v != "" {
		amt, err := money.ParseMajor(v, d.Order.Currency)
		if err != nil || amt.Minor <= 0 {
			f.Errors["amount"] = "Enter an amount in " + d.Order.Currency + " such as 12.50, or leave it empty to refund what the items cost."
			a.showOrder(w, r, http.StatusBadRequest, f)
			return
		}
		in.Amount = &amt.Minor
	}
	ref, err := a.svc.OperatorRefund(r.Context(), d.Order.ID, in)
	if err != nil {
		st := a.fail(f, err, map[string]string{"amount": "amount", "reason": "reason", "items": "items"})
		if st == 0 {
			a.pageError(w, r, err)
			return
		}
		a.showOrder(w, r, st, f)
		return
	}
	msg := "Refunded " + money.Format(money.New(ref.Amount, d.Order.Currency))
	if in.Revoke {
		msg += " and ended what the items bought"
	}
	if ref.CreditNote.Number != "" {
		msg += "; credit note " + ref.CreditNote.Number
	}
	a.redirect(w, r, "/admin/orders/"+url.PathEscape(d.Order.ID), msg+".")
}

// invoicePage shows an invoice or a credit note as its document.
func (a *Admin) invoicePage(w http.ResponseWriter, r *http.Request, _ billing.Actor) {
	_, doc, err := a.svc.Invoice(r.Context(), billing.Principal{Operator: true}, r.PathValue("id"))
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	if err := billing.InvoiceHTML(w, doc); err != nil {
		a.log.Error("admin: invoice", "id", r.PathValue("id"), "err", err)
	}
}
