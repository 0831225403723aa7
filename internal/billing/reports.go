package billing

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
)

// The operator's dashboard (PRODUCT.md "Logins and the operator"): what
// the business earns and what comes next, on the business clock. Every
// amount is read from the ledger or the tables the ledger keeps in step
// (the cached balances), so the figures reconcile with the postings
// (server/admin_dashboard_test.go sums them).

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
	market.DueRenewal
	Amount int64
	PaidBy string
	// Error says why it cannot be priced (a plan no longer sold).
	Error string
}

// RenewalSum is how many due renewals in a currency will be paid one way
// (PayByBalance, PayByCard, PayNeither) and their total.
type RenewalSum struct {
	Currency string
	PaidBy   string
	Count    int
	Amount   int64
}

// Dashboard is the operator's overview at At.
type Dashboard struct {
	At time.Time
	// Months are the first instants of the months of Revenue and
	// Subscriptions, oldest first.
	Months        []time.Time
	MRR           []market.MRRRow
	Revenue       []market.RevenueRow
	Subscriptions []market.SubscriptionMonth
	Renewals      []DueRenewal
	Balances      []market.CurrencyTotal
	Numbers       []market.NumberCount
	// Renewals are the first DueRenewalsShown due in the next 30 days,
	// priced; RenewalSums all of them (up to DueRenewalsCounted) per
	// currency and way of payment.
	RenewalSums []RenewalSum
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

// Dashboard reads the overview at the business clock's now. Its reads
// are independent of each other and run at once, each on a connection of
// the read pool (they were never one snapshot: each is a statement of its
// own outside a transaction), so the page waits for the slowest, not the
// sum.
func (s *Service) Dashboard(ctx context.Context) (Dashboard, error) {
	now := s.now()
	q := s.store.Read()
	d := Dashboard{At: now}
	bounds := MonthBounds(now, DashboardMonths)
	d.Months = bounds[:len(bounds)-1]
	var due []DueRenewal
	err := concurrently(
		func() (err error) { d.MRR, err = q.MRR(ctx, now); return err },
		func() (err error) {
			if d.Revenue, err = q.RevenueByMonth(ctx, bounds); err == nil {
				s.compactRevenue(ctx, d.Revenue, bounds)
			}
			return err
		},
		func() (err error) { d.Subscriptions, err = q.SubscriptionMovements(ctx, bounds); return err },
		func() (err error) { d.Balances, err = q.BalanceTotals(ctx); return err },
		func() (err error) { d.Numbers, err = q.NumberCounts(ctx); return err },
		func() (err error) { due, d.RenewalSums, d.RenewalsCut, err = DueRenewalSums(ctx, q, now); return err },
	)
	if err != nil {
		return d, err
	}
	d.Renewals = due[:min(len(due), DueRenewalsShown)]
	if _, err := s.CompactTallies(ctx); err != nil {
		s.log.Error("dashboard: compact tallies", "err", err)
	}
	return d, nil
}

// concurrently runs the reads at once, each on a goroutine (and so a
// connection of the read pool) of its own, and returns their errors
// joined once all are done.
func concurrently(reads ...func() error) error {
	errs := make([]error, len(reads))
	var wg sync.WaitGroup
	for i, read := range reads {
		wg.Go(func() { errs[i] = read() })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// TalliesLoose is how many loose rows of the dashboard's tallies
// (store/tallies.go: the deltas of sales and renewals not yet folded) make
// CompactTallies fold them: reading a thousand more rows costs the
// dashboard well under a millisecond.
const TalliesLoose = 1000

// CompactTallies folds the dashboard's tallies into a row per key
// (store.CompactTallies) when TalliesLoose rows or more are loose, and
// says how many rows it removed. The dashboard runs it after its reads,
// the scheduler after each scan (a renewal run leaves a row per renewal).
// The figures are the same either way.
func (s *Service) CompactTallies(ctx context.Context) (int, error) {
	loose, err := s.store.Read().LooseTallies(ctx)
	if err != nil || loose < TalliesLoose {
		return 0, err
	}
	var removed int
	err = s.store.Tx(ctx, func(q *store.Q) error {
		removed, err = q.CompactTallies(ctx)
		return err
	})
	return removed, err
}

// compactRevenue rolls the months over before this one up to a row per
// kind and currency (store.CompactRevenue) when they are not yet: once a
// month, the first dashboard after the month ends. The figures are the
// same either way; a failure is logged, the dashboard shown.
func (s *Service) compactRevenue(ctx context.Context, rows []market.RevenueRow, bounds []time.Time) {
	current := len(bounds) - 2
	if !slices.ContainsFunc(rows, func(r market.RevenueRow) bool { return r.Month < current && r.Entries > 1 }) {
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

// DueRenewalSums reads the renewals due in the 30 days from now (up to
// DueRenewalsCounted, soonest first), prices them (priceRenewals: each
// kind of renewal once) and sums them per currency and way of payment,
// ordered by currency and way. cut says more were due than are summed.
func DueRenewalSums(ctx context.Context, q *store.Q, now time.Time) (priced []DueRenewal, sums []RenewalSum, cut bool, err error) {
	due, err := q.DueRenewals(ctx, now, now.Add(30*24*time.Hour), DueRenewalsCounted+1)
	if err != nil {
		return nil, nil, false, err
	}
	if len(due) > DueRenewalsCounted {
		due, cut = due[:DueRenewalsCounted], true
	}
	plans, err := q.Plans(ctx, false)
	if err != nil {
		return nil, nil, false, err
	}
	rates, err := q.TaxRates(ctx)
	if err != nil {
		return nil, nil, false, err
	}
	priced = priceRenewals(due, plans, rates)
	type way struct{ currency, paidBy string }
	at := map[way]int{}
	for _, r := range priced {
		k := way{r.Currency, r.PaidBy}
		i, ok := at[k]
		if !ok {
			i = len(sums)
			at[k] = i
			sums = append(sums, RenewalSum{Currency: r.Currency, PaidBy: r.PaidBy})
		}
		sums[i].Count++
		sums[i].Amount += r.Amount
	}
	slices.SortFunc(sums, func(a, b RenewalSum) int {
		return cmp.Or(cmp.Compare(a.Currency, b.Currency), cmp.Compare(a.PaidBy, b.PaidBy))
	})
	return priced, sums, cut, nil
}

// priceKey is what a renewal's total depends on (priceRenewal): renewals
// alike in it cost the same, to the cent.
type priceKey struct {
	plan       string
	termMonths int
	quantity   int
	currency   string
	taxCountry string
}

// priceRenewals prices the due renewals (priceRenewal), each kind of
// renewal once: ~6,000 renewals in a month of a business of 10,000
// customers come in a few dozen kinds. Who pays is the renewal's own: its
// balance against the total, its card.
func priceRenewals(due []market.DueRenewal, plans []market.Plan, rates []market.TaxRate) []DueRenewal {
	if len(due) == 0 {
		return nil
	}
	out := make([]DueRenewal, len(due))
	priced := map[priceKey]DueRenewal{}
	for i, r := range due {
		k := priceKey{r.Plan, r.TermMonths, r.Quantity, r.Currency, r.TaxCountry}
		p, ok := priced[k]
		if !ok {
			p = priceRenewal(market.DueRenewal{Plan: r.Plan, TermMonths: r.TermMonths, Quantity: r.Quantity, Currency: r.Currency,
				TaxCountry: r.TaxCountry}, plans, rates)
			priced[k] = p
		}
		out[i] = DueRenewal{DueRenewal: r, Amount: p.Amount, Error: p.Error, PaidBy: paidBy(r, p.Amount, p.Error)}
	}
	return out
}

// paidBy is how the scheduler will pay a renewal of amount (lifecycle.go
// autoRenew): the balance if it covers it, else the default card; neither
// when it cannot be priced.
func paidBy(r market.DueRenewal, amount int64, priceErr string) string {
	switch {
	case priceErr != "":
		return PayNeither
	case r.Balance >= amount:
		return PayByBalance
	case r.HasCard:
		return PayByCard
	}
	return PayNeither
}

// priceRenewal prices a due renewal as the scheduler will (lifecycle.go
// autoRenew): today's list price for its term and currency times the
// licenses of the period that ends, with the tax of its billing country;
// the balance pays it if it covers it, else the default card. A promo
// code that applies to renewals is not taken off.
func priceRenewal(r market.DueRenewal, plans []market.Plan, rates []market.TaxRate) DueRenewal {
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
	out.PaidBy = paidBy(r, out.Amount, "")
	return out
}

// Number statuses of the operator (store/number_admin.go).
const (
	NumberReserved = market.NumberReserved
	NumberRetired  = market.NumberRetired
)

// NumberStatuses are the statuses a number can be in, for the search.
var NumberStatuses = []string{market.NumberAvailable, market.NumberActive, market.NumberGrace, market.NumberQuarantine,
	market.NumberReserved, market.NumberRetired}

// NumberFilter selects numbers for the operator.
type NumberFilter = store.NumberFilter

// SearchNumbers lists the inventory for the operator. Error:
// invalid_request naming status.
func (s *Service) SearchNumbers(ctx context.Context, f NumberFilter, p Page) ([]market.AdminNumber, error) {
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
	"reserve":   {[]string{market.NumberAvailable, market.NumberQuarantine}, market.NumberReserved, "number.reserve"},
	"unreserve": {[]string{market.NumberReserved}, market.NumberAvailable, "number.unreserve"},
	"retire":    {[]string{market.NumberAvailable, market.NumberQuarantine, market.NumberReserved}, market.NumberRetired, "number.retire"},
}

// MoveNumber reserves, unreserves or retires a number that no customer
// holds, audited. Errors: invalid_request naming action; not_found;
// conflict (held by a customer, or already retired).
func (s *Service) MoveNumber(ctx context.Context, numberID, action string) (market.Number, error) {
	m, ok := numberMoves[action]
	if !ok {
		return market.Number{}, market.Invalid("action", "action must be reserve, unreserve or retire")
	}
	var after market.Number
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

// PromoRedemptions lists a promo code's redemptions, newest first. Error:
// not_found (the code).
func (s *Service) PromoRedemptions(ctx context.Context, code string, p Page) ([]market.Redemption, error) {
	code = market.NormalizeCode(code)
	q := s.store.Read()
	if _, err := q.Promo(ctx, code, false); err != nil {
		return nil, err
	}
	return q.PromoRedemptions(ctx, code, p)
}
