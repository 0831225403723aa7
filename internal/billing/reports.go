package billing

import (
	"context"
	"slices"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
)

// The operator's dashboard (PRODUCT.md "Logins and the operator"): what
// the business earns and what comes next, on the business clock. Every
// amount is read from the ledger or the tables the ledger keeps in step
// (the cached balances), so the figures reconcile with the postings
// (server/admin_dashboard_test.go sums them).

// Report types the back office names.
type (
	MRRRow            = store.MRRRow
	RevenueRow        = store.RevenueRow
	SubscriptionMonth = store.SubscriptionMonth
	CurrencyTotal     = store.CurrencyTotal
	NumberCount       = store.NumberCount
)

// DashboardMonths is how many months (the current one included) the
// dashboard's monthly figures cover.
const DashboardMonths = 12

// DueRenewalsShown is how many renewals of the next 30 days the dashboard
// lists (soonest first); the totals count DueRenewalsCounted.
const DueRenewalsShown = 100

// How a renewal will be paid (lifecycle.go autoRenew: the balance if it
// covers the total, else the default card).
const (
	PayByBalance = "balance"
	PayByCard    = "card"
	PayNeither   = "neither"
)

// DueRenewal is a renewal of the next 30 days: its total at today's
// price (incl. tax) and how it will be paid.
type DueRenewal struct {
	store.DueRenewal
	Amount int64
	PaidBy string
	// Error says why it cannot be priced (a plan no longer sold).
	Error string
}

// Dashboard is the operator's overview at At.
type Dashboard struct {
	At time.Time
	// Months are the first instants of the months of Revenue and
	// Subscriptions, oldest first.
	Months        []time.Time
	MRR           []MRRRow
	Revenue       []RevenueRow
	Subscriptions []SubscriptionMonth
	Renewals      []DueRenewal
	Balances      []CurrencyTotal
	Numbers       []NumberCount
	// RenewalsCut says that more renewals are due than are summed (the
	// first DueRenewalsCounted).
	RenewalsCut bool
}

// MonthBounds returns the first instants (UTC) of the n months up to and
// including the month of now, and of the month after: n+1 boundaries.
func MonthBounds(now time.Time, n int) []time.Time {
	now = now.UTC()
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	out := make([]time.Time, n+1)
	for i := range out {
		out[i] = first.AddDate(0, i-n+1, 0)
	}
	return out
}

// Dashboard reads the overview at the business clock's now.
func (s *Service) Dashboard(ctx context.Context) (Dashboard, error) {
	now := s.now()
	q := s.store.Read()
	d := Dashboard{At: now}
	bounds := MonthBounds(now, DashboardMonths)
	d.Months = bounds[:len(bounds)-1]
	var err error
	if d.MRR, err = q.MRR(ctx, now); err != nil {
		return d, err
	}
	if d.Revenue, err = q.RevenueByMonth(ctx, bounds); err != nil {
		return d, err
	}
	s.compactRevenue(ctx, d.Revenue, bounds)
	if d.Subscriptions, err = q.SubscriptionMovements(ctx, bounds); err != nil {
		return d, err
	}
	if d.Balances, err = q.BalanceTotals(ctx); err != nil {
		return d, err
	}
	if d.Numbers, err = q.NumberCounts(ctx); err != nil {
		return d, err
	}
	due, err := q.DueRenewals(ctx, now, now.Add(30*24*time.Hour), DueRenewalsCounted+1)
	if err != nil {
		return d, err
	}
	if len(due) > DueRenewalsCounted {
		due, d.RenewalsCut = due[:DueRenewalsCounted], true
	}
	plans, err := q.Plans(ctx, false)
	if err != nil {
		return d, err
	}
	rates, err := q.TaxRates(ctx)
	if err != nil {
		return d, err
	}
	for _, r := range due {
		d.Renewals = append(d.Renewals, priceRenewal(r, plans, rates))
	}
	return d, nil
}

// compactRevenue rolls the months over before this one up to a row per
// kind and currency (store.CompactRevenue) when they are not yet: once a
// month, the first dashboard after the month ends. The figures are the
// same either way; a failure is logged, the dashboard shown.
func (s *Service) compactRevenue(ctx context.Context, rows []RevenueRow, bounds []time.Time) {
	current := len(bounds) - 2
	if !slices.ContainsFunc(rows, func(r RevenueRow) bool { return r.Month < current && r.Entries > 1 }) {
		return
	}
	err := s.store.Tx(ctx, func(q *store.Q) error {
		_, err := q.CompactRevenue(ctx, bounds[0], bounds[current])
		return err
	})
	if err != nil {
		s.log.Error("dashboard: compact revenue", "err", err)
	}
}

