package portal

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
	"github.com/dialtone/dialtone/internal/web"
)

// Marketplace -> Plans (the Voiptime flows): the tariff plans with their
// prices per term, Buy, and the purchased plans with Renew, Upgrade and
// BUY MORE LICENSES. Each flow ends on the checkout page.

// termPrice is a plan's price for one term in the customer's currency.
type termPrice struct {
	Term     int
	Unit     int64 // per license for the whole term
	PerMonth int64 // per license and month, rounded half away from zero (CHF 50/12 = 4.17)
}

// planCard is a plan as the Plans page shows it.
type planCard struct {
	market.Plan
	Prices []termPrice
	// Held is the customer's live subscription of this plan, if any.
	Held *subRow
	// UpgradeFrom is the customer's live subscription of a lower plan of
	// the same product, if any: the plan card then offers Upgrade.
	UpgradeFrom *subRow
}

// productGroup is a product with its plans.
type productGroup struct {
	Code, Name string
	Plans      []planCard
}

type plansData struct {
	Products []productGroup
	// Purchased are the live and the expired subscriptions: an expired one
	// can still be renewed.
	Purchased []subRow
	// Included names the plan every account has without buying it (the
	// standard SIP trunk), which is therefore not for sale.
	Included string
}

// pricesIn returns a plan's prices in a currency, by term.
func pricesIn(p market.Plan, currency string) []termPrice {
	var out []termPrice
	for _, t := range p.Terms {
		if u, err := p.UnitPrice(currency, t); err == nil {
			pm, err := money.MulDivRound(u, 1, int64(t))
			if err != nil {
				continue
			}
			out = append(out, termPrice{Term: t, Unit: u, PerMonth: pm})
		}
	}
	return out
}

func live(r subRow) bool {
	return r.Status == market.StatusActive || r.Status == market.StatusTrialing || r.Status == market.StatusPastDue
}

// Lapsed reports that the subscription's last period is over (expired, or
// past due while its renewal is retried): it can only be renewed, not
// upgraded nor given more licenses (billing refuses both until renewal).
func (r subRow) Lapsed() bool {
	return r.Status == market.StatusExpired || r.Status == market.StatusPastDue
}

// errLapsed refuses Upgrade and BUY MORE LICENSES on a lapsed subscription.
func errLapsed() error {
	return market.Invalid("subscription", "this subscription has expired: renew it first")
}

