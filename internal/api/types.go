package api

import (
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
)

// List is the contract's list envelope.
type List[T any] struct {
	Data    []T  `json:"data"`
	HasMore bool `json:"has_more"`
}

// listOf cuts a page fetched with one extra row into data and has_more.
func listOf[S any, T any](rows []S, limit int, conv func(S) T) List[T] {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	out := List[T]{Data: make([]T, 0, min(len(rows), limit))}
	for i, r := range rows {
		if i == limit {
			out.HasMore = true
			break
		}
		out.Data = append(out.Data, conv(r))
	}
	return out
}

// after returns the rows after the one whose ID is id ("" = all of them),
// for lists read whole (a customer's numbers, SIP accounts, users): an ID
// not in the list is 400 naming starting_after.
func after[S any](rows []S, id string, idOf func(S) string) ([]S, error) {
	if id == "" {
		return rows, nil
	}
	for i, r := range rows {
		if idOf(r) == id {
			return rows[i+1:], nil
		}
	}
	return nil, badCursor(id)
}

// badCursor is the answer to a starting_after that is no element of the
// list: page 1 again would loop a client for ever.
func badCursor(id string) error {
	return market.Invalid("starting_after", "starting_after: no element of this list has the id %q; send the id of the last element of the previous page", id)
}

// knownCursor checks a starting_after with find, a read of that element
// within the list's scope: not_found (or a malformed id) is badCursor.
func knownCursor(id string, find func() error) error {
	if id == "" {
		return nil
	}
	err := find()
	if market.IsCode(err, market.CodeNotFound) || market.IsCode(err, market.CodeInvalidRequest) {
		return badCursor(id)
	}
	return err
}

// found turns a "has it" answer into knownCursor's error.
func found(ok bool, err error) error {
	if err == nil && !ok {
		return market.NotFound("element")
	}
	return err
}

// PageParams are the list query parameters. One rule for every list:
// limit is 1 to 1000 (100 when absent); anything else (0, negative, not a
// whole number, too large) is 400 naming limit.
type PageParams struct {
	Limit         int    `query:"limit" minimum:"1" maximum:"1000" doc:"At most this many elements: 1 to 1000, 100 when absent."`
	StartingAfter string `query:"starting_after" maxLength:"100" doc:"The id of the last element of the previous page; an id that is no element of the list is 400."`
}

func (p PageParams) page() billing.Page { return billing.Page{Limit: p.Limit, After: p.StartingAfter} }

// CustomerResponse is a customer account.
type CustomerResponse struct {
	ID        string    `json:"id"`
	Company   string    `json:"company"`
	Email     string    `json:"email"`
	Country   string    `json:"country"`
	Currency  string    `json:"currency"`
	Balance   int64     `json:"balance" doc:"Prepaid balance in minor units of currency."`
	CreatedAt time.Time `json:"created_at"`
}

func customerResponse(c market.Customer) CustomerResponse {
	return CustomerResponse{ID: c.ID, Company: c.Company, Email: c.Email, Country: c.Country, Currency: c.Currency,
		Balance: c.Balance, CreatedAt: c.CreatedAt}
}

// UserResponse is a login or seat.
type UserResponse struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	Email        string    `json:"email"`
	Role         string    `json:"role" enum:"owner,admin,billing,viewer,member" doc:"member: a seat without a login; the others are logins (GET /v1/logins)."`
	Extension    string    `json:"extension"`
	Subscription string    `json:"subscription,omitempty"`
	SIPAccount   string    `json:"sip_account,omitempty"`
	Status       string    `json:"status" enum:"active,suspended"`
	CreatedAt    time.Time `json:"created_at"`
}

func userResponse(u market.User, status string) UserResponse {
	return UserResponse{ID: u.ID, Name: u.Name, Email: u.Email, Role: u.Role, Extension: u.Extension,
		Subscription: u.SubscriptionID, SIPAccount: u.SIPAccountID, Status: status, CreatedAt: u.CreatedAt}
}

// PlanResponse is a plan of the catalog.
type PlanResponse struct {
	ID          string         `json:"id" doc:"The plan's code: what starting_after takes."`
	Code        string         `json:"code"`
	Name        string         `json:"name"`
	Product     string         `json:"product"`
	ProductName string         `json:"product_name"`
	Description string         `json:"description"`
	Rank        int            `json:"rank"`
	MinLicenses int            `json:"min_licenses"`
	MaxLicenses int            `json:"max_licenses" doc:"0: no limit of the plan's own."`
	Terms       []int          `json:"terms"`
	Prices      []market.Price `json:"prices"`
	TrialDays   int            `json:"trial_days"`
	Active      bool           `json:"active"`
}

