package billing

// The kinds of order item (API.md ITEM), each one type behind ItemKind and
// registered once, in itemKinds: what the checkout engine, the refunds, the
// webhooks and the portal need to know of a kind, they ask it here.
//
// Adding a kind touches two files: this one (its type and fields in
// ItemInput, its ItemKind, its line in itemKinds) and its pricing (a
// pricing method, as in item_pricing.go or numbers.go). market keeps the
// pure rules every kind follows (tax per line, promo codes, deposits):
// a kind is taxed and discountable unless market says otherwise.

import (
	"context"
	"strings"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
)

// ItemInput is one item of an order or the cart (API.md ITEM).
type ItemInput struct {
	Type         string `json:"type" enum:"subscription,renewal,upgrade,licenses,phone_number,balance_top_up"`
	Plan         string `json:"plan,omitempty" doc:"subscription, upgrade: the plan code."`
	Quantity     int    `json:"quantity,omitempty" minimum:"1" doc:"subscription (required): licenses, within the plan's min_licenses and max_licenses; renewal: licenses of the new period (default: as now); licenses (required): licenses added (held + added at most the plan's max_licenses)."`
	TermMonths   int    `json:"term_months,omitempty" minimum:"1" doc:"subscription (required), renewal: term in months, one of the plan's terms (renewal default: as now)."`
	Trial        bool   `json:"trial,omitempty" doc:"subscription: start with the plan's free trial."`
	AutoRenew    bool   `json:"auto_renew,omitempty" doc:"subscription: renew automatically at the end of the term."`
	Subscription string `json:"subscription,omitempty" doc:"renewal, upgrade, licenses: the subscription."`
	Number       string `json:"number,omitempty" doc:"phone_number: a given number in E.164."`
	Country      string `json:"country,omitempty" doc:"phone_number: the first free number in this country..."`
	State        string `json:"state,omitempty" doc:"...state (where the country has states)..."`
	Area         string `json:"area,omitempty" doc:"...and area."`
	Amount       int64  `json:"amount,omitempty" doc:"balance_top_up: amount in minor units of the account's currency."`

	// ifExpiresAt, when set, makes a renewal apply only if the
	// subscription still expires then: the scheduler's guard against
	// renewing twice when two processes race for the same due work.
	ifExpiresAt time.Time
	// renewFrom, when set, is where an automatic renewal's period starts:
	// the moment it fell due (the end of the period, or the dunning retry's
	// time), not the moment the scheduler got to it.
	renewFrom time.Time
	// held is the number a number_rental item pays the due month of
	// (locked by the scheduler's transaction).
	held *market.Number
}

// ItemKind is one kind of order item.
type ItemKind interface {
	// Purpose is why money moves when an order holds items of this kind
	// only (the payment's purpose in the billing history and the reports;
	// an order mixing kinds is market.PurposeOrder).
	Purpose() market.Purpose
	// Show is how the portal shows the kind.
	Show() Show
	// validate checks and tidies the item's fields without the database.
	// Errors: invalid_request naming the field.
	validate(it *ItemInput) error
	// price prices the item against the order's working copies (the
	// pricing's subscriptions, lines and fingerprint).
	price(ctx context.Context, pr *pricing, it ItemInput) (market.Line, error)
	// fulfil does what a paid line of the kind does beyond the working
	// copies, which fulfil writes for every kind, inside the order's
	// transaction: o has its payment's and invoice's IDs.
	fulfil(ctx context.Context, q *store.Q, pr *pricing, l *market.Line, o market.Order) error
	// emit queues the webhook events of a paid line (after order.paid);
	// done holds what the order emitted already.
	emit(ctx context.Context, s *Service, q *store.Q, o market.Order, l market.Line, done map[string]bool) error
	// revoke ends what a refunded line bought (revoke.go).
	revoke(ctx context.Context, s *Service, q *store.Q, customerID string, o market.Order, l market.Line, now time.Time) error
	// receipt, when not "", makes an order of this one line a payment
	// without an order: no orders row and no order events, the ledger
	// transaction of the kind's purpose, and receipt the invoice's
	// reference (a number's monthly rental).
	receipt(l market.Line) string
	// orderable reports whether customers may order the kind (the
	// scheduler's kinds are not).
	orderable() bool
}

