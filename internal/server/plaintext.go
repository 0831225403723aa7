package server

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
)

// errBadText is the answer to text we could not store alike on both
// stores: PostgreSQL refuses NUL characters and invalid UTF-8 in text,
// SQLite keeps them, so both refuse them here, before anything runs.
var errBadText = market.Invalid("", "text must be UTF-8 without NUL characters")

// asContract turns a store's refusal of text into the contract's
// invalid_request; other errors pass unchanged.
func asContract(err error) error {
	if store.BadText(err) {
		return errBadText
	}
	return err
}

// plainText refuses (400 invalid_request; an error page in the portal) a
// request whose path, query, Idempotency-Key or body holds a NUL character
// or invalid UTF-8: in a JSON body a "\u0000" escape too, in a form body
// its decoded fields.
func (s *Server) plainText(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok := cleanText(r.URL.Path) && cleanText(r.Header.Get("Idempotency-Key")) && cleanValues(r.URL.RawQuery)
		if ok && r.Body != nil && r.Body != http.NoBody && r.Method != http.MethodGet && r.Method != http.MethodHead {
			// Only the first maxBody bytes are looked at; the handlers
			// refuse longer bodies anyway.
			head, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
			if err != nil {
				writeError(w, r, s.log, market.Invalid("", "the request body is unreadable"))
				return
			}
			r.Body = struct {
				io.Reader
				io.Closer
			}{io.MultiReader(bytes.NewReader(head), r.Body), r.Body}
			ok = cleanBody(r.Header.Get("Content-Type"), head)
		}
		if ok {
			next.ServeHTTP(w, r)
			return
		}
		if isAPI(r.URL.Path) {
			writeError(w, r, s.log, errBadText)
			return
		}
		s.render(w, r, http.StatusBadRequest, "error", view{Title: "That did not work",
			Data: "The page was sent text it cannot take: letters must be UTF-8, without NUL characters."})
	})
}

// cleanText reports whether s is UTF-8 without NUL characters.
func cleanText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// cleanValues reports whether every name and value of a query string or
// form body, decoded, is clean text. A string that does not parse is left
// to the handlers, which refuse it in their own words.
func cleanValues(raw string) bool {
	vs, err := url.ParseQuery(raw)
	if err != nil {
		return true
	}
	for k, list := range vs {
		if !cleanText(k) {
			return false
		}
		for _, v := range list {
			if !cleanText(v) {
				return false
			}
		}
	}
	return true
}

// cleanBody reports whether a request body is clean text: UTF-8 without
// NUL bytes, and for a form its decoded fields, for JSON no NUL escape.
func cleanBody(contentType string, body []byte) bool {
	if len(body) == 0 {
		return true
	}
	if !utf8.Valid(body) || bytes.IndexByte(body, 0) >= 0 {
		return false
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	switch {
	case mt == "application/x-www-form-urlencoded":
		return cleanValues(string(body))
	case mt == "" || mt == "application/json" || strings.HasSuffix(mt, "+json"):
		return !bytes.Contains(bytes.ToLower(body), []byte(`\u0000`))
	}
	return true
}
