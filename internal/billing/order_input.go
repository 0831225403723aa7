package billing

import (
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
	"github.com/dialtone/dialtone/internal/store"
)

// CardInput is a card entered for one payment. It is tokenized at once and
// never stored.
type CardInput struct {
	Number   string `json:"number"`
	ExpMonth int    `json:"exp_month"`
	ExpYear  int    `json:"exp_year"`
	CVC      string `json:"cvc"`

	key Key // the request's idempotency key (Keyed), when the card is saved on its own
}

// PaymentInput says how an order is paid.
type PaymentInput struct {
	Method        string     `json:"method" enum:"balance,card"`
	PaymentMethod string     `json:"payment_method,omitempty" doc:"card: a saved card (pm_...)."`
	Card          *CardInput `json:"card,omitempty" doc:"card: a new card."`
	Save          bool       `json:"save,omitempty" doc:"card: save the new card for future payments."`
	// GatewayCard is a new card the gateway collected itself (the portal's
	// Stripe Elements form: a Stripe payment_method ID): it is saved with
	// the gateway (a SetupIntent) before the order, and removed again
	// after it unless Save. The API saves such cards first
	// (POST /v1/payment_methods) and pays with the saved card.
	GatewayCard string `json:"-"`

	// gatewayCustomer is the gateway's customer of the account (Stripe's
	// cus_...), looked up before the order's transaction.
	gatewayCustomer string
	// offSession: the customer is not there (automatic renewals, dunning
	// retries, automatic top-ups), so the bank cannot ask them to
	// authenticate.
	offSession bool
}

// OrderInput is the body of a quote or an order.
type OrderInput struct {
	Items          []ItemInput  `json:"items" minItems:"1" maxItems:"50"`
	PromoCode      string       `json:"promo_code,omitempty"`
	BillingAddress string       `json:"billing_address,omitempty" doc:"Required unless the order is only a top-up."`
	Payment        PaymentInput `json:"payment,omitempty"`
	QuoteToken     string       `json:"quote_token,omitempty" doc:"The quote_token of the quote the customer saw: if prices changed since, the order fails with price_changed and a fresh quote."`

	// preview quotes without tax when there is no billing address.
	preview bool
	// shown holds the prices the customer was last shown for the cart
	// (Quote.prices): a cart checkout without a quote token fails with
	// price_changed if any of them changed since.
	shown map[string]string
	// cartItems are the cart's items a cart checkout buys: an order that
	// waits for authentication removes them when it completes.
	cartItems []string
	// orderID, when set, is the order's ID (an automatic top-up's, chosen
	// when it fell due: the card charge's idempotency key too).
	orderID string
	// retire, required with orderID, gives the order a new ID for its next
	// attempt (its transaction is committed before a charge made under
	// orderID is given back: a later attempt must never get a refunded
	// charge back by replaying its key).
	retire func(q *store.Q) error
	// guard, when set, runs in the order's transaction once the customer is
	// locked, before any charge: an error ends the order.
	guard func(q *store.Q) error
	// key is the request's idempotency key (Keyed, idempotency.go): the
	// order's ID is written into it in the order's transaction.
	key Key
}

// validateShape checks what can be checked without the database.
func (in *OrderInput) validateShape(forQuote bool) error {
	if len(in.Items) == 0 {
		return market.Invalid("items", "an order needs at least one item")
	}
	if len(in.Items) > 50 {
		return market.Invalid("items", "an order has at most 50 items")
	}
	for i := range in.Items {
		if err := in.Items[i].validate(); err != nil {
			if me, ok := err.(*market.Error); ok && me.Param != "" {
				return me.WithParam("items[" + itoa(i) + "]." + me.Param)
			}
			return err
		}
	}
	in.PromoCode = market.NormalizeCode(in.PromoCode)
	if forQuote {
		return nil
	}
	switch in.Payment.Method {
	case "balance":
		if in.Payment.Card != nil || in.Payment.PaymentMethod != "" || in.Payment.GatewayCard != "" {
			return market.Invalid("payment.method", "a balance payment takes no card")
		}
	case "card":
		if in.Payment.GatewayCard != "" && (in.Payment.Card != nil || in.Payment.PaymentMethod != "") {
			return market.Invalid("payment.card", "give either a saved payment_method or a new card")
		}
		if (in.Payment.Card == nil && in.Payment.GatewayCard == "") == (in.Payment.PaymentMethod == "") {
			return market.Invalid("payment.card", "give either a saved payment_method or a new card")
		}
	case "":
		return market.Invalid("payment.method", "payment.method is required: balance or card")
	default:
		return market.Invalid("payment.method", "payment.method must be balance or card")
	}
	return nil
}

// The limits of one top-up, in minor units of the account's currency.
const (
	minTopUp = 100
	maxTopUp = 100_000_00
)

// topUpLine is the order line of a balance top-up in currency. Error:
// invalid_request (param amount) when the amount is outside the limits,
// which the message names in that currency ("between €1.00 and
// €100,000.00").
func topUpLine(it ItemInput, currency string) (market.Line, error) {
	if it.Amount < minTopUp || it.Amount > maxTopUp {
		return market.Line{}, market.Invalid("amount", "a top-up is between %s and %s",
			money.Format(money.New(minTopUp, currency)), money.Format(money.New(maxTopUp, currency)))
	}
	return market.Line{Type: market.ItemTopUp, Description: "Balance top-up", Quantity: 1,
		UnitAmount: it.Amount, Amount: it.Amount}, nil
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}
