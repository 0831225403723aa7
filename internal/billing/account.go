package billing

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dialtone/dialtone/internal/id"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
	"github.com/dialtone/dialtone/internal/store"
)

// Customer returns the principal's customer (or any for the operator).
// Error: not_found.
func (s *Service) Customer(ctx context.Context, customerID string) (market.Customer, error) {
	return s.store.Read().Customer(ctx, customerID)
}

// Customers lists customers for the operator.
func (s *Service) Customers(ctx context.Context, page store.Page) ([]market.Customer, error) {
	return s.store.Read().Customers(ctx, page)
}

// Orders lists the customer's orders.
func (s *Service) Orders(ctx context.Context, p Principal, page store.Page) ([]market.Order, error) {
	return s.store.Read().Orders(ctx, p.CustomerID, page)
}

// Order returns one order. Error: not_found.
func (s *Service) Order(ctx context.Context, p Principal, orderID string) (market.Order, error) {
	return s.store.Read().Order(ctx, p.scope(), orderID)
}

// Transactions lists the Billing tab.
func (s *Service) Transactions(ctx context.Context, p Principal, f store.PaymentFilter) ([]market.Payment, error) {
	return s.store.Read().Payments(ctx, p.CustomerID, f)
}

// BalanceEntries lists the balance's movements with the running balance.
func (s *Service) BalanceEntries(ctx context.Context, p Principal, page store.Page) ([]market.Entry, error) {
	return s.store.Read().BalanceEntries(ctx, p.CustomerID, page)
}

// AdjustmentInput is an operator's change of a customer's balance.
type AdjustmentInput struct {
	Amount int64  `json:"amount" doc:"Signed, in minor units of the customer's currency."`
	Reason string `json:"reason" minLength:"1" maxLength:"500"`
	// ExpectBalance, when set, is the balance the operator saw: the
	// adjustment is refused (conflict) if the balance is another by then,
	// so that a form sent twice adjusts once (the back office sets it).
	ExpectBalance *int64 `json:"-"`

	key Key // the request's idempotency key (Keyed)
}

// AdjustBalance credits (positive) or debits (negative) a customer's
// balance with a reason. Errors: invalid_request, not_found,
// insufficient_funds (a debit below zero).
func (s *Service) AdjustBalance(ctx context.Context, customerID string, in AdjustmentInput) (market.Payment, error) {
	in.Reason = strings.TrimSpace(in.Reason)
	if in.Amount == 0 || in.Amount > 1_000_000_00 || in.Amount < -1_000_000_00 {
		return market.Payment{}, market.Invalid("amount", "amount must be non-zero and at most 1000000.00 either way")
	}
	if in.Reason == "" {
		return market.Payment{}, market.Invalid("reason", "a reason is required")
	}
	var pay market.Payment
	err := s.store.Tx(ctx, func(q *store.Q) error {
		if ref, err := s.firstResult(ctx, q, in.key); err != nil || ref != "" {
			if err == nil {
				pay, err = q.PaymentByID(ctx, ref) // the first request's adjustment
			}
			return err
		}
		now := s.now()
		cust, err := q.LockCustomer(ctx, customerID)
		if err != nil {
			return err
		}
		if in.ExpectBalance != nil && *in.ExpectBalance != cust.Balance {
			return &market.Error{Code: market.CodeConflict, Param: "amount",
				Message: fmt.Sprintf("the balance changed since the page was shown (it is %s now): check it and adjust again if still needed",
					money.Format(money.New(cust.Balance, cust.Currency)))}
		}
		if cust.Balance+in.Amount < 0 {
			return &market.Error{Code: market.CodeInsufficientFunds, Param: "amount",
				Message: fmt.Sprintf("the balance is %s: a debit cannot take it below zero", money.Format(money.New(cust.Balance, cust.Currency))),
				Extra:   map[string]any{"missing": -(cust.Balance + in.Amount), "currency": cust.Currency}}
		}
		pay = market.Payment{ID: s.ids.New("pay"), CustomerID: cust.ID, Purpose: market.PurposeAdjustment, Description: in.Reason,
			Method: "operator", Amount: in.Amount, Currency: cust.Currency, CreatedAt: now}
		if err := q.InsertPayment(ctx, pay); err != nil {
			return err
		}
		if err := bindResult(ctx, q, in.key, pay.ID); err != nil {
			return err
		}
		if err := post(ctx, q, market.LedgerTx{ID: s.ids.New("ltx"), CustomerID: cust.ID, Kind: "adjustment", Description: in.Reason,
			PaymentID: pay.ID, Currency: cust.Currency, CreatedAt: now}, market.Movement{Payer: market.PayerOperator, Total: in.Amount}); err != nil {
			return err
		}
		return s.audit(ctx, q, "customer.balance_adjustment", "customer", cust.ID,
			map[string]any{"balance": cust.Balance, "currency": cust.Currency},
			map[string]any{"balance": cust.Balance + in.Amount, "currency": cust.Currency, "amount": in.Amount, "reason": in.Reason, "payment": pay.ID})
	})
	return pay, err
}