// Show is how the portal shows a kind of item.
type Show struct {
	Label    string // the kind in a cart line ("New subscription")
	Heading  string // the checkout page's heading
	PayLabel string // the checkout's pay button
	Nav      string // the portal's menu entry of its pages: plans, numbers or billing
	// BalanceOnly and CardOnly narrow the payment choices; NoAddress: no
	// billing address is asked.
	BalanceOnly, CardOnly, NoAddress bool
	// Prorated: the line's amount is the time left of a paid term, not
	// quantity × unit price.
	Prorated bool
	// Licenses and Term: what of a cart line may change; NoTerm says why
	// a line with licenses has no term to change.
	Licenses, Term bool
	NoTerm         string
}

// The number rental's kind: a month of a held number, placed by the
// scheduler (rental.go).
const itemNumberRental market.ItemType = "number_rental"

// itemKinds are the kinds, by their type.
var itemKinds = map[market.ItemType]ItemKind{
	market.ItemSubscription: subscriptionKind{},
	market.ItemRenewal:      renewalKind{},
	market.ItemUpgrade:      upgradeKind{},
	market.ItemLicenses:     licensesKind{},
	market.ItemPhoneNumber:  phoneNumberKind{},
	market.ItemTopUp:        topUpKind{},
	itemNumberRental:        numberRentalKind{},
}

// KindOf returns the kind of item a customer may order by its type.
func KindOf(itemType string) (ItemKind, bool) {
	k, ok := itemKinds[market.ItemType(itemType)]
	if !ok || !k.orderable() {
		return nil, false
	}
	return k, true
}

// kindOf returns the kind of a priced line (any kind, the scheduler's
// too), nil for none.
func kindOf(t market.ItemType) ItemKind { return itemKinds[t] }

// purposeOf returns the purpose of an order's lines: that of their kind
// when they are all of one purpose, else PurposeOrder.
func purposeOf(lines []market.Line) market.Purpose {
	var p market.Purpose
	for i, l := range lines {
		k := kindOf(l.Type)
		if k == nil || (i > 0 && k.Purpose() != p) {
			return market.PurposeOrder
		}
		p = k.Purpose()
	}
	if p == "" {
		return market.PurposeOrder
	}
	return p
}

// receiptOf returns the invoice reference of an order that is a payment
// without an order (ItemKind.receipt), or "".
func receiptOf(lines []market.Line) string {
	if len(lines) != 1 || kindOf(lines[0].Type) == nil {
		return ""
	}
	return kindOf(lines[0].Type).receipt(lines[0])
}

func (it *ItemInput) validate() error {
	it.Plan = strings.TrimSpace(it.Plan)
	if err := required("type", it.Type); err != nil {
		return err
	}
	k, ok := KindOf(it.Type)
	if !ok {
		return market.Invalid("type", "unknown item type %q", it.Type)
	}
	return k.validate(it)
}

// kindBase is what a kind does unless it says otherwise: nothing beyond
// the working copies, no events, nothing to revoke, an order of its own.
type kindBase struct{}

func (kindBase) fulfil(context.Context, *store.Q, *pricing, *market.Line, market.Order) error {
	return nil
}
func (kindBase) emit(context.Context, *Service, *store.Q, market.Order, market.Line, map[string]bool) error {
	return nil
}
func (kindBase) revoke(context.Context, *Service, *store.Q, string, market.Order, market.Line, time.Time) error {
	return nil
}
func (kindBase) receipt(market.Line) string { return "" }
func (kindBase) orderable() bool            { return true }

// positive refuses a required count that is missing (0) or negative,
// naming param, in the words given.
func positive(n int, param, missing, negative string) error {
	switch {
	case n == 0:
		return market.Invalid(param, "%s", missing)
	case n < 0:
		return market.Invalid(param, "%s", negative)
	}
	return nil
}

