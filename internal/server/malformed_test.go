package server_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/internal/store/storetest"
)

// goWords are the words of encoding/json and of huma's validator that must
// never reach a client: bad input is answered in our words.
var goWords = []string{"json:", "Go struct", "Go value", "unmarshal", "expected ", "invalid character", "of type int", "of type string"}

// openAPIDoc is the served document, read as plain JSON.
type openAPIDoc struct {
	Paths      map[string]map[string]openAPIOp `json:"paths"`
	Components struct {
		Schemas map[string]*schema `json:"schemas"`
	} `json:"components"`
}

type openAPIOp struct {
	OperationID string             `json:"operationId"`
	Security    []map[string][]any `json:"security"`
	Parameters  []openAPIParam     `json:"parameters"`
	RequestBody *struct {
		Required bool `json:"required"`
		Content  map[string]struct {
			Schema *schema `json:"schema"`
		} `json:"content"`
	} `json:"requestBody"`
}

type openAPIParam struct {
	Name     string  `json:"name"`
	In       string  `json:"in"`
	Required bool    `json:"required"`
	Schema   *schema `json:"schema"`
}

// schema is the part of a JSON schema the battery reads.
type schema struct {
	Ref        string             `json:"$ref"`
	Type       any                `json:"type"` // "string" or ["string", "null"]
	Format     string             `json:"format"`
	Enum       []any              `json:"enum"`
	Properties map[string]*schema `json:"properties"`
	Required   []string           `json:"required"`
	Items      *schema            `json:"items"`
	MinItems   int                `json:"minItems"`
	MinLength  int                `json:"minLength"`
	Minimum    *float64           `json:"minimum"`
	Maximum    *float64           `json:"maximum"`
}

func (d *openAPIDoc) resolve(s *schema) *schema {
	for s != nil && s.Ref != "" {
		s = d.Components.Schemas[strings.TrimPrefix(s.Ref, "#/components/schemas/")]
	}
	return s
}

func (s *schema) kind() string {
	switch t := s.Type.(type) {
	case string:
		return t
	case []any:
		for _, v := range t {
			if v != "null" {
				return fmt.Sprint(v)
			}
		}
	}
	if s.Properties != nil {
		return "object"
	}
	return ""
}

// valid returns a value the schema accepts (the battery spoils one field
// of it at a time, so that the field is the only thing wrong).
func (d *openAPIDoc) valid(s *schema) any {
	s = d.resolve(s)
	if s == nil {
		return nil
	}
	if len(s.Enum) > 0 {
		return s.Enum[0]
	}
	switch s.kind() {
	case "object":
		m := map[string]any{}
		for name, p := range s.Properties {
			m[name] = d.valid(p)
		}
		return m
	case "array":
		n := max(s.MinItems, 1)
		out := make([]any, n)
		for i := range out {
			out[i] = d.valid(s.Items)
		}
		return out
	case "integer", "number":
		v := 1.0
		if s.Minimum != nil && *s.Minimum > v {
			v = *s.Minimum
		}
		if s.Maximum != nil && *s.Maximum < v {
			v = *s.Maximum
		}
		return v
	case "boolean":
		return false
	case "string":
		switch s.Format {
		case "date-time":
			return "2026-03-10T09:00:00Z"
		case "date":
			return "2026-03-10"
		case "email":
			return "someone@example.test"
		}
		return strings.Repeat("x", max(s.MinLength, 2))
	}
	return nil
}

// spoiled is one malformed body: what was spoiled and which field is at
// fault ("" for the body as a whole).
type spoiled struct {
	what, body, param string
	mustFail          bool // false for null: a null may stand for an absent optional field
}

