package billing

import (
	"context"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dialtone/dialtone/internal/id"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
)

// The operator's staff (PRODUCT.md "Logins and the operator"): accounts of
// their own with a role, logging in to the back office at /admin. Their
// passwords are argon2id hashes and their failed log-ins are throttled as
// customers' are (throttle.go, on keys of their own); their sessions last
// Config.OperatorSessionTTL of wall-clock time. Every change an operator
// makes is written to the audit log (audit.go).

// Operator roles: admin may do everything; support customers, orders,
// refunds and balance adjustments (not prices, the catalog, promo codes,
// taxes or operators); finance reads everything and changes nothing.
const (
	RoleAdmin   = "admin"
	RoleSupport = "support"
	RoleFinance = "finance"
)

// OperatorRoles are the roles an operator may have.
var OperatorRoles = []string{RoleAdmin, RoleSupport, RoleFinance}

// Page is a page of a list: its limit and the ID it starts after.
type Page = store.Page

// OperatorInput creates an operator.
type OperatorInput struct {
	Email    string
	Role     string
	Password string
}

func checkRole(role string) (string, error) {
	role = strings.ToLower(strings.TrimSpace(role))
	if !contains(OperatorRoles, role) {
		return "", market.Invalid("role", "role must be admin, support or finance")
	}
	return role, nil
}

// CreateOperator creates an operator's account (the command line's
// `dialtone operator create`, and admins in the back office). Errors:
// invalid_request (email, role, password: 12 to 128 characters), conflict
// (param email).
func (s *Service) CreateOperator(ctx context.Context, in OperatorInput) (market.Operator, error) {
	email := normEmail(in.Email)
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || utf8.RuneCountInString(email) > MaxEmailLength {
		return market.Operator{}, market.Invalid("email", "enter a valid e-mail address (at most %d characters)", MaxEmailLength)
	}
	role, err := checkRole(in.Role)
	if err != nil {
		return market.Operator{}, err
	}
	if n := utf8.RuneCountInString(in.Password); n < 12 || n > 128 {
		return market.Operator{}, market.Invalid("password", "an operator's password must have 12 to 128 characters")
	}
	hash, err := s.hashPassword(ctx, in.Password)
	if err != nil {
		return market.Operator{}, err
	}
	o := market.Operator{ID: s.ids.New("opr"), Email: email, PasswordHash: hash, Role: role, CreatedAt: s.now()}
	err = s.store.Tx(ctx, func(q *store.Q) error {
		if err := q.InsertOperator(ctx, o); err != nil {
			return err
		}
		return s.audit(ctx, q, "operator.create", "operator", o.ID, nil, operatorAudit(o))
	})
	return o, err
}

// operatorAudit is what the audit log keeps of an operator: never the
// password's hash.
func operatorAudit(o market.Operator) map[string]any {
	return map[string]any{"id": o.ID, "email": o.Email, "role": o.Role, "disabled": o.Disabled}
}

// Operators lists the operators, newest first (one more than the page's
// limit when there are more).
func (s *Service) Operators(ctx context.Context, page store.Page) ([]market.Operator, error) {
	return s.store.Read().Operators(ctx, page)
}

// UpdateOperator changes an operator's role and whether it is disabled;
// disabling ends its sessions. The last active admin can neither lose the
// role nor be disabled (nobody could manage operators then). Errors:
// not_found, invalid_request (role; id for the last admin).
func (s *Service) UpdateOperator(ctx context.Context, operatorID, role string, disabled bool) (market.Operator, error) {
	role, err := checkRole(role)
	if err != nil {
		return market.Operator{}, err
	}
	var o market.Operator
	err = s.store.Tx(ctx, func(q *store.Q) error {
		if err := q.LockOperators(ctx); err != nil {
			return err
		}
		before, err := q.Operator(ctx, operatorID)
		if err != nil {
			return err
		}
		o = before
		o.Role, o.Disabled = role, disabled
		if before.Role == RoleAdmin && !before.Disabled && (role != RoleAdmin || disabled) {
			n, err := q.CountActiveAdmins(ctx)
			if err != nil {
				return err
			}
			if n <= 1 {
				return market.Invalid("id", "%s is the last active admin: make another operator admin first", before.Email)
			}
		}
		if err := q.SetOperator(ctx, o.ID, o.Role, o.Disabled); err != nil {
			return err
		}
		if disabled || role != before.Role {
			// A new role takes effect at the next log-in; a disabled
			// operator is logged out at once.
			if err := q.DeleteOperatorSessions(ctx, o.ID); err != nil {
				return err
			}
		}
		return s.audit(ctx, q, "operator.update", "operator", o.ID, operatorAudit(before), operatorAudit(o))
	})
	return o, err
}