func planResponse(p market.Plan) PlanResponse {
	prices := p.Prices
	if prices == nil {
		prices = []market.Price{}
	}
	return PlanResponse{ID: p.Code, Code: p.Code, Name: p.Name, Product: p.Product, ProductName: p.ProductName, Description: p.Description,
		Rank: p.Rank, MinLicenses: p.MinLicenses, MaxLicenses: p.MaxLicenses, Terms: p.Terms, Prices: prices,
		TrialDays: p.TrialDays, Active: p.Active}
}

// ProductResponse is a product with its plans, by rank.
type ProductResponse struct {
	Code  string         `json:"code"`
	Name  string         `json:"name"`
	Plans []PlanResponse `json:"plans"`
}

// LineResponse is an order or quote line.
type LineResponse struct {
	Type         string `json:"type"`
	Description  string `json:"description"`
	Quantity     int    `json:"quantity"`
	UnitAmount   int64  `json:"unit_amount"`
	Amount       int64  `json:"amount" doc:"Net, before discount: unit_amount x quantity, or the prorated charge."`
	Discount     int64  `json:"discount"`
	TaxRate      string `json:"tax_rate" doc:"Percent, as a decimal string."`
	Tax          int64  `json:"tax"`
	Total        int64  `json:"total" doc:"amount - discount + tax"`
	Plan         string `json:"plan,omitempty"`
	TermMonths   int    `json:"term_months,omitempty"`
	Subscription string `json:"subscription,omitempty"`
	PhoneNumber  string `json:"phone_number,omitempty"`
	Trial        bool   `json:"trial,omitempty"`
}

func lineResponses(lines []market.Line) []LineResponse {
	out := make([]LineResponse, len(lines))
	for i, l := range lines {
		out[i] = LineResponse{Type: string(l.Type), Description: l.Description, Quantity: l.Quantity, UnitAmount: l.UnitAmount,
			Amount: l.Amount, Discount: l.Discount, TaxRate: l.TaxRate.String(), Tax: l.Tax, Total: l.Total(), Plan: l.Plan,
			TermMonths: l.TermMonths, Subscription: l.SubscriptionID, PhoneNumber: l.PhoneNumber, Trial: l.Trial}
	}
	return out
}

// QuoteResponse is what an order would cost.
type QuoteResponse struct {
	Items      []LineResponse `json:"items"`
	Subtotal   int64          `json:"subtotal"`
	Discount   int64          `json:"discount"`
	Tax        int64          `json:"tax"`
	Total      int64          `json:"total"`
	Currency   string         `json:"currency"`
	PromoCode  string         `json:"promo_code,omitempty"`
	TaxCountry string         `json:"tax_country,omitempty"`
	QuoteToken string         `json:"quote_token" doc:"Pass it with the order: if prices change in between, the order fails with price_changed."`
}

func quoteResponse(q billing.Quote) QuoteResponse {
	return QuoteResponse{Items: lineResponses(q.Lines), Subtotal: q.Totals.Subtotal, Discount: q.Totals.Discount, Tax: q.Totals.Tax,
		Total: q.Totals.Total, Currency: q.Currency, PromoCode: q.PromoCode, TaxCountry: q.TaxCountry, QuoteToken: q.Token}
}

// PaymentRef is how an order was paid.
type PaymentRef struct {
	ID        string `json:"id"`
	Method    string `json:"method" enum:"balance,card,none"`
	CardLast4 string `json:"card_last4,omitempty"`
	CardBrand string `json:"card_brand,omitempty"`
}

// OrderResponse is a paid order.
type OrderResponse struct {
	ID             string         `json:"id"`
	Status         string         `json:"status" enum:"paid,partially_refunded,refunded"`
	Items          []LineResponse `json:"items"`
	Subtotal       int64          `json:"subtotal"`
	Discount       int64          `json:"discount"`
	Tax            int64          `json:"tax"`
	Total          int64          `json:"total"`
	Refunded       int64          `json:"refunded"`
	Currency       string         `json:"currency"`
	PromoCode      string         `json:"promo_code,omitempty"`
	BillingAddress string         `json:"billing_address,omitempty"`
	Payment        PaymentRef     `json:"payment"`
	Invoice        string         `json:"invoice"`
	DisputeStatus  string         `json:"dispute_status,omitempty" doc:"Set once the cardholder disputed the card payment with their bank: the dispute's latest status (needs_response, under_review, won, lost, ...)."`
	CreatedAt      time.Time      `json:"created_at"`
}

