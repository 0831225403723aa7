package portal

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/id"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
	"github.com/dialtone/dialtone/internal/web"
)

// Marketplace -> Billing (Voiptime's transaction history): every payment
// with its date and time, payment ID, purpose, method, amount and invoice,
// filtered by purpose and dates (a GET form), 50 a page, exported as CSV by
// the API with the same filters; the balance with its latest movements
// and the refill form. The refill page tops the balance up by card and
// returns to where the customer came from (the checkout of a number).

// billingPageSize is how many rows a page of the Billing tab or of the
// balance movements shows.
const billingPageSize = 50

// latestEntries is how many balance movements the Billing tab shows.
const latestEntries = 10

// purposes are the Purpose filter's choices, in the order of the Billing
// tab's documentation.
var purposes = []market.Purpose{market.PurposeRefill, market.PurposeSubscription, market.PurposeRenewal, market.PurposeUpgrade,
	market.PurposeLicenses, market.PurposePhoneNumber, market.PurposeNumberRental, market.PurposeRefund, market.PurposeAdjustment,
	market.PurposeOrder}

// billingData is the Billing tab.
type billingData struct {
	Purposes []market.Purpose
	Rows     []market.Payment
	// Older is the next page's address ("" on the last page); Newest the
	// first page's, once the customer has paged.
	Older, Newest string
	CSV           string
	Filtered      bool
	Entries       []market.Entry
	MoreEntries   bool
}

// billingFilter reads the filter form: a purpose of the list and dates as
// YYYY-MM-DD (both days included). Errors go next to their fields.
func billingFilter(f *form) billing.PaymentFilter {
	pf := billing.PaymentFilter{Page: billing.Page{Limit: billingPageSize}}
	if p := f.Get("purpose"); p != "" {
		ok := false
		for _, x := range purposes {
			ok = ok || string(x) == p
		}
		if !ok {
			f.Errors["purpose"] = "Choose a purpose from the list."
		}
		pf.Purpose = p
	}
	day := func(key string) *time.Time {
		v := f.Get(key)
		if v == "" {
			return nil
		}
		t, err := time.Parse("2006-01-02", v)
		if err != nil || t.Year() < 2000 || t.Year() > 9000 {
			f.Errors[key] = "Enter a date such as 2026-03-01 (year-month-day)."
			return nil
		}
		return &t
	}
	pf.From = day("from")
	if to := day("to"); to != nil {
		end := to.AddDate(0, 0, 1) // the whole last day
		pf.To = &end
		if pf.From != nil && to.Before(*pf.From) {
			f.Errors["to"] = "The end date is before the start date."
		}
	}
	if after := f.Get("starting_after"); after != "" && (len(after) > 64 || !strings.HasPrefix(after, "pay_")) {
		f.Values.Del("starting_after")
	} else {
		pf.After = after
	}
	return pf
}

// filterQuery keeps the filter's fields of v.
func filterQuery(v url.Values) url.Values {
	out := url.Values{}
	for _, k := range []string{"purpose", "from", "to"} {
		if x := strings.TrimSpace(v.Get(k)); x != "" {
			out.Set(k, x)
		}
	}
	return out
}

// csvURL is the API's CSV export of the same rows (every page of them).
func csvURL(pf billing.PaymentFilter) string {
	v := url.Values{"format": {"csv"}}
	if pf.Purpose != "" {
		v.Set("purpose", pf.Purpose)
	}
	if pf.From != nil {
		v.Set("from", pf.From.UTC().Format(time.RFC3339))
	}
	if pf.To != nil {
		v.Set("to", pf.To.UTC().Format(time.RFC3339))
	}
	return "/v1/transactions?" + v.Encode()
}

func (s *Handler) BillingPage(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	ctx := r.Context()
	q := r.URL.Query()
	f := newForm(filterQuery(q))
	if a := q.Get("starting_after"); a != "" {
		f.Values.Set("starting_after", a)
	}
	pf := billingFilter(f)
	d := billingData{Purposes: purposes, Filtered: len(filterQuery(f.Values)) > 0}
	status := http.StatusOK
	if f.HasErrors() {
		status = http.StatusBadRequest
	} else {
		rows, err := s.svc.Transactions(ctx, p, pf)
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		if len(rows) > billingPageSize {
			rows = rows[:billingPageSize]
			v := filterQuery(f.Values)
			v.Set("starting_after", rows[len(rows)-1].ID)
			d.Older = "/marketplace/billing?" + v.Encode()
		}
		if pf.After != "" {
			d.Newest = "/marketplace/billing"
			if v := filterQuery(f.Values); len(v) > 0 {
				d.Newest += "?" + v.Encode()
			}
		}
		d.Rows, d.CSV = rows, csvURL(pf)
	}
	entries, err := s.svc.BalanceEntries(ctx, p, billing.Page{Limit: latestEntries})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if len(entries) > latestEntries {
		entries, d.MoreEntries = entries[:latestEntries], true
	}
	d.Entries = entries
	s.render(w, r, status, "billing", view{Title: "Billing", Nav: "billing", Form: f, Data: d})
}

