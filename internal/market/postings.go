package market

// The ledger postings of a money movement (STYLE.md: the domain builds
// them, the store only appends them). Every movement of dialtone's money —
// an order or a number's rental paid from the balance or by card, a refund
// of one, an operator's balance adjustment — is described as a Movement
// and turned into its postings here, in one place.

import "fmt"

// BalanceAccount names a customer's prepaid balance account.
func BalanceAccount(customerID string) string { return "customer:" + customerID + ":balance" }

// SystemAccount names one of the provider's accounts in a currency: "gateway"
// (card money in transit), "revenue", "tax", "adjustments".
func SystemAccount(kind, currency string) string { return "system:" + kind + ":" + currency }

// Posting moves Amount into (positive) or out of (negative) an account.
type Posting struct {
	Account string
	Amount  int64
}

// Payer is where the money of a movement comes from: a payment's method.
type Payer string

// Payers (the methods of payments).
const (
	PayerBalance  Payer = "balance"  // the customer's prepaid balance
	PayerCard     Payer = "card"     // a card, through the gateway's account
	PayerNone     Payer = "none"     // nothing to pay (a free trial, a price brought to zero)
	PayerOperator Payer = "operator" // the provider's adjustment of a balance
)

// Movement describes one money movement. A payment (Refund false) takes
// Total from the payer and splits it into Revenue (net of discounts,
// without deposits), Tax and TopUp (a deposit on the customer's balance);
// a refund gives back to the payer what a payment of it took, in the same
// parts. An adjustment (PayerOperator) credits Total to the customer's
// balance from the provider's adjustments account (a negative Total
// debits it).
type Movement struct {
	Customer string
	Currency string
	Payer    Payer
	Refund   bool
	Total    int64
	Revenue  int64
	Tax      int64
	TopUp    int64
}

// Postings returns the postings of m, without zero ones, in the order
// payer, revenue, tax, balance (an adjustment: balance, adjustments); nil
// when nothing moves. They sum to zero. Error: the parts do not add up to
// Total, or an adjustment has parts, or a payer is unknown.
func Postings(m Movement) ([]Posting, error) {
	var all []Posting
	switch m.Payer {
	case PayerOperator:
		if m.Refund || m.Revenue != 0 || m.Tax != 0 || m.TopUp != 0 {
			return nil, fmt.Errorf("market: an adjustment moves the balance only")
		}
		all = []Posting{{BalanceAccount(m.Customer), m.Total}, {SystemAccount("adjustments", m.Currency), -m.Total}}
	case PayerBalance, PayerCard, PayerNone:
		if m.Revenue+m.Tax+m.TopUp != m.Total {
			return nil, fmt.Errorf("market: unbalanced movement: %d revenue + %d tax + %d top-up is not %d",
				m.Revenue, m.Tax, m.TopUp, m.Total)
		}
		sign := int64(1)
		if m.Refund {
			sign = -1
		}
		switch m.Payer {
		case PayerBalance:
			all = append(all, Posting{BalanceAccount(m.Customer), -sign * m.Total})
		case PayerCard:
			all = append(all, Posting{SystemAccount("gateway", m.Currency), -sign * m.Total})
		default:
			if m.Total != 0 {
				return nil, fmt.Errorf("market: a movement of %d without a payer", m.Total)
			}
		}
		all = append(all, Posting{SystemAccount("revenue", m.Currency), sign * m.Revenue},
			Posting{SystemAccount("tax", m.Currency), sign * m.Tax},
			Posting{BalanceAccount(m.Customer), sign * m.TopUp})
	default:
		return nil, fmt.Errorf("market: unknown payer %q", m.Payer)
	}
	var out []Posting
	for _, p := range all {
		if p.Amount != 0 {
			out = append(out, p)
		}
	}
	return out, nil
}