func (s *Handler) PlansPage(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	ctx := r.Context()
	c, err := s.svc.Customer(ctx, p.CustomerID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	plans, err := s.svc.Plans(ctx, false)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	rows, err := s.subRows(ctx, p)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	var d plansData
	idx := map[string]int{}
	for _, pl := range plans {
		if pl.Code == billing.IncludedPlan {
			d.Included = pl.Name // every account has it: checkout refuses it
			continue
		}
		card := planCard{Plan: pl, Prices: pricesIn(pl, c.Currency)}
		if len(card.Prices) == 0 {
			continue // not sold in the customer's currency
		}
		for i := range rows {
			row := &rows[i]
			if !live(*row) || row.PlanInfo.Product != pl.Product {
				continue
			}
			if row.Plan == pl.Code && card.Held == nil {
				card.Held = row
			} else if row.PlanInfo.Rank < pl.Rank && card.UpgradeFrom == nil {
				card.UpgradeFrom = row
			}
		}
		i, ok := idx[pl.Product]
		if !ok {
			i = len(d.Products)
			idx[pl.Product] = i
			d.Products = append(d.Products, productGroup{Code: pl.Product, Name: pl.ProductName})
		}
		d.Products[i].Plans = append(d.Products[i].Plans, card)
	}
	for _, row := range rows {
		if live(row) || row.Status == market.StatusExpired {
			d.Purchased = append(d.Purchased, row)
		}
	}
	s.render(w, r, http.StatusOK, "plans", view{Title: "Plans", Nav: "plans", Customer: c, Data: d})
}

// buyData is the Buy form of a plan.
type buyData struct {
	Plan   market.Plan
	Prices []termPrice
	Quote  *billing.Quote
}

func (s *Handler) BuyPlanPage(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	pl, err := s.svc.Plan(r.Context(), r.PathValue("code"))
	if err != nil || !pl.Active {
		s.NotFound(w, r)
		return
	}
	f := newForm(url.Values{"quantity": {strconv.Itoa(max(pl.MinLicenses, 1))}, "term": {strconv.Itoa(pl.Terms[len(pl.Terms)-1])}})
	for k, v := range r.URL.Query() {
		f.Values[k] = v
	}
	// The page opens with the total of its defaults, before Apply is
	// pressed; htmx refreshes it (?preview=1) as the customer types, and
	// without JavaScript Apply does the same.
	s.showBuy(w, r, p, pl, f, true, http.StatusOK)
}

// showBuy shows the Buy form; with quote it prices what was entered, so
// that Apply shows the promo code's discount.
func (s *Handler) showBuy(w http.ResponseWriter, r *http.Request, p billing.Principal, pl market.Plan, f *form, quote bool, status int) {
	ctx := r.Context()
	c, err := s.svc.Customer(ctx, p.CustomerID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	d := buyData{Plan: pl, Prices: pricesIn(pl, c.Currency)}
	if quote && !f.HasErrors() {
		it, err := s.buyItem(f, pl, c.Currency)
		if err == nil {
			var q billing.Quote
			if q, err = s.svc.Preview(ctx, p, billing.OrderInput{Items: []billing.ItemInput{it}, PromoCode: f.Get("promo")}); err == nil {
				d.Quote = &q
			}
		}
		if err != nil {
			s.fail(r, f, err, checkoutFields)
			if status == http.StatusOK {
				status = web.PageStatus(err)
			}
		}
	}
	s.render(w, r, status, "buy_plan", view{Title: "Buy " + pl.Name, Nav: "plans", Customer: c, Form: f, Data: d})
}

func (s *Handler) buyItem(f *form, pl market.Plan, currency string) (billing.ItemInput, error) {
	if _, err := licensesField(f.Values, "quantity", pl.MinLicenses); err != nil {
		return billing.ItemInput{Type: string(market.ItemSubscription), Plan: pl.Code}, err // in words with the plan's minimum
	}
	it, err := itemFrom(f.Values, currency, pl.MinLicenses)
	it.Type, it.Plan = string(market.ItemSubscription), pl.Code
	return it, err
}

// BuyPlanPost handles Apply (show the price with the promo code) and
// CHECKOUT (on to payment, once the quote holds).
func (s *Handler) BuyPlanPost(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	pl, err := s.svc.Plan(r.Context(), r.PathValue("code"))
	if err != nil || !pl.Active {
		s.NotFound(w, r)
		return
	}
	f := newForm(r.PostForm)
	if f.Get("action") == "apply" {
		s.showBuy(w, r, p, pl, f, true, http.StatusOK)
		return
	}
	c, err := s.svc.Customer(r.Context(), p.CustomerID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	it, err := s.buyItem(f, pl, c.Currency)
	if err == nil {
		_, err = s.svc.Preview(r.Context(), p, billing.OrderInput{Items: []billing.ItemInput{it}, PromoCode: f.Get("promo")})
	}
	if err != nil {
		s.fail(r, f, err, checkoutFields)
		s.showBuy(w, r, p, pl, f, false, web.PageStatus(err))
		return
	}
	v := url.Values{"type": {it.Type}, "plan": {pl.Code}, "quantity": {strconv.Itoa(it.Quantity)}, "term": {strconv.Itoa(it.TermMonths)},
		"back": {"/marketplace/plans/" + pl.Code + "/buy"}}
	if it.Trial {
		v.Set("trial", "on")
	}
	if it.AutoRenew {
		v.Set("auto_renew", "on")
	}
	if pc := f.Get("promo"); pc != "" {
		v.Set("promo", pc)
	}
	http.Redirect(w, r, "/checkout?"+v.Encode(), http.StatusSeeOther)
}

// RenewRedirect is Renew on a purchased plan: the checkout of a renewal
// for the same term and licenses.
func (s *Handler) RenewRedirect(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	sub, err := s.svc.Subscription(r.Context(), p, r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v := url.Values{"type": {string(market.ItemRenewal)}, "subscription": {sub.ID}, "back": {web.LocalPath(r.URL.Query().Get("back"), "/marketplace/plans")}}
	http.Redirect(w, r, "/checkout?"+v.Encode(), http.StatusSeeOther)
}

// upgradeData is the Upgrade choice of a subscription.
type upgradeData struct {
	Sub    subRow
	Higher []planCard
}

// UpgradePage offers the higher plans of the subscription's product (never
// lower ones); with ?plan= it goes straight to paying the upgrade.
func (s *Handler) UpgradePage(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	ctx := r.Context()
	row, err := s.subRow(r, p, r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	status := http.StatusOK
	if code := r.URL.Query().Get("plan"); code != "" && row.Lapsed() {
		status = web.PageStatus(errLapsed()) // the page says to renew first
	} else if code != "" {
		v := url.Values{"type": {string(market.ItemUpgrade)}, "subscription": {row.ID}, "plan": {code}, "back": {"/marketplace/subscriptions/" + row.ID + "/upgrade"}}
		http.Redirect(w, r, "/checkout?"+v.Encode(), http.StatusSeeOther)
		return
	}
	c, err := s.svc.Customer(ctx, p.CustomerID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	d := upgradeData{Sub: row}
	for _, h := range row.Higher {
		d.Higher = append(d.Higher, planCard{Plan: h, Prices: pricesIn(h, c.Currency)})
	}
	s.render(w, r, status, "upgrade", view{Title: "Upgrade", Nav: "plans", Customer: c, Data: d})
}

// subRow returns one of the customer's subscriptions as the portal shows
// it. Error: not_found.
func (s *Handler) subRow(r *http.Request, p billing.Principal, subID string) (subRow, error) {
	rows, err := s.subRows(r.Context(), p)
	if err != nil {
		return subRow{}, err
	}
	for _, row := range rows {
		if row.ID == subID {
			return row, nil
		}
	}
	return subRow{}, market.NotFound("subscription")
}

func (s *Handler) LicensesPage(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	row, err := s.subRow(r, p, r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "licenses", view{Title: "Buy more licenses", Nav: "plans", Form: newForm(url.Values{"quantity": {"1"}}), Data: row})
}

// LicensesPost checks the number of licenses to add and goes on to
// payment.
func (s *Handler) LicensesPost(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	row, err := s.subRow(r, p, r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if row.Lapsed() {
		// The page says to renew first instead of showing the form.
		s.render(w, r, web.PageStatus(errLapsed()), "licenses", view{Title: "Buy more licenses", Nav: "plans", Form: newForm(url.Values{}), Data: row})
		return
	}
	f := newForm(r.PostForm)
	it := billing.ItemInput{Type: string(market.ItemLicenses), Subscription: row.ID}
	it.Quantity, err = licensesField(f.Values, "quantity", 1)
	if err == nil {
		_, err = s.svc.Preview(r.Context(), p, billing.OrderInput{Items: []billing.ItemInput{it}})
	}
	if err != nil {
		s.fail(r, f, err, checkoutFields)
		s.render(w, r, web.PageStatus(err), "licenses", view{Title: "Buy more licenses", Nav: "plans", Form: f, Data: row})
		return
	}
	v := url.Values{"type": {it.Type}, "subscription": {row.ID}, "quantity": {strconv.Itoa(it.Quantity)}, "back": {"/marketplace/subscriptions/" + row.ID + "/licenses"}}
	http.Redirect(w, r, "/checkout?"+v.Encode(), http.StatusSeeOther)
}
