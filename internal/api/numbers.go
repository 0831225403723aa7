package api

import (
	"context"
	"strings"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/inventory"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/web"
)

// CountryResponse is a country of the number inventory.
type CountryResponse struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	HasStates bool   `json:"has_states"`
	Available int    `json:"available"`
}

// FacetResponse is a state or area with free numbers.
type FacetResponse struct {
	Code      string `json:"code,omitempty"`
	Name      string `json:"name"`
	Available int    `json:"available"`
}

// customerCurrency returns the currency of the logged-in customer's
// account: the cascade offers the numbers priced in it, the ones the
// customer can buy.
func (s *Handler) customerCurrency(ctx context.Context, p billing.Principal) (string, error) {
	c, err := s.svc.Customer(ctx, p.CustomerID)
	return c.Currency, err
}

func (s *Handler) ListNumberCountries(ctx context.Context, p billing.Principal, _ *struct{}) (*out[List[CountryResponse]], error) {
	cur, err := s.customerCurrency(ctx, p)
	if err != nil {
		return nil, err
	}
	fs, err := s.svc.Reads().NumberCountries(ctx, cur)
	if err != nil {
		return nil, err
	}
	return reply(listOf(fs, 1000, func(f market.Facet) CountryResponse {
		return CountryResponse{Code: f.Value, Name: inventory.CountryName(f.Value), HasStates: inventory.HasStates(f.Value), Available: f.Available}
	})), nil
}

type ccPath struct {
	CC string `path:"cc" minLength:"2" maxLength:"2"`
}

func (s *Handler) ListNumberStates(ctx context.Context, p billing.Principal, in *ccPath) (*out[List[FacetResponse]], error) {
	cur, err := s.customerCurrency(ctx, p)
	if err != nil {
		return nil, err
	}
	cc := strings.ToUpper(in.CC)
	fs, err := s.svc.Reads().NumberStates(ctx, cc, cur)
	if err != nil {
		return nil, err
	}
	return reply(listOf(fs, 1000, func(f market.Facet) FacetResponse {
		return FacetResponse{Code: f.Value, Name: inventory.StateName(cc, f.Value), Available: f.Available}
	})), nil
}

type areasIn struct {
	CC    string `path:"cc" minLength:"2" maxLength:"2"`
	State string `query:"state" maxLength:"10"`
}

func (s *Handler) ListNumberAreas(ctx context.Context, p billing.Principal, in *areasIn) (*out[List[FacetResponse]], error) {
	cur, err := s.customerCurrency(ctx, p)
	if err != nil {
		return nil, err
	}
	fs, err := s.svc.Reads().NumberAreas(ctx, strings.ToUpper(in.CC), strings.ToUpper(in.State), cur)
	if err != nil {
		return nil, err
	}
	return reply(listOf(fs, 1000, func(f market.Facet) FacetResponse { return FacetResponse{Name: f.Value, Available: f.Available} })), nil
}

type availableIn struct {
	Country  string `query:"country" required:"true" minLength:"2" maxLength:"2"`
	State    string `query:"state" maxLength:"10"`
	Area     string `query:"area" maxLength:"100"`
	Type     string `query:"type" enum:"local,mobile,toll_free,"`
	Contains string `query:"contains" maxLength:"15" pattern:"^[0-9]*$" doc:"Digits the number contains."`
	Limit    int    `query:"limit" minimum:"1" maximum:"100" doc:"At most this many numbers: 1 to 100, 20 when absent."`
	After    string `query:"starting_after" maxLength:"100" doc:"The id of the last number of the previous page (any number of the inventory: the list goes on after it in number order); an unknown id is 400."`
}

// listAvailableNumbers lists free numbers priced in the account's
// currency (those the customer can buy), in number order.
func (s *Handler) ListAvailableNumbers(ctx context.Context, p billing.Principal, in *availableIn) (*out[List[NumberResponse]], error) {
	cur, err := s.customerCurrency(ctx, p)
	if err != nil {
		return nil, err
	}
	limit := in.Limit
	if limit == 0 {
		limit = 20
	}
	after, err := s.numberCursor(ctx, in.After)
	if err != nil {
		return nil, err
	}
	ns, err := s.svc.Reads().AvailableNumbers(ctx, billing.NumberSearch{Country: strings.ToUpper(in.Country),
		State: strings.ToUpper(in.State), Area: in.Area, Type: in.Type, Currency: cur, Contains: in.Contains, After: after, Limit: limit + 1})
	if err != nil {
		return nil, err
	}
	return reply(listOf(ns, limit, func(n market.Number) NumberResponse { return numberResponse(n, false) })), nil
}

// numberCursor returns the phone number of the inventory's number id ("" =
// ""), where a list in number order goes on: one indexed read, and an
// unknown id is 400 naming starting_after.
func (s *Handler) numberCursor(ctx context.Context, id string) (string, error) {
	var n market.Number
	err := knownCursor(id, func() (err error) { n, err = s.svc.Reads().Number(ctx, id); return err })
	return n.Number, err
}

func (s *Handler) ListNumbers(ctx context.Context, p billing.Principal, in *PageParams) (*out[List[NumberResponse]], error) {
	ns, err := s.svc.Numbers(ctx, p)
	if err != nil {
		return nil, err
	}
	if ns, err = after(ns, in.StartingAfter, func(n market.Number) string { return n.ID }); err != nil {
		return nil, err
	}
	since, err := s.svc.Reads().ConnectedSince(ctx, p.CustomerID)
	if err != nil {
		return nil, err
	}
	return reply(listOf(ns, in.Limit, func(n market.Number) NumberResponse { return heldNumberResponse(n, since) })), nil
}

