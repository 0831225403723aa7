package portal

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/id"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/payment"
	"github.com/dialtone/dialtone/internal/web"
)

// The checkout page pays one item: Voiptime's one-click flows (Buy, Renew,
// Upgrade, BUY MORE LICENSES, ORDER PHONE) all end here. The item travels
// in the query string and in hidden fields, so the page needs no state on
// the server and "back" after a top-up returns to it as it was. The cart
// (cart.go) pays several items with the same address and payment
// partials.

// itemKeys are the form fields that describe an item.
var itemKeys = []string{"type", "plan", "quantity", "term", "trial", "auto_renew", "subscription", "number", "country", "state", "area", "amount", "promo", "back"}

// itemPrefix marks the checkout form's hidden item fields, so that a
// number's country and state are not taken for the new billing address's
// fields of the same names (or the other way round).
const itemPrefix = "i_"

// itemSource returns the item's fields of a checkout request: the hidden,
// prefixed ones of a posted checkout form, else the plain ones of a link
// (/checkout?type=...). A promo code typed into the form is plain.
func itemSource(v url.Values) url.Values {
	if v.Get(itemPrefix+"type") == "" {
		return itemValues(v)
	}
	out := url.Values{}
	for _, k := range itemKeys {
		if x := v.Get(itemPrefix + k); x != "" {
			out.Set(k, x)
		}
	}
	if pc, ok := v["promo"]; ok {
		out.Set("promo", pc[0])
	}
	return out
}

// checkoutFields maps the service's error params onto the checkout form's
// fields.
var checkoutFields = map[string]string{
	"quantity": "quantity", "term_months": "term", "plan": "plan", "promo_code": "promo",
	"billing_address": "address", "name": "name", "line1": "line1", "line2": "line2", "city": "city",
	"postal_code": "postal_code", "state": "state", "country": "country", "vat_id": "vat_id",
	"payment.card.number": "card_number", "payment.card.exp_month": "exp_month", "payment.card.exp_year": "exp_year",
	"payment.card.cvc": "cvc", "card.number": "card_number", "card.exp_month": "exp_month", "card.exp_year": "exp_year",
	"card.cvc": "cvc", "payment_method": "payment_method", "payment.payment_method": "pay", "payment.method": "pay", "payment.card": "pay", "amount": "amount",
	"trial": "trial",
}

// itemFrom reads an item from form values. The top-up amount is in major
// units of the account's currency ("50.00"). least is the fewest licenses
// a new subscription may have, for the words of a refused quantity.
func itemFrom(v url.Values, currency string, least int) (billing.ItemInput, error) {
	it := billing.ItemInput{Type: v.Get("type"), Plan: v.Get("plan"), Subscription: v.Get("subscription"),
		Number: strings.TrimSpace(v.Get("number")), Country: v.Get("country"), State: v.Get("state"), Area: v.Get("area"),
		Trial: v.Get("trial") == "on" || v.Get("trial") == "true", AutoRenew: v.Get("auto_renew") == "on" || v.Get("auto_renew") == "true"}
	var err error
	switch market.ItemType(it.Type) {
	case "", market.ItemSubscription, market.ItemLicenses:
		// Required: nothing is bought for a number not given.
		if it.Type == string(market.ItemLicenses) {
			least = 1
		}
		it.Quantity, err = licensesField(v, "quantity", least)
	case market.ItemRenewal:
		// Left out, a renewal keeps the current number.
		if strings.TrimSpace(v.Get("quantity")) != "" {
			it.Quantity, err = licensesField(v, "quantity", 1)
		}
	default:
		it.Quantity, err = atoiField(v, "quantity")
	}
	if err != nil {
		return it, err
	}
	if it.TermMonths, err = atoiField(v, "term"); err != nil || (it.TermMonths == 0 && strings.TrimSpace(v.Get("term")) != "") {
		return it, market.Invalid("term_months", "choose a payment period (a number of months)")
	}
	// A new subscription needs its term; without a type the item is the
	// Buy form's, which is a new subscription too.
	if it.TermMonths == 0 && (it.Type == "" || it.Type == string(market.ItemSubscription)) {
		return it, market.Invalid("term_months", "choose a payment period")
	}
	if a := strings.TrimSpace(v.Get("amount")); a != "" {
		amt, msg := parseAmount(a, currency) // as the refill form: "50,00" too
		if msg != "" {
			return it, market.Invalid("amount", "%s", msg)
		}
		it.Amount = amt.Minor
	}
	return it, nil
}