func orderResponse(o market.Order, pay *market.Payment) OrderResponse {
	r := OrderResponse{ID: o.ID, Status: o.Status, Items: lineResponses(o.Lines), Subtotal: o.Totals.Subtotal, Discount: o.Totals.Discount,
		Tax: o.Totals.Tax, Total: o.Totals.Total, Refunded: o.Refunded, Currency: o.Currency, PromoCode: o.PromoCode,
		BillingAddress: o.BillingAddressID, Payment: PaymentRef{ID: o.PaymentID}, Invoice: o.InvoiceID, DisputeStatus: o.DisputeStatus,
		CreatedAt: o.CreatedAt}
	if pay != nil {
		r.Payment.Method, r.Payment.CardLast4, r.Payment.CardBrand = pay.Method, pay.CardLast4, pay.CardBrand
	}
	return r
}

// PeriodResponse is a paid or trial stretch of a subscription.
type PeriodResponse struct {
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	Plan       string    `json:"plan"`
	Quantity   int       `json:"quantity"`
	UnitAmount int64     `json:"unit_amount" doc:"List price per license for the whole term, as paid."`
	TermMonths int       `json:"term_months"`
	Trial      bool      `json:"trial"`
	Order      string    `json:"order,omitempty"`
}

// SubscriptionResponse is a subscription.
type SubscriptionResponse struct {
	ID          string           `json:"id"`
	Product     string           `json:"product"`
	Plan        string           `json:"plan"`
	Quantity    int              `json:"quantity"`
	TermMonths  int              `json:"term_months"`
	Status      string           `json:"status" enum:"trialing,active,past_due,expired,canceled"`
	AutoRenew   bool             `json:"auto_renew"`
	Currency    string           `json:"currency"`
	StartedAt   time.Time        `json:"started_at"`
	ExpiresAt   time.Time        `json:"expires_at"`
	TrialEndsAt *time.Time       `json:"trial_ends_at"`
	Users       int              `json:"users"`
	Periods     []PeriodResponse `json:"periods"`

	CancelAtPeriodEnd bool `json:"cancel_at_period_end" doc:"The customer canceled: it stays in force until expires_at, does not renew, and is then canceled."`
}

func subscriptionResponse(s market.Subscription, now time.Time) SubscriptionResponse {
	r := SubscriptionResponse{ID: s.ID, Product: s.Product, Plan: s.Plan, Quantity: s.Quantity(now), TermMonths: s.TermMonths,
		Status: string(s.Status), AutoRenew: s.AutoRenew, Currency: s.Currency, StartedAt: s.StartedAt, ExpiresAt: s.ExpiresAt,
		TrialEndsAt: s.TrialEndsAt, Users: s.Users, Periods: make([]PeriodResponse, len(s.Periods)), CancelAtPeriodEnd: s.CancelAtPeriodEnd}
	for i, p := range s.Periods {
		r.Periods[i] = PeriodResponse{Start: p.Start, End: p.End, Plan: p.Plan, Quantity: p.Quantity, UnitAmount: p.UnitAmount,
			TermMonths: p.TermMonths, Trial: p.Trial, Order: p.OrderID}
	}
	return r
}

// TransactionResponse is a row of the Billing tab.
type TransactionResponse struct {
	ID          string    `json:"id" doc:"The payment ID."`
	CreatedAt   time.Time `json:"created_at"`
	Purpose     string    `json:"purpose" enum:"balance_refill,subscription_purchase,renewal,upgrade,licenses,phone_number,number_rental,refund,adjustment,order"`
	Description string    `json:"description"`
	Method      string    `json:"method" enum:"balance,card,operator,none"`
	Amount      int64     `json:"amount" doc:"Charged (positive) or given back (negative)."`
	Currency    string    `json:"currency"`
	CardLast4   string    `json:"card_last4,omitempty"`
	Order       string    `json:"order,omitempty"`
	Invoice     string    `json:"invoice,omitempty"`
}

func transactionResponse(p market.Payment) TransactionResponse {
	return TransactionResponse{ID: p.ID, CreatedAt: p.CreatedAt, Purpose: string(p.Purpose), Description: p.Description,
		Method: p.Method, Amount: p.Amount, Currency: p.Currency, CardLast4: p.CardLast4, Order: p.OrderID, Invoice: p.InvoiceID}
}