// Subscriptions lists the customer's subscriptions with their status at
// now.
func (s *Service) Subscriptions(ctx context.Context, p Principal, page store.Page) ([]market.Subscription, error) {
	subs, err := s.store.Read().Subscriptions(ctx, p.CustomerID, page)
	now := s.now()
	for i := range subs {
		subs[i].Status = subs[i].StatusAt(now)
	}
	return subs, err
}

// Subscription returns one subscription. Error: not_found.
func (s *Service) Subscription(ctx context.Context, p Principal, subID string) (market.Subscription, error) {
	sub, err := s.store.Read().Subscription(ctx, p.scope(), subID)
	sub.Status = sub.StatusAt(s.now())
	return sub, err
}

// SetAutoRenew switches automatic renewal of a subscription. Error:
// not_found.
func (s *Service) SetAutoRenew(ctx context.Context, p Principal, subID string, on bool) (market.Subscription, error) {
	return s.changeSubscription(ctx, p, subID, func(q *store.Q, sub market.Subscription) error {
		sub.AutoRenew = on
		if err := q.UpdateSubscription(ctx, sub, s.now()); err != nil {
			return err
		}
		return s.emitSubscription(ctx, q, EventSubscriptionUpdated, p.CustomerID, subID)
	})
}

// changeSubscription is a manager's change of one of the customer's
// subscriptions: change runs on the subscription in a transaction that
// holds the customer's lock, and the subscription is read again after.
// Errors: forbidden, not_found, change's.
func (s *Service) changeSubscription(ctx context.Context, p Principal, subID string, change func(q *store.Q, sub market.Subscription) error) (market.Subscription, error) {
	if err := p.mayManage(); err != nil {
		return market.Subscription{}, err
	}
	err := s.store.Tx(ctx, func(q *store.Q) error {
		if _, err := q.LockCustomer(ctx, p.CustomerID); err != nil {
			return err
		}
		sub, err := q.Subscription(ctx, p.CustomerID, subID)
		if err != nil {
			return err
		}
		return change(q, sub)
	})
	if err != nil {
		return market.Subscription{}, err
	}
	return s.Subscription(ctx, p, subID)
}

