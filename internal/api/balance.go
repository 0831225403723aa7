package api

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
)

// AutoTopUpResponse is an automatic top-up of the balance.
type AutoTopUpResponse struct {
	Amount        int64  `json:"amount" doc:"Minor units of the account's currency."`
	Below         int64  `json:"below" doc:"A debit that leaves the balance below this tops it up."`
	PaymentMethod string `json:"payment_method,omitempty" doc:"The card charged; the default card when empty."`
}

// Schema is the object's, nullable (huma refuses nullable references).
func (AutoTopUpResponse) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{Type: huma.TypeObject, Nullable: true, AdditionalProperties: false, Required: []string{"amount", "below"},
		Properties: map[string]*huma.Schema{
			"amount":         {Type: huma.TypeInteger, Format: "int64", Description: "Minor units of the account's currency."},
			"below":          {Type: huma.TypeInteger, Format: "int64", Description: "A debit that leaves the balance below this tops it up."},
			"payment_method": {Type: huma.TypeString, Description: "The card charged; the default card when empty."},
		}}
}

// AccountResponse is the customer account with its balance's forecast and
// settings.
type AccountResponse struct {
	CustomerResponse
	BalanceCoversUntil  *time.Time         `json:"balance_covers_until" nullable:"true" doc:"The date of the first renewal the balance cannot pay (at today's prices incl. tax; at most five years ahead); null when nothing renews from the balance."`
	LowBalanceThreshold *int64             `json:"low_balance_threshold" nullable:"true" doc:"A debit that takes the balance below this sends one balance_low notice (minor units); null: none."`
	AutoTopUp           *AutoTopUpResponse `json:"auto_top_up" doc:"null: none."`
	InvoiceEmails       bool               `json:"invoice_emails" doc:"Paid invoices and credit notes are e-mailed as PDF (to billing_email, or the owner's e-mail)."`
	BillingEmail        string             `json:"billing_email" doc:"Where invoices are e-mailed; empty: the owner's e-mail."`
}

func accountResponse(c market.Customer, v billing.BalanceView) AccountResponse {
	r := AccountResponse{CustomerResponse: customerResponse(c), BalanceCoversUntil: v.CoversUntil, LowBalanceThreshold: v.Settings.LowThreshold}
	if b := v.Settings; b.AutoAmount != nil && b.AutoBelow != nil {
		r.AutoTopUp = &AutoTopUpResponse{Amount: *b.AutoAmount, Below: *b.AutoBelow, PaymentMethod: b.AutoPM}
	}
	return r
}

// account returns the customer with its balance's forecast and settings.
func (s *Handler) account(ctx context.Context, customerID string) (AccountResponse, error) {
	c, err := s.svc.Customer(ctx, customerID)
	if err != nil {
		return AccountResponse{}, err
	}
	v, err := s.svc.Balance(ctx, c)
	if err != nil {
		return AccountResponse{}, err
	}
	m, err := s.svc.MailSettings(ctx, customerID)
	if err != nil {
		return AccountResponse{}, err
	}
	a := accountResponse(c, v)
	a.InvoiceEmails, a.BillingEmail = m.InvoiceEmails, m.BillingEmail
	return a, nil
}

// optional is a body field that may be absent, null or a value.
type optional[T any] struct {
	Sent, Null bool
	Value      T
}

func (o *optional[T]) UnmarshalJSON(b []byte) error {
	o.Sent = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		o.Null = true
		return nil
	}
	return json.Unmarshal(b, &o.Value)
}

// Schema is the value's schema, nullable.
func (o optional[T]) Schema(r huma.Registry) *huma.Schema {
	sc := r.Schema(reflect.TypeOf(o.Value), false, "")
	sc.Nullable = true
	return sc
}

