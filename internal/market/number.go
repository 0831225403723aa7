package market

import "time"

// Number statuses.
const (
	NumberAvailable  = "available"
	NumberActive     = "active"
	NumberGrace      = "grace"
	NumberQuarantine = "quarantine"
)

// Statuses only the operator gives: a reserved number is kept back (not
// offered to customers, and can be put on sale again); a retired one is
// never sold again.
const (
	NumberReserved = "reserved"
	NumberRetired  = "retired"
)

// Holder is the customer who holds a number.
type Holder struct {
	ID      string
	Company string
	Email   string
}

// AdminNumber is a number of the inventory with its holder (zero when it
// holds none).
type AdminNumber struct {
	Number
	Holder Holder
}

// Number is a phone number of the inventory.
type Number struct {
	ID              string
	Number          string
	Country         string
	State           string
	Area            string
	Type            string
	SetupAmount     int64
	MonthlyAmount   int64
	Currency        string
	Status          string
	CustomerID      string
	SIPAccountID    string
	PurchasedAt     *time.Time
	RenewsAt        *time.Time
	GraceUntil      *time.Time
	QuarantineUntil *time.Time
	CreatedAt       time.Time
}

// NumberRental is a paid month of a number: the period starting at
// PeriodStart, paid by the payment PaymentID ("" for the first month, paid
// by the number's order).
type NumberRental struct {
	NumberID    string
	CustomerID  string
	PeriodStart time.Time
	PaymentID   string
	CreatedAt   time.Time
}

// Facet is a value of the number cascade with how many numbers are free.
type Facet struct {
	Value     string
	Available int
}