// atoiField reads a whole number of 0 or more from a form field ("" is
// 0). A number too long to read is taken as tooMany: more than any plan
// allows, so that the plan's own limit is what the customer reads.
func atoiField(v url.Values, key string) (int, error) {
	s := strings.TrimSpace(v.Get(key))
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	switch {
	case err != nil && strings.Trim(strings.TrimPrefix(s, "+"), "0123456789") == "":
		return tooMany, nil
	case err != nil:
		return 0, market.Invalid(key, "enter a whole number, such as 2")
	case n < 0:
		return 0, market.Invalid(key, "enter a number of 0 or more")
	}
	return n, nil
}

// tooMany stands for a number too long to read: more than any plan's
// maximum of licenses or terms (market.Plan.Validate), small enough to add
// to without overflow.
const tooMany = math.MaxInt32

// licensesField reads a number of licenses from a form field: empty,
// zero, negative or not a whole number is invalid_request naming key, in
// words (least is the fewest the form takes, for the words); the plan's
// limits are the checkout engine's (min_licenses, max_licenses).
func licensesField(v url.Values, key string, least int) (int, error) {
	least = max(least, 1)
	s := strings.TrimSpace(v.Get(key))
	if s == "" {
		return 0, market.Invalid(key, "enter the number of licenses: at least %d", least)
	}
	if d := strings.TrimPrefix(s, "-"); d != s && d != "" && strings.Trim(d, "0123456789") == "" {
		return 0, market.Invalid(key, "enter the number of licenses: at least %d", least)
	}
	n, err := atoiField(v, key)
	switch {
	case err != nil:
		return 0, market.Invalid(key, "enter a whole number of licenses, such as %d", least)
	case n == 0:
		return 0, market.Invalid(key, "enter the number of licenses: at least %d", least)
	}
	return n, nil
}

// leastLicenses is the fewest licenses the item of form values v may
// have: its plan's minimum for a new subscription, else 1 (also when the
// plan is unknown: the order then refuses the plan in its own words).
func (s *Handler) leastLicenses(ctx context.Context, v url.Values) int {
	if t := v.Get("type"); (t == "" || t == string(market.ItemSubscription)) && v.Get("plan") != "" {
		if pl, err := s.svc.Plan(ctx, v.Get("plan")); err == nil {
			return max(pl.MinLicenses, 1)
		}
	}
	return 1
}

// itemValues keeps only the item's fields of v (for hidden fields and
// links).
func itemValues(v url.Values) url.Values {
	out := url.Values{}
	for _, k := range itemKeys {
		if x := v.Get(k); x != "" {
			out.Set(k, x)
		}
	}
	return out
}

// payData is what the address and payment partials show.
type payData struct {
	Addresses []market.BillingAddress
	// Cards are the saved cards with their brands in words.
	Cards []cardRow
	// NeedsAddress is false for an order that is only a top-up.
	NeedsAddress bool
	// BalanceOnly: numbers are paid from the balance; CardOnly: top-ups
	// are paid by card.
	BalanceOnly bool
	CardOnly    bool
	Balance     int64
	Currency    string
	// StripeKey: with payments by Stripe, a new card is entered in
	// Stripe's form (Elements) with this publishable key.
	StripeKey string
	// Country is the account's: the new address's default country.
	Country string
	// Total is the order's; Short is what the balance lacks for it (0
	// when it covers it, or when the order is card-only), TopUp the
	// top-up that link offers (at least 1.00).
	Total, Short, TopUp int64
}

// checkoutData is the checkout page.
type checkoutData struct {
	Heading  string
	Item     billing.ItemInput
	Hidden   url.Values
	Quote    *billing.Quote
	QuoteErr string
	Pay      payData
	PayLabel string
	// Back is the page the customer came from.
	Back string
	// Key makes a second click on Pay harmless.
	Key string
	// Fix offers to correct the item's licenses or term when one of them
	// is wrong (a hand-edited link, a refused quantity).
	Fix *itemFix
	// AfterTrial says what happens when a trial ends.
	AfterTrial string
	// Held warns that the customer already holds the product of a new
	// subscription; the order then needs the confirm_second tick.
	Held string
}

// itemFix is the small form that corrects an item's licenses or term.
type itemFix struct {
	Quantity, Term       string
	AskQuantity, AskTerm bool
	Terms                []termPrice
	Currency             string
	Hidden               url.Values
}

// loadPay reads the customer's addresses and cards.
func (s *Handler) loadPay(ctx context.Context, p billing.Principal, c market.Customer) (payData, error) {
	var d payData
	var err error
	if d.Addresses, err = s.svc.Addresses(ctx, p); err != nil {
		return d, err
	}
	cards, err := s.svc.Cards(ctx, p)
	if err != nil {
		return d, err
	}
	for _, c := range cards {
		d.Cards = append(d.Cards, cardRow{PaymentMethod: c, BrandName: payment.BrandName(c.Brand)})
	}
	d.Balance, d.Currency, d.Country, d.NeedsAddress = c.Balance, c.Currency, c.Country, true
	d.StripeKey = s.stripeKey()
	return d, nil
}

