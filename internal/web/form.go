package web

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"
)

// Form is the state of a submitted form, as the portal's and the back
// office's pages show it: what was entered (to fill the fields again) and
// what was wrong, by field.
type Form struct {
	Values url.Values
	Errors map[string]string
	// Error is a failure that concerns no one field (shown at the top).
	Error string
	// Code is the contract's error code of the failure, if any.
	Code string

	// What only the portal's forms show:

	// Missing is what an insufficient balance lacks (with a top-up link).
	Missing  int64
	Currency string
	// Return is where a top-up for this form returns to.
	Return string
	// Notice is a step that went well, shown above the form.
	Notice string
	// CardOnly says the form is paid by card only (a top-up): its errors
	// must not suggest paying from the balance.
	CardOnly bool
}

// FieldState is a field's name and error, for the "err" template.
type FieldState struct{ Name, Msg string }

// NewForm is the state of a form with the values v and no errors.
func NewForm(v url.Values) *Form {
	if v == nil {
		v = url.Values{}
	}
	return &Form{Values: v, Errors: map[string]string{}}
}

// Get returns a submitted value.
func (f *Form) Get(key string) string {
	if f == nil {
		return ""
	}
	return f.Values.Get(key)
}

// Err returns the error of a field.
func (f *Form) Err(key string) string {
	if f == nil {
		return ""
	}
	return f.Errors[key]
}

// Is reports whether the submitted value of key equals v (for selects and
// radio buttons).
func (f *Form) Is(key, v string) bool { return f != nil && f.Values.Get(key) == v }

// Has reports whether one of the submitted values of key is v (a group
// of checkboxes).
func (f *Form) Has(key, v string) bool {
	if f == nil {
		return false
	}
	for _, x := range f.Values[key] {
		if x == v {
			return true
		}
	}
	return false
}

// HasErrors reports whether anything is wrong.
func (f *Form) HasErrors() bool { return f != nil && (f.Error != "" || len(f.Errors) > 0) }

// Field is the "field" template function: a field's name with its error.
func Field(f *Form, name string) FieldState {
	return FieldState{Name: name, Msg: f.Err(name)}
}

// Invalid is the "invalid" template function: the attributes that mark a
// field with an error for assistive technology.
func Invalid(f *Form, name string) template.HTMLAttr {
	if f.Err(name) == "" {
		return ""
	}
	return template.HTMLAttr(`aria-invalid="true" aria-describedby="` + template.HTMLEscapeString(name) + `-error"`)
}

// Dict makes a map of key, value pairs for a partial template that needs
// more than one value.
func Dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, errors.New("dict: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, errors.New("dict: keys are strings")
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

// LocalPath returns to if it is a path on this site, else fallback: a
// "return to" parameter must never send the visitor elsewhere.
func LocalPath(to, fallback string) string {
	if to == "" || !strings.HasPrefix(to, "/") || strings.HasPrefix(to, "//") || strings.HasPrefix(to, "/\\") {
		return fallback
	}
	u, err := url.Parse(to)
	if err != nil || u.Host != "" || u.Scheme != "" {
		return fallback
	}
	return to
}

// ToLogin sends a visitor to the log-in page, and a page's visitor back to
// that page after logging in.
func ToLogin(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
}
