package portal

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/inventory"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
	"github.com/dialtone/dialtone/internal/web"
)

// Marketplace -> SIP Number (Voiptime's "Purchasing SIP phone number"):
// the Country -> State -> Area cascade as a GET form (each choice is
// submitted with Show, or refreshed by htmx on change), ORDER PHONE for
// the first free number of the area and a table of free numbers, both
// ending on the checkout page (numbers are paid from the balance; a short
// balance leads to the refill page and back). Below, the purchased
// numbers with their SIP account, Assign and Release.

// availableShown is how many free numbers the table lists.
const availableShown = 20

// numberTypes are the Type filter's choices.
var numberTypes = []struct{ Value, Label string }{
	{inventory.TypeLocal, "Local"}, {inventory.TypeMobile, "Mobile"}, {inventory.TypeTollFree, "Toll-free"},
}

// cascadeOpt is a choice of the cascade with how many numbers are free.
type cascadeOpt struct {
	Code, Name string
	Available  int
	HasStates  bool
}

// freeNumber is a row of the free numbers table.
type freeNumber struct {
	market.Number
	OrderURL string
}

// heldNumber is a number of the customer's on the release page.
type heldNumber struct {
	market.Number
	CountryName string
}

// purchasedRow is a row of the Purchased numbers table, its words and
// figures formatted here: the page lists every number the customer holds,
// and each template action reached by reflection cost microseconds (a
// hundred rows were most of the page's time: docs/BENCHMARKS.md, session
// 9).
type purchasedRow struct {
	ID, Number, TypeLabel         string
	CountryName, StateName, Area  string
	Status, StatusLabel           string
	GraceUntil, RenewsAt, Monthly string
	SIPAccountID, SIPLabel        string
	SIPField                      string // the assign form's field, "sip_" + ID
	SIPConnected                  bool
	SIPSince                      string
	SIP                           []sipOption
}

// sipOption is a SIP account in a row's assign select.
type sipOption struct {
	ID, Label string
	Selected  bool
}

// sipChoice is a SIP account in the assign select.
type sipChoice struct {
	ID, Label string
}

// numbersData is the SIP Number page.
type numbersData struct {
	Countries []cascadeOpt
	Country   *cascadeOpt
	States    []cascadeOpt
	Areas     []cascadeOpt
	Types     []struct{ Value, Label string }
	// Area is set once the cascade is complete: ORDER PHONE and the table
	// of free numbers are shown.
	Area      string
	Free      []freeNumber
	OrderURL  string
	PriceCur  string
	Mismatch  bool // the area's numbers are priced in another currency than the account's
	Back      string
	Purchased []purchasedRow
	SIP       []sipChoice
}

// numbersQuery is the cascade's state read from the query string.
func numbersQuery(v url.Values) url.Values {
	out := url.Values{}
	for _, k := range []string{"country", "state", "area", "type", "contains"} {
		if x := strings.TrimSpace(v.Get(k)); x != "" {
			out.Set(k, x)
		}
	}
	if c := out.Get("country"); c != "" {
		out.Set("country", strings.ToUpper(c))
	}
	if st := out.Get("state"); st != "" {
		out.Set("state", strings.ToUpper(st))
	}
	return out
}

func (s *Handler) NumbersPage(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	f := newForm(numbersQuery(r.URL.Query()))
	s.showNumbers(w, r, p, f, http.StatusOK)
}

// showNumbers renders the SIP Number page for the cascade in f. A state or
// area that does not belong to the chosen country (the customer changed
// the country and pressed Show) is dropped; a bad type or digits filter is
// shown next to its field.
func (s *Handler) showNumbers(w http.ResponseWriter, r *http.Request, p billing.Principal, f *form, status int) {
	ctx := r.Context()
	c, err := s.svc.Customer(ctx, p.CustomerID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	d := numbersData{Types: numberTypes}
	if err := s.loadCascade(ctx, f, c.Currency, &d); err != nil {
		s.pageError(w, r, err)
		return
	}
	if f.HasErrors() && status == http.StatusOK {
		status = http.StatusBadRequest
	}
	if d.Area != "" && !f.HasErrors() {
		if err := s.loadFree(ctx, f, c, &d); err != nil {
			s.pageError(w, r, err)
			return
		}
	}
	if err := s.loadHeld(ctx, p, &d); err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, status, "numbers", view{Title: "SIP Number", Nav: "numbers", Customer: c, Form: f, Data: d})
}

