package market

import (
	"time"

	"github.com/dialtone/dialtone/internal/money"
)

// ItemType is the kind of an order item.
type ItemType string

// Order item kinds (API.md "POST /v1/orders").
const (
	ItemSubscription ItemType = "subscription"
	ItemRenewal      ItemType = "renewal"
	ItemUpgrade      ItemType = "upgrade"
	ItemLicenses     ItemType = "licenses"
	ItemPhoneNumber  ItemType = "phone_number"
	ItemTopUp        ItemType = "balance_top_up"
)

// Purpose is why money moved, as the Billing tab shows it.
type Purpose string

// Purposes of payments (PRODUCT.md "Billing history"); each kind of
// order item says its own (billing.ItemKind).
const (
	PurposeRefill       Purpose = "balance_refill"
	PurposeSubscription Purpose = "subscription_purchase"
	PurposeRenewal      Purpose = "renewal"
	PurposeUpgrade      Purpose = "upgrade"
	PurposeLicenses     Purpose = "licenses"
	PurposePhoneNumber  Purpose = "phone_number"
	PurposeNumberRental Purpose = "number_rental"
	PurposeRefund       Purpose = "refund"
	PurposeAdjustment   Purpose = "adjustment"
	PurposeOrder        Purpose = "order" // an order mixing several kinds
)

// Line is a priced order line. Amount is net before discount; Tax is on
// Amount - Discount (API.md "Arithmetic").
type Line struct {
	Type        ItemType
	Description string
	Quantity    int
	UnitAmount  int64
	Amount      int64
	Discount    int64
	TaxRate     money.Rate
	Tax         int64

	Plan           string
	Product        string
	TermMonths     int
	SubscriptionID string
	NumberID       string
	PhoneNumber    string
	Trial          bool
	// Start and End are the period a subscription or renewal line buys.
	Start, End time.Time
}

// Total returns the line's amount after discount and with tax.
func (l Line) Total() int64 { return l.Amount - l.Discount + l.Tax }

// Taxable reports whether tax applies: everything but balance top-ups,
// which are deposits.
func (l Line) Taxable() bool { return l.Type != ItemTopUp }

// Discountable reports whether a promo code may reduce the line.
func (l Line) Discountable() bool { return l.Type != ItemTopUp && l.Type != ItemPhoneNumber }

// ApplyTax sets each taxable line's rate and tax, rounded once per line.
func ApplyTax(lines []Line, rate money.Rate) {
	for i := range lines {
		if !lines[i].Taxable() {
			lines[i].TaxRate, lines[i].Tax = money.Rate{}, 0
			continue
		}
		lines[i].TaxRate = rate
		lines[i].Tax = rate.Apply(lines[i].Amount - lines[i].Discount)
	}
}

// Totals are an order's sums.
type Totals struct {
	Subtotal, Discount, Tax, Total int64
}

// Sum returns the order totals: sums of the lines, total = subtotal -
// discount + tax.
func Sum(lines []Line) Totals {
	var t Totals
	for _, l := range lines {
		t.Subtotal += l.Amount
		t.Discount += l.Discount
		t.Tax += l.Tax
	}
	t.Total = t.Subtotal - t.Discount + t.Tax
	return t
}

// TopUpTotal returns the part of the lines that is balance top-ups.
func TopUpTotal(lines []Line) int64 {
	var s int64
	for _, l := range lines {
		if l.Type == ItemTopUp {
			s += l.Amount
		}
	}
	return s
}

// Order is a paid order with its lines.
type Order struct {
	ID               string
	CustomerID       string
	Status           string
	Currency         string
	Totals           Totals
	Refunded         int64
	PromoCode        string
	BillingAddressID string
	PaymentID        string
	InvoiceID        string
	Source           string
	CreatedAt        time.Time
	Lines            []Line
	// DisputeStatus is the latest status of a dispute of the order's card
	// payment ('' if none; set by PutDispute).
	DisputeStatus string
}

// ItemRefund is what was refunded and revoked of one order line (seq from
// 1, as the order's items): Net of its amount after discount (of a balance
// top-up: the credit taken back), Tax of its tax.
type ItemRefund struct {
	Seq       int
	Net, Tax  int64
	RevokedAt *time.Time
}