// EntryResponse is a movement of the balance.
type EntryResponse struct {
	ID           string    `json:"id" doc:"The ledger transaction."`
	CreatedAt    time.Time `json:"created_at"`
	Kind         string    `json:"kind"`
	Description  string    `json:"description"`
	Amount       int64     `json:"amount"`
	BalanceAfter int64     `json:"balance_after"`
	Currency     string    `json:"currency"`
	Payment      string    `json:"payment,omitempty"`
	Order        string    `json:"order,omitempty"`
}

func entryResponse(e market.Entry) EntryResponse {
	return EntryResponse{ID: e.TransactionID, CreatedAt: e.CreatedAt, Kind: e.Kind, Description: e.Description, Amount: e.Amount,
		BalanceAfter: e.BalanceAfter, Currency: e.Currency, Payment: e.PaymentID, Order: e.OrderID}
}

// InvoiceResponse is an invoice or credit note.
type InvoiceResponse struct {
	ID          string                `json:"id"`
	Number      string                `json:"number" doc:"Year and gapless sequence, e.g. 2026-000042."`
	Kind        string                `json:"kind" enum:"invoice,credit_note"`
	Order       string                `json:"order,omitempty"`
	IssuedAt    time.Time             `json:"issued_at"`
	Currency    string                `json:"currency"`
	Subtotal    int64                 `json:"subtotal"`
	Discount    int64                 `json:"discount"`
	Tax         int64                 `json:"tax"`
	Total       int64                 `json:"total"`
	Seller      billing.Seller        `json:"seller"`
	BuyerName   string                `json:"buyer_name"`
	BuyerLines  []string              `json:"buyer_lines"`
	BuyerVATID  string                `json:"buyer_vat_id,omitempty"`
	Lines       []billing.InvoiceLine `json:"lines"`
	PaymentNote string                `json:"payment_note"`
	Reference   string                `json:"reference"`
	PDFURL      string                `json:"pdf_url"`
	HTMLURL     string                `json:"html_url"`
	Description string                `json:"description" doc:"What the invoice was for: its lines' descriptions in short."`
}

func invoiceResponse(v market.Invoice, d billing.InvoiceDoc) InvoiceResponse {
	return InvoiceResponse{ID: v.ID, Number: v.Number, Kind: v.Kind, Order: v.OrderID, IssuedAt: v.IssuedAt, Currency: v.Currency,
		Subtotal: v.Totals.Subtotal, Discount: v.Totals.Discount, Tax: v.Totals.Tax, Total: v.Totals.Total, Seller: d.Seller,
		BuyerName: d.BuyerName, BuyerLines: d.BuyerLines, BuyerVATID: d.BuyerVATID, Lines: d.Lines, PaymentNote: d.PaymentNote,
		Reference: d.Reference, PDFURL: "/v1/invoices/" + v.ID + ".pdf", HTMLURL: "/v1/invoices/" + v.ID + ".html",
		Description: d.Summary()}
}

// AddressResponse is a billing address.
type AddressResponse struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Line1      string    `json:"line1"`
	Line2      string    `json:"line2"`
	City       string    `json:"city"`
	PostalCode string    `json:"postal_code"`
	State      string    `json:"state"`
	Country    string    `json:"country"`
	VATID      string    `json:"vat_id"`
	CreatedAt  time.Time `json:"created_at"`
}

func addressResponse(a market.BillingAddress) AddressResponse {
	return AddressResponse{ID: a.ID, Name: a.Name, Line1: a.Line1, Line2: a.Line2, City: a.City, PostalCode: a.PostalCode,
		State: a.State, Country: a.Country, VATID: a.VATID, CreatedAt: a.CreatedAt}
}

// PaymentMethodResponse is a saved card: never its number or CVC.
type PaymentMethodResponse struct {
	ID       string `json:"id"`
	Brand    string `json:"brand"`
	Last4    string `json:"last4"`
	ExpMonth int    `json:"exp_month"`
	ExpYear  int    `json:"exp_year"`
	Default  bool   `json:"default"`
}

func paymentMethodResponse(p market.PaymentMethod) PaymentMethodResponse {
	return PaymentMethodResponse{ID: p.ID, Brand: p.Brand, Last4: p.Last4, ExpMonth: p.ExpMonth, ExpYear: p.ExpYear, Default: p.Default}
}