// defaults fills in the form's address and payment choices the first time
// the page is shown: the first address, the default card if the balance
// does not cover the order, else the balance; a new address in the
// account's country. It notes what the balance lacks for total, which
// the page says before Pay.
func (d *payData) defaults(f *form, total int64) {
	d.Total, d.Short, d.TopUp = total, 0, 0
	if !d.CardOnly && total > d.Balance {
		d.Short = total - d.Balance
		d.TopUp = max(d.Short, 100)
	}
	if f.Get("address") == "" {
		if len(d.Addresses) > 0 {
			f.Values.Set("address", d.Addresses[0].ID)
		} else {
			f.Values.Set("address", "new")
		}
	}
	if f.Get("pay") == "" {
		switch {
		case d.BalanceOnly:
			f.Values.Set("pay", "balance")
		case !d.CardOnly && d.Balance >= total:
			f.Values.Set("pay", "balance")
		default:
			f.Values.Set("pay", "new")
			for _, c := range d.Cards {
				if c.Default {
					f.Values.Set("pay", c.ID)
				}
			}
		}
	}
	if f.Get("country") == "" {
		f.Values.Set("country", d.Country)
	}
}

// paymentFrom reads the payment choice: "balance", a saved card's ID, or
// "new" with the card's fields (the sandbox) or Stripe's payment_method.
func paymentFrom(v url.Values) billing.PaymentInput {
	switch choice := v.Get("pay"); {
	case choice == "balance":
		return billing.PaymentInput{Method: "balance"}
	case choice == "new" && strings.TrimSpace(v.Get("payment_method")) != "" && v.Get("card_number") == "" && v.Get("cvc") == "":
		// Stripe's form: the payment method Stripe.js made of the card.
		return billing.PaymentInput{Method: "card", GatewayCard: strings.TrimSpace(v.Get("payment_method")), Save: v.Get("save") == "on"}
	case choice == "new":
		c := &billing.CardInput{Number: strings.Join(strings.Fields(v.Get("card_number")), ""), CVC: strings.TrimSpace(v.Get("cvc"))}
		c.ExpMonth, _ = strconv.Atoi(strings.TrimSpace(v.Get("exp_month")))
		c.ExpYear, _ = strconv.Atoi(strings.TrimSpace(v.Get("exp_year")))
		if c.ExpYear > 0 && c.ExpYear < 100 {
			c.ExpYear += 2000
		}
		return billing.PaymentInput{Method: "card", Card: c, Save: v.Get("save") == "on"}
	case strings.HasPrefix(choice, "pm_"):
		return billing.PaymentInput{Method: "card", PaymentMethod: choice}
	}
	return billing.PaymentInput{}
}

// addressFrom returns the chosen billing address, saving a new one first
// (verified: errors name the field).
func (s *Handler) addressFrom(ctx context.Context, p billing.Principal, v url.Values) (string, error) {
	choice := v.Get("address")
	if choice != "new" {
		if choice == "" {
			return "", market.Invalid("billing_address", "choose a billing address or enter a new one")
		}
		return choice, nil
	}
	a, err := s.svc.SaveAddress(ctx, p, "", billing.AddressInput{Name: v.Get("name"), Line1: v.Get("line1"), Line2: v.Get("line2"),
		City: v.Get("city"), PostalCode: v.Get("postal_code"), State: v.Get("state"), Country: v.Get("country"), VATID: v.Get("vat_id")})
	if err != nil {
		return "", err
	}
	return a.ID, nil
}

// CheckoutPage shows the order's quote, the billing address and the
// payment choice.
func (s *Handler) CheckoutPage(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	f := newForm(r.URL.Query())
	s.showCheckout(w, r, p, f, http.StatusOK)
}

// isPromoError reports whether err is about the order's promo code.
func isPromoError(err error) bool {
	switch market.ErrorCode(err) {
	case market.CodePromoInvalid, market.CodePromoExhausted:
		return true
	}
	var me *market.Error
	return errors.As(err, &me) && me.Param == "promo_code"
}