type patchAccountIn struct {
	Body struct {
		Company             *string                          `json:"company,omitempty" maxLength:"100" doc:"The company name (1 to 100 characters)."`
		LowBalanceThreshold optional[int64]                  `json:"low_balance_threshold,omitzero" doc:"Minor units; null turns the notice off."`
		AutoTopUp           optional[billing.AutoTopUpInput] `json:"auto_top_up,omitzero" doc:"null turns the automatic top-up off."`
		InvoiceEmails       *bool                            `json:"invoice_emails,omitempty" doc:"false: paid invoices and credit notes are no longer e-mailed (they stay under GET /v1/invoices)."`
		BillingEmail        *string                          `json:"billing_email,omitempty" maxLength:"254" doc:"Where invoices are e-mailed; empty: the owner's e-mail."`
	}
}

func (s *Handler) PatchAccount(ctx context.Context, p billing.Principal, in *patchAccountIn) (*out[AccountResponse], error) {
	var set billing.BalanceSettingsInput
	if f := in.Body.LowBalanceThreshold; f.Sent {
		if f.Null {
			set.ClearThreshold = true
		} else {
			set.LowThreshold = &f.Value
		}
	}
	if f := in.Body.AutoTopUp; f.Sent {
		if f.Null {
			set.ClearAutoTopUp = true
		} else {
			set.AutoTopUp = &f.Value
		}
	}
	// Every field is checked before anything is written: a refused
	// field changes nothing.
	if in.Body.Company != nil {
		if _, err := billing.CheckCompany(*in.Body.Company); err != nil {
			return nil, err
		}
	}
	if in.Body.BillingEmail != nil {
		if _, err := billing.CheckBillingEmail(*in.Body.BillingEmail); err != nil {
			return nil, err
		}
	}
	if in.Body.LowBalanceThreshold.Sent || in.Body.AutoTopUp.Sent {
		if _, err := s.svc.SetBalanceSettings(ctx, p, set); err != nil {
			return nil, err
		}
	}
	if in.Body.Company != nil {
		if _, err := s.svc.UpdateAccount(ctx, p, billing.AccountInput{Company: in.Body.Company}); err != nil {
			return nil, err
		}
	}
	if in.Body.InvoiceEmails != nil || in.Body.BillingEmail != nil {
		if _, err := s.svc.SetMailSettings(ctx, p, billing.MailSettingsInput{InvoiceEmails: in.Body.InvoiceEmails, BillingEmail: in.Body.BillingEmail}); err != nil {
			return nil, err
		}
	}
	a, err := s.account(ctx, p.CustomerID)
	if err != nil {
		return nil, err
	}
	return reply(a), nil
}

// NumberPriceResponse is a row of the price list of numbers.
type NumberPriceResponse struct {
	Country       string    `json:"country"`
	State         string    `json:"state"`
	Area          string    `json:"area"`
	Type          string    `json:"type"`
	Currency      string    `json:"currency"`
	SetupAmount   int64     `json:"setup_amount"`
	MonthlyAmount int64     `json:"monthly_amount"`
	UpdatedAt     time.Time `json:"updated_at"`
}

func numberPriceResponse(p market.NumberPrice) NumberPriceResponse {
	return NumberPriceResponse{Country: p.Country, State: p.State, Area: p.Area, Type: p.Type, Currency: p.Currency,
		SetupAmount: p.SetupAmount, MonthlyAmount: p.MonthlyAmount, UpdatedAt: p.UpdatedAt}
}

func (s *Handler) AdminListNumberPrices(ctx context.Context, _ billing.Principal, _ *struct{}) (*out[List[NumberPriceResponse]], error) {
	ps, err := s.svc.NumberPrices(ctx)
	if err != nil {
		return nil, err
	}
	res := List[NumberPriceResponse]{Data: []NumberPriceResponse{}}
	for _, p := range ps {
		res.Data = append(res.Data, numberPriceResponse(p))
	}
	return reply(res), nil
}

type numberPriceIn struct {
	Body billing.NumberPriceInput
}

func (s *Handler) AdminPutNumberPrice(ctx context.Context, _ billing.Principal, in *numberPriceIn) (*out[NumberPriceResponse], error) {
	p, err := s.svc.SetNumberPrice(ctx, in.Body)
	if err != nil {
		return nil, err
	}
	return reply(numberPriceResponse(p)), nil
}
