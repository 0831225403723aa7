package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"slices"
	"strings"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/inventory"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
	"github.com/dialtone/dialtone/internal/web"
)

func (s *Handler) AdminListPlans(ctx context.Context, _ billing.Principal, in *listIn) (*out[List[PlanResponse]], error) {
	plans, err := s.svc.Plans(ctx, true)
	if err != nil {
		return nil, err
	}
	if plans, err = after(plans, in.StartingAfter, func(p market.Plan) string { return p.Code }); err != nil {
		return nil, err
	}
	return reply(listOf(plans, in.Limit, planResponse)), nil
}

// PlanInput is a plan as the operator defines it.
type PlanInput struct {
	Code        string         `json:"code,omitempty" maxLength:"40"`
	Name        string         `json:"name,omitempty" maxLength:"100"`
	Product     string         `json:"product,omitempty" maxLength:"40"`
	ProductName string         `json:"product_name,omitempty" maxLength:"100"`
	Description *string        `json:"description,omitempty" maxLength:"500"`
	Rank        *int           `json:"rank,omitempty"`
	MinLicenses *int           `json:"min_licenses,omitempty"`
	MaxLicenses *int           `json:"max_licenses,omitempty"`
	Terms       []int          `json:"terms,omitempty"`
	Prices      []market.Price `json:"prices,omitempty"`
	TrialDays   *int           `json:"trial_days,omitempty"`
	Active      *bool          `json:"active,omitempty"`

	// given holds the fields the body gave, an empty string too.
	given map[string]bool
}

