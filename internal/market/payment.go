package market

import "time"

// PaymentMethod is a saved card: the gateway's token, brand, last 4 and
// expiry, never the number or CVC.
type PaymentMethod struct {
	ID         string
	CustomerID string
	Gateway    string
	Token      string
	Brand      string
	Last4      string
	ExpMonth   int
	ExpYear    int
	Default    bool
	CreatedAt  time.Time
}

// PendingOrder is an order whose card charge waits for the customer to
// authenticate it: nothing of it is fulfilled yet.
type PendingOrder struct {
	ID            string // the order's ID, once completed
	CustomerID    string
	UserID        string
	Gateway       string
	Intent        string // the gateway's pending charge
	Amount        int64
	Currency      string
	Source        string
	Input         string // the order's input, JSON
	NextActionURL string
	Status        string // pending, completed, failed
	Reason        string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Dispute is a charge disputed by the cardholder (migration 00011).
type Dispute struct {
	ID         string // the gateway's dispute
	CustomerID string
	OrderID    string
	Amount     int64
	Currency   string
	Reason     string
	Status     string // the gateway's: needs_response, won, lost, ...
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Payment is a row of the Billing tab.
type Payment struct {
	ID              string
	CustomerID      string
	OrderID         string
	InvoiceID       string
	Purpose         Purpose
	Description     string
	Method          string // "balance", "card", "operator"
	Amount          int64  // charged (positive) or given back (negative)
	Currency        string
	CardBrand       string
	CardLast4       string
	PaymentMethodID string
	GatewayRef      string
	RefundOf        string
	CreatedAt       time.Time
}
