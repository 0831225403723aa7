package billing

import (
	"context"
	"slices"
	"strings"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
	"github.com/dialtone/dialtone/internal/store"
)

// Plans returns the catalog; all includes plans no longer sold.
func (s *Service) Plans(ctx context.Context, all bool) ([]market.Plan, error) {
	return s.store.Read().Plans(ctx, !all)
}

// Plan returns one plan. Error: not_found.
func (s *Service) Plan(ctx context.Context, code string) (market.Plan, error) {
	return s.store.Read().Plan(ctx, code)
}

// SavePlan creates (create=true) or replaces a plan. Errors:
// invalid_request, conflict (create of an existing code), not_found.
func (s *Service) SavePlan(ctx context.Context, p market.Plan, create bool) (market.Plan, error) {
	p.Code = strings.TrimSpace(p.Code)
	p.Product = strings.TrimSpace(p.Product)
	slices.Sort(p.Terms)
	p.Terms = slices.Compact(p.Terms)
	for i := range p.Prices {
		p.Prices[i].Currency = strings.ToUpper(p.Prices[i].Currency)
		if !money.ValidCurrency(p.Prices[i].Currency) {
			return p, market.Invalid("prices", "unknown currency %q", p.Prices[i].Currency)
		}
	}
	if err := p.Validate(); err != nil {
		return p, err
	}
	now := s.now()
	err := s.store.Tx(ctx, func(q *store.Q) error {
		var before any
		if !create {
			b, err := q.Plan(ctx, p.Code)
			if err != nil {
				return err
			}
			before = b
		}
		if err := q.UpsertProduct(ctx, p.Product, p.ProductName, p.Name); err != nil {
			return err
		}
		action := "plan.update"
		if create {
			action = "plan.create"
			if err := q.InsertPlan(ctx, p, now); err != nil {
				return err
			}
		} else if err := q.UpdatePlan(ctx, p, now); err != nil {
			return err
		}
		after, err := q.Plan(ctx, p.Code)
		if err != nil {
			return err
		}
		return s.audit(ctx, q, action, "plan", p.Code, before, after)
	})
	if err != nil {
		return p, err
	}
	return s.store.Read().Plan(ctx, p.Code)
}

func catalogCurrencies(plans []market.Plan) []string {
	var cs []string
	for _, p := range plans {
		for _, pr := range p.Prices {
			if !slices.Contains(cs, pr.Currency) {
				cs = append(cs, pr.Currency)
			}
		}
	}
	slices.Sort(cs)
	return cs
}

// demoPrices builds per-term prices in EUR, CHF, USD and GBP from EUR
// amounts (CHF and USD at par, GBP at 85 %, rounded to whole units).
func demoPrices(eur map[int]int64) []market.Price {
	var out []market.Price
	terms := make([]int, 0, len(eur))
	for t := range eur {
		terms = append(terms, t)
	}
	slices.Sort(terms)
	for _, cur := range []string{"EUR", "CHF", "USD", "GBP"} {
		for _, t := range terms {
			v := eur[t]
			if cur == "GBP" {
				v = (v*85/100 + 50) / 100 * 100
			}
			out = append(out, market.Price{Currency: cur, TermMonths: t, UnitAmount: v})
		}
	}
	return out
}

// DemoCatalog is the catalog of PRODUCT.md: Cloud Contact Center (Start,
// Business, Enterprise; minimum 2 licenses; 1/6/12 months, longer terms
// cheaper per month), Hosted PBX (per user, 1/3/6/12/24 months, 30-day
// trial), the IVR add-on, and the free standard SIP trunk.
func DemoCatalog() []market.Plan {
	cc := func(code, name string, rank int, monthly int64, desc string) market.Plan {
		return market.Plan{Code: code, Name: name, Product: "contact-center", ProductName: "Cloud Contact Center",
			Description: desc, Rank: rank, MinLicenses: 2, MaxLicenses: 500, Terms: []int{1, 6, 12}, Active: true,
			Prices: demoPrices(map[int]int64{1: monthly, 6: monthly * 6 * 90 / 100, 12: monthly * 12 * 80 / 100})}
	}
	return []market.Plan{
		cc("start", "Start", 1, 2500, "Inbound and outbound calls, IVR, queues, call recording."),
		cc("business", "Business", 2, 4000, "Start plus omnichannel chat, CRM integrations and live reports."),
		cc("enterprise", "Enterprise", 3, 6000, "Business plus speech analytics, workforce management and an SLA."),
		{Code: "hosted-pbx", Name: "Hosted PBX", Product: "hosted-pbx", ProductName: "Hosted PBX",
			Description: "A virtual phone system per user: extensions, voicemail, apps, call forwarding.",
			Rank:        1, MinLicenses: 1, MaxLicenses: 1000, Terms: []int{1, 3, 6, 12, 24}, TrialDays: 30, Active: true,
			Prices: demoPrices(map[int]int64{1: 1500, 3: 4350, 6: 8400, 12: 16200, 24: 31200})},
		{Code: "ivr", Name: "IVR", Product: "ivr", ProductName: "IVR add-on",
			Description: "Interactive voice menus, per unit.",
			Rank:        1, MinLicenses: 1, MaxLicenses: 100, Terms: []int{1, 3, 12}, Active: true,
			Prices: demoPrices(map[int]int64{1: 900, 3: 2550, 12: 9600})},
		{Code: "sip-trunk", Name: "SIP Trunk (standard)", Product: "sip-trunk", ProductName: "SIP Trunk",
			Description: "Included free with every account: one standard SIP trunk account.",
			Rank:        1, MinLicenses: 1, MaxLicenses: 1, Terms: []int{1}, Active: true,
			Prices: demoPrices(map[int]int64{1: 0})},
	}
}

// IncludedPlan is the plan every account has without buying it.
const IncludedPlan = "sip-trunk"

// SeedDemo loads the demo catalog and the default tax rates when the
// catalog is empty. It reports whether it loaded anything.
func (s *Service) SeedDemo(ctx context.Context) (bool, error) {
	plans, err := s.store.Read().Plans(ctx, false)
	if err != nil || len(plans) > 0 {
		return false, err
	}
	now := s.now()
	err = s.store.Tx(ctx, func(q *store.Q) error {
		for _, p := range DemoCatalog() {
			if err := q.UpsertProduct(ctx, p.Product, p.ProductName, p.Name); err != nil {
				return err
			}
			if err := q.InsertPlan(ctx, p, now); err != nil {
				return err
			}
		}
		for cc, pct := range map[string]string{"CH": "8.1", "DE": "19", "AT": "20", "FR": "20", "IT": "22",
			"GB": "20", "NL": "21", "ES": "21", "PL": "23", "UA": "20", "LI": "8.1"} {
			if err := q.PutTaxRate(ctx, cc, money.MustRate(pct), now); err != nil {
				return err
			}
		}
		return nil
	})
	return err == nil, err
}