// spoil returns bodies that are the valid body v with one field, at path,
// of schema s, replaced by a value of the wrong kind.
func (d *openAPIDoc) spoil(s *schema, root any, path []any) []spoiled {
	s = d.resolve(s)
	if s == nil {
		return nil
	}
	var out []spoiled
	name := pathName(path)
	with := func(what string, raw string, mustFail bool) {
		b, _ := json.Marshal(setAt(root, path, json.RawMessage(raw)))
		out = append(out, spoiled{what: name + " " + what, body: string(b), param: name, mustFail: mustFail})
	}
	kind := s.kind()
	if len(path) > 0 { // the body as a whole is spoiled separately
		switch kind {
		case "string":
			with("as a number", `5`, true)
			with("as an object", `{"a":1}`, true)
		case "integer":
			with("as a string", `"12"`, true)
			with("with 20 digits", `99999999999999999999`, true)
			with("with 20 digits below zero", `-99999999999999999999`, true)
			with("as a fraction", `1.5`, true)
			with("beyond a float", `1e400`, true)
			with("with an exponent", `1e2`, true)
		case "number":
			with("as a string", `"12"`, true)
			with("beyond a float", `1e400`, true)
		case "boolean":
			with("as a string", `"yes"`, true)
			with("as a number", `1`, true)
		case "array":
			with("as an object", `{}`, true)
			with("as a string", `"x"`, true)
		case "object":
			with("as a list", `[]`, true)
			with("as a string", `"x"`, true)
		}
		with("as null", `null`, false)
	}
	switch kind {
	case "object":
		// A field the request does not have is refused, not ignored.
		b, _ := json.Marshal(setAt(root, path, setAt(valueAt(root, path), []any{"no_such_field"}, 1)))
		unknown := pathName(append(append([]any{}, path...), "no_such_field"))
		out = append(out, spoiled{what: unknown + " added", body: string(b), param: unknown, mustFail: true})
		keys := make([]string, 0, len(s.Properties))
		for k := range s.Properties {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			out = append(out, d.spoil(s.Properties[k], root, append(append([]any{}, path...), k))...)
		}
	case "array":
		out = append(out, d.spoil(s.Items, root, append(append([]any{}, path...), 0))...)
	}
	return out
}

// pathName writes a path the way the API's param does: items[0].amount.
func pathName(path []any) string {
	var b strings.Builder
	for _, p := range path {
		switch p := p.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", p)
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(p)
		}
	}
	return b.String()
}

// valueAt returns the value at path in v.
func valueAt(v any, path []any) any {
	for _, p := range path {
		switch p := p.(type) {
		case string:
			v = v.(map[string]any)[p]
		case int:
			v = v.([]any)[p]
		}
	}
	return v
}

// setAt returns a deep copy of v with the value at path replaced by x.
func setAt(v any, path []any, x any) any {
	if len(path) == 0 {
		return x
	}
	switch p := path[0].(type) {
	case string:
		m := map[string]any{}
		for k, e := range v.(map[string]any) {
			m[k] = e
		}
		m[p] = setAt(m[p], path[1:], x)
		return m
	case int:
		l := append([]any{}, v.([]any)...)
		l[p] = setAt(l[p], path[1:], x)
		return l
	}
	return v
}

