package billing

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dialtone/dialtone/internal/id"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
)

// Logins with roles (PRODUCT.md "Logins and the operator"): the owner and
// admins invite colleagues by e-mail with a role; an invitation's link sets
// the login's first password, a reset's link a new one. Links carry a
// random 256-bit token of which only the SHA-256 is stored; each works once
// and expires on wall-clock time (Config.InviteTTL, Config.ResetTTL).

// LoginRoles are the roles an invitation may give.
var LoginRoles = []string{"admin", "billing", "viewer"}

// Token purposes and the notifications of their e-mails.
const (
	purposeInvitation = "invitation"
	purposeReset      = "reset"
)

// LoginStatus is "active" for a login with a password, "invited" for one
// whose invitation is not yet taken.
func LoginStatus(u market.User) string {
	if u.PasswordHash == "" {
		return "invited"
	}
	return "active"
}

// mayBill returns forbidden unless the principal may pay and manage the
// account's payments, invoices and addresses: the owner, an admin or a
// billing login.
func (p Principal) mayBill() error {
	if p.CustomerID == "" {
		return errUnauthenticated
	}
	if !p.MayBill() {
		return &market.Error{Code: market.CodeForbidden, Message: "only the account's owner, an admin or a billing login may do this"}
	}
	return nil
}

// MayBill reports whether the principal may manage payments, invoices and
// addresses (the owner, an admin or a billing login).
func (p Principal) MayBill() bool { return p.IsAdmin() || p.Role == "billing" }

// InviteInput is an invitation of a colleague.
type InviteInput struct {
	Email string `json:"email" maxLength:"254" doc:"The colleague's e-mail address; the invitation is sent there."`
	Role  string `json:"role" enum:"admin,billing,viewer" doc:"admin: buys and manages; billing: payments, invoices, addresses; viewer: reads."`
}

func (in *InviteInput) validate() error {
	in.Email = normEmail(in.Email)
	in.Role = strings.ToLower(strings.TrimSpace(in.Role))
	if utf8.RuneCountInString(in.Email) > MaxEmailLength {
		return market.Invalid("email", "the e-mail address must be at most %d characters", MaxEmailLength)
	}
	if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email {
		return market.Invalid("email", "enter a valid e-mail address")
	}
	if !contains(LoginRoles, in.Role) {
		return market.Invalid("role", "role must be admin, billing or viewer")
	}
	return nil
}

// Logins lists the account's logins, the owner first.
func (s *Service) Logins(ctx context.Context, p Principal) ([]market.User, error) {
	if p.CustomerID == "" {
		return nil, errUnauthenticated
	}
	return s.store.Read().Logins(ctx, p.CustomerID)
}

// Invite creates a login with a role and e-mails it an invitation whose
// link sets its first password. A seat of the account with that e-mail
// becomes the login. Errors: invalid_request (email, role), forbidden
// (not the owner or an admin), conflict (param email) when a login of this
// or another account has the e-mail.
func (s *Service) Invite(ctx context.Context, p Principal, in InviteInput) (market.User, error) {
	if err := p.mayManage(); err != nil {
		return market.User{}, err
	}
	if err := in.validate(); err != nil {
		return market.User{}, err
	}
	if _, err := s.store.Read().LoginByEmail(ctx, in.Email); err == nil {
		return market.User{}, &market.Error{Code: market.CodeConflict, Param: "email", Message: "a login with the e-mail " + in.Email + " exists already"}
	} else if !market.IsCode(err, market.CodeNotFound) {
		return market.User{}, err
	}
	token := id.Secret(32)
	now := s.now()
	wall := s.wallNow()
	var u market.User
	err := s.store.Tx(ctx, func(q *store.Q) error {
		c, err := q.LockCustomer(ctx, p.CustomerID)
		if err != nil {
			return err
		}
		u, err = q.UserByEmail(ctx, p.CustomerID, in.Email)
		switch {
		case err == nil && u.Role != "member":
			return &market.Error{Code: market.CodeConflict, Param: "email", Message: "a login with the e-mail " + in.Email + " exists already"}
		case err == nil:
			if err := q.SetLoginRole(ctx, p.CustomerID, u.ID, in.Role); err != nil {
				return err
			}
			u.Role = in.Role
		case market.IsCode(err, market.CodeNotFound):
			ext, err := q.NextExtension(ctx, p.CustomerID)
			if err != nil {
				return err
			}
			u = market.User{ID: s.ids.New("usr"), CustomerID: p.CustomerID, Name: in.Email, Email: in.Email, Role: in.Role,
				Extension: fmt.Sprint(ext), CreatedAt: now}
			if err := q.InsertUser(ctx, u); err != nil {
				return err
			}
		default:
			return err
		}
		if err := q.InsertLoginToken(ctx, market.LoginToken{TokenHash: tokenHash(token), UserID: u.ID, CustomerID: p.CustomerID,
			Purpose: purposeInvitation, CreatedAt: wall, ExpiresAt: wall.Add(s.cfg.InviteTTL)}); err != nil {
			return err
		}
		body := fmt.Sprintf("You are invited to the %s account of %s as %s (%s).\n\n"+
			"Choose your password with the link below; it works once, until %s.",
			"dialtone", c.Company, in.Role, roleWords(in.Role), wall.Add(s.cfg.InviteTTL).UTC().Format("2 Jan 2006 15:04 UTC"))
		return s.mailTokenTx(ctx, q, p.CustomerID, u.Email, "login_invitation", "You are invited to "+c.Company+" on dialtone", body, token)
	})
	if err != nil {
		return market.User{}, err
	}
	s.mailQueued()
	return u, nil
}

