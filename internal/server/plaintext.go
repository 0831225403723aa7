package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/dialtone/dialtone/internal/api"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/web"
)

// plainText refuses (400 invalid_request; an error page in the portal) a
// request whose path, query, Idempotency-Key or body holds a NUL character
// or invalid UTF-8: in a JSON body a "\u0000" escape too, in a form body
// its decoded fields.
func (s *Server) plainText(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		param, ok := "", cleanText(r.URL.Path)
		if ok && !cleanText(r.Header.Get("Idempotency-Key")) {
			param, ok = "Idempotency-Key", false
		}
		if ok {
			param, ok = cleanValues(r.URL.RawQuery)
		}
		if ok && r.Body != nil && r.Body != http.NoBody && r.Method != http.MethodGet && r.Method != http.MethodHead {
			// Only the first maxBody bytes are looked at; the handlers
			// refuse longer bodies anyway.
			head, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
			if err != nil {
				api.WriteError(w, r, s.log, market.Invalid("", "the request body is unreadable"))
				return
			}
			r.Body = struct {
				io.Reader
				io.Closer
			}{io.MultiReader(bytes.NewReader(head), r.Body), r.Body}
			param, ok = cleanBody(r.Header.Get("Content-Type"), head)
		}
		if ok {
			next.ServeHTTP(w, r)
			return
		}
		if web.IsAPI(r.URL.Path) {
			api.WriteError(w, r, s.log, web.BadTextIn(param))
			return
		}
		s.portal.BadText(w, r)
	})
}

// cleanText reports whether s is UTF-8 without NUL characters.
func cleanText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// cleanValues reports whether every name and value of a query string or
// form body, decoded, is clean text, and if not the name holding the bad
// text ("" when the name itself is bad). A string that does not parse is
// left to the handlers, which refuse it in their own words.
func cleanValues(raw string) (string, bool) {
	vs, err := url.ParseQuery(raw)
	if err != nil {
		return "", true
	}
	for k, list := range vs {
		if !cleanText(k) {
			return "", false
		}
		for _, v := range list {
			if !cleanText(v) {
				return k, false
			}
		}
	}
	return "", true
}

// cleanBody reports whether a request body is clean text: UTF-8 without
// NUL bytes, and for a form its decoded fields, for JSON no NUL escape;
// if not, the field holding the bad text when it can be named.
func cleanBody(contentType string, body []byte) (string, bool) {
	if len(body) == 0 {
		return "", true
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	isJSON := mt == "" || mt == "application/json" || strings.HasSuffix(mt, "+json")
	clean := utf8.Valid(body) && bytes.IndexByte(body, 0) < 0
	if clean && isJSON {
		clean = !bytes.Contains(bytes.ToLower(body), []byte(`\u0000`))
	}
	if !clean {
		// Only a refused body is walked, to name its field.
		if isJSON {
			if param, bad := badJSONString(body); bad {
				return param, false
			}
		}
		return "", false
	}
	if mt == "application/x-www-form-urlencoded" {
		return cleanValues(string(body))
	}
	return "", true
}

// badJSONString walks a JSON body token by token and reports the path
// ("name", "items[0].plan") of the first string, key or value, holding a
// NUL character or invalid UTF-8; a bad key names the object holding it.
// It stops, reporting nothing, where the body stops being JSON: the
// byte checks of cleanBody and the handlers take it from there.
func badJSONString(body []byte) (string, bool) {
	type level struct {
		object bool
		key    string // the current key of an object
		index  int    // the next index of an array
		expect bool   // an object expects a key next
	}
	var stack []level
	path := func() string {
		var b strings.Builder
		for _, l := range stack {
			if l.object {
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(l.key)
			} else {
				fmt.Fprintf(&b, "[%d]", l.index-1)
			}
		}
		return b.String()
	}
	// value is called before each value: it advances the enclosing
	// array's index.
	value := func() {
		if n := len(stack); n > 0 && !stack[n-1].object {
			stack[n-1].index++
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	prev := int64(0)
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		off := dec.InputOffset()
		raw := body[prev:off]
		prev = off
		top := len(stack) - 1
		isKey := top >= 0 && stack[top].object && stack[top].expect
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				if !isKey {
					value()
				}
				stack = append(stack, level{object: t == '{', expect: t == '{'})
			case '}', ']':
				stack = stack[:top]
			}
			if t == '}' || t == ']' {
				if n := len(stack); n > 0 && stack[n-1].object {
					stack[n-1].expect = true
				}
			}
			continue
		case string:
			if isKey {
				stack[top].key, stack[top].expect = t, false
				if !utf8.Valid(raw) || strings.ContainsRune(t, 0) {
					stack[top].key = ""
					stack = stack[:top]
					return path(), true
				}
				continue
			}
			value()
			if !utf8.Valid(raw) || strings.ContainsRune(t, 0) {
				return path(), true
			}
		default:
			value()
		}
		if top >= 0 && stack[top].object {
			stack[top].expect = true
		}
	}
}
