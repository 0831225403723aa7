package market

import "time"

// Invoice is an issued invoice or credit note. Document is its rendered
// data (JSON), frozen at issue.
type Invoice struct {
	ID         string
	CustomerID string
	OrderID    string
	Kind       string // "invoice" or "credit_note"
	Number     string
	Year       int
	Seq        int
	Currency   string
	Totals     Totals
	Document   string
	IssuedAt   time.Time
}
