// Package inventory reads the operator's inventory of phone numbers (the CSV
// or JSON posted to POST /v1/admin/numbers), validates and normalizes each
// number, and builds the demo inventory. It knows which countries' numbers
// can be sold; their calling codes and numbering plans come from
// libphonenumber (github.com/nyaruka/phonenumbers), their names and the
// states under which AU, CA and US file their numbers from
// internal/address. Of ours it imports only address and money.
package inventory

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dialtone/dialtone/internal/address"
	"github.com/dialtone/dialtone/internal/money"
)

// Number types, the values of Row.Type.
const (
	TypeLocal    = "local"
	TypeMobile   = "mobile"
	TypeTollFree = "toll_free"
)

// TypeRule says, for the API's documentation, how an import's type column
// must agree with the number's kind in its country's numbering plan
// (libphonenumber's number type; see kindTypes).
const TypeRule = "The `type` must agree with the kind of the number in its country's numbering plan " +
	"(libphonenumber): a fixed-line number is `local`, a mobile one `mobile`, a toll-free one `toll_free`; " +
	"a number the plan does not tell to be fixed-line or mobile (all of North America's) may be `local` or " +
	"`mobile`. Numbers of other kinds (premium rate, shared cost, VoIP, personal, pager, UAN, voicemail) and " +
	"numbers in no range of the plan are refused (`number`); a type that contradicts the kind is refused (`type`)."

// MaxAmount is the largest setup or monthly amount of a number, in minor
// units (100,000.00 in a two-decimal currency).
const MaxAmount = 10_000_000

// MaxAreaLen is the longest area name Validate accepts, in characters.
const MaxAreaLen = 100

// Row is one number of the inventory as imported.
type Row struct {
	Number        string // E.164, "+493012345678"
	Country       string // ISO 3166-1 alpha-2, upper case
	State         string // "" unless the country has states; then a state/province code ("CA", "ON", "NSW")
	Area          string // city or region, e.g. "Berlin"
	Type          string // "local" | "mobile" | "toll_free"
	SetupAmount   int64  // minor units
	MonthlyAmount int64  // minor units
	Currency      string // ISO 4217 upper case
	Line          int    // where the row stood in an imported file (see RowError), 0 elsewhere
}

// RowError reports a rejected row: Line is the 1-based line (CSV, header =
// line 1) or 1-based index (JSON); Field the column name or "" for the whole
// row. Number is the row's number, normalized when it could be, so the
// operator can find the row.
type RowError struct {
	Line    int
	Number  string
	Field   string
	Message string
}

// Error formats the rejection as "line 3: +4930123: country: required".
func (e RowError) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Number != "" {
		b.WriteString(e.Number + ": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// Validate normalizes one row and checks it. Normalizing trims every text
// field, upper-cases country, state and currency, lower-cases type (and
// spells "toll-free", "tollfree" and "toll free" as "toll_free"), and writes
// the number in E.164 (see E164). The checks: the number is E.164, belongs
// to the country (CallingCode) and is a valid number of the country's
// numbering plan as libphonenumber knows it (its length, its range; a
// trunk prefix 0 after the calling code is named as such); the state is one
// of the country's states when HasStates, else empty; the area is present,
// at most MaxAreaLen characters, without control characters; the type is
// one of the Type constants and agrees with the kind of the number in the
// plan (TypeRule); both amounts are in [0, MaxAmount]; the currency is three
// letters A-Z.
//
// It returns the normalized row, and a *RowError (Line 0) naming the first
// field that fails, or nil. The row is returned normalized as far as it
// could be even when it is rejected.
func Validate(r Row) (Row, *RowError) {
	num, problem := parseE164(r.Number)
	if problem != "" {
		num = clip(strings.TrimSpace(r.Number), 40)
	}
	r.Number = num
	r.Country = strings.ToUpper(strings.TrimSpace(r.Country))
	r.State = strings.ToUpper(strings.TrimSpace(r.State))
	r.Area = strings.TrimSpace(r.Area)
	r.Type = normalizeType(r.Type)
	r.Currency = strings.ToUpper(strings.TrimSpace(r.Currency))

	fail := func(field, msg string) (Row, *RowError) {
		return r, &RowError{Number: r.Number, Field: field, Message: msg}
	}
	if problem != "" {
		return fail("number", problem)
	}
	if r.Country == "" {
		return fail("country", "required")
	}
	plan, ok := plans()[r.Country]
	if !ok {
		return fail("country", fmt.Sprintf("%q is not a supported country", clip(r.Country, 10)))
	}
	kind, msg := plan.checkNumber(r.Number)
	if msg != "" {
		return fail("number", msg)
	}
	if msg := checkState(r.Country, r.State); msg != "" {
		return fail("state", msg)
	}
	if msg := checkArea(r.Area); msg != "" {
		return fail("area", msg)
	}
	switch r.Type {
	case TypeLocal, TypeMobile, TypeTollFree:
	case "":
		return fail("type", "required")
	default:
		return fail("type", "must be local, mobile or toll_free")
	}
	if msg := checkType(r.Type, kind, plan.name); msg != "" {
		return fail("type", msg)
	}
	if msg := checkAmount(r.SetupAmount); msg != "" {
		return fail("setup_amount", msg)
	}
	if msg := checkAmount(r.MonthlyAmount); msg != "" {
		return fail("monthly_amount", msg)
	}
	if msg := checkCurrency(r.Currency); msg != "" {
		return fail("currency", msg)
	}
	return r, nil
}

// normalizeType lower-cases a type and accepts the usual spellings of
// toll-free.
func normalizeType(s string) string {
	t := strings.ToLower(strings.TrimSpace(s))
	switch t {
	case "toll-free", "tollfree", "toll free":
		return TypeTollFree
	}
	return t
}

func checkState(country, state string) string {
	if !HasStates(country) {
		if state != "" {
			return "must be empty: " + country + " has no states"
		}
		return ""
	}
	if state == "" {
		return "required for " + country
	}
	if _, ok := address.PhoneState(country, state); !ok {
		return fmt.Sprintf("%q is not a state of %s", clip(state, 10), country)
	}
	return ""
}

func checkArea(area string) string {
	switch {
	case area == "":
		return "required"
	case !utf8.ValidString(area):
		return "must be UTF-8"
	case utf8.RuneCountInString(area) > MaxAreaLen:
		return fmt.Sprintf("must be at most %d characters", MaxAreaLen)
	case strings.IndexFunc(area, unicode.IsControl) >= 0:
		return "must not contain control characters"
	}
	return ""
}

func checkAmount(a int64) string {
	switch {
	case a < 0:
		return "must not be negative"
	case a > MaxAmount:
		return fmt.Sprintf("must be at most %d (minor units)", MaxAmount)
	}
	return ""
}

func checkCurrency(c string) string {
	if c == "" {
		return "required"
	}
	if len(c) != 3 || strings.IndexFunc(c, func(r rune) bool { return r < 'A' || r > 'Z' }) >= 0 || !money.ValidCurrency(c) {
		return "must be an ISO 4217 currency code (EUR)"
	}
	return ""
}

// clip shortens s to at most n bytes without splitting a UTF-8 sequence, so
// that an absurd input does not end up whole in an error message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
