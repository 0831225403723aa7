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
	"github.com/dialtone/dialtone/internal/store"
)

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
