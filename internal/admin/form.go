package admin

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/dialtone/dialtone/internal/market"
)

// form is the state of a submitted form: what was entered (to fill the
// fields again) and what was wrong, by field, as the portal's.
type form struct {
	Values url.Values
	Errors map[string]string
	// Error is a failure that concerns no one field (shown at the top).
	Error string
	// Code is the contract's error code of the failure, if any.
	Code string
}

// fieldState is a field's name and error, for the "err" template.
type fieldState struct{ Name, Msg string }

func newForm(v url.Values) *form {
	if v == nil {
		v = url.Values{}
	}
	return &form{Values: v, Errors: map[string]string{}}
}

// Get returns a submitted value.
func (f *form) Get(key string) string {
	if f == nil {
		return ""
	}
	return f.Values.Get(key)
}

// Err returns the error of a field.
func (f *form) Err(key string) string {
	if f == nil {
		return ""
	}
	return f.Errors[key]
}

// Is reports whether the submitted value of key equals v (selects).
func (f *form) Is(key, v string) bool { return f != nil && f.Values.Get(key) == v }

// fail records err on the form: next to the field it names when fields
// maps the use case's param to one of the form's, else at the top. It
// returns the page's status; an error without a contract code is 0 (the
// caller shows pageError instead).
func (a *Admin) fail(f *form, err error, fields map[string]string) int {
	var me *market.Error
	if !errors.As(err, &me) || me.Code == market.CodeInternal {
		return 0
	}
	f.Code = string(me.Code)
	msg := sentence(me.Message, string(me.Code))
	if name, ok := fields[me.Param]; ok {
		f.Errors[name] = msg
	} else {
		f.Error = msg
	}
	if st := a.status(err); st >= 400 && st < 500 {
		return st
	}
	return http.StatusBadRequest
}
