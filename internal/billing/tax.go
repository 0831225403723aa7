package billing

import (
	"context"
	"strings"

	"github.com/dialtone/dialtone/internal/address"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
	"github.com/dialtone/dialtone/internal/store"
)

// TaxRates lists the operator's tax rates.
func (s *Service) TaxRates(ctx context.Context) ([]market.TaxRate, error) {
	return s.store.Read().TaxRates(ctx)
}

// SetTaxRate sets a country's rate from a decimal string. Error:
// invalid_request.
func (s *Service) SetTaxRate(ctx context.Context, country, percent string) (market.TaxRate, error) {
	country = strings.ToUpper(strings.TrimSpace(country))
	if _, ok := address.CountryName(country); !ok {
		return market.TaxRate{}, market.Invalid("country", "country must be an ISO 3166-1 alpha-2 code")
	}
	r, err := money.ParseRate(percent)
	if err != nil {
		return market.TaxRate{}, market.Invalid("percent", "percent must be a decimal string between 0 and 100, such as \"8.1\"")
	}
	now := s.now()
	after := market.TaxRate{Country: country, Rate: r, UpdatedAt: now}
	err = s.store.Tx(ctx, func(q *store.Q) error {
		rates, err := q.TaxRates(ctx)
		if err != nil {
			return err
		}
		var before any
		for _, t := range rates {
			if t.Country == country {
				before = map[string]any{"country": t.Country, "percent": t.Rate.String()}
			}
		}
		if err := q.PutTaxRate(ctx, country, r, now); err != nil {
			return err
		}
		return s.audit(ctx, q, "tax_rate.set", "tax_rate", country, before, map[string]any{"country": country, "percent": r.String()})
	})
	return after, err
}
