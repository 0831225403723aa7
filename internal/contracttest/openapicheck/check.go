// Package openapicheck validates HTTP responses against the OpenAPI
// document dialtone serves at /v1/openapi.json, for tests: the server's own
// HTTP tests, the black-box contract suite and the browser tests. A
// response fails when its status, a header, its content type or a field of
// its body is not in the document (kin-openapi's openapi3filter, with JSON
// Schema 2020-12 for OpenAPI 3.1, and a check of the headers it does not
// make).
package openapicheck

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// DocPath is where the server serves its document.
const DocPath = "/v1/openapi.json"

// transportHeaders are set by net/http itself, not by the API, and need no
// documentation.
var transportHeaders = map[string]bool{
	"Content-Type": true, "Content-Length": true, "Date": true, "Transfer-Encoding": true,
	"Connection": true, "Keep-Alive": true, "Trailer": true,
}

// Checker validates responses against one document.
type Checker struct {
	doc    *openapi3.T
	routes []route
	errSch *openapi3.SchemaRef

	mu      sync.Mutex
	succeed map[string]bool // operation IDs answered with a 2xx
}

type route struct {
	re      *regexp.Regexp
	literal int // characters outside {params}: the more, the more specific
	path    string
	item    *openapi3.PathItem
	params  []string
}

var (
	mu      sync.Mutex
	cache   = map[[32]byte]*Checker{}
	decoder sync.Once
)

// New parses a served document. Checkers are cached by the document's
// bytes, so many test servers share one.
func New(raw []byte) (*Checker, error) {
	decoder.Do(func() {
		openapi3filter.RegisterBodyDecoder("application/pdf", openapi3filter.FileBodyDecoder)
		openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.FileBodyDecoder)
	})
	key := sha256.Sum256(raw)
	mu.Lock()
	defer mu.Unlock()
	if c := cache[key]; c != nil {
		return c, nil
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(raw)
	if err != nil {
		return nil, fmt.Errorf("openapicheck: load the document: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapicheck: the document is invalid: %w", err)
	}
	c := &Checker{doc: doc, succeed: map[string]bool{}}
	if doc.Components != nil && doc.Components.Schemas["APIError"] != nil {
		c.errSch = doc.Components.Schemas["APIError"]
	}
	param := regexp.MustCompile(`\{([^}]+)\}`)
	for path, item := range doc.Paths.Map() {
		r := route{path: path, item: item, literal: len(param.ReplaceAllString(path, ""))}
		var re strings.Builder
		re.WriteString("^")
		last := 0
		for _, m := range param.FindAllStringSubmatchIndex(path, -1) {
			re.WriteString(regexp.QuoteMeta(path[last:m[0]]))
			re.WriteString("([^/]+)")
			r.params = append(r.params, path[m[2]:m[3]])
			last = m[1]
		}
		re.WriteString(regexp.QuoteMeta(path[last:]))
		re.WriteString("$")
		r.re = regexp.MustCompile(re.String())
		c.routes = append(c.routes, r)
	}
	sort.Slice(c.routes, func(i, j int) bool { return c.routes[i].literal > c.routes[j].literal })
	cache[key] = c
	return c, nil
}

