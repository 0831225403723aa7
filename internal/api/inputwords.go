package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/validation"
)

// Bad input is answered in words that name the field (API.md "Errors"),
// never in the words of encoding/json or of huma's validator: "json: cannot
// unmarshal number 99999999999999999999 into Go struct field
// ItemInput.items.amount of type int64" becomes "items[0].amount is too
// large" with param items[0].amount.

// sayInWords replaces huma's validation messages by ours. The messages are
// predicates that follow the field's name ("items[0].quantity must be a
// whole number"); huma formats some of them into each schema when it is
// registered, so this runs before the first schema is built (hooked).
func sayInWords() {
	validation.MsgUnexpectedProperty = "is not a field of this request"
	validation.MsgExpectedRFC3339DateTime = "must be a date and time in RFC 3339, like 2026-03-10T09:00:00Z"
	validation.MsgExpectedRFC1123DateTime = "must be a date and time in RFC 1123, like Tue, 10 Mar 2026 09:00:00 GMT"
	validation.MsgExpectedRFC3339Date = "must be a date in RFC 3339, like 2026-03-10"
	validation.MsgExpectedRFC3339Time = "must be a time in RFC 3339, like 09:00:00Z"
	// %.0v: the reason comes from a Go parser; the field's name says enough.
	validation.MsgExpectedRFC5322Email = "must be an e-mail address%.0v"
	validation.MsgExpectedRFC5890Hostname = "must be a host name"
	validation.MsgExpectedRFC2673IPv4 = "must be an IPv4 address"
	validation.MsgExpectedRFC2373IPv6 = "must be an IPv6 address"
	validation.MsgExpectedRFCIPAddr = "must be an IP address"
	validation.MsgExpectedRFC3986URI = "must be a URL%.0v"
	validation.MsgExpectedRFC4122UUID = "must be a UUID%.0v"
	validation.MsgExpectedRFC6570URITemplate = "must be a URI template"
	validation.MsgExpectedRFC6901JSONPointer = "must be a JSON pointer"
	validation.MsgExpectedRFC6901RelativeJSONPointer = "must be a relative JSON pointer"
	validation.MsgExpectedRegexp = "must be a regular expression%.0v"
	validation.MsgExpectedMatchAtLeastOneSchema = "is none of the accepted forms"
	validation.MsgExpectedMatchExactlyOneSchema = "is none of the accepted forms"
	validation.MsgExpectedNotMatchSchema = "is of a form not accepted here"
	validation.MsgExpectedPropertyNameInObject = "lacks its discriminating field"
	validation.MsgExpectedBoolean = "must be true or false"
	validation.MsgExpectedDuration = "must be a duration%.0v"
	validation.MsgExpectedNumber = "must be a number"
	validation.MsgExpectedInteger = "must be a whole number"
	validation.MsgExpectedString = "must be a string"
	validation.MsgExpectedBase64String = "must be base64 text"
	validation.MsgExpectedArray = "must be a list"
	validation.MsgExpectedObject = "must be an object"
	validation.MsgExpectedArrayItemsUnique = "must not name an item twice"
	validation.MsgExpectedOneOf = "must be one of %s"
	validation.MsgExpectedMinimumNumber = "must be at least %v"
	validation.MsgExpectedExclusiveMinimumNumber = "must be more than %v"
	validation.MsgExpectedMaximumNumber = "must be at most %v"
	validation.MsgExpectedExclusiveMaximumNumber = "must be less than %v"
	validation.MsgExpectedNumberBeMultipleOf = "must be a multiple of %v"
	validation.MsgExpectedMinLength = "must be at least %d characters long"
	validation.MsgExpectedMaxLength = "must be at most %d characters long"
	validation.MsgExpectedBePattern = "must be %s"
	validation.MsgExpectedMatchPattern = "must match the pattern %s"
	validation.MsgExpectedMinItems = "must have at least %d items"
	validation.MsgExpectedMaxItems = "must have at most %d items"
	validation.MsgExpectedMinProperties = "must have at least %d fields"
	validation.MsgExpectedMaxProperties = "must have at most %d fields"
	validation.MsgExpectedRequiredProperty = "%s is required"
	validation.MsgExpectedDependentRequiredProperty = "needs %s when %s is given"
}