// SetCancelAtPeriodEnd cancels a subscription at the end of its period
// (on) or undoes that (off), PRODUCT.md "Cancelling and refunds": a
// canceled subscription stays in force until expires_at, does not renew
// (whatever auto_renew says), and the scheduler makes it canceled then. A
// past-due subscription is already out of force: canceling it ends its
// dunning and makes it canceled now. Errors: not_found; invalid_request
// naming cancel_at_period_end when the subscription has already ended
// (expired or canceled), for either direction.
func (s *Service) SetCancelAtPeriodEnd(ctx context.Context, p Principal, subID string, on bool) (market.Subscription, error) {
	return s.changeSubscription(ctx, p, subID, func(q *store.Q, sub market.Subscription) error {
		now := s.now()
		switch st := sub.StatusAt(now); {
		case st == market.StatusCanceled || st == market.StatusExpired:
			if sub.CancelAtPeriodEnd == on {
				return nil // nothing to change
			}
			return market.Invalid("cancel_at_period_end", "subscription %s has already ended (%s on %s): there is nothing to %s",
				sub.ID, st, sub.ExpiresAt.Format(time.DateOnly), map[bool]string{true: "cancel", false: "undo"}[on])
		case sub.CancelAtPeriodEnd == on:
			return nil
		case on && st == market.StatusPastDue:
			sub.CancelAtPeriodEnd, sub.Status, sub.NextAttemptAt = true, market.StatusCanceled, nil
			if err := q.UpdateSubscription(ctx, sub, now); err != nil {
				return err
			}
			return s.emitSubscription(ctx, q, EventSubscriptionCanceled, p.CustomerID, subID)
		}
		sub.CancelAtPeriodEnd = on
		if err := q.UpdateSubscription(ctx, sub, now); err != nil {
			return err
		}
		return s.emitSubscription(ctx, q, EventSubscriptionUpdated, p.CustomerID, subID)
	})
}

// subProductName names a subscription's product ("IVR add-on"), or its
// code when the plan cannot be read.
func (s *Service) subProductName(ctx context.Context, q *store.Q, sub market.Subscription) string {
	if pl, err := q.Plan(ctx, sub.Plan); err == nil && pl.ProductName != "" {
		return pl.ProductName
	}
	return sub.Product
}

// The longest a user's name and e-mail address may be, in characters
// (an e-mail address: RFC 5321's 254).
const (
	MaxNameLength  = 100
	MaxEmailLength = 254
)

// UserInput creates a user (seat) on a subscription.
type UserInput struct {
	Name         string `json:"name" minLength:"1" maxLength:"100" doc:"At most 100 characters."`
	Email        string `json:"email" maxLength:"254" doc:"At most 254 characters; one user per e-mail address on an account, whatever its case."`
	Subscription string `json:"subscription"`
}

// validate checks and normalizes the input (the e-mail in lower case).
// Error: invalid_request naming the field.
func (in *UserInput) validate() error {
	in.Name, in.Email = strings.TrimSpace(in.Name), normEmail(in.Email)
	switch {
	case in.Name == "":
		return market.Invalid("name", "a name is required")
	case utf8.RuneCountInString(in.Name) > MaxNameLength:
		return market.Invalid("name", "the name must be at most %d characters", MaxNameLength)
	case in.Email == "":
		return market.Invalid("email", "enter a valid e-mail address")
	case utf8.RuneCountInString(in.Email) > MaxEmailLength:
		return market.Invalid("email", "the e-mail address must be at most %d characters", MaxEmailLength)
	}
	if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email {
		return market.Invalid("email", "enter a valid e-mail address")
	}
	return required("subscription", in.Subscription)
}

