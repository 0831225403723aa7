package market

import "time"

// MRRRow is the monthly recurring revenue of a product in a currency: the
// list price per month (unit amount × quantity ÷ term) of the paid period
// every live subscription is in at the moment asked.
type MRRRow struct {
	Product  string
	Currency string
	Monthly  int64
	Count    int
}

// RevenueRow is what the revenue accounts received in a month from the
// ledger transactions of one kind (order, number_rental, refund, …), in a
// currency: the sum of the postings to system:revenue:<currency>, net of
// tax (refunds are negative). Entries is how many rows of revenue_rollup
// it sums: more than one in a month that is over says CompactRevenue
// would make it cheaper to read.
type RevenueRow struct {
	Month    int
	Kind     string
	Currency string
	Amount   int64
	Entries  int
}

// SubscriptionMonth counts, for a month, the subscriptions created, the
// renewal periods that started, and the subscriptions that expired or
// were canceled (by their last change) in it.
type SubscriptionMonth struct {
	New, Renewed, Expired, Canceled int
}

// DueRenewal is an auto-renewing subscription whose period ends in a
// window, with what its customer could pay it with.
type DueRenewal struct {
	SubscriptionID string
	CustomerID     string
	Company        string
	Plan           string
	TermMonths     int
	Quantity       int // of the period that ends
	Currency       string
	// TaxCountry is the country of the customer's last billing address
	// (the renewal's tax), else the customer's.
	TaxCountry string
	ExpiresAt  time.Time
	Balance    int64
	HasCard    bool
}

// CurrencyTotal is an amount per currency, with how many rows it sums.
type CurrencyTotal struct {
	Currency string
	Amount   int64
	Count    int
}

// NumberCount is how many numbers of a country are in a status.
type NumberCount struct {
	Country string
	Status  string
	Count   int64
}
