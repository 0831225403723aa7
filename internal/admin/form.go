package admin

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/web"
)

// form is the state of a submitted form: what was entered (to fill the
// fields again) and what was wrong, by field, as the portal's (web.Form).
type form = web.Form

func newForm(v url.Values) *form { return web.NewForm(v) }

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
