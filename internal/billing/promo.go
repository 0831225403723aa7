package billing

import (
	"context"
	"strings"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
)

// Promos lists promo codes.
func (s *Service) Promos(ctx context.Context) ([]market.Promo, error) {
	return s.store.Read().Promos(ctx)
}

// SavePromo creates (create=true) or replaces a promo code. Errors:
// invalid_request, conflict, not_found.
func (s *Service) SavePromo(ctx context.Context, p market.Promo, create bool) (market.Promo, error) {
	p.Code = market.NormalizeCode(p.Code)
	p.Currency = strings.ToUpper(p.Currency)
	if err := p.Validate(); err != nil {
		return p, err
	}
	if err := s.promoCatalog(ctx, p); err != nil {
		return p, err
	}
	err := s.store.Tx(ctx, func(q *store.Q) error {
		var before any
		action := "promo_code.create"
		if create {
			if err := q.InsertPromo(ctx, p, s.now()); err != nil {
				return err
			}
		} else {
			action = "promo_code.update"
			if b, err := q.Promo(ctx, p.Code, false); err == nil {
				before = b
			} else if !market.IsCode(err, market.CodeNotFound) {
				return err
			}
			if err := q.UpdatePromo(ctx, p); err != nil {
				return err
			}
		}
		after, err := q.Promo(ctx, p.Code, false)
		if err != nil {
			return err
		}
		return s.audit(ctx, q, action, "promo_code", p.Code, before, after)
	})
	if err != nil {
		return p, err
	}
	return s.store.Read().Promo(ctx, p.Code, false)
}

// promoCatalog checks that a promo code can be redeemed at all: its plans
// exist and each of its terms is offered by one of its plans (any plan when
// it names none). Error: invalid_request naming plans or terms.
func (s *Service) promoCatalog(ctx context.Context, p market.Promo) error {
	if len(p.Plans) == 0 && len(p.Terms) == 0 {
		return nil
	}
	plans, err := s.store.Read().Plans(ctx, false)
	if err != nil {
		return err
	}
	byCode := make(map[string]market.Plan, len(plans))
	for _, pl := range plans {
		byCode[pl.Code] = pl
	}
	offered := map[int]bool{}
	for _, code := range p.Plans {
		pl, ok := byCode[code]
		if !ok {
			return market.Invalid("plans", "plans: there is no plan %q", code)
		}
		for _, t := range pl.Terms {
			offered[t] = true
		}
	}
	if len(p.Plans) == 0 {
		for _, pl := range plans {
			for _, t := range pl.Terms {
				offered[t] = true
			}
		}
	}
	for _, t := range p.Terms {
		if !offered[t] {
			if len(p.Plans) == 0 {
				return market.Invalid("terms", "terms: no plan is offered for %d months", t)
			}
			return market.Invalid("terms", "terms: none of the plans %s is offered for %d months", strings.Join(p.Plans, ", "), t)
		}
	}
	return nil
}

// Promo returns a promo code. Error: not_found.
func (s *Service) Promo(ctx context.Context, code string) (market.Promo, error) {
	return s.store.Read().Promo(ctx, market.NormalizeCode(code), false)
}