// Operator log-ins are throttled as customers' are, on keys of their own.
var (
	opPerEmail   = throttleRule{prefix: "op-email:", burst: 5, every: time.Minute, what: "with this e-mail address"}
	opPerAddress = throttleRule{prefix: "op-addr:", burst: 20, every: 6 * time.Second, what: "from your address"}
)

func operatorThrottleKeys(email, from string) map[throttleRule]string {
	return throttleKeysOf(email, from, opPerEmail, opPerAddress)
}

// OperatorLogin checks an operator's e-mail and password and opens a
// session; from is the client's address, for the throttling of failed
// log-ins (as Login). A disabled operator cannot log in. Errors:
// unauthenticated, rate_limited (with "retry_after").
func (s *Service) OperatorLogin(ctx context.Context, email, password, from string) (string, market.Operator, error) {
	now := s.wallNow()
	keys := operatorThrottleKeys(email, from)
	if err := s.checkThrottle(ctx, keys, now, opPerEmail); err != nil {
		return "", market.Operator{}, err
	}
	o, err := s.store.Read().OperatorByEmail(ctx, normEmail(email))
	hash := o.PasswordHash
	if market.IsCode(err, market.CodeNotFound) {
		hash, err = s.dummyHash, nil
	}
	if err != nil {
		return "", market.Operator{}, err
	}
	ok, err := s.checkPassword(ctx, password, hash)
	if err != nil && ctx.Err() != nil {
		return "", market.Operator{}, err
	}
	if !ok || err != nil || o.ID == "" || o.Disabled {
		addrErr := s.checkThrottle(ctx, keys, now, opPerAddress)
		if addrErr != nil && !market.IsCode(addrErr, market.CodeRateLimited) {
			return "", market.Operator{}, addrErr
		}
		charge := keys
		if addrErr != nil {
			charge = map[throttleRule]string{opPerEmail: keys[opPerEmail]}
		}
		if err := s.countFailure(ctx, charge, now); err != nil {
			return "", market.Operator{}, err
		}
		if addrErr != nil {
			return "", market.Operator{}, addrErr
		}
		return "", market.Operator{}, &market.Error{Code: market.CodeUnauthenticated, Message: "wrong e-mail or password"}
	}
	token := "dto_" + id.Secret(32)
	err = s.store.Tx(ctx, func(q *store.Q) error {
		if err := q.ClearThrottle(ctx, keys[opPerEmail]); err != nil {
			return err
		}
		return q.InsertOperatorSession(ctx, market.OperatorSession{TokenHash: hashToken(token), OperatorID: o.ID,
			CreatedAt: now, ExpiresAt: now.Add(s.cfg.OperatorSessionTTL)})
	})
	if err != nil {
		return "", market.Operator{}, err
	}
	return token, o, nil
}

// AuthenticateOperator returns the actor of an operator's session token:
// the session must exist, not have expired (wall-clock time) and belong
// to an operator who is not disabled. Error: unauthenticated.
func (s *Service) AuthenticateOperator(ctx context.Context, token string) (Actor, error) {
	if token == "" || len(token) > 200 {
		return Actor{}, errUnauthenticated
	}
	sess, o, err := s.store.Read().OperatorSessionByHash(ctx, hashToken(token))
	if market.IsCode(err, market.CodeNotFound) || (err == nil && (!s.wallNow().Before(sess.ExpiresAt) || o.Disabled)) {
		return Actor{}, errUnauthenticated
	}
	if err != nil {
		return Actor{}, err
	}
	return Actor{ID: o.ID, Name: o.Email, Role: o.Role}, nil
}

// OperatorLogout ends the session of a token (an unknown one is no error).
func (s *Service) OperatorLogout(ctx context.Context, token string) error {
	if token == "" || len(token) > 200 {
		return nil
	}
	return s.store.Tx(ctx, func(q *store.Q) error { return q.DeleteOperatorSession(ctx, hashToken(token)) })
}