// roleWords says what a role may do.
func roleWords(role string) string {
	switch role {
	case "owner", "admin":
		return "buys and manages"
	case "billing":
		return "payments, invoices and addresses"
	}
	return "reads"
}

// DeleteLogin removes a login and ends its sessions; a seat that was
// invited stays a seat, without its login. The owner cannot be deleted.
// Errors: forbidden, not_found, invalid_request (the owner, or oneself).
func (s *Service) DeleteLogin(ctx context.Context, p Principal, userID string) error {
	if err := p.mayManage(); err != nil {
		return err
	}
	return s.store.Tx(ctx, func(q *store.Q) error {
		u, err := q.User(ctx, p.CustomerID, userID)
		if err == nil && u.Role == "member" {
			err = market.NotFound("login")
		}
		if err != nil {
			return err
		}
		if u.Role == "owner" {
			// The account's one owner: deleting it would leave the account
			// without one.
			return market.Invalid("id", "the owner's login cannot be deleted: an account always has its owner")
		}
		if u.ID == p.UserID {
			return market.Invalid("id", "you cannot delete your own login: ask the owner or another admin to remove it")
		}
		if err := q.DeleteLoginTokens(ctx, u.ID, ""); err != nil {
			return err
		}
		if u.SubscriptionID != "" {
			if err := q.SetLoginRole(ctx, p.CustomerID, u.ID, "member"); err != nil {
				return err
			}
			_, err := q.DeleteOtherSessions(ctx, u.ID, "")
			return err
		}
		return q.DeleteUser(ctx, p.CustomerID, u.ID)
	})
}

