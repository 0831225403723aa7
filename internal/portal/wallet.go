package portal

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/dialtone/dialtone/internal/address"
	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/id"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
	"github.com/dialtone/dialtone/internal/payment"
	"github.com/dialtone/dialtone/internal/web"
)

// Main settings -> Payment methods (saved cards: add, make default,
// remove) and Billing addresses (add, edit, delete; verified like at the
// checkout, errors next to their fields).

// cardsData is the Payment methods page.
type cardsData struct {
	Cards []cardRow
	Key   string
	// StripeKey: with payments by Stripe, the card is entered in Stripe's
	// form (Elements) with this publishable key.
	StripeKey string
}

// cardRow is a saved card with its brand in words.
type cardRow struct {
	market.PaymentMethod
	BrandName string
}

func (s *Handler) CardsPage(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	s.showCards(w, r, p, newForm(nil), http.StatusOK)
}

func (s *Handler) showCards(w http.ResponseWriter, r *http.Request, p billing.Principal, f *form, status int) {
	cards, err := s.svc.Cards(r.Context(), p)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	// The card number and the security code never travel back to the
	// page, whatever went wrong.
	f.Values.Del("card_number")
	f.Values.Del("cvc")
	d := cardsData{Key: id.Secret(12), StripeKey: s.stripeKey()}
	for _, c := range cards {
		d.Cards = append(d.Cards, cardRow{PaymentMethod: c, BrandName: payment.BrandName(c.Brand)})
	}
	s.render(w, r, status, "cards", view{Title: "Payment methods", Nav: "cards", Form: f, Data: d})
}

// CardsPost saves a new card (once per form key): the sandbox's card
// fields, or with Stripe the payment method Stripe's form made of the card
// (a card number posted then is refused by the gateway, never sent on).
func (s *Handler) CardsPost(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	ctx := r.Context()
	f := newForm(r.PostForm)
	pay := paymentFrom(url.Values{"pay": {"new"}, "card_number": {f.Get("card_number")}, "cvc": {f.Get("cvc")},
		"exp_month": {f.Get("exp_month")}, "exp_year": {f.Get("exp_year")}, "payment_method": {f.Get("payment_method")}})
	var flash string
	to, err := s.keyedOnce(ctx, p, f.Get("key"), func(k billing.Key) (string, error) {
		var pm market.PaymentMethod
		var err error
		if pay.GatewayCard != "" {
			pm, err = s.svc.SaveGatewayCardKeyed(ctx, p, pay.GatewayCard, k)
		} else {
			pm, err = s.svc.AddCard(ctx, p, pay.Card.Keyed(k))
		}
		if to := authPage(err); to != "" {
			return to, nil // the bank confirms the card first, then /payment-methods/return saves it
		}
		if err != nil {
			return "", err
		}
		flash = cardName(pm) + " was saved."
		if pm.Default {
			flash += " It is your default card for automatic renewals."
		}
		return "/payment-methods#card-" + pm.ID, nil
	})
	if err != nil {
		s.fail(r, f, err, checkoutFields)
		s.showCards(w, r, p, f, web.PageStatus(err))
		return
	}
	s.redirect(w, r, to, flash)
}

// cardName is a card in words: "Visa •••• 4242".
func cardName(pm market.PaymentMethod) string {
	return payment.BrandName(pm.Brand) + " •••• " + pm.Last4
}

