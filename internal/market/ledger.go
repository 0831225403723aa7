package market

import "time"

// BalanceSettings are a customer's low-balance threshold and automatic
// top-up (nil: not set). DueAt is when the scheduler is to place the
// top-up of crossing Seq (nil: none due).
type BalanceSettings struct {
	CustomerID   string
	LowThreshold *int64
	AutoAmount   *int64
	AutoBelow    *int64
	AutoPM       string
	DueAt        *time.Time
	Seq          int64
	DueOrder     string // the ID of the due top-up's order
}

// LedgerTx is a balanced set of postings.
type LedgerTx struct {
	ID          string
	CustomerID  string
	Kind        string
	Description string
	PaymentID   string
	OrderID     string
	Currency    string
	CreatedAt   time.Time
	Postings    []Posting
}

// Entry is one movement of a customer's balance.
type Entry struct {
	TransactionID string
	Seq           int
	Kind          string
	Description   string
	PaymentID     string
	OrderID       string
	Amount        int64
	BalanceAfter  int64
	Currency      string
	CreatedAt     time.Time
}