// humaPhrases are huma's own messages outside its validator (parameters,
// content types), in words.
var humaPhrases = map[string]string{
	"invalid integer":         "must be a whole number",
	"invalid float":           "must be a number",
	"invalid floating value":  "must be a number",
	"invalid boolean":         "must be true or false",
	"unparsable value":        "cannot be read",
	"unsupported type":        "cannot be read",
	"unknown query parameter": "is not a parameter of this request",
	"invalid url.URL value":   "must be a URL",
	"expected at most one value, but received multiple values": "must be given once",
	"required query parameter is missing":                      "is required",
	"required path parameter is missing":                       "is required",
	"required header parameter is missing":                     "is required",
	"required cookie parameter is missing":                     "is required",
}

// humaMessages are huma's messages of a whole request, in words.
var humaMessages = map[string]string{
	"request body is required":   "the body is required: send a JSON object",
	"request body read timeout":  "the body took too long to arrive",
	"validation failed":          "the request is not valid",
	"unexpected error occurred":  "something went wrong on our side",
	"unable to marshal response": "the response cannot be given in the format asked for",
}

// wordsOfMessage puts a message of huma about the whole request in words.
func wordsOfMessage(msg string) string {
	if w, ok := humaMessages[msg]; ok {
		return w
	}
	if rest, ok := strings.CutPrefix(msg, "request body is too large limit="); ok {
		return "the body is too large: at most " + strings.TrimSuffix(rest, " bytes") + " bytes"
	}
	return msg
}

// detailWords names the field of one of huma's validation details and
// says what is wrong with it: the field's name followed by the predicate.
func detailWords(d *huma.ErrorDetail) (param, message string) {
	if p, m, ok := strings.Cut(d.Message, bodyErrorMark); ok && p == "" {
		param, message, _ = strings.Cut(m, bodyErrorMark)
		return param, message
	}
	param = paramOfDetail(d)
	words := d.Message
	if m := requiredProp.FindStringSubmatch(words); m != nil {
		words = "is required"
	}
	if w, ok := humaPhrases[words]; ok {
		words = w
	}
	switch {
	case strings.HasPrefix(words, "unknown content type"):
		return param, "the body must be JSON, sent with Content-Type: application/json"
	case strings.HasPrefix(words, "invalid date/time for format "):
		words = timeFormatWords(strings.TrimPrefix(words, "invalid date/time for format "))
	case strings.HasPrefix(words, "invalid value:"):
		words = "is not in the form this request takes"
	case strings.HasPrefix(words, "must be one of ") && strings.HasSuffix(words, ", "):
		// An enum ending in "" (a filter left out): the empty choice is
		// no word.
		words = strings.TrimSuffix(words, ", ") + ", or left out"
	}
	words = strings.NewReplacer("at least 1 items", "at least one item", "at most 1 items", "at most one item").Replace(words)
	switch {
	case param != "":
		return param, param + " " + words
	case d.Location == "body" || d.Location == "":
		return "", "the body " + words
	}
	return "", d.Location + " " + words
}

// timeFormatWords says which form a time parameter takes, from the Go
// layout huma parsed it with.
func timeFormatWords(layout string) string {
	switch layout {
	case time.RFC3339, time.RFC3339Nano:
		return validation.MsgExpectedRFC3339DateTime
	case time.DateOnly:
		return validation.MsgExpectedRFC3339Date
	case time.RFC1123, time.RFC1123Z:
		return validation.MsgExpectedRFC1123DateTime
	}
	return "is not in the form this request takes: " + layout
}

// bodyErrorMark frames the field of a bodyError in its text: huma keeps
// only the text of a decoding error, and detailWords reads the field back.
const bodyErrorMark = "\x1f"

// bodyError is a JSON body that cannot be decoded: param is the field at
// fault ("" for the body as a whole), message what is wrong, in words.
type bodyError struct{ param, message string }

func (e *bodyError) Error() string {
	return bodyErrorMark + e.param + bodyErrorMark + e.message
}

// jsonFormat is huma's JSON format with decoding errors in words.
var jsonFormat = huma.Format{Marshal: huma.DefaultJSONFormat.Marshal, Unmarshal: decodeJSON}

// decodeJSON decodes data into v like json.Unmarshal; an error names the
// field at fault and says what is wrong in words (a *bodyError).
func decodeJSON(data []byte, v any) error {
	err := json.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	return describeJSONError(data, err)
}