// RequestPasswordReset e-mails a login a link that sets a new password,
// valid once within Config.ResetTTL. It answers the same whether or not
// the address is a login's (nil); requests are throttled per e-mail
// address and per client address (from), known or not, so that it cannot
// be used to flood a mailbox. Errors: invalid_request (email),
// rate_limited (with "retry_after").
func (s *Service) RequestPasswordReset(ctx context.Context, email, from string) error {
	email = normEmail(email)
	if email == "" || utf8.RuneCountInString(email) > MaxEmailLength {
		return market.Invalid("email", "enter the e-mail address you log in with (at most %d characters)", MaxEmailLength)
	}
	now := s.wallNow()
	keys := resetThrottleKeys(email, from)
	if err := s.checkThrottle(ctx, keys, now, resetPerEmail, resetPerAddress); err != nil {
		if me, ok := err.(*market.Error); ok && me.Code == market.CodeRateLimited {
			me.Message = "too many password reset requests: try again in " + seconds(toInt64(me.Extra["retry_after"]))
		}
		return err
	}
	// Every request counts, known address or not.
	if err := s.store.Tx(ctx, func(q *store.Q) error {
		for _, r := range []throttleRule{resetPerEmail, resetPerAddress} {
			if k, ok := keys[r]; ok {
				if err := q.ChargeThrottle(ctx, k, now, r.every); err != nil {
					return err
				}
			}
		}
		return nil
	}); err != nil {
		return err
	}
	u, err := s.store.Read().LoginByEmail(ctx, email)
	if market.IsCode(err, market.CodeNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	token := id.Secret(32)
	err = s.store.Tx(ctx, func(q *store.Q) error {
		// A new link replaces the older ones.
		if err := q.DeleteLoginTokens(ctx, u.ID, purposeReset); err != nil {
			return err
		}
		if err := q.InsertLoginToken(ctx, market.LoginToken{TokenHash: tokenHash(token), UserID: u.ID, CustomerID: u.CustomerID,
			Purpose: purposeReset, CreatedAt: now, ExpiresAt: now.Add(s.cfg.ResetTTL)}); err != nil {
			return err
		}
		body := fmt.Sprintf("Someone asked to reset the password of the dialtone login %s.\n\n"+
			"Choose a new password with the link below; it works once, within %s. "+
			"If you did not ask for it, ignore this e-mail: your password stays as it is.", u.Email, durationWords(s.cfg.ResetTTL))
		return s.mailTokenTx(ctx, q, u.CustomerID, u.Email, "password_reset", "Reset your dialtone password", body, token)
	})
	if err != nil {
		return err
	}
	s.mailQueued()
	return nil
}

func toInt64(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case int:
		return int64(n)
	}
	return 0
}

