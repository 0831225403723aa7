package portal

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/web"
)

// Shop -> Subscriptions (the peoplefone flows): every subscription with
// its auto-renew switch and Renew/Change, which leads to Extend: the
// number of months and licenses go into the cart (cart.go), which
// is then confirmed, addressed and paid like in a web shop.

// SubscriptionsPage lists every subscription, live or not.
func (s *Handler) SubscriptionsPage(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	rows, err := s.subRows(r.Context(), p)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "subscriptions", view{Title: "Subscriptions", Nav: "subscriptions", Data: rows})
}

// AutoRenewPost switches automatic renewal on ("on") or off (anything
// else). The switch's form sends a hidden "off" before the checkbox, so
// the last value is what the customer chose.
func (s *Handler) AutoRenewPost(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	vals := r.PostForm["auto_renew"]
	on := len(vals) > 0 && vals[len(vals)-1] == "on"
	sub, err := s.svc.SetAutoRenew(r.Context(), p, r.PathValue("id"), on)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	msg := "Automatic renewal is off: renew this subscription yourself before " + sub.ExpiresAt.UTC().Format("2 Jan 2006") + "."
	if on {
		msg = "Automatic renewal is on: on " + sub.ExpiresAt.UTC().Format("2 Jan 2006") +
			" it renews from your balance if it covers the total, else from your default card."
	}
	s.redirect(w, r, "/subscriptions#sub-"+sub.ID, msg)
}

// termOption is one entry of the "number of months" choice.
type termOption struct {
	termPrice
	Selected bool
}

// subscriptionData is the Renew/Change page.
type subscriptionData struct {
	Sub subRow
	// Renewable is false for a canceled subscription.
	Renewable bool
	Terms     []termOption
	// Licenses is the default (or entered) number of licenses; MinLicenses
	// is the least the extension may have (the users assigned, the plan's
	// minimum).
	Licenses    string
	MinLicenses int
	// Quote prices the extension as chosen, without tax.
	Quote *billing.Quote
	// Open shows the Extend form unfolded.
	Open bool
	Now  time.Time
	// PlanNames names the plans of the periods (an upgrade changes it).
	PlanNames map[string]string
}

// SubscriptionPage is Renew/Change: the subscription's details and
// periods, and Extend (?term=&quantity= fill it in; htmx refreshes the
// price with ?preview=1 as the choice changes).
func (s *Handler) SubscriptionPage(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	q := r.URL.Query()
	f := newForm(url.Values{})
	for _, k := range []string{"term", "quantity"} {
		if v := q.Get(k); v != "" {
			f.Values.Set(k, v)
		}
	}
	s.showSubscription(w, r, p, f, q.Get("extend") != "" || q.Get("preview") != "", http.StatusOK)
}

func (s *Handler) showSubscription(w http.ResponseWriter, r *http.Request, p billing.Principal, f *form, open bool, status int) {
	ctx := r.Context()
	row, err := s.subRow(r, p, r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	c, err := s.svc.Customer(ctx, p.CustomerID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	last := row.Quantity
	if n := len(row.Periods); n > 0 {
		last = row.Periods[n-1].Quantity
	}
	if f.Get("term") == "" {
		f.Values.Set("term", strconv.Itoa(row.TermMonths))
	}
	if f.Get("quantity") == "" && !f.HasErrors() {
		f.Values.Set("quantity", strconv.Itoa(last))
	}
	d := subscriptionData{Sub: row, Renewable: row.Status != market.StatusCanceled, Licenses: f.Get("quantity"),
		MinLicenses: max(row.Users, row.PlanInfo.MinLicenses, 1), Open: open || f.HasErrors(), Now: s.svc.Now()}
	byCode, _, err := s.catalog(ctx)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	d.PlanNames = make(map[string]string, len(byCode))
	for code, pl := range byCode {
		d.PlanNames[code] = pl.Name
	}
	for _, tp := range pricesIn(row.PlanInfo, c.Currency) {
		d.Terms = append(d.Terms, termOption{termPrice: tp, Selected: f.Is("term", strconv.Itoa(tp.Term))})
	}
	if d.Renewable && !f.HasErrors() {
		it, err := extendItem(row.ID, f, d.MinLicenses)
		if err == nil {
			var qt billing.Quote
			if qt, err = s.svc.Preview(ctx, p, billing.OrderInput{Items: []billing.ItemInput{it}}); err == nil {
				d.Quote = &qt
			}
		}
		if err != nil {
			s.fail(r, f, err, checkoutFields)
			d.Open = true
		}
	}
	s.render(w, r, status, "subscription", view{Title: "Renew/Change " + row.ProductName, Nav: "subscriptions", Customer: c, Form: f, Data: d})
}

// extendItem is the renewal item of the Extend form; least is the fewest
// licenses it may renew (for the words of an error).
func extendItem(subID string, f *form, least int) (billing.ItemInput, error) {
	it := billing.ItemInput{Type: string(market.ItemRenewal), Subscription: subID}
	var err error
	if it.TermMonths, err = atoiField(f.Values, "term"); err != nil || (it.TermMonths == 0 && f.Get("term") != "") {
		// Left out, the renewal keeps the current term; 0 is none.
		return it, market.Invalid("term_months", "choose the number of months")
	}
	if it.Quantity, err = licensesField(f.Values, "quantity", least); err != nil {
		return it, err
	}
	return it, nil
}

// ExtendPost is Add to Cart: the extension goes into the cart, which the
// customer then confirms.
func (s *Handler) ExtendPost(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	ctx := r.Context()
	subID := r.PathValue("id")
	sub, err := s.svc.Subscription(ctx, p, subID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	least := max(sub.Users, 1)
	if pl, err := s.svc.Plan(ctx, sub.Plan); err == nil {
		least = max(least, pl.MinLicenses)
	}
	f := newForm(r.PostForm)
	it, err := extendItem(subID, f, least)
	if err == nil {
		_, err = s.svc.AddToCart(ctx, p, it)
	}
	if err != nil {
		if market.ErrorCode(err) == market.CodeNotFound {
			s.pageError(w, r, err)
			return
		}
		s.fail(r, f, err, checkoutFields)
		s.showSubscription(w, r, p, f, true, web.PageStatus(err))
		return
	}
	s.redirect(w, r, "/cart", "The extension is in your cart. Check it and click “Confirm order”.")
}
