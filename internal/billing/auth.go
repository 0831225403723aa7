package billing

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"runtime/debug"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"

	"github.com/dialtone/dialtone/internal/address"
	"github.com/dialtone/dialtone/internal/id"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
	"github.com/dialtone/dialtone/internal/store"
)

// SignupInput is what a new customer gives.
type SignupInput struct {
	Email    string `json:"email" doc:"The owner's login e-mail."`
	Password string `json:"password" doc:"At least 8 characters."`
	Company  string `json:"company"`
	Country  string `json:"country" doc:"ISO 3166-1 alpha-2 code."`
	Currency string `json:"currency" doc:"ISO 4217 code; fixed for the account's life."`
}

// Validate checks the input.
func (in *SignupInput) Validate() error {
	in.Email = normEmail(in.Email)
	in.Company = strings.TrimSpace(in.Company)
	in.Country = strings.ToUpper(strings.TrimSpace(in.Country))
	in.Currency = strings.ToUpper(strings.TrimSpace(in.Currency))
	if utf8.RuneCountInString(in.Email) > MaxEmailLength {
		return market.Invalid("email", "the e-mail address must be at most %d characters", MaxEmailLength)
	}
	if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email {
		return market.Invalid("email", "enter a valid e-mail address")
	}
	if n := utf8.RuneCountInString(in.Password); n < 8 || n > 128 {
		return market.Invalid("password", "the password must have 8 to 128 characters")
	}
	if in.Company == "" || utf8.RuneCountInString(in.Company) > MaxNameLength {
		return market.Invalid("company", "the company name is required (at most 100 characters)")
	}
	if _, ok := address.CountryName(in.Country); !ok {
		return market.Invalid("country", "country must be an ISO 3166-1 alpha-2 code such as CH or DE")
	}
	if !money.ValidCurrency(in.Currency) {
		return market.Invalid("currency", "currency must be an ISO 4217 code such as EUR or CHF")
	}
	return nil
}

// Signup creates a customer, its owner login and its standard SIP trunk
// account. Errors: invalid_request (param names the field; "email" when the
// address is taken), or a currency the catalog is not sold in.
func (s *Service) Signup(ctx context.Context, in SignupInput) (market.Customer, market.User, error) {
	if err := in.Validate(); err != nil {
		return market.Customer{}, market.User{}, err
	}
	plans, err := s.store.Read().Plans(ctx, true)
	if err != nil {
		return market.Customer{}, market.User{}, err
	}
	if cs := catalogCurrencies(plans); len(cs) > 0 && !contains(cs, in.Currency) {
		return market.Customer{}, market.User{}, market.Invalid("currency", "accounts can be opened in %s", strings.Join(cs, ", "))
	}
	hash, err := s.hashPassword(ctx, in.Password)
	if err != nil {
		return market.Customer{}, market.User{}, err
	}
	now := s.now()
	c := market.Customer{ID: s.ids.New("cus"), Company: in.Company, Country: in.Country, Currency: in.Currency, Email: in.Email, CreatedAt: now}
	u := market.User{ID: s.ids.New("usr"), CustomerID: c.ID, Name: in.Company, Email: in.Email, PasswordHash: hash, Role: "owner", CreatedAt: now}
	err = s.store.Tx(ctx, func(q *store.Q) error {
		if err := q.InsertCustomer(ctx, c); err != nil {
			return err
		}
		ext, err := q.NextExtension(ctx, c.ID)
		if err != nil {
			return err
		}
		u.Extension = fmt.Sprint(ext)
		if err := q.InsertUser(ctx, u); err != nil {
			var me *market.Error
			if errors.As(err, &me) && me.Code == market.CodeConflict {
				return market.Invalid("email", "an account with this e-mail already exists; log in instead")
			}
			return err
		}
		return q.InsertSIPAccount(ctx, s.newSIPAccount(market.SIPAccount{ID: s.ids.New("sip"), CustomerID: c.ID, Kind: "trunk",
			Username: "trunk-" + id.Secret(5), CreatedAt: now}))
	})
	return c, u, err
}

func (s *Service) hashPassword(ctx context.Context, pw string) (hash string, err error) {
	err = s.hashing(ctx, func() { hash, err = argon2id.CreateHash(pw, s.cfg.Argon2) })
	return hash, err
}

func (s *Service) checkPassword(ctx context.Context, pw, hash string) (ok bool, err error) {
	err = s.hashing(ctx, func() { ok, err = argon2id.ComparePasswordAndHash(pw, hash) })
	return ok, err
}