func durationWords(d time.Duration) string {
	switch {
	case d == time.Hour:
		return "an hour"
	case d%time.Hour == 0:
		return fmt.Sprintf("%d hours", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%d minutes", d/time.Minute)
	}
	return d.String()
}

// Reset requests are throttled on keys of their own: a reset asked for is
// not a failed log-in.
var (
	resetPerEmail   = throttleRule{prefix: "reset-email:", burst: 3, every: 10 * time.Minute, what: "for this e-mail address"}
	resetPerAddress = throttleRule{prefix: "reset-addr:", burst: 20, every: 30 * time.Second, what: "from your address"}
)

func resetThrottleKeys(email, from string) map[throttleRule]string {
	return throttleKeysOf(email, from, resetPerEmail, resetPerAddress)
}

// LinkPurpose tells a portal page what a link's token is for: "invitation"
// or "reset", and "" for a token that is unknown, used or expired.
func (s *Service) LinkPurpose(ctx context.Context, token string) (string, error) {
	if token == "" || len(token) > 200 {
		return "", nil
	}
	t, ok, err := s.store.Read().LoginTokenValid(ctx, tokenHash(token), s.wallNow())
	if err != nil || !ok {
		return "", err
	}
	return t.Purpose, nil
}

// UseLink sets a login's password with the token of an invitation or a
// reset link, once, and ends every session of the login. It returns the
// login. Errors: invalid_request (password: 8 to 128 characters),
// not_found (the link is unknown, used or expired), conflict (param email:
// an invitation to an e-mail another account's login took meanwhile).
func (s *Service) UseLink(ctx context.Context, token, password string) (market.User, error) {
	if n := utf8.RuneCountInString(password); n < 8 || n > 128 {
		return market.User{}, market.Invalid("password", "the password must have 8 to 128 characters")
	}
	if token == "" || len(token) > 200 {
		return market.User{}, errBadLink
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return market.User{}, err
	}
	var u market.User
	err = s.store.Tx(ctx, func(q *store.Q) error {
		t, err := q.TakeLoginToken(ctx, tokenHash(token), s.wallNow())
		if market.IsCode(err, market.CodeNotFound) {
			return errBadLink
		}
		if err != nil {
			return err
		}
		if err := q.SetLoginPassword(ctx, t.CustomerID, t.UserID, hash); err != nil {
			if market.IsCode(err, market.CodeNotFound) {
				return errBadLink
			}
			return err
		}
		if err := q.DeleteLoginTokens(ctx, t.UserID, t.Purpose); err != nil {
			return err
		}
		if _, err := q.DeleteOtherSessions(ctx, t.UserID, ""); err != nil {
			return err
		}
		u, err = q.User(ctx, t.CustomerID, t.UserID)
		return err
	})
	return u, err
}

var errBadLink = &market.Error{Code: market.CodeNotFound, Param: "token",
	Message: "this link is not valid: it was used already, has expired or never existed; ask for a new one"}

// LogInAs opens a session for a login that just set its password (the
// portal logs a visitor in after an invitation or a reset).
func (s *Service) LogInAs(ctx context.Context, u market.User) (string, error) {
	now := s.wallNow()
	token := "dt_" + id.Secret(32)
	err := s.store.Tx(ctx, func(q *store.Q) error {
		return q.InsertSession(ctx, market.Session{TokenHash: hashToken(token), UserID: u.ID, CustomerID: u.CustomerID,
			CreatedAt: now, ExpiresAt: now.Add(s.cfg.SessionTTL)})
	})
	return token, err
}

// AccountInput changes the account: its company name (the owner or an
// admin).
type AccountInput struct {
	Company *string `json:"company,omitempty" maxLength:"100" doc:"The company name (1 to 100 characters)."`
}

// CheckCompany returns a company name as it is kept (trimmed), or
// invalid_request (company) when it is blank or longer than MaxNameLength.
func CheckCompany(name string) (string, error) {
	c := strings.TrimSpace(name)
	if c == "" || utf8.RuneCountInString(c) > MaxNameLength {
		return "", market.Invalid("company", "the company name is required (at most %d characters)", MaxNameLength)
	}
	return c, nil
}

// UpdateAccount changes the company name. Errors: forbidden,
// invalid_request (company).
func (s *Service) UpdateAccount(ctx context.Context, p Principal, in AccountInput) (market.Customer, error) {
	if err := p.mayManage(); err != nil {
		return market.Customer{}, err
	}
	if in.Company != nil {
		c, err := CheckCompany(*in.Company)
		if err != nil {
			return market.Customer{}, err
		}
		if err := s.store.Tx(ctx, func(q *store.Q) error { return q.SetCompany(ctx, p.CustomerID, c) }); err != nil {
			return market.Customer{}, err
		}
	}
	return s.store.Read().Customer(ctx, p.CustomerID)
}

// ChangeEmail changes the e-mail the principal's login logs in with.
// Errors: invalid_request (email), conflict (param email: a user of the
// account or another account's login has it).
func (s *Service) ChangeEmail(ctx context.Context, p Principal, email string) (market.User, error) {
	if p.Operator || p.CustomerID == "" || p.UserID == "" {
		return market.User{}, errUnauthenticated
	}
	email = normEmail(email)
	if utf8.RuneCountInString(email) > MaxEmailLength {
		return market.User{}, market.Invalid("email", "the e-mail address must be at most %d characters", MaxEmailLength)
	}
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		return market.User{}, market.Invalid("email", "enter a valid e-mail address")
	}
	var u market.User
	err := s.store.Tx(ctx, func(q *store.Q) error {
		cur, err := q.User(ctx, p.CustomerID, p.UserID)
		if err != nil {
			return err
		}
		if cur.Email != email {
			if err := q.SetUserEmail(ctx, p.CustomerID, p.UserID, email); err != nil {
				return err
			}
		}
		u, err = q.User(ctx, p.CustomerID, p.UserID)
		return err
	})
	return u, err
}

// mailTokenTx queues the e-mail of a login token's link. The token is
// kept with the notification only until the mail is sent (DeliverMail
// forgets it), and customers' notification lists never show it.
func (s *Service) mailTokenTx(ctx context.Context, q *store.Q, customerID, to, typ, subject, body, token string) error {
	n := market.Notification{ID: s.ids.New("ntf"), CustomerID: customerID, Type: typ, Subject: subject, Body: body,
		ObjectType: "login_token", ObjectID: token, DedupeKey: typ + ":" + tokenHash(token), CreatedAt: s.now()}
	if _, err := q.InsertNotification(ctx, n); err != nil {
		return err
	}
	return q.InsertOutbox(ctx, s.ids.New("out"), n.ID, to, s.now())
}

// tokenHash is the stored form of a link's token.
func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// mailQueued wakes the mail delivery (MailQueued) without waiting.
func (s *Service) mailQueued() {
	select {
	case s.mailKick <- struct{}{}:
	default:
	}
}

// MailQueued is signalled when a mail that should go out at once (an
// invitation, a reset link) was queued.
func (s *Service) MailQueued() <-chan struct{} { return s.mailKick }