func (s *Handler) CardDefaultPost(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	pm, err := s.svc.SetDefaultCard(r.Context(), p, r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.redirect(w, r, "/payment-methods", cardName(pm)+" is now your default card.")
}

func (s *Handler) CardDeletePost(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	ctx := r.Context()
	pm, err := s.svc.Card(ctx, p, r.PathValue("id"))
	if err == nil {
		err = s.svc.DeleteCard(ctx, p, pm.ID)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.redirect(w, r, "/payment-methods", cardName(pm)+" was removed.")
}

// addressRow is a saved billing address with its country's name.
type addressRow struct {
	market.BillingAddress
	CountryName string
}

// addressesData is the Billing addresses page (and an address's edit
// form, with Editing set).
type addressesData struct {
	Addresses []addressRow
	Editing   *addressRow
}

// addressFields maps SaveAddress's params onto the form.
var addressFields = map[string]string{"name": "name", "line1": "line1", "line2": "line2", "city": "city",
	"postal_code": "postal_code", "state": "state", "country": "country", "vat_id": "vat_id"}

func addressInput(f *form) billing.AddressInput {
	return billing.AddressInput{Name: f.Get("name"), Line1: f.Get("line1"), Line2: f.Get("line2"), City: f.Get("city"),
		PostalCode: f.Get("postal_code"), State: f.Get("state"), Country: f.Get("country"), VATID: f.Get("vat_id")}
}

func addressValues(a market.BillingAddress) url.Values {
	return url.Values{"name": {a.Name}, "line1": {a.Line1}, "line2": {a.Line2}, "city": {a.City}, "postal_code": {a.PostalCode},
		"state": {a.State}, "country": {a.Country}, "vat_id": {a.VATID}}
}

func addressRowOf(a market.BillingAddress) addressRow {
	name, _ := address.CountryName(a.Country)
	return addressRow{BillingAddress: a, CountryName: name}
}

func (s *Handler) AddressesPage(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	s.showAddresses(w, r, p, newForm(nil), http.StatusOK)
}

func (s *Handler) showAddresses(w http.ResponseWriter, r *http.Request, p billing.Principal, f *form, status int) {
	list, err := s.svc.Addresses(r.Context(), p)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	var d addressesData
	for _, a := range list {
		d.Addresses = append(d.Addresses, addressRowOf(a))
	}
	if f.Get("country") == "" && !f.HasErrors() {
		f.Values.Set("country", s.customerCountry(r, p))
	}
	s.render(w, r, status, "addresses", view{Title: "Billing addresses", Nav: "addresses", Form: f, Data: d})
}

// customerCountry is the account's country (the new address form's
// first choice).
func (s *Handler) customerCountry(r *http.Request, p billing.Principal) string {
	c, err := s.svc.Customer(r.Context(), p.CustomerID)
	if err != nil {
		return ""
	}
	return c.Country
}

func (s *Handler) AddressesPost(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	f := newForm(r.PostForm)
	a, err := s.svc.SaveAddress(r.Context(), p, "", addressInput(f))
	if err != nil {
		s.fail(r, f, err, addressFields)
		s.showAddresses(w, r, p, f, web.PageStatus(err))
		return
	}
	s.redirect(w, r, "/addresses#address-"+a.ID, "The address was verified and saved.")
}

func (s *Handler) AddressEditPage(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	a, err := s.svc.Address(r.Context(), p, r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.showAddressEdit(w, r, a, newForm(addressValues(a)), http.StatusOK)
}

func (s *Handler) showAddressEdit(w http.ResponseWriter, r *http.Request, a market.BillingAddress, f *form, status int) {
	row := addressRowOf(a)
	s.render(w, r, status, "addresses_edit", view{Title: "Edit billing address", Nav: "addresses", Form: f, Data: addressesData{Editing: &row}})
}

func (s *Handler) AddressEditPost(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	ctx := r.Context()
	a, err := s.svc.Address(ctx, p, r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	f := newForm(r.PostForm)
	if _, err := s.svc.SaveAddress(ctx, p, a.ID, addressInput(f)); err != nil {
		if market.IsCode(err, market.CodeNotFound) {
			s.pageError(w, r, err)
			return
		}
		s.fail(r, f, err, addressFields)
		s.showAddressEdit(w, r, a, f, web.PageStatus(err))
		return
	}
	s.redirect(w, r, "/addresses#address-"+a.ID, "The address was verified and saved. Invoices already issued keep the address they were made out to.")
}

func (s *Handler) AddressDeletePost(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	if err := s.svc.DeleteAddress(r.Context(), p, r.PathValue("id")); err != nil {
		s.pageError(w, r, err)
		return
	}
	s.redirect(w, r, "/addresses", "The address was deleted. Invoices already issued keep it.")
}

// parseAmount reads an amount a customer typed in major units of currency,
// the way people write money: "50", "50.00" or "50,00" (a decimal point or
// comma), with thousands grouped by "'" or a space, or by "," or "." when
// the other mark is the decimal one ("1'000.00", "1 000,00", "1,000.00",
// "1.000,00", "1,000,000"). A lone mark before exactly three digits
// ("1.000", "1,000") is refused: it could mean one or a thousand. It never
// goes through floats: the number is rewritten plainly and parsed by
// money.ParseMajor. On failure it returns what is wrong, in words, for the
// field.
func parseAmount(in, currency string) (money.Amount, string) {
	example := "Enter an amount in " + currency + " such as 50.00 or 50,00."
	s := strings.TrimSpace(in)
	if s == "" {
		return money.Amount{}, "Enter the amount to top up, e.g. 50.00."
	}
	if s[0] == '-' {
		return money.Amount{}, "Enter an amount above zero, such as 50.00."
	}
	// Apostrophes and spaces only ever group thousands: mark them "_".
	s = strings.NewReplacer("'", "_", "’", "_", " ", "_", "\u00a0", "_", "\u202f", "_").Replace(s)
	dots, commas := strings.Count(s, "."), strings.Count(s, ",")
	dec := "" // the decimal mark, if any
	switch {
	case dots > 0 && commas > 0:
		dec = "."
		if strings.LastIndexByte(s, ',') > strings.LastIndexByte(s, '.') {
			dec = ","
		}
	case dots == 1 || commas == 1:
		mark := "."
		if commas == 1 {
			mark = ","
		}
		after := len(s) - strings.LastIndex(s, mark) - 1
		switch {
		case after != 3:
			dec = mark
		case money.Digits(currency) != 0:
			return money.Amount{}, fmt.Sprintf("“%s” could mean one or a thousand: write it without a thousands separator, "+
				"such as 1000 or 1000.00.", strings.TrimSpace(in))
		}
	}
	// Every mark that is not the decimal one groups thousands.
	whole, frac, hasDec := s, "", false
	if dec != "" {
		i := strings.LastIndex(s, dec)
		whole, frac, hasDec = s[:i], s[i+1:], true
	}
	groups := strings.FieldsFunc(whole, func(r rune) bool { return r == '_' || r == '.' || r == ',' })
	if len(groups) > 1 || len(whole) != len(strings.Join(groups, "")) {
		// One mark between groups: none doubled, leading or trailing.
		ok := len(groups) > 1 && len(groups[0]) <= 3 && len(whole) == len(strings.Join(groups, ""))+len(groups)-1
		for _, g := range groups[1:] {
			ok = ok && len(g) == 3
		}
		if !ok {
			return money.Amount{}, "Separate thousands in groups of three digits, such as 1,000.00, or leave them out: 1000.00."
		}
	}
	plain := strings.Join(groups, "")
	if hasDec {
		plain += "." + frac
	}
	a, err := money.ParseMajor(plain, currency)
	switch {
	case err == nil:
		return a, ""
	case hasDec && len(frac) > money.Digits(currency) && allDigits(frac):
		if money.Digits(currency) == 0 {
			return money.Amount{}, fmt.Sprintf("Amounts in %s have no decimals: enter a whole number such as 50.", currency)
		}
		return money.Amount{}, fmt.Sprintf("Amounts in %s have %d decimal places: enter e.g. 50.00.", currency, money.Digits(currency))
	}
	return money.Amount{}, example
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