// UnmarshalJSON decodes a plan and notes which fields were given, so that
// a PATCH can tell an emptied name from a name left out.
func (in *PlanInput) UnmarshalJSON(b []byte) error {
	type plain PlanInput
	if err := json.Unmarshal(b, (*plain)(in)); err != nil {
		return err
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(b, &fields) == nil {
		in.given = make(map[string]bool, len(fields))
		for k := range fields {
			in.given[k] = true
		}
	}
	return nil
}

// apply overlays the fields given on p.
func (in PlanInput) apply(p market.Plan) market.Plan {
	if in.Code != "" {
		p.Code = in.Code
	}
	if in.Name != "" {
		p.Name = in.Name
	}
	if in.Product != "" {
		p.Product = in.Product
	}
	if in.ProductName != "" {
		p.ProductName = in.ProductName
	}
	if in.Description != nil {
		p.Description = *in.Description
	}
	if in.Rank != nil {
		p.Rank = *in.Rank
	}
	if in.MinLicenses != nil {
		p.MinLicenses = *in.MinLicenses
	}
	if in.MaxLicenses != nil {
		p.MaxLicenses = *in.MaxLicenses
	}
	if in.Terms != nil {
		p.Terms = in.Terms
	}
	if in.Prices != nil {
		p.Prices = in.Prices
	}
	if in.TrialDays != nil {
		p.TrialDays = *in.TrialDays
	}
	if in.Active != nil {
		p.Active = *in.Active
	}
	return p
}

type planIn struct {
	idemHeader
	Body PlanInput
}

func (s *Handler) AdminCreatePlan(ctx context.Context, _ billing.Principal, in *planIn) (*out[PlanResponse], error) {
	p := in.Body.apply(market.Plan{Active: true})
	res, err := s.svc.SavePlan(ctx, p, true)
	if err != nil {
		return nil, err
	}
	return reply(planResponse(res)), nil
}

type planPatchIn struct {
	Code string `path:"code" maxLength:"40"`
	Body PlanInput
}

func (s *Handler) AdminUpdatePlan(ctx context.Context, _ billing.Principal, in *planPatchIn) (*out[PlanResponse], error) {
	cur, err := s.svc.Plan(ctx, in.Code)
	if err != nil {
		return nil, err
	}
	switch g := in.Body.given; {
	case g["code"]:
		return nil, market.Invalid("code", "a plan's code is in the path and cannot be changed: leave code out of the body")
	case g["name"] && strings.TrimSpace(in.Body.Name) == "":
		return nil, market.Invalid("name", "a plan's name cannot be emptied: give a name or leave name out")
	case g["product"] && strings.TrimSpace(in.Body.Product) == "":
		return nil, market.Invalid("product", "a plan's product cannot be emptied: give a product code or leave product out")
	}
	in.Body.Code = ""
	res, err := s.svc.SavePlan(ctx, in.Body.apply(cur), false)
	if err != nil {
		return nil, err
	}
	return reply(planResponse(res)), nil
}

// PromoInput is a promo code as the operator defines it.
type PromoInput struct {
	Code              string     `json:"code,omitempty" maxLength:"40"`
	PercentOff        *string    `json:"percent_off,omitempty" doc:"Percent as a decimal string, e.g. \"20\"."`
	AmountOff         *int64     `json:"amount_off,omitempty" doc:"Minor units of currency."`
	Currency          *string    `json:"currency,omitempty"`
	Plans             []string   `json:"plans,omitempty" doc:"Only these plans (default: all)."`
	Terms             []int      `json:"terms,omitempty" doc:"Only these terms (default: all)."`
	ValidFrom         *time.Time `json:"valid_from,omitempty"`
	ValidUntil        *time.Time `json:"valid_until,omitempty"`
	MaxRedemptions    *int       `json:"max_redemptions,omitempty" doc:"0: no limit."`
	MaxPerCustomer    *int       `json:"max_per_customer,omitempty" doc:"Default 1; 0: no limit."`
	FirstPurchaseOnly *bool      `json:"first_purchase_only,omitempty"`
	MinQuantity       *int       `json:"min_quantity,omitempty"`
	Renewals          *bool      `json:"renewals,omitempty" doc:"Also on renewals, upgrades and added licenses."`
	Active            *bool      `json:"active,omitempty"`
}

func (in PromoInput) apply(p market.Promo) (market.Promo, error) {
	if in.Code != "" {
		p.Code = in.Code
	}
	if in.PercentOff != nil && in.AmountOff != nil {
		return p, market.Invalid("percent_off", "give either percent_off or amount_off with currency, not both")
	}
	if in.PercentOff != nil {
		r, err := money.ParseRate(*in.PercentOff)
		if err != nil {
			return p, market.Invalid("percent_off", "percent_off must be a decimal string between 0 and 100")
		}
		p.PercentOff, p.HasPercent, p.AmountOff, p.Currency = r, true, 0, ""
	}
	if in.AmountOff != nil {
		p.AmountOff, p.HasPercent, p.PercentOff = *in.AmountOff, false, money.Rate{}
	}
	if in.Currency != nil {
		p.Currency = *in.Currency
	}
	if in.Plans != nil {
		p.Plans = in.Plans
	}
	if in.Terms != nil {
		p.Terms = in.Terms
	}
	if in.ValidFrom != nil {
		t := in.ValidFrom.UTC()
		p.ValidFrom = &t
	}
	if in.ValidUntil != nil {
		t := in.ValidUntil.UTC()
		p.ValidUntil = &t
	}
	for _, f := range []struct {
		src *int
		dst *int
	}{{in.MaxRedemptions, &p.MaxRedemptions}, {in.MaxPerCustomer, &p.MaxPerCustomer}, {in.MinQuantity, &p.MinQuantity}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	for _, f := range []struct {
		src *bool
		dst *bool
	}{{in.FirstPurchaseOnly, &p.FirstPurchaseOnly}, {in.Renewals, &p.Renewals}, {in.Active, &p.Active}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	return p, nil
}

// PromoResponse is a promo code with its redemptions.
type PromoResponse struct {
	ID                string     `json:"id" doc:"The code: what starting_after takes."`
	Code              string     `json:"code"`
	PercentOff        string     `json:"percent_off,omitempty"`
	AmountOff         int64      `json:"amount_off,omitempty"`
	Currency          string     `json:"currency,omitempty"`
	Plans             []string   `json:"plans"`
	Terms             []int      `json:"terms"`
	ValidFrom         *time.Time `json:"valid_from"`
	ValidUntil        *time.Time `json:"valid_until"`
	MaxRedemptions    int        `json:"max_redemptions"`
	MaxPerCustomer    int        `json:"max_per_customer"`
	FirstPurchaseOnly bool       `json:"first_purchase_only"`
	MinQuantity       int        `json:"min_quantity"`
	Renewals          bool       `json:"renewals"`
	Active            bool       `json:"active"`
	Redemptions       int        `json:"redemptions"`
}

func promoResponse(p market.Promo) PromoResponse {
	r := PromoResponse{ID: p.Code, Code: p.Code, AmountOff: p.AmountOff, Currency: p.Currency, Plans: p.Plans, Terms: p.Terms,
		ValidFrom: p.ValidFrom, ValidUntil: p.ValidUntil, MaxRedemptions: p.MaxRedemptions, MaxPerCustomer: p.MaxPerCustomer,
		FirstPurchaseOnly: p.FirstPurchaseOnly, MinQuantity: p.MinQuantity, Renewals: p.Renewals, Active: p.Active, Redemptions: p.Redemptions}
	if p.HasPercent {
		r.PercentOff = p.PercentOff.String()
	}
	if r.Plans == nil {
		r.Plans = []string{}
	}
	if r.Terms == nil {
		r.Terms = []int{}
	}
	return r
}

func (s *Handler) AdminListPromos(ctx context.Context, _ billing.Principal, in *listIn) (*out[List[PromoResponse]], error) {
	ps, err := s.svc.Promos(ctx)
	if err != nil {
		return nil, err
	}
	if ps, err = after(ps, in.StartingAfter, func(p market.Promo) string { return p.Code }); err != nil {
		return nil, err
	}
	return reply(listOf(ps, in.Limit, promoResponse)), nil
}

type promoCreateIn struct {
	idemHeader
	Body PromoInput
}

func (s *Handler) AdminCreatePromo(ctx context.Context, _ billing.Principal, in *promoCreateIn) (*out[PromoResponse], error) {
	p, err := in.Body.apply(market.Promo{MaxPerCustomer: 1, Active: true})
	if err != nil {
		return nil, err
	}
	res, err := s.svc.SavePromo(ctx, p, true)
	if err != nil {
		return nil, err
	}
	return reply(promoResponse(res)), nil
}

type promoPatchIn struct {
	Code string `path:"code" maxLength:"40"`
	Body PromoInput
}

func (s *Handler) AdminUpdatePromo(ctx context.Context, _ billing.Principal, in *promoPatchIn) (*out[PromoResponse], error) {
	cur, err := s.svc.Promo(ctx, in.Code)
	if err != nil {
		return nil, err
	}
	in.Body.Code = ""
	p, err := in.Body.apply(cur)
	if err != nil {
		return nil, err
	}
	res, err := s.svc.SavePromo(ctx, p, false)
	if err != nil {
		return nil, err
	}
	return reply(promoResponse(res)), nil
}

// TaxRateResponse is a country's tax rate.
type TaxRateResponse struct {
	ID        string    `json:"id" doc:"The country: what starting_after takes."`
	Country   string    `json:"country"`
	Percent   string    `json:"percent"`
	UpdatedAt time.Time `json:"updated_at"`
}

func taxRateResponse(t market.TaxRate) TaxRateResponse {
	return TaxRateResponse{ID: t.Country, Country: t.Country, Percent: t.Rate.String(), UpdatedAt: t.UpdatedAt}
}

func (s *Handler) AdminListTaxRates(ctx context.Context, _ billing.Principal, in *listIn) (*out[List[TaxRateResponse]], error) {
	rs, err := s.svc.TaxRates(ctx)
	if err != nil {
		return nil, err
	}
	if rs, err = after(rs, in.StartingAfter, func(t market.TaxRate) string { return t.Country }); err != nil {
		return nil, err
	}
	return reply(listOf(rs, in.Limit, taxRateResponse)), nil
}

type taxIn struct {
	Country string `path:"country" minLength:"2" maxLength:"2"`
	Body    struct {
		Percent string `json:"percent" maxLength:"12" doc:"A decimal string, e.g. \"8.1\"."`
	}
}

func (s *Handler) AdminSetTaxRate(ctx context.Context, _ billing.Principal, in *taxIn) (*out[TaxRateResponse], error) {
	t, err := s.svc.SetTaxRate(ctx, in.Country, in.Body.Percent)
	if err != nil {
		return nil, err
	}
	return reply(taxRateResponse(t)), nil
}

type adjustIn struct {
	idemHeader
	ID   string `path:"id" maxLength:"100"`
	Body billing.AdjustmentInput
}

func (s *Handler) AdminAdjustBalance(ctx context.Context, _ billing.Principal, in *adjustIn) (*out[TransactionResponse], error) {
	p, err := s.svc.AdjustBalance(ctx, in.ID, in.Body.Keyed(web.KeyOf(ctx)))
	if err != nil {
		return nil, err
	}
	return reply(transactionResponse(p)), nil
}

// ImportResult reports an inventory import.
type ImportResult struct {
	Imported int              `json:"imported"`
	Rejected []ImportRowError `json:"rejected"`
}

// ImportRowError is a rejected row of an import.
type ImportRowError struct {
	Line    int    `json:"line,omitempty" doc:"The row's line in the file (CSV) or position in the list (JSON), where known."`
	Number  string `json:"number,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// ImportNumber is one number of a JSON import (the CSV header's columns).
type ImportNumber struct {
	Number        string `json:"number" doc:"E.164, e.g. +493012345678."`
	Country       string `json:"country" doc:"ISO 3166-1 alpha-2."`
	State         string `json:"state,omitempty" doc:"Only where the country has states (US, CA, AU)."`
	Area          string `json:"area" doc:"City or region."`
	Type          string `json:"type" enum:"local,mobile,toll_free"`
	SetupAmount   int64  `json:"setup_amount" doc:"Minor units."`
	MonthlyAmount int64  `json:"monthly_amount" doc:"Minor units."`
	Currency      string `json:"currency" doc:"ISO 4217."`
}

type importIn struct {
	idemHeader
	ContentType string `header:"Content-Type"`
	RawBody     []byte `contentType:"text/csv"`
}

// importParser picks the parser of an import: by its Content-Type when
// that names CSV or JSON, else by its first character after a byte order
// mark and white space ('[' or '{' is JSON); isJSON says which. Error: an
// empty body.
func importParser(contentType string, body []byte) (parse func(io.Reader) ([]inventory.Row, []inventory.RowError, error), isJSON bool, err error) {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch {
	case mt == "text/csv":
		return inventory.ParseCSV, false, nil
	case mt == "application/json":
		return inventory.ParseJSON, true, nil
	}
	head := bytes.TrimSpace(bytes.TrimPrefix(body, []byte("\ufeff")))
	switch {
	case len(head) == 0:
		return nil, false, market.Invalid("body", "the body is empty: send a JSON list of numbers, or a CSV file with the header %s", inventory.Header)
	case head[0] == '[' || head[0] == '{':
		return inventory.ParseJSON, true, nil
	}
	return inventory.ParseCSV, false, nil
}

func (s *Handler) AdminImportNumbers(ctx context.Context, _ billing.Principal, in *importIn) (*out[ImportResult], error) {
	parse, isJSON, err := importParser(in.ContentType, in.RawBody)
	if err != nil {
		return nil, err
	}
	rows, bad, err := parse(bytes.NewReader(in.RawBody))
	if err != nil {
		return nil, market.Invalid("body", "%s", err.Error())
	}
	res := ImportResult{Rejected: []ImportRowError{}}
	for _, b := range bad {
		res.Rejected = append(res.Rejected, ImportRowError{Line: b.Line, Number: b.Number, Field: b.Field, Message: b.Message})
	}
	n, dup, err := s.svc.ImportNumbers(context.WithoutCancel(ctx), rows) // a large import runs to its end
	if err != nil {
		return nil, err
	}
	res.Imported = n
	for _, d := range dup {
		res.Rejected = append(res.Rejected, ImportRowError{Line: d.Line, Number: d.Number, Field: "number", Message: "already in the inventory"})
	}
	if n == 0 {
		return nil, nothingImported(res.Rejected, isJSON)
	}
	return reply(res), nil
}

// nothingImported is the 400 of an import that added no number: every
// row's reason in error.rejected, the first few in the message, and param
// naming the first row's field (as a JSON path, "[0].setup_amount", in a
// JSON list; the column, "setup_amount", in CSV; "body" when the body held
// no rows at all).
func nothingImported(rejected []ImportRowError, isJSON bool) error {
	if len(rejected) == 0 {
		return market.Invalid("body", "nothing was imported: the body holds no numbers (send a JSON list of numbers, or a CSV file with the header %s and a line per number)", inventory.Header)
	}
	slices.SortStableFunc(rejected, func(a, b ImportRowError) int { return a.Line - b.Line })
	first := rejected[0]
	param := first.Field
	if isJSON && first.Line > 0 {
		param = fmt.Sprintf("[%d]", first.Line-1)
		if first.Field != "" {
			param += "." + first.Field
		}
	}
	if param == "" {
		param = "body"
	}
	var b strings.Builder
	b.WriteString("nothing was imported: ")
	const shown = 5
	for i, r := range rejected[:min(len(rejected), shown)] {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(rowReason(r, isJSON))
	}
	if len(rejected) > shown {
		fmt.Fprintf(&b, "; and %d more rows (see rejected)", len(rejected)-shown)
	}
	return &market.Error{Code: market.CodeInvalidRequest, Param: param, Message: b.String(), Extra: map[string]any{"rejected": rejected}}
}

// rowReason says where a rejected row stood and why it was left out:
// "line 3 (+493012345678), setup_amount: must not be negative" in CSV,
// "item 1 (...)" in a JSON list.
func rowReason(r ImportRowError, isJSON bool) string {
	where := fmt.Sprintf("line %d", r.Line)
	if isJSON {
		where = fmt.Sprintf("item %d", r.Line)
	}
	if r.Number != "" {
		where += " (" + r.Number + ")"
	}
	if r.Field != "" {
		where += ", " + r.Field
	}
	return where + ": " + r.Message
}

type adminNumbersIn struct {
	Status string `query:"status" enum:"available,active,grace,quarantine,"`
	PageParams
}

func (s *Handler) AdminListNumbers(ctx context.Context, _ billing.Principal, in *adminNumbersIn) (*out[List[NumberResponse]], error) {
	// In number order: the list goes on after the cursor's number, wherever
	// that number stands now.
	after, err := s.numberCursor(ctx, in.StartingAfter)
	if err != nil {
		return nil, err
	}
	ns, err := s.svc.Reads().AdminNumbers(ctx, in.Status, billing.Page{Limit: in.Limit, After: after})
	if err != nil {
		return nil, err
	}
	return reply(listOf(ns, in.Limit, adminNumberResponse)), nil
}