// heldNumberResponse is a customer's number with whether its SIP account
// is reachable (since: connectedSince).
func heldNumberResponse(n market.Number, since map[string]time.Time) NumberResponse {
	r := numberResponse(n, true)
	_, ok := since[n.SIPAccountID]
	connected := ok && n.SIPAccountID != ""
	r.SIPConnected = &connected
	return r
}

type numberPatchIn struct {
	ID   string `path:"id" maxLength:"100"`
	Body struct {
		SIPAccount string `json:"sip_account" doc:"The SIP account to route the number to; empty for none."`
	}
}

func (s *Handler) UpdateNumber(ctx context.Context, p billing.Principal, in *numberPatchIn) (*out[NumberResponse], error) {
	n, err := s.svc.AssignNumber(ctx, p, in.ID, in.Body.SIPAccount)
	if err != nil {
		return nil, err
	}
	since, err := s.svc.Reads().ConnectedSince(ctx, p.CustomerID)
	if err != nil {
		return nil, err
	}
	return reply(heldNumberResponse(n, since)), nil
}

func (s *Handler) ReleaseNumber(ctx context.Context, p billing.Principal, in *idPath) (*out[Deleted], error) {
	if err := s.svc.ReleaseNumber(ctx, p, in.ID); err != nil {
		return nil, err
	}
	return reply(Deleted{ID: in.ID, Deleted: true}), nil
}

func (s *Handler) sipResponse(ctx context.Context, a market.SIPAccount, nums []market.Number, regs []market.SIPBinding, withPassword bool) SIPAccountResponse {
	r := SIPAccountResponse{ID: a.ID, Kind: a.Kind, Username: a.Username, Domain: a.Domain, User: a.UserID, Numbers: []string{},
		Registrations: []SIPRegistration{}}
	for _, b := range regs {
		if b.SIPAccountID == a.ID {
			r.Registrations = append(r.Registrations, SIPRegistration{Contact: b.Contact, UserAgent: b.UserAgent, Source: b.Source,
				Transport: b.Transport, ExpiresAt: b.ExpiresAt, RegisteredAt: b.CreatedAt})
		}
	}
	r.Connected = len(r.Registrations) > 0
	for _, n := range nums {
		if n.SIPAccountID == a.ID {
			r.Numbers = append(r.Numbers, n.Number)
		}
	}
	if withPassword {
		r.Password = a.Password
	}
	return r
}

func (s *Handler) ListSIPAccounts(ctx context.Context, p billing.Principal, in *PageParams) (*out[List[SIPAccountResponse]], error) {
	l, err := s.svc.Reads().SIPLines(ctx, p.CustomerID)
	if err != nil {
		return nil, err
	}
	accts, err := after(l.Accounts, in.StartingAfter, func(a market.SIPAccount) string { return a.ID })
	if err != nil {
		return nil, err
	}
	return reply(listOf(accts, in.Limit, func(a market.SIPAccount) SIPAccountResponse {
		return s.sipResponse(ctx, a, l.Numbers, l.Bindings, false)
	})), nil
}

func (s *Handler) GetSIPAccount(ctx context.Context, p billing.Principal, in *idPath) (*out[SIPAccountResponse], error) {
	// The password is shown to the admin once; then only its HA1s remain.
	a, err := s.svc.RevealSIPPassword(ctx, p, in.ID)
	if err != nil {
		return nil, err
	}
	return s.sipAccountReply(ctx, p, a)
}

func (s *Handler) sipAccountReply(ctx context.Context, p billing.Principal, a market.SIPAccount) (*out[SIPAccountResponse], error) {
	nums, err := s.svc.Numbers(ctx, p)
	if err != nil {
		return nil, err
	}
	regs, err := s.svc.Reads().SIPRegistrations(ctx, p.CustomerID)
	if err != nil {
		return nil, err
	}
	return reply(s.sipResponse(ctx, a, nums, regs, p.IsAdmin())), nil
}

// rotateSIPPassword gives a SIP account a new password, shown in this
// answer only; its devices must register again.
func (s *Handler) RotateSIPPassword(ctx context.Context, p billing.Principal, in *idPath) (*out[SIPAccountResponse], error) {
	a, err := s.svc.RotateSIPPassword(ctx, p, in.ID)
	if err != nil {
		return nil, err
	}
	web.WithholdAnswer(ctx) // the new password: not kept for a replay
	return s.sipAccountReply(ctx, p, a)
}

func (s *Handler) ListNotifications(ctx context.Context, p billing.Principal, in *listIn) (*out[List[NotificationResponse]], error) {
	if err := knownCursor(in.StartingAfter, func() error {
		return found(s.svc.Reads().HasNotification(ctx, p.CustomerID, in.StartingAfter))
	}); err != nil {
		return nil, err
	}
	rows, err := s.svc.Reads().Notifications(ctx, p.CustomerID, in.page())
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(rows))
	for i, n := range rows {
		ids[i] = n.ID
	}
	mails, err := s.svc.Reads().MailsOfNotifications(ctx, p.CustomerID, ids)
	if err != nil {
		return nil, err
	}
	return reply(listOf(rows, in.Limit, func(n market.Notification) NotificationResponse {
		return NotificationResponse{ID: n.ID, Type: n.Type, Subject: n.Subject, Body: n.Body, ObjectType: n.ObjectType,
			Object: n.ObjectID, CreatedAt: n.CreatedAt, Email: mails[n.ID]}
	})), nil
}
