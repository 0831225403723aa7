package market

import "time"

// Customer is a business account.
type Customer struct {
	ID        string
	Company   string
	Country   string
	Currency  string
	Email     string
	Balance   int64
	CreatedAt time.Time
}
