package billing_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestChangePassword: a wrong current password and a bad new one change
// nothing and name their field; a change makes the old password useless
// and the new one work, and ends every other session of the login but the
// one in use.
func TestChangePassword(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		p := e.mustSignup(t, "pw@acme.test", "CH", "CHF")
		login := func(pw string) (string, error) {
			tok, _, err := e.svc.Login(ctx, "pw@acme.test", pw, "192.0.2.1")
			return tok, err
		}
		mine, err := login("correct horse")
		if err != nil {
			t.Fatal(err)
		}
		other, err := login("correct horse")
		if err != nil {
			t.Fatal(err)
		}
		if p, err = e.svc.Authenticate(ctx, mine); err != nil {
			t.Fatal(err)
		}

		tests := []struct {
			name, current, next string
			param               string // "" = OK
			works               string // the password that logs in afterwards
		}{
			{"ErrWrongCurrent", "wrong horse", "battery staple", "current_password", "correct horse"},
			{"ErrTooShort", "correct horse", "short", "new_password", "correct horse"},
			{"ErrTooLong", "correct horse", strings.Repeat("é", 129), "new_password", "correct horse"},
			{"ErrSame", "correct horse", "correct horse", "new_password", "correct horse"},
			{"OK", "correct horse", "battery staple", "", "battery staple"},
			{"ErrOldAfterChange", "correct horse", "another one", "current_password", "battery staple"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := e.svc.ChangePassword(ctx, p, tt.current, tt.next)
				if tt.param == "" && err != nil {
					t.Fatalf("ChangePassword: %v", err)
				}
				if tt.param != "" {
					var me *market.Error
					if code(err) != market.CodeInvalidRequest || !errors.As(err, &me) || me.Param != tt.param {
						t.Fatalf("ChangePassword: %v, want invalid_request on %q", err, tt.param)
					}
				}
				if _, err := login(tt.works); err != nil {
					t.Errorf("log in with %q: %v", tt.works, err)
				}
				for _, pw := range []string{"correct horse", "battery staple"} {
					if pw == tt.works {
						continue
					}
					if _, err := login(pw); code(err) != market.CodeUnauthenticated {
						t.Errorf("log in with %q: %v, want unauthenticated", pw, err)
					}
				}
			})
		}

		if _, err := e.svc.Authenticate(ctx, mine); err != nil {
			t.Errorf("the session that changed the password: %v, want it kept", err)
		}
		if _, err := e.svc.Authenticate(ctx, other); code(err) != market.CodeUnauthenticated {
			t.Errorf("another session of the login: %v, want it ended", err)
		}
		if err := e.svc.ChangePassword(ctx, billing.Principal{Operator: true}, "x", "yyyyyyyy"); code(err) != market.CodeUnauthenticated {
			t.Errorf("the operator: %v, want unauthenticated", err)
		}
	})
}