// describeJSONError turns an error of encoding/json about data into a
// *bodyError.
func describeJSONError(data []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		rest := data[min(int(max(se.Offset-1, 0)), len(data)):]
		if strings.HasSuffix(se.Error(), "end of JSON input") || len(rest) == 0 {
			return &bodyError{message: "the body ends before its JSON is complete"}
		}
		return &bodyError{message: fmt.Sprintf("the body is not valid JSON: %s at byte %d does not belong there", charWords(rest), se.Offset)}
	case errors.As(err, &te):
		param, ok := pathAt(data, te.Offset)
		if !ok {
			param = te.Field
		}
		words := typeWords(te)
		if param == "" {
			return &bodyError{message: "the body " + words}
		}
		return &bodyError{param: param, message: param + " " + words}
	}
	return &bodyError{message: "the body cannot be read as this request"}
}

// charWords names the first character of b for a message.
func charWords(b []byte) string {
	c := b[0]
	if c >= 0x21 && c < 0x7f {
		return strconv.Quote(string(c))
	}
	return fmt.Sprintf("the character 0x%02x", c)
}

// typeWords says why a JSON value does not fit the Go type it was meant
// for: a number out of the type's range, a fraction where a whole number
// goes, or a value of another kind.
func typeWords(te *json.UnmarshalTypeError) string {
	t := te.Type
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "cannot be read"
	}
	lit, isNumber := strings.CutPrefix(te.Value, "number ")
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if isNumber {
			return intWords(lit, t)
		}
		return "must be a whole number"
	case reflect.Float32, reflect.Float64:
		if isNumber {
			if strings.HasPrefix(lit, "-") {
				return "is too small"
			}
			return "is too large"
		}
		return "must be a number"
	case reflect.String:
		return "must be a string"
	case reflect.Bool:
		return "must be true or false"
	case reflect.Slice, reflect.Array:
		return "must be a list"
	case reflect.Struct, reflect.Map:
		return "must be an object"
	}
	return "cannot be read"
}

// intWords says why the JSON number lit does not fit the integer type t.
func intWords(lit string, t reflect.Type) string {
	f, _, err := big.ParseFloat(lit, 10, 128, big.ToNearestEven)
	if err != nil {
		return "must be a whole number"
	}
	signed := t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64
	bits := uint(t.Bits())
	lo, hi := new(big.Float), new(big.Float).SetInt(new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), bits), big.NewInt(1)))
	if signed {
		hi.SetInt(new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), bits-1), big.NewInt(1)))
		lo.SetInt(new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), bits-1)))
	}
	switch {
	case !f.IsInt():
		return "must be a whole number"
	case f.Cmp(hi) > 0:
		return "is too large"
	case !signed && f.Sign() < 0:
		return "must not be negative"
	case f.Cmp(lo) < 0:
		return "is too small"
	}
	return "must be written as a whole number, without a decimal point or exponent"
}

// pathAt returns the path ("items[0].amount", "[2]", "" for the body) of
// the value of data that encoding/json reports at offset: the byte after a
// number, string or literal (or the one after that), or after the bracket
// that opens an object or list. ok is false when no value is there.
func pathAt(data []byte, offset int64) (path string, ok bool) {
	type frame struct {
		obj     bool
		wantKey bool
		key     string
		idx     int
	}
	var stack []frame
	done := func() { // a value ended: the next one is a key or the next element
		if n := len(stack); n > 0 {
			if stack[n-1].obj {
				stack[n-1].wantKey = true
			} else {
				stack[n-1].idx++
			}
		}
	}
	render := func() string {
		var b strings.Builder
		for _, f := range stack {
			switch {
			case !f.obj:
				fmt.Fprintf(&b, "[%d]", f.idx)
			case b.Len() == 0:
				b.WriteString(f.key)
			default:
				b.WriteString("." + f.key)
			}
		}
		return b.String()
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		d, isDelim := tok.(json.Delim)
		if isDelim && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			done()
			continue
		}
		if n := len(stack); n > 0 && stack[n-1].wantKey {
			stack[n-1].key, _ = tok.(string)
			stack[n-1].wantKey = false
			continue
		}
		// encoding/json reports a number too large for an interface{} one
		// byte later than the number's end.
		if end := dec.InputOffset(); end == offset || !isDelim && end == offset-1 {
			return render(), true
		}
		if isDelim {
			stack = append(stack, frame{obj: d == '{', wantKey: d == '{'})
			continue
		}
		done()
	}
}