// DueRenewalsCounted is how many renewals of the next 30 days the
// dashboard prices and sums (soonest first); the list shows the first
// DueRenewalsShown of them.
const DueRenewalsCounted = 20_000

// priceRenewal prices a due renewal as the scheduler will (lifecycle.go
// autoRenew): today's list price for its term and currency times the
// licenses of the period that ends, with the tax of its billing country;
// the balance pays it if it covers it, else the default card. A promo
// code that applies to renewals is not taken off.
func priceRenewal(r store.DueRenewal, plans []market.Plan, rates []store.TaxRate) DueRenewal {
	out := DueRenewal{DueRenewal: r, PaidBy: PayNeither}
	i := slices.IndexFunc(plans, func(p market.Plan) bool { return p.Code == r.Plan })
	if i < 0 {
		out.Error = "the plan " + r.Plan + " is no longer sold: it will not renew"
		return out
	}
	var unit int64 = -1
	for _, pr := range plans[i].Prices {
		if pr.Currency == r.Currency && pr.TermMonths == r.TermMonths {
			unit = pr.UnitAmount
		}
	}
	if unit < 0 {
		out.Error = "no price for this term and currency: it will not renew"
		return out
	}
	lines := []market.Line{{Type: market.ItemRenewal, Quantity: r.Quantity, UnitAmount: unit, Amount: unit * int64(r.Quantity)}}
	for _, tr := range rates {
		if tr.Country == r.TaxCountry {
			market.ApplyTax(lines, tr.Rate)
		}
	}
	out.Amount = market.Sum(lines).Total
	switch {
	case r.Balance >= out.Amount:
		out.PaidBy = PayByBalance
	case r.HasCard:
		out.PaidBy = PayByCard
	}
	return out
}

// Number statuses of the operator (store/number_admin.go).
const (
	NumberReserved = store.NumberReserved
	NumberRetired  = store.NumberRetired
)

// NumberStatuses are the statuses a number can be in, for the search.
var NumberStatuses = []string{store.NumberAvailable, store.NumberActive, store.NumberGrace, store.NumberQuarantine,
	store.NumberReserved, store.NumberRetired}

// AdminNumber is a number with its holder.
type AdminNumber = store.AdminNumber

// NumberFilter selects numbers for the operator.
type NumberFilter = store.NumberFilter

// SearchNumbers lists the inventory for the operator. Error:
// invalid_request naming status.
func (s *Service) SearchNumbers(ctx context.Context, f NumberFilter, p Page) ([]AdminNumber, error) {
	if f.Status != "" && !slices.Contains(NumberStatuses, f.Status) {
		return nil, market.Invalid("status", "status must be one of available, active, grace, quarantine, reserved, retired")
	}
	return s.store.Read().SearchNumbers(ctx, f, p)
}

// Number actions of the operator: reserve keeps an unsold number back,
// unreserve puts it on sale again, retire takes it out for good.
var numberMoves = map[string]struct {
	from   []string
	to     string
	action string
}{
	"reserve":   {[]string{store.NumberAvailable, store.NumberQuarantine}, store.NumberReserved, "number.reserve"},
	"unreserve": {[]string{store.NumberReserved}, store.NumberAvailable, "number.unreserve"},
	"retire":    {[]string{store.NumberAvailable, store.NumberQuarantine, store.NumberReserved}, store.NumberRetired, "number.retire"},
}

// MoveNumber reserves, unreserves or retires a number that no customer
// holds, audited. Errors: invalid_request naming action; not_found;
// conflict (held by a customer, or already retired).
func (s *Service) MoveNumber(ctx context.Context, numberID, action string) (store.Number, error) {
	m, ok := numberMoves[action]
	if !ok {
		return store.Number{}, market.Invalid("action", "action must be reserve, unreserve or retire")
	}
	var after store.Number
	err := s.store.Tx(ctx, func(q *store.Q) error {
		before, err := q.SetNumberStatus(ctx, numberID, m.from, m.to)
		if err != nil {
			return err
		}
		if after, err = q.Number(ctx, numberID); err != nil {
			return err
		}
		return s.audit(ctx, q, m.action, "number", numberID, before, after)
	})
	return after, err
}

// Redemption is a use of a promo code.
type Redemption = store.Redemption

// PromoRedemptions lists a promo code's redemptions, newest first. Error:
// not_found (the code).
func (s *Service) PromoRedemptions(ctx context.Context, code string, p Page) ([]Redemption, error) {
	code = market.NormalizeCode(code)
	q := s.store.Read()
	if _, err := q.Promo(ctx, code, false); err != nil {
		return nil, err
	}
	return q.PromoRedemptions(ctx, code, p)
}

// TaxRate is a country's rate; WebhookEndpoint a receiver of events.
type (
	TaxRate         = store.TaxRate
	WebhookEndpoint = store.WebhookEndpoint
	Number          = store.Number
)