// loadCascade fills the country, state and area choices of the cascade:
// those with numbers priced in the account's currency, the ones it can buy.
func (s *Handler) loadCascade(ctx context.Context, f *form, currency string, d *numbersData) error {
	rd := s.svc.Reads()
	cs, err := rd.NumberCountries(ctx, currency)
	if err != nil {
		return err
	}
	for _, x := range cs {
		d.Countries = append(d.Countries, cascadeOpt{Code: x.Value, Name: inventory.CountryName(x.Value), Available: x.Available, HasStates: inventory.HasStates(x.Value)})
	}
	if t := f.Get("type"); t != "" && t != inventory.TypeLocal && t != inventory.TypeMobile && t != inventory.TypeTollFree {
		f.Errors["type"] = "Choose local, mobile or toll-free."
	}
	if digits := f.Get("contains"); digits != "" && (len(digits) > 15 || strings.Trim(digits, "0123456789") != "") {
		f.Errors["contains"] = "Enter digits only (at most 15), e.g. 555."
	}
	cc := f.Get("country")
	for i := range d.Countries {
		if d.Countries[i].Code == cc {
			d.Country = &d.Countries[i]
		}
	}
	if cc == "" {
		return nil
	}
	if d.Country == nil {
		f.Errors["country"] = "We have no numbers in this country for accounts in " + currency + ". Choose one from the list."
		return nil
	}
	state := f.Get("state")
	if d.Country.HasStates {
		fs, err := rd.NumberStates(ctx, cc, currency)
		if err != nil {
			return err
		}
		found := false
		for _, x := range fs {
			d.States = append(d.States, cascadeOpt{Code: x.Value, Name: inventory.StateName(cc, x.Value), Available: x.Available})
			found = found || x.Value == state
		}
		if !found {
			f.Values.Del("state")
			f.Values.Del("area")
			return nil
		}
	} else if state != "" {
		f.Values.Del("state")
		state = ""
	}
	fs, err := rd.NumberAreas(ctx, cc, state, currency)
	if err != nil {
		return err
	}
	area := f.Get("area")
	for _, x := range fs {
		d.Areas = append(d.Areas, cascadeOpt{Code: x.Value, Name: x.Value, Available: x.Available})
		if x.Value == area {
			d.Area = area
		}
	}
	if d.Area == "" {
		f.Values.Del("area")
	}
	return nil
}

// loadFree lists the free numbers of the chosen area and builds the order
// links, which come back here (with the same choices) from the checkout.
func (s *Handler) loadFree(ctx context.Context, f *form, c market.Customer, d *numbersData) error {
	ns, err := s.svc.Reads().AvailableNumbers(ctx, billing.NumberSearch{Country: f.Get("country"), State: f.Get("state"),
		Area: d.Area, Type: f.Get("type"), Currency: c.Currency, Contains: f.Get("contains"), Limit: availableShown})
	if err != nil {
		return err
	}
	d.Back = "/marketplace/numbers?" + f.Values.Encode()
	order := url.Values{"type": {string(market.ItemPhoneNumber)}, "country": {f.Get("country")}, "area": {d.Area}, "back": {d.Back}}
	if st := f.Get("state"); st != "" {
		order.Set("state", st)
	}
	d.OrderURL = "/checkout?" + order.Encode()
	for i, n := range ns {
		if i == availableShown {
			break
		}
		v := url.Values{"type": {string(market.ItemPhoneNumber)}, "number": {n.Number}, "back": {d.Back}}
		d.Free = append(d.Free, freeNumber{Number: n, OrderURL: "/checkout?" + v.Encode()})
		d.PriceCur = n.Currency
	}
	d.Mismatch = d.PriceCur != "" && d.PriceCur != c.Currency
	return nil
}