// Fetch reads the document from a running server (baseURL without a
// trailing slash) and returns its Checker.
func Fetch(client *http.Client, baseURL string) (*Checker, error) {
	res, err := client.Get(baseURL + DocPath)
	if err != nil {
		return nil, fmt.Errorf("openapicheck: %w", err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("openapicheck: GET %s: %d %v", DocPath, res.StatusCode, err)
	}
	return New(raw)
}

// Checked reports whether a request's response is checked: everything
// under /v1 but the document and its viewer.
func Checked(path string) bool {
	if !strings.HasPrefix(path, "/v1/") {
		return false
	}
	for _, p := range []string{"/v1/openapi", "/v1/docs", "/v1/schemas/"} {
		if strings.HasPrefix(path, p) {
			return false
		}
	}
	return true
}

// Check validates one response (status, headers and body) to req. It
// returns nil for requests that are not checked (see Checked).
func (c *Checker) Check(req *http.Request, status int, header http.Header, body []byte) error {
	if !Checked(req.URL.Path) {
		return nil
	}
	r, vals := c.find(req.URL.Path)
	var op *openapi3.Operation
	if r != nil {
		op = r.item.GetOperation(req.Method)
	}
	if op == nil {
		// No such operation: only the contract's error answers it.
		if status < 400 {
			return fmt.Errorf("%s %s is not in the document, yet answered %d", req.Method, req.URL.Path, status)
		}
		return c.checkError(status, header, body)
	}
	if status < 300 {
		c.mu.Lock()
		c.succeed[op.OperationID] = true
		c.mu.Unlock()
	}
	params := map[string]string{}
	for i, n := range r.params {
		params[n] = vals[i]
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params,
			Route: &routers.Route{Spec: c.doc, Path: r.path, PathItem: r.item, Method: req.Method, Operation: op},
		},
		Status:  status,
		Header:  header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(body)
	var errs []error
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		errs = append(errs, err)
	}
	if ref := op.Responses.Status(status); ref != nil && ref.Value != nil {
		errs = append(errs, undocumentedHeaders(header, ref.Value.Headers))
		if len(body) > 0 && len(ref.Value.Content) == 0 {
			errs = append(errs, fmt.Errorf("a body where the document has none: %.200s", body))
		}
	}
	if err := errors.Join(errs...); err != nil {
		msg := err.Error() // kin-openapi's carry the schema and the value: keep it readable
		if len(msg) > 1500 {
			msg = msg[:1500] + " …"
		}
		return fmt.Errorf("%s %s (operation %s) answered %d: %s", req.Method, req.URL.Path, op.OperationID, status, msg)
	}
	return nil
}

// checkError validates an answer of a route the document does not have:
// it must be the contract's error, as JSON.
func (c *Checker) checkError(status int, header http.Header, body []byte) error {
	if ct := header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return fmt.Errorf("error %d of an unknown route as %q, not application/json", status, ct)
	}
	if c.errSch == nil {
		return nil
	}
	v, err := decodeJSON(body)
	if err != nil {
		return fmt.Errorf("error %d of an unknown route: %w", status, err)
	}
	var opts []openapi3.SchemaValidationOption
	if c.doc.IsOpenAPI31OrLater() {
		opts = append(opts, openapi3.EnableJSONSchema2020())
	}
	if err := c.errSch.Value.VisitJSON(v, append(opts, openapi3.VisitAsResponse())...); err != nil {
		return fmt.Errorf("error %d of an unknown route: %w", status, err)
	}
	return nil
}

// Untried returns the IDs of the document's operations that no checked
// response answered with success yet, sorted.
func (c *Checker) Untried() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, r := range c.routes {
		for _, op := range r.item.Operations() {
			if !c.succeed[op.OperationID] {
				out = append(out, op.OperationID)
			}
		}
	}
	sort.Strings(out)
	return out
}

func (c *Checker) find(path string) (*route, []string) {
	for i := range c.routes {
		if m := c.routes[i].re.FindStringSubmatch(path); m != nil {
			return &c.routes[i], m[1:]
		}
	}
	return nil, nil
}

func undocumentedHeaders(h http.Header, documented openapi3.Headers) error {
	known := map[string]bool{}
	for k := range documented {
		known[textproto.CanonicalMIMEHeaderKey(k)] = true
	}
	var bad []string
	for k := range h {
		k = textproto.CanonicalMIMEHeaderKey(k)
		if !transportHeaders[k] && !known[k] {
			bad = append(bad, k)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	return fmt.Errorf("undocumented response headers: %s", strings.Join(bad, ", "))
}

// Transport wraps base (nil: http.DefaultTransport) so that every checked
// response it carries is validated; report receives each failure (it may
// be called from several goroutines). The body is read and given back
// unread to the caller.
func (c *Checker) Transport(base http.RoundTripper, report func(error)) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return roundTripper(func(req *http.Request) (*http.Response, error) {
		res, err := base.RoundTrip(req)
		if err != nil || !Checked(req.URL.Path) {
			return res, err
		}
		body, rerr := io.ReadAll(res.Body)
		res.Body.Close()
		res.Body = io.NopCloser(bytes.NewReader(body))
		if rerr != nil {
			return res, nil
		}
		if err := c.Check(req, res.StatusCode, res.Header, body); err != nil {
			report(err)
		}
		return res, nil
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func decodeJSON(b []byte) (any, error) {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("not JSON: %w: %.200s", err, b)
	}
	return v, nil
}