// SIPAccountResponse is a SIP account.
type SIPAccountResponse struct {
	ID        string   `json:"id"`
	Kind      string   `json:"kind" enum:"trunk,user"`
	Username  string   `json:"username"`
	Domain    string   `json:"domain"`
	Numbers   []string `json:"numbers"`
	Connected bool     `json:"connected" doc:"True exactly while a device is registered (an unexpired binding exists)."`
	User      string   `json:"user,omitempty"`
	Password  string   `json:"password,omitempty" doc:"Only in GET /v1/sip_accounts/{id}, and only for the customer's admin."`
	// Registrations are the account's live bindings, oldest first.
	Registrations []SIPRegistration `json:"registrations" doc:"The devices registered now, oldest first."`
}

// SIPRegistration is one device registered for a SIP account.
type SIPRegistration struct {
	Contact      string    `json:"contact" doc:"The contact URI the device registered."`
	UserAgent    string    `json:"user_agent" doc:"The device's User-Agent; empty when it sent none."`
	Source       string    `json:"source" doc:"The ip:port the registration came from."`
	Transport    string    `json:"transport" enum:"UDP,TCP,TLS,WS,WSS"`
	ExpiresAt    time.Time `json:"expires_at" doc:"When the binding lapses unless the device refreshes it."`
	RegisteredAt time.Time `json:"registered_at" doc:"Since when the device has been registered without a lapse."`
}

// NumberResponse is a phone number, available or held.
type NumberResponse struct {
	ID            string     `json:"id"`
	Number        string     `json:"number"`
	Country       string     `json:"country"`
	State         string     `json:"state,omitempty"`
	Area          string     `json:"area"`
	Type          string     `json:"type"`
	SetupAmount   int64      `json:"setup_amount"`
	MonthlyAmount int64      `json:"monthly_amount"`
	Currency      string     `json:"currency"`
	Status        string     `json:"status,omitempty"`
	SIPAccount    *string    `json:"sip_account" nullable:"true" doc:"The SIP account the number rings on; null when none (and for a number not held)."`
	SIPConnected  *bool      `json:"sip_connected,omitempty" doc:"The customer's held numbers: whether the number is reachable now, that is its SIP account has a live registration (a device or PBX registered with the registrar, GET /v1/sip_accounts/{id}); false without a SIP account."`
	PurchasedAt   *time.Time `json:"purchased_at,omitempty"`
	RenewsAt      *time.Time `json:"renews_at,omitempty"`
	GraceUntil    *time.Time `json:"grace_until,omitempty"`
	// The operator's view (GET /v1/admin/numbers) only.
	Customer        string     `json:"customer,omitempty" doc:"Operator only: the customer holding the number."`
	QuarantineUntil *time.Time `json:"quarantine_until,omitempty" doc:"Operator only: when a released number is for sale again."`
}

func numberResponse(n market.Number, held bool) NumberResponse {
	r := NumberResponse{ID: n.ID, Number: n.Number, Country: n.Country, State: n.State, Area: n.Area, Type: n.Type,
		SetupAmount: n.SetupAmount, MonthlyAmount: n.MonthlyAmount, Currency: n.Currency}
	if held {
		r.Status, r.PurchasedAt, r.RenewsAt, r.GraceUntil = n.Status, n.PurchasedAt, n.RenewsAt, n.GraceUntil
		if n.SIPAccountID != "" {
			r.SIPAccount = &n.SIPAccountID
		}
	}
	return r
}

// adminNumberResponse is a number as the operator sees it: with its holder
// and the end of its quarantine.
func adminNumberResponse(n market.Number) NumberResponse {
	r := numberResponse(n, true)
	r.Customer, r.QuarantineUntil = n.CustomerID, n.QuarantineUntil
	return r
}

// NotificationResponse is a message sent to the customer.
type NotificationResponse struct {
	ID         string    `json:"id"`
	Type       string    `json:"type"`
	Subject    string    `json:"subject"`
	Body       string    `json:"body"`
	ObjectType string    `json:"object_type,omitempty"`
	Object     string    `json:"object,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	Email      string    `json:"email,omitempty" doc:"The e-mail kept for it in the sandbox mailbox (sandbox without SMTP): read it at GET /v1/notifications/{id}/email."`
}

// documentLimits writes each list's default limit into the OpenAPI
// document. PageParams has no default tag, which huma would apply: the
// handlers see an absent limit as 0 (the CSV export then gives up to 1000
// rows).
func (s *Handler) documentLimits() {
	for path, item := range s.api.OpenAPI().Paths {
		if item.Get == nil {
			continue
		}
		for _, p := range item.Get.Parameters {
			if p.Name == "limit" && p.In == "query" && p.Schema != nil {
				p.Schema.Default = 100
				if path == "/v1/numbers/available" {
					p.Schema.Default = 20
				}
			}
		}
	}
}
