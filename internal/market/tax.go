package market

import (
	"time"

	"github.com/dialtone/dialtone/internal/money"
)

// TaxRate is a country's tax rate.
type TaxRate struct {
	Country   string
	Rate      money.Rate
	UpdatedAt time.Time
}