// balanceData is the balance's movements page.
type balanceData struct {
	Entries       []market.Entry
	Older, Newest string
}

// BalancePage lists the movements of the balance with the running
// balance, 50 a page.
func (s *Handler) BalancePage(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	after := r.URL.Query().Get("starting_after")
	if len(after) > 64 || (after != "" && !strings.HasPrefix(after, "ltx_")) {
		after = ""
	}
	entries, err := s.svc.BalanceEntries(r.Context(), p, billing.Page{Limit: billingPageSize, After: after})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	var d balanceData
	if len(entries) > billingPageSize {
		entries = entries[:billingPageSize]
		d.Older = "/marketplace/billing/balance?" + url.Values{"starting_after": {entries[len(entries)-1].TransactionID}}.Encode()
	}
	if after != "" {
		d.Newest = "/marketplace/billing/balance"
	}
	d.Entries = entries
	s.render(w, r, http.StatusOK, "billing_balance", view{Title: "Balance movements", Nav: "billing", Data: d})
}

// refillData is the refill page.
type refillData struct {
	Pay    payData
	Return string
	Key    string
}

// RefillPage is the top-up by card: the amount (prefilled with what an
// order lacks) and a saved or new card.
func (s *Handler) RefillPage(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	q := r.URL.Query()
	f := newForm(url.Values{"amount": {q.Get("amount")}, "return": {web.LocalPath(q.Get("return"), "")}})
	s.showRefill(w, r, p, f, http.StatusOK)
}

func (s *Handler) showRefill(w http.ResponseWriter, r *http.Request, p billing.Principal, f *form, status int) {
	ctx := r.Context()
	c, err := s.svc.Customer(ctx, p.CustomerID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	d := refillData{Return: web.LocalPath(f.Get("return"), ""), Key: f.Get("key")}
	if d.Key == "" {
		d.Key = id.Secret(12)
	}
	if d.Pay, err = s.loadPay(ctx, p, c); err != nil {
		s.pageError(w, r, err)
		return
	}
	d.Pay.CardOnly, d.Pay.NeedsAddress = true, false
	d.Pay.defaults(f, 0)
	s.render(w, r, status, "refill", view{Title: "Top up the balance", Nav: "billing", Customer: c, Form: f, Data: d})
}

// RefillPost pays the top-up by card (at most once per form key) and
// goes back where the customer came from, or to the confirmation.
func (s *Handler) RefillPost(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	ctx := r.Context()
	f := newForm(r.PostForm)
	c, err := s.svc.Customer(ctx, p.CustomerID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	f.CardOnly = true // a top-up is paid by card: never suggest the balance
	amt, msg := parseAmount(f.Get("amount"), c.Currency)
	if msg != "" {
		f.Errors["amount"] = msg
	}
	pay := paymentFrom(f.Values)
	if pay.Method != "card" {
		f.Errors["pay"] = "Choose a saved card or enter a new one: a top-up is paid by card."
	}
	if f.HasErrors() {
		s.showRefill(w, r, p, f, http.StatusBadRequest)
		return
	}
	back := web.LocalPath(f.Get("return"), "")
	to, err := s.keyedOnce(ctx, p, f.Get("key"), func(k billing.Key) (string, error) {
		o, err := s.svc.PlaceOrder(ctx, p, billing.OrderInput{Items: []billing.ItemInput{{Type: string(market.ItemTopUp), Amount: amt.Minor}},
			Payment: pay}.Keyed(k), "portal")
		if to := authPage(err); to != "" {
			return to, nil // to the bank's page from there, and back to /orders/{id}/return
		}
		if err != nil {
			return "", err
		}
		if back != "" {
			return back, nil
		}
		return "/orders/" + o.ID, nil
	})
	if err != nil {
		s.fail(r, f, err, checkoutFields)
		if market.ErrorCode(err) == market.CodeCardDeclined && f.Error != "" {
			// A declined card concerns the payment choice.
			f.Errors["pay"], f.Error = f.Error, ""
		}
		f.Values.Set("key", id.Secret(12))
		s.showRefill(w, r, p, f, web.PageStatus(err))
		return
	}
	if strings.HasSuffix(to, "/authenticate") || strings.HasPrefix(to, "/payment-methods/return") {
		s.redirect(w, r, to, "") // to the bank first
		return
	}
	s.redirect(w, r, to, "Your balance was topped up by "+money.Format(amt)+".")
}