// loadHeld lists the customer's numbers and SIP accounts.
func (s *Handler) loadHeld(ctx context.Context, p billing.Principal, d *numbersData) error {
	ns, err := s.svc.Numbers(ctx, p)
	if err != nil {
		return err
	}
	accts, err := s.svc.SIPAccounts(ctx, p)
	if err != nil {
		return err
	}
	users, err := s.svc.Users(ctx, p)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, u := range users {
		names[u.ID] = u.Name
		if u.Extension != "" {
			names[u.ID] += " (ext. " + u.Extension + ")"
		}
	}
	labels := map[string]string{}
	for _, a := range accts {
		l := "SIP trunk " + a.Username
		if a.Kind != "trunk" {
			l = "User " + a.Username
			if n := names[a.UserID]; n != "" {
				l = "User " + n
			}
		}
		labels[a.ID] = l
		d.SIP = append(d.SIP, sipChoice{ID: a.ID, Label: l})
	}
	since, err := s.svc.Reads().ConnectedSince(ctx, p.CustomerID)
	if err != nil {
		return err
	}
	for _, n := range ns {
		h := purchasedRow{ID: n.ID, Number: n.Number, TypeLabel: numberTypeLabel(n.Type), CountryName: inventory.CountryName(n.Country),
			Area: n.Area, Status: n.Status, StatusLabel: statusLabel(n.Status), GraceUntil: datePtr(n.GraceUntil), RenewsAt: datePtr(n.RenewsAt),
			Monthly: money.Format(money.New(n.MonthlyAmount, n.Currency)), SIPAccountID: n.SIPAccountID, SIPLabel: labels[n.SIPAccountID],
			SIPField: "sip_" + n.ID}
		if at, ok := since[n.SIPAccountID]; ok && n.SIPAccountID != "" {
			h.SIPConnected, h.SIPSince = true, formatDateTime(at)
		}
		if n.State != "" {
			h.StateName = inventory.StateName(n.Country, n.State)
		}
		h.SIP = make([]sipOption, len(d.SIP))
		for i, c := range d.SIP {
			h.SIP[i] = sipOption{ID: c.ID, Label: c.Label, Selected: c.ID == n.SIPAccountID}
		}
		d.Purchased = append(d.Purchased, h)
	}
	return nil
}

// heldNumberOf returns one of the customer's numbers. Error: not_found
// (also for another customer's number).
func (s *Handler) heldNumberOf(ctx context.Context, p billing.Principal, id string) (market.Number, error) {
	return s.svc.Reads().CustomerNumber(ctx, p.CustomerID, id)
}

// AssignNumberPost routes a number to one of the customer's SIP accounts
// (or to none).
func (s *Handler) AssignNumberPost(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	ctx := r.Context()
	numID := r.PathValue("id")
	n, err := s.svc.AssignNumber(ctx, p, numID, r.PostForm.Get("sip_account"))
	if err != nil {
		var me *market.Error
		if errors.As(err, &me) && me.Code == market.CodeNotFound && me.Param != "sip_account" {
			s.pageError(w, r, err) // the number is not the customer's
			return
		}
		f := newForm(numbersQuery(r.PostForm))
		s.fail(r, f, err, map[string]string{"sip_account": "sip_" + numID})
		if f.Error != "" && f.Errors["sip_"+numID] == "" {
			f.Errors["sip_"+numID], f.Error = f.Error, ""
		}
		s.showNumbers(w, r, p, f, web.PageStatus(err))
		return
	}
	msg := "Number " + n.Number + " is no longer routed to a SIP account."
	if n.SIPAccountID != "" {
		msg = "Number " + n.Number + " now rings on the chosen SIP account."
	}
	s.redirect(w, r, "/marketplace/numbers#purchased", msg)
}

// releaseData is the release confirmation.
type releaseData struct {
	Number heldNumber
}

// ReleaseNumberPage asks to confirm a release and says what it means.
func (s *Handler) ReleaseNumberPage(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	n, err := s.heldNumberOf(r.Context(), p, r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "numbers_release", view{Title: "Release number", Nav: "numbers", Form: newForm(nil),
		Data: releaseData{Number: heldNumber{Number: n, CountryName: inventory.CountryName(n.Country)}}})
}

// ReleaseNumberPost releases the number once the customer has ticked the
// confirmation.
func (s *Handler) ReleaseNumberPost(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	ctx := r.Context()
	n, err := s.heldNumberOf(ctx, p, r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	f := newForm(r.PostForm)
	if f.Get("confirm") != "on" {
		f.Errors["confirm"] = "Tick the box to confirm that you want to give this number up."
		s.render(w, r, http.StatusBadRequest, "numbers_release", view{Title: "Release number", Nav: "numbers", Form: f,
			Data: releaseData{Number: heldNumber{Number: n, CountryName: inventory.CountryName(n.Country)}}})
		return
	}
	if err := s.svc.ReleaseNumber(ctx, p, n.ID); err != nil {
		s.pageError(w, r, err)
		return
	}
	s.redirect(w, r, "/marketplace/numbers#purchased", "Number "+n.Number+" was released. It rests in quarantine for 90 days and can then be sold again; nothing is refunded.")
}

// numberTypeLabel says a number type in words.
func numberTypeLabel(t string) string {
	for _, x := range numberTypes {
		if x.Value == t {
			return x.Label
		}
	}
	return t
}

// TypeLabel is the number's type in words.
func (n freeNumber) TypeLabel() string { return numberTypeLabel(n.Type) }

// TypeLabel is the number's type in words.
func (n heldNumber) TypeLabel() string { return numberTypeLabel(n.Type) }