// showCheckout shows the checkout page with status, or with the API's
// status for an error the page shows when status is a success. A promo
// code that is refused is shown next to its field with the quote without
// it, so the rest of the checkout stays usable.
func (s *Handler) showCheckout(w http.ResponseWriter, r *http.Request, p billing.Principal, f *form, status int) {
	ctx := r.Context()
	c, err := s.svc.Customer(ctx, p.CustomerID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	escalate := func(e error) {
		if status < 400 {
			status = web.PageStatus(e)
		}
	}
	iv := itemSource(f.Values)
	it, ierr := itemFrom(iv, c.Currency, s.leastLicenses(r.Context(), iv))
	if ierr != nil {
		s.fail(r, f, ierr, checkoutFields)
		escalate(ierr)
	}
	d := checkoutData{Item: it, Hidden: iv, PayLabel: "Pay", Back: web.LocalPath(iv.Get("back"), "/marketplace/plans"), Key: f.Get("key")}
	if d.Key == "" {
		d.Key = id.Secret(12)
	}
	d.Hidden.Set("back", d.Back)
	if d.Pay, err = s.loadPay(ctx, p, c); err != nil {
		s.pageError(w, r, err)
		return
	}
	kind, ok := billing.KindOf(it.Type)
	if !ok {
		s.NotFound(w, r)
		return
	}
	show := kind.Show()
	d.Heading, d.PayLabel = show.Heading, show.PayLabel
	d.Pay.BalanceOnly, d.Pay.CardOnly, d.Pay.NeedsAddress = show.BalanceOnly, show.CardOnly, !show.NoAddress
	if show.Nav == "numbers" {
		// A number's page goes back to the numbers by default.
		d.Back = web.LocalPath(iv.Get("back"), "/marketplace/numbers")
	}
	d.Held = s.heldWarning(ctx, p, it)
	// The promo field shows the item's code unless the customer typed
	// one (a posted form that carries only the hidden i_promo, e.g. after
	// a new address was verified).
	if _, ok := f.Values["promo"]; !ok {
		f.Values.Set("promo", iv.Get("promo"))
	}
	address := f.Get("address")
	if address == "new" {
		address = ""
	}
	if address == "" && len(d.Pay.Addresses) > 0 {
		address = d.Pay.Addresses[0].ID
	}
	var total int64
	if ierr == nil {
		promo := strings.TrimSpace(iv.Get("promo"))
		in := billing.OrderInput{Items: []billing.ItemInput{it}, PromoCode: promo, BillingAddress: address}
		q, qerr := s.svc.Preview(ctx, p, in)
		if qerr != nil && promo != "" && isPromoError(qerr) {
			// The code is refused in words next to its field; the rest of
			// the order is quoted (and paid) without it.
			pf := newForm(nil)
			s.fail(r, pf, qerr, checkoutFields)
			f.Errors["promo"] = pf.Errors["promo"]
			if f.Errors["promo"] == "" {
				f.Errors["promo"] = pf.Error
			}
			escalate(qerr)
			d.Hidden.Del("promo")
			in.PromoCode = ""
			q, qerr = s.svc.Preview(ctx, p, in)
		}
		if qerr != nil {
			qf := newForm(nil)
			s.fail(r, qf, qerr, checkoutFields)
			d.QuoteErr = qf.Error
			for k, v := range qf.Errors {
				switch k {
				case "promo", "quantity", "term":
					f.Errors[k] = v
				default:
					d.QuoteErr = v
				}
			}
			escalate(qerr)
		} else {
			d.Quote = &q
			total = q.Totals.Total
			if f.Get("action") == "apply" && q.PromoCode != "" && f.Err("promo") == "" && f.Notice == "" {
				f.Notice = "Promo code " + q.PromoCode + " applied. Please check the total, then pay."
			}
			d.AfterTrial = s.afterTrial(ctx, q, it)
		}
	}
	if f.Err("quantity") != "" || f.Err("term") != "" {
		d.Fix = s.itemFix(ctx, f, iv, it, c.Currency)
	}
	// An error on a field the page does not show (no quote: no pay form)
	// is shown at the top instead of being lost.
	for k, v := range f.Errors {
		if !checkoutShows(k, d.Quote != nil) {
			delete(f.Errors, k)
			if d.QuoteErr == "" {
				d.QuoteErr = v
			} else if f.Error == "" {
				f.Error = v
			}
		}
	}
	d.Pay.defaults(f, total)
	f.Return = "/checkout?" + d.Hidden.Encode()
	s.render(w, r, status, "checkout", view{Title: d.Heading, Nav: navOf(it.Type), Form: f, Data: d})
}

// checkoutShows reports whether the checkout page shows an error next to
// field: the item's licenses and term always, the rest only with the pay
// form (which needs a quote).
func checkoutShows(field string, payForm bool) bool {
	switch field {
	case "quantity", "term":
		return true
	case "promo", "address", "name", "line1", "line2", "city", "postal_code", "state", "country", "vat_id",
		"card_number", "exp_month", "exp_year", "cvc", "payment_method", "pay", "confirm_second":
		return payForm
	}
	return false
}

// itemFix is the correction form for a wrong number of licenses or term:
// the item's other fields travel along, hidden.
func (s *Handler) itemFix(ctx context.Context, f *form, iv url.Values, it billing.ItemInput, currency string) *itemFix {
	fx := &itemFix{Quantity: iv.Get("quantity"), Term: iv.Get("term"), Currency: currency, Hidden: url.Values{},
		AskQuantity: f.Err("quantity") != "" || iv.Get("quantity") != "", AskTerm: f.Err("term") != "" || iv.Get("term") != ""}
	for k, v := range iv {
		if k != "quantity" && k != "term" && k != "promo" {
			fx.Hidden[k] = v
		}
	}
	if it.Plan != "" && it.Type == string(market.ItemSubscription) {
		if pl, err := s.svc.Plan(ctx, it.Plan); err == nil {
			fx.Terms = pricesIn(pl, currency)
		}
	}
	return fx
}

// CheckoutPost pays the item. A promo code's Apply button only shows the
// page again with the code applied; so does Pay when the promo field holds
// another code than the one quoted, so that a typed code is applied (or
// refused) in words and the customer pays only a total they saw.
func (s *Handler) CheckoutPost(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	f := newForm(r.PostForm)
	if f.Get("action") == "apply" {
		s.showCheckout(w, r, p, f, http.StatusOK)
		return
	}
	ctx := r.Context()
	c, err := s.svc.Customer(ctx, p.CustomerID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	iv := itemSource(f.Values)
	it, err := itemFrom(iv, c.Currency, s.leastLicenses(ctx, iv))
	if err != nil {
		s.showCheckout(w, r, p, f, web.PageStatus(err))
		return
	}
	show := showOf(it.Type)
	if !show.NoAddress && f.Get("address") == "new" {
		// A new address is verified and saved first; the page then shows
		// the total with its country's tax before anything is paid.
		adr, err := s.addressFrom(ctx, p, f.Values)
		if err != nil {
			s.fail(r, f, err, checkoutFields)
			s.showCheckout(w, r, p, f, web.PageStatus(err))
			return
		}
		f.Values.Set("address", adr)
		f.Notice = "Address verified and saved. Please check the total with tax, then pay."
		s.showCheckout(w, r, p, f, http.StatusOK)
		return
	}
	if f.Get("held") == "1" && f.Get("confirm_second") != "on" {
		// The page warned of a second subscription (its form says so).
		if s.heldWarning(ctx, p, it) != "" {
			// A confirm step, not a block: the page comes back with the
			// warning and the tick to set; nothing is paid yet.
			f.Errors["confirm_second"] = "Tick the box to confirm that you want a second subscription, or go back."
			s.showCheckout(w, r, p, f, http.StatusConflict)
			return
		}
	}
	if typed, ok := f.Values["promo"]; ok && !strings.EqualFold(strings.TrimSpace(typed[0]), strings.TrimSpace(f.Get(itemPrefix+"promo"))) {
		f.Values.Set("action", "apply")
		s.showCheckout(w, r, p, f, http.StatusOK)
		return
	}
	to, err := s.keyedOnce(ctx, p, f.Get("key"), func(k billing.Key) (string, error) {
		in := billing.OrderInput{Items: []billing.ItemInput{it}, PromoCode: iv.Get("promo"), Payment: paymentFrom(f.Values), QuoteToken: f.Get("quote_token")}
		if !show.NoAddress {
			in.BillingAddress = f.Get("address")
			if in.BillingAddress == "" {
				return "", market.Invalid("billing_address", "choose a billing address or enter a new one")
			}
		}
		return placed(s.svc.PlaceOrder(ctx, p, in.Keyed(k), "portal"))
	})
	if err != nil {
		if market.ErrorCode(err) == market.CodeInsufficientFunds && show.BalanceOnly {
			// Numbers are paid from the balance: straight to a top-up of
			// what is missing, and back here afterwards.
			s.redirect(w, r, s.topUpURL(err, "/checkout?"+iv.Encode()),
				"Your balance is not enough for this number. Top up, then confirm the order.")
			return
		}
		f.CardOnly = show.CardOnly // a top-up: never suggest the balance
		forgetCard(f, err)
		s.fail(r, f, err, checkoutFields)
		f.Values.Set("key", id.Secret(12))
		s.showCheckout(w, r, p, f, web.PageStatus(err))
		return
	}
	s.redirect(w, r, to, "")
}