// CreateUser adds a user to a subscription with an extension and SIP
// credentials. Errors: invalid_request (param names the field: a name of
// at most 100 characters, an e-mail of at most 254), conflict (param
// email: a user of the account has this e-mail already, whatever its
// case), license_limit_reached (as many users as licenses already),
// not_found (the subscription).
func (s *Service) CreateUser(ctx context.Context, p Principal, in UserInput) (market.User, error) {
	if err := p.mayManage(); err != nil {
		return market.User{}, err
	}
	if err := in.validate(); err != nil {
		return market.User{}, err
	}
	var u market.User
	err := s.store.Tx(ctx, func(q *store.Q) error {
		now := s.now()
		if _, err := q.LockCustomer(ctx, p.CustomerID); err != nil {
			return err
		}
		sub, err := q.Subscription(ctx, p.CustomerID, in.Subscription)
		if market.IsCode(err, market.CodeNotFound) {
			return market.Invalid("subscription", "there is no subscription %q", in.Subscription)
		}
		if err != nil {
			return err
		}
		if !market.HasUsers(sub.Product) {
			return market.Invalid("subscription", "subscription %s is of the %s, which is sold per unit and has no users: "+
				"put the user on a subscription with users (Cloud Contact Center, Hosted PBX)", sub.ID, s.subProductName(ctx, q, sub))
		}
		if st := sub.StatusAt(now); st != market.StatusActive && st != market.StatusTrialing {
			return market.Invalid("subscription", "this subscription is %s: renew it first", st)
		}
		if lic := sub.Quantity(now); sub.Users >= lic {
			return &market.Error{Code: market.CodeLicenseLimitReached, Param: "subscription",
				Message: fmt.Sprintf("all %s of this subscription are in use: buy more licenses first", plural(lic, "license", "licenses"))}
		}
		ext, err := q.NextExtension(ctx, p.CustomerID)
		if err != nil {
			return err
		}
		u = market.User{ID: s.ids.New("usr"), CustomerID: p.CustomerID, Name: in.Name, Email: in.Email, Role: "member",
			SubscriptionID: sub.ID, Extension: fmt.Sprint(ext), CreatedAt: now}
		sip := s.newSIPAccount(market.SIPAccount{ID: s.ids.New("sip"), CustomerID: p.CustomerID, Kind: "user", Username: "u" + u.Extension + "-" + id.Secret(4),
			UserID: u.ID, CreatedAt: now})
		u.SIPAccountID = sip.ID
		if err := q.InsertSIPAccount(ctx, sip); err != nil {
			return err
		}
		return q.InsertUser(ctx, u)
	})
	return u, err
}

// Users lists the customer's users.
func (s *Service) Users(ctx context.Context, p Principal) ([]market.User, error) {
	return s.store.Read().Users(ctx, p.CustomerID)
}

// User returns a user. Error: not_found.
func (s *Service) User(ctx context.Context, p Principal, userID string) (market.User, error) {
	return s.store.Read().User(ctx, p.CustomerID, userID)
}

// DeleteUser removes a seat and its SIP account. The owner cannot be
// deleted. Errors: not_found, invalid_request.
func (s *Service) DeleteUser(ctx context.Context, p Principal, userID string) error {
	if err := p.mayManage(); err != nil {
		return err
	}
	return s.store.Tx(ctx, func(q *store.Q) error {
		u, err := q.User(ctx, p.CustomerID, userID)
		if err != nil {
			return err
		}
		if u.Role == "owner" {
			return market.Invalid("id", "the account owner cannot be deleted")
		}
		if u.SIPAccountID != "" {
			if err := q.DeleteSIPAccount(ctx, p.CustomerID, u.SIPAccountID); err != nil {
				return err
			}
		}
		return q.DeleteUser(ctx, p.CustomerID, userID)
	})
}

// UserStatus is "active" while the user's subscription is in force and
// "suspended" once it has expired.
func UserStatus(u market.User, subs map[string]market.Subscription, now time.Time) string {
	if u.SubscriptionID == "" {
		return "active"
	}
	if s, ok := subs[u.SubscriptionID]; ok {
		if st := s.StatusAt(now); st == market.StatusExpired || st == market.StatusPastDue || st == market.StatusCanceled {
			return "suspended"
		}
	}
	return "active"
}

// SIPAccounts lists the customer's SIP accounts.
func (s *Service) SIPAccounts(ctx context.Context, p Principal) ([]market.SIPAccount, error) {
	return s.store.Read().SIPAccounts(ctx, p.CustomerID)
}

// SIPAccount returns one SIP account. Error: not_found.
func (s *Service) SIPAccount(ctx context.Context, p Principal, sipID string) (market.SIPAccount, error) {
	return s.store.Read().SIPAccount(ctx, p.CustomerID, sipID)
}

// Numbers lists the numbers the customer holds.
func (s *Service) Numbers(ctx context.Context, p Principal) ([]market.Number, error) {
	return s.store.Read().CustomerNumbers(ctx, p.CustomerID)
}

// Now returns the service's current time.
func (s *Service) Now() time.Time { return s.now() }