// hashing runs an argon2id hash (64 MiB of memory each) when one of the
// hashSem slots is free. When the last hash of a burst ends, the memory
// the hashes took is handed back to the system a moment later
// (debug.FreeOSMemory): Go's scavenger would keep it for minutes, and a
// burst of log-ins would leave serve at several hundred MiB.
func (s *Service) hashing(ctx context.Context, fn func()) error {
	select {
	case s.hashSem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	s.hashes.Add(1)
	defer func() {
		<-s.hashSem
		if s.hashes.Add(-1) == 0 && s.freeing.CompareAndSwap(false, true) {
			time.AfterFunc(200*time.Millisecond, func() {
				s.freeing.Store(false)
				if s.hashes.Load() == 0 {
					debug.FreeOSMemory()
				}
			})
		}
	}()
	fn()
	return nil
}

// Login checks an e-mail and password and opens a session. from is the
// client's address ("" if unknown), for the throttling of failed log-ins
// (throttle.go). It returns the session token (shown once) and the
// customer. Sessions last SessionTTL of wall-clock time: moving the
// sandbox clock ends none. Errors: unauthenticated, rate_limited (with
// Extra "retry_after" in seconds).
func (s *Service) Login(ctx context.Context, email, password, from string) (string, market.Customer, error) {
	now := s.wallNow()
	keys := throttleKeys(email, from)
	// A throttled e-mail is refused before its password is checked; a
	// throttled address only when the password is wrong (throttle.go).
	if err := s.checkThrottle(ctx, keys, now, perEmail); err != nil {
		return "", market.Customer{}, err
	}
	u, ok, err := s.checkLogin(ctx, email, password)
	if err != nil {
		return "", market.Customer{}, err
	}
	if !ok {
		addrErr := s.checkThrottle(ctx, keys, now, perAddress)
		if addrErr != nil && !market.IsCode(addrErr, market.CodeRateLimited) {
			return "", market.Customer{}, addrErr
		}
		// The guess counts for its e-mail; a refused one not for the
		// address, which already waits.
		charge := keys
		if addrErr != nil {
			charge = map[throttleRule]string{perEmail: keys[perEmail]}
		}
		if err := s.countFailure(ctx, charge, now); err != nil {
			return "", market.Customer{}, err
		}
		if addrErr != nil {
			return "", market.Customer{}, addrErr
		}
		return "", market.Customer{}, &market.Error{Code: market.CodeUnauthenticated, Message: "wrong e-mail or password"}
	}
	token := "dt_" + id.Secret(32)
	err = s.store.Tx(ctx, func(q *store.Q) error {
		// The right password ends the e-mail's failures (not the
		// address's: a guesser's own account must not wipe its count).
		if err := q.ClearThrottle(ctx, keys[perEmail]); err != nil {
			return err
		}
		return q.InsertSession(ctx, market.Session{TokenHash: hashToken(token), UserID: u.ID, CustomerID: u.CustomerID,
			CreatedAt: now, ExpiresAt: now.Add(s.cfg.SessionTTL)})
	})
	if err != nil {
		return "", market.Customer{}, err
	}
	c, err := s.store.Read().Customer(ctx, u.CustomerID)
	return token, c, err
}

// checkLogin reports whether password is the one of the login with that
// e-mail, taking as long whether or not the login exists.
func (s *Service) checkLogin(ctx context.Context, email, password string) (market.User, bool, error) {
	u, err := s.store.Read().LoginByEmail(ctx, normEmail(email))
	if market.IsCode(err, market.CodeNotFound) {
		_, _ = s.checkPassword(ctx, password, s.dummyHash)
		return market.User{}, false, nil
	}
	if err != nil {
		return market.User{}, false, err
	}
	ok, err := s.checkPassword(ctx, password, u.PasswordHash)
	if err != nil && ctx.Err() != nil {
		return market.User{}, false, err
	}
	return u, err == nil && ok, nil
}

// Authenticate returns the principal of a session token. Error:
// unauthenticated.
func (s *Service) Authenticate(ctx context.Context, token string) (Principal, error) {
	if token == "" || len(token) > 200 {
		return Principal{}, errUnauthenticated
	}
	h := hashToken(token)
	sess, u, err := s.store.Read().SessionByHash(ctx, h)
	if market.IsCode(err, market.CodeNotFound) || (err == nil && !s.wallNow().Before(sess.ExpiresAt)) {
		return Principal{}, errUnauthenticated
	}
	if err != nil {
		return Principal{}, err
	}
	return Principal{CustomerID: sess.CustomerID, UserID: u.ID, Role: u.Role, TokenHash: h}, nil
}

// Logout ends the session of a token.
func (s *Service) Logout(ctx context.Context, p Principal) error {
	if p.TokenHash == "" {
		return nil
	}
	return s.store.Tx(ctx, func(q *store.Q) error { return q.DeleteSession(ctx, p.TokenHash) })
}

func contains[T comparable](s []T, v T) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
