package billing

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/dialtone/dialtone/internal/id"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
)

// SIP credentials (issue 14): the registrar keeps what digest needs, the
// HA1 per realm and algorithm, not the plain password, once the customer
// has seen it. A new or rotated password is kept in plain only until it is
// shown to the customer's admin (GET /v1/sip_accounts/{id}, the portal's
// SIP account page); from then on only its HA1s remain, and a customer
// who lost it rotates it.

// DigestHA1 returns H(username:realm:password) in hex with MD5 and with
// SHA-256 (RFC 2617, RFC 8760).
func DigestHA1(username, realm, password string) (ha1MD5, ha1SHA256 string) {
	in := []byte(username + ":" + realm + ":" + password)
	m := md5.Sum(in)
	h := sha256.Sum256(in)
	return hex.EncodeToString(m[:]), hex.EncodeToString(h[:])
}

// newSIPAccount gives a a fresh password, the service's domain and the
// password's HA1s.
func (s *Service) newSIPAccount(a market.SIPAccount) market.SIPAccount {
	a.Password, a.Domain, a.HA1Realm = id.Secret(12), s.cfg.SIPDomain, s.cfg.SIPDomain
	a.HA1MD5, a.HA1SHA256 = DigestHA1(a.Username, a.HA1Realm, a.Password)
	return a
}

// RevealSIPPassword returns a SIP account for its customer's admin with
// its password, if it has not been shown yet, and forgets the password
// (only its HA1s remain). Others get the account without a password.
// Error: not_found.
func (s *Service) RevealSIPPassword(ctx context.Context, p Principal, sipID string) (market.SIPAccount, error) {
	if !p.IsAdmin() {
		a, err := s.store.Read().SIPAccount(ctx, p.CustomerID, sipID)
		a.Password = ""
		return a, err
	}
	var a market.SIPAccount
	err := s.store.Tx(ctx, func(q *store.Q) error {
		var err error
		if a, err = q.SIPAccount(ctx, p.CustomerID, sipID); err != nil || a.Password == "" {
			return err
		}
		md, sh := a.HA1MD5, a.HA1SHA256
		if a.HA1Realm != s.cfg.SIPDomain {
			md, sh = DigestHA1(a.Username, s.cfg.SIPDomain, a.Password)
		}
		return q.SetSIPCredentials(ctx, a.ID, "", s.cfg.SIPDomain, md, sh)
	})
	return a, err
}

// RotateSIPPassword gives a SIP account a new password, returned (with
// the account) to be shown once; only its HA1s are kept. The account's
// registrations end: its devices must register again with the new one.
// Only the customer's admin may. Errors: not_found, forbidden.
func (s *Service) RotateSIPPassword(ctx context.Context, p Principal, sipID string) (market.SIPAccount, error) {
	if !p.IsAdmin() {
		return market.SIPAccount{}, &market.Error{Code: market.CodeForbidden, Message: "only the customer's owner or an admin can rotate a SIP password"}
	}
	var a market.SIPAccount
	err := s.store.Tx(ctx, func(q *store.Q) error {
		var err error
		if a, err = q.SIPAccount(ctx, p.CustomerID, sipID); err != nil {
			return err
		}
		if _, err = q.LockSIPAccountByUsername(ctx, a.Username); err != nil {
			return err
		}
		a.Password = id.Secret(12)
		a.HA1Realm = s.cfg.SIPDomain
		a.HA1MD5, a.HA1SHA256 = DigestHA1(a.Username, a.HA1Realm, a.Password)
		if err := q.SetSIPCredentials(ctx, a.ID, "", a.HA1Realm, a.HA1MD5, a.HA1SHA256); err != nil {
			return err
		}
		now := time.Now()
		live, err := q.DeleteSIPBindings(ctx, a.ID, now)
		if err != nil || live == 0 {
			return err
		}
		return s.SIPRegistrationChanged(ctx, q, a, nil, "the password was rotated", now)
	})
	return a, err
}

// SIPAccountEvent is the object of a sip_account.* webhook event: the
// account (without its password) as it stands, with its live bindings
// and the numbers that ring on it.
type SIPAccountEvent struct {
	Account  market.SIPAccount
	Numbers  []market.Number
	Bindings []market.SIPBinding
}

// SIPRegistrationChanged records, in q's transaction, that a SIP account
// became reachable (live, its bindings after the change, has some: the
// first appeared) or unreachable (live is empty: its last one went; why
// says how, in words): a notification for the customer and a
// sip_account.registered or .unregistered webhook event. now is the
// wall-clock time of the change. It is called only on a change of state,
// never on a refresh.
func (s *Service) SIPRegistrationChanged(ctx context.Context, q *store.Q, a market.SIPAccount, live []market.SIPBinding, why string, now time.Time) error {
	a.Password = ""
	registered := len(live) > 0
	if live == nil {
		live = []market.SIPBinding{}
	}
	name := "The SIP trunk " + a.Username
	if a.Kind == "user" {
		name = "The SIP account " + a.Username
		if a.UserID != "" {
			if u, err := q.User(ctx, a.CustomerID, a.UserID); err == nil {
				name = fmt.Sprintf("The SIP account %s of %s (extension %s)", a.Username, u.Name, u.Extension)
			}
		}
	}
	typ, event, subject, body := "sip_account_unregistered", EventSIPAccountUnregistered,
		"A SIP account is no longer connected", fmt.Sprintf("%s has no registered device any more", name)
	if why != "" {
		body += " (" + why + ")"
	}
	body += "; calls to its numbers cannot reach it until a device registers again."
	if registered {
		typ, event, subject = "sip_account_registered", EventSIPAccountRegistered, "A SIP account is connected"
		var devs []string
		for _, b := range live {
			d := b.UserAgent
			if d == "" {
				d = "a device"
			}
			devs = append(devs, fmt.Sprintf("%s at %s (%s)", d, b.Source, b.Transport))
		}
		body = fmt.Sprintf("%s is registered: %s. Calls to its numbers ring there.", name, strings.Join(devs, ", "))
	}
	n := market.Notification{ID: s.ids.New("ntf"), CustomerID: a.CustomerID, Type: typ, Subject: subject, Body: body,
		ObjectType: "sip_account", ObjectID: a.ID, DedupeKey: typ + ":" + a.ID + ":" + s.ids.New("chg"), CreatedAt: s.now()}
	// Shown under Notifications, not mailed: a phone may come and go
	// many times a day.
	if _, err := q.InsertNotification(ctx, n); err != nil {
		return err
	}
	return s.emit(ctx, q, event, func() (any, error) {
		nums, err := q.CustomerNumbers(ctx, a.CustomerID)
		return SIPAccountEvent{Account: a, Numbers: nums, Bindings: live}, err
	})
}

// SIPAccounts lists the customer's SIP accounts.
func (s *Service) SIPAccounts(ctx context.Context, p Principal) ([]market.SIPAccount, error) {
	return s.store.Read().SIPAccounts(ctx, p.CustomerID)
}

// SIPAccount returns one SIP account. Error: not_found.
func (s *Service) SIPAccount(ctx context.Context, p Principal, sipID string) (market.SIPAccount, error) {
	return s.store.Read().SIPAccount(ctx, p.CustomerID, sipID)
}