// TestMalformedBodies posts a battery of malformed bodies to every POST,
// PUT and PATCH operation of the served OpenAPI document, with the token
// the route wants: the whole body broken (empty, truncated, not JSON, a
// list or a string instead of an object) and each field, one at a time,
// of the wrong kind (a number for a string, a string for a number, 20
// digits, a fraction where a whole number goes, a list for an object...).
// Each answer is 4xx in the contract's shape, names the field at fault in
// param, and speaks in words, not in those of encoding/json or huma.
func TestMalformedBodies(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	tok := a.signup("malformed@acme.test", "EUR")
	var doc openAPIDoc
	if r := a.do("GET", "/v1/openapi.json", "", nil); r.status != 200 || json.Unmarshal(r.raw, &doc) != nil {
		t.Fatalf("openapi: %d", r.status)
	}
	paths := make([]string, 0, len(doc.Paths))
	for p := range doc.Paths {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	ops, tried := 0, 0
	for _, path := range paths {
		for _, method := range []string{"post", "put", "patch"} {
			op, ok := doc.Paths[path][method]
			if !ok {
				continue
			}
			token := tok
			switch {
			case strings.HasPrefix(path, "/v1/admin/"):
				token = adminToken
			case len(op.Security) == 0:
				token = ""
			}
			url := path
			for _, p := range op.Parameters {
				if p.In == "path" {
					v, _ := doc.valid(p.Schema).(string)
					url = strings.ReplaceAll(url, "{"+p.Name+"}", v)
				}
			}
			if op.RequestBody == nil {
				continue // no body to spoil
			}
			ops++
			s := op.RequestBody.Content["application/json"].Schema
			valid := doc.valid(s)
			whole, _ := json.Marshal(valid)
			cases := []spoiled{
				{"truncated", string(whole[:len(whole)/2]), "", true},
				{"cut after the first byte", string(whole[:1]), "", true},
				{"not JSON", `{"a" 1}`, "", true},
				{"a stray character", string(whole) + "x", "", true},
				{"a string", `"x"`, "", true},
				{"a number", `5`, "", true},
				{"null", `null`, "", true},
				{"white space", "  \n", "", true},
			}
			if doc.resolve(s).kind() == "array" {
				cases = append(cases, spoiled{"an object", `{}`, "", true})
			} else {
				cases = append(cases, spoiled{"a list", `[]`, "", true})
			}
			if op.RequestBody.Required {
				cases = append(cases, spoiled{"empty", "", "", true})
			}
			spoilt := doc.spoil(s, valid, nil)
			if _, csv := op.RequestBody.Content["text/csv"]; csv {
				// An inventory import ignores columns it does not know,
				// as a spreadsheet's extra columns are.
				spoilt = slices.DeleteFunc(spoilt, func(c spoiled) bool { return strings.HasSuffix(c.what, "no_such_field added") })
			}
			cases = append(cases, spoilt...)
			tried += len(cases)
			for _, c := range cases {
				name := strings.ToUpper(method) + " " + path + " " + c.what
				a.t = t
				r := a.do(strings.ToUpper(method), url, token, c.body)
				checkBadInput(t, name, c, r)
			}
		}
	}
	if ops < 20 {
		t.Errorf("only %d operations with a body in the document", ops)
	}
	t.Logf("%d malformed bodies to %d operations", tried, ops)
}

// checkBadInput checks the answer to one malformed request.
func checkBadInput(t *testing.T, name string, c spoiled, r resp) {
	t.Helper()
	if r.status < 400 {
		if c.mustFail {
			t.Errorf("%s: %d %s; want 4xx", name, r.status, r.raw)
		}
		return
	}
	if r.status >= 500 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Errorf("%s: %d %s %s; want 4xx as JSON", name, r.status, r.header.Get("Content-Type"), r.raw)
		return
	}
	e, _ := r.body["error"].(map[string]any)
	msg, _ := e["message"].(string)
	if r.errCode() == "" || msg == "" {
		t.Errorf("%s: %s; want the contract's error shape", name, r.raw)
	}
	for _, w := range goWords {
		if strings.Contains(msg, w) {
			t.Errorf("%s: message %q has %q; want words", name, msg, w)
		}
	}
	if r.errCode() == "rate_limited" {
		return // the log-in throttle answered before the body was read
	}
	if c.param != "" && c.mustFail && r.errParam() != c.param {
		t.Errorf("%s: %d %s; want param %s", name, r.status, r.raw, c.param)
	}
}

// TestMalformedQueries sends parameters of the wrong kind to every GET
// operation of the document that takes a number, or one of a few values:
// each is 400 naming the parameter, in words.
func TestMalformedQueries(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	tok := a.signup("malformed-query@acme.test", "EUR")
	var doc openAPIDoc
	if r := a.do("GET", "/v1/openapi.json", "", nil); r.status != 200 || json.Unmarshal(r.raw, &doc) != nil {
		t.Fatalf("openapi: %d", r.status)
	}
	n := 0
	for path, item := range doc.Paths {
		op, ok := item["get"]
		if !ok {
			continue
		}
		token := tok
		switch {
		case strings.HasPrefix(path, "/v1/admin/"):
			token = adminToken
		case len(op.Security) == 0:
			token = ""
		}
		base := path
		for _, p := range op.Parameters {
			if p.In == "path" {
				v, _ := doc.valid(p.Schema).(string)
				base = strings.ReplaceAll(base, "{"+p.Name+"}", v)
			}
		}
		required := url.Values{}
		for _, p := range op.Parameters {
			if p.In == "query" && p.Required {
				required.Set(p.Name, fmt.Sprint(doc.valid(p.Schema)))
			}
		}
		for _, p := range op.Parameters {
			s := doc.resolve(p.Schema)
			if p.In != "query" || s == nil {
				continue
			}
			var bad []string
			switch {
			case len(s.Enum) > 0:
				bad = []string{"no-such-value"}
			case s.kind() == "integer":
				bad = []string{"abc", "1.5", "99999999999999999999", "-99999999999999999999"}
			case s.kind() == "boolean":
				bad = []string{"perhaps"}
			case s.Format == "date-time":
				bad = []string{"yesterday"}
			}
			for _, v := range bad {
				n++
				q := url.Values{p.Name: {v}}
				for k, v := range required {
					if k != p.Name {
						q[k] = v
					}
				}
				r := a.do("GET", base+"?"+q.Encode(), token, nil)
				checkBadInput(t, "GET "+path+" "+p.Name+"="+v, spoiled{param: p.Name, mustFail: true}, r)
			}
		}
	}
	if n == 0 {
		t.Error("no query parameter tried")
	}
}