// required refuses a field left empty, naming it.
func required(param, v string) error {
	if v == "" {
		return market.Invalid(param, "%s is required", param)
	}
	return nil
}

// subscriptionEvent emits typ for the line's subscription once per order.
func subscriptionEvent(ctx context.Context, s *Service, q *store.Q, o market.Order, l market.Line, done map[string]bool, typ string) error {
	if l.SubscriptionID == "" || done[typ+l.SubscriptionID] {
		return nil
	}
	done[typ+l.SubscriptionID] = true
	return s.emitSubscription(ctx, q, typ, o.CustomerID, l.SubscriptionID)
}

// subscriptionKind is a new subscription of a plan, with its free trial
// if asked.
type subscriptionKind struct{ kindBase }

func (subscriptionKind) Purpose() market.Purpose { return market.PurposeSubscription }
func (subscriptionKind) Show() Show {
	return Show{Label: "New subscription", Heading: "Checkout", PayLabel: "CHECKOUT", Nav: "plans", Licenses: true, Term: true}
}
func (subscriptionKind) validate(it *ItemInput) error {
	if err := required("plan", it.Plan); err != nil {
		return err
	}
	// The plan's limits (min_licenses, max_licenses, invalid_term) are
	// checked when the item is priced; a number that is missing or not
	// positive is no choice at all.
	if err := positive(it.TermMonths, "term_months", "term_months is required: the term in months",
		"term_months must be a positive number of months"); err != nil {
		return err
	}
	return positive(it.Quantity, "quantity", "quantity is required: the number of licenses",
		"quantity must be a positive number of licenses")
}
func (subscriptionKind) price(ctx context.Context, pr *pricing, it ItemInput) (market.Line, error) {
	return pr.newSubscription(ctx, it)
}
func (subscriptionKind) emit(ctx context.Context, s *Service, q *store.Q, o market.Order, l market.Line, done map[string]bool) error {
	return subscriptionEvent(ctx, s, q, o, l, done, EventSubscriptionCreated)
}
func (subscriptionKind) revoke(ctx context.Context, s *Service, q *store.Q, customerID string, _ market.Order, l market.Line, now time.Time) error {
	return s.revokeSubscription(ctx, q, customerID, l.SubscriptionID, now)
}

// renewalKind is another term of a subscription.
type renewalKind struct{ kindBase }

func (renewalKind) Purpose() market.Purpose { return market.PurposeRenewal }
func (renewalKind) Show() Show {
	return Show{Label: "Extension", Heading: "Renew subscription", PayLabel: "Pay", Nav: "plans", Licenses: true, Term: true}
}
func (renewalKind) validate(it *ItemInput) error {
	if err := required("subscription", it.Subscription); err != nil {
		return err
	}
	// Zero is "as now" here (the field left out); the API refuses an
	// explicit 0 by its schema (minimum 1).
	if it.Quantity < 0 {
		return market.Invalid("quantity", "quantity must be a positive number of licenses (leave it out to keep the current number)")
	}
	if it.TermMonths < 0 {
		return market.Invalid("term_months", "term_months must be a positive number of months (leave it out to keep the current term)")
	}
	return nil
}
func (renewalKind) price(ctx context.Context, pr *pricing, it ItemInput) (market.Line, error) {
	return pr.renewal(ctx, it)
}
func (renewalKind) emit(ctx context.Context, s *Service, q *store.Q, o market.Order, l market.Line, done map[string]bool) error {
	return subscriptionEvent(ctx, s, q, o, l, done, EventSubscriptionRenewed)
}
func (renewalKind) revoke(ctx context.Context, s *Service, q *store.Q, customerID string, o market.Order, l market.Line, now time.Time) error {
	return s.revokeRenewal(ctx, q, customerID, o, l, now)
}

// changeBase is the base of a kind that changes a subscription for the
// rest of its paid periods: an upgrade, added licenses.
type changeBase struct{ kindBase }

func (changeBase) emit(ctx context.Context, s *Service, q *store.Q, o market.Order, l market.Line, done map[string]bool) error {
	return subscriptionEvent(ctx, s, q, o, l, done, EventSubscriptionUpdated)
}

