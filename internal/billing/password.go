package billing

import (
	"context"
	"unicode/utf8"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
)

// ChangePassword replaces the password of the principal's login after
// checking the current one, and ends every other session of that login
// (a stolen session, or another browser), keeping the one in use. The new
// password follows the sign-up rule (8 to 128 characters) and must differ
// from the current one. Errors: invalid_request with param
// "current_password" (wrong) or "new_password" (too short, too long, the
// same), unauthenticated (no login behind the principal).
func (s *Service) ChangePassword(ctx context.Context, p Principal, current, next string) error {
	if p.Operator || p.CustomerID == "" || p.UserID == "" {
		return errUnauthenticated
	}
	u, err := s.store.Read().User(ctx, p.CustomerID, p.UserID)
	if market.IsCode(err, market.CodeNotFound) || (err == nil && u.PasswordHash == "") {
		return errUnauthenticated
	}
	if err != nil {
		return err
	}
	// The current password is checked before the new one is judged, so
	// that a session left open cannot learn anything without it.
	ok, err := s.checkPassword(ctx, current, u.PasswordHash)
	if err != nil {
		return err
	}
	if !ok {
		return market.Invalid("current_password", "the current password is wrong")
	}
	if n := utf8.RuneCountInString(next); n < 8 || n > 128 {
		return market.Invalid("new_password", "the password must have 8 to 128 characters")
	}
	if next == current {
		return market.Invalid("new_password", "the new password must differ from the current one")
	}
	hash, err := s.hashPassword(ctx, next)
	if err != nil {
		return err
	}
	return s.store.Tx(ctx, func(q *store.Q) error {
		if err := q.SetPasswordHash(ctx, p.CustomerID, p.UserID, hash); err != nil {
			if market.IsCode(err, market.CodeNotFound) {
				return errUnauthenticated
			}
			return err
		}
		_, err := q.DeleteOtherSessions(ctx, p.UserID, p.TokenHash)
		return err
	})
}
