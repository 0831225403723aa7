package market

import "time"

// Address is a customer's billing address as entered. Country is an ISO
// 3166-1 alpha-2 code; State is a state, province or territory code where
// HasStates(Country) and free text elsewhere.
type Address struct {
	Name       string
	Line1      string
	Line2      string
	City       string
	PostalCode string
	State      string
	Country    string
	VATID      string
}

// BillingAddress is a saved billing address of a customer.
type BillingAddress struct {
	ID         string
	CustomerID string
	Address
	CreatedAt time.Time
}