// upgradeKind moves a subscription to a higher plan of its product for
// the rest of its paid periods.
type upgradeKind struct{ changeBase }

func (upgradeKind) Purpose() market.Purpose { return market.PurposeUpgrade }
func (upgradeKind) Show() Show {
	return Show{Label: "Upgrade", Heading: "Upgrade plan", PayLabel: "PAY", Nav: "plans", Prorated: true}
}
func (upgradeKind) validate(it *ItemInput) error {
	if err := required("subscription", it.Subscription); err != nil {
		return err
	}
	return required("plan", it.Plan)
}
func (upgradeKind) price(ctx context.Context, pr *pricing, it ItemInput) (market.Line, error) {
	return pr.upgrade(ctx, it)
}

// licensesKind adds licenses to a subscription for the rest of its paid
// periods.
type licensesKind struct{ changeBase }

func (licensesKind) Purpose() market.Purpose { return market.PurposeLicenses }
func (licensesKind) Show() Show {
	return Show{Label: "More licenses", Heading: "Buy more licenses", PayLabel: "CHECKOUT", Nav: "plans", Prorated: true,
		Licenses: true, NoTerm: "added licenses run until the subscription's end: they have no term of their own"}
}
func (licensesKind) validate(it *ItemInput) error {
	if err := required("subscription", it.Subscription); err != nil {
		return err
	}
	return positive(it.Quantity, "quantity", "quantity is required: the number of licenses to add",
		"quantity must be a positive number of licenses to add")
}
func (licensesKind) price(ctx context.Context, pr *pricing, it ItemInput) (market.Line, error) {
	return pr.licenses(ctx, it)
}

// phoneNumberKind buys a number: setup and the first month, paid from the
// balance in the portal.
type phoneNumberKind struct{ kindBase }

func (phoneNumberKind) Purpose() market.Purpose { return market.PurposePhoneNumber }
func (phoneNumberKind) Show() Show {
	return Show{Label: "Phone number", Heading: "Order phone number", PayLabel: "Pay", Nav: "numbers", BalanceOnly: true}
}
func (phoneNumberKind) validate(it *ItemInput) error {
	if it.Number == "" && (it.Country == "" || it.Area == "") {
		return market.Invalid("number", "give a number, or a country and an area")
	}
	return nil
}
func (phoneNumberKind) price(ctx context.Context, pr *pricing, it ItemInput) (market.Line, error) {
	return pr.phoneNumber(ctx, it)
}
func (phoneNumberKind) fulfil(ctx context.Context, q *store.Q, pr *pricing, l *market.Line, _ market.Order) error {
	return pr.s.claimNumber(ctx, q, pr, l)
}
func (phoneNumberKind) emit(ctx context.Context, s *Service, q *store.Q, _ market.Order, l market.Line, _ map[string]bool) error {
	if l.NumberID == "" {
		return nil
	}
	return s.emit(ctx, q, EventNumberOrdered, func() (any, error) { return q.Number(ctx, l.NumberID) })
}
func (phoneNumberKind) revoke(ctx context.Context, s *Service, q *store.Q, customerID string, _ market.Order, l market.Line, now time.Time) error {
	return s.revokeNumber(ctx, q, customerID, l, now)
}

// topUpKind is a deposit on the prepaid balance, paid by card.
type topUpKind struct{ kindBase }

func (topUpKind) Purpose() market.Purpose { return market.PurposeRefill }
func (topUpKind) Show() Show {
	return Show{Label: "Balance top-up", Heading: "Top up the balance", PayLabel: "Pay", Nav: "billing", CardOnly: true, NoAddress: true}
}
func (topUpKind) validate(*ItemInput) error {
	// The amount's limits are checked when it is priced (topUpLine):
	// they are said in the account's currency, unknown here.
	return nil
}
func (topUpKind) price(_ context.Context, pr *pricing, it ItemInput) (market.Line, error) {
	return topUpLine(it, pr.cust.Currency)
}
