package openapicheck_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/internal/contracttest/openapicheck"
)

const doc = `{"openapi":"3.1.0","info":{"title":"t","version":"1"},
"components":{"schemas":{"APIError":{"type":"object","additionalProperties":false,"required":["error"],
  "properties":{"error":{"type":"object","properties":{"code":{"type":"string"},"message":{"type":"string"}}}}},
  "Thing":{"type":"object","additionalProperties":false,"required":["id"],"properties":{"id":{"type":"string"},"note":{"type":["string","null"]}}}}},
"paths":{"/v1/things/{id}":{"get":{"operationId":"getThing","parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"string"}}],
  "responses":{"200":{"description":"ok","headers":{"X-Request-Id":{"schema":{"type":"string"}}},
    "content":{"application/json":{"schema":{"$ref":"#/components/schemas/Thing"}}}},
  "404":{"description":"nf","content":{"application/json":{"schema":{"$ref":"#/components/schemas/APIError"}}}}}}},
 "/v1/things/{id}.pdf":{"get":{"operationId":"getThingPDF","parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"string"}}],
  "responses":{"200":{"description":"ok","content":{"application/pdf":{"schema":{"type":"string","format":"binary"}}}}}}}}}`

func TestCheck(t *testing.T) {
	c, err := openapicheck.New([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	get := httptest.NewRequest("GET", "/v1/things/t_1", nil)
	json := http.Header{"Content-Type": {"application/json"}}
	for _, tc := range []struct {
		name   string
		req    *http.Request
		status int
		header http.Header
		body   string
		bad    string // "" when the response is valid
	}{
		{"OK", get, 200, http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"x"}}, `{"id":"t_1","note":null}`, ""},
		{"ErrField", get, 200, json, `{"id":"t_1","extra":1}`, "extra"},
		{"ErrMissing", get, 200, json, `{}`, "id"},
		{"ErrStatus", get, 409, json, `{"error":{"code":"conflict","message":"m"}}`, "status"},
		{"ErrHeader", get, 200, http.Header{"Content-Type": {"application/json"}, "Retry-After": {"2"}}, `{"id":"a"}`, "Retry-After"},
		{"ErrContentType", get, 404, http.Header{"Content-Type": {"application/pdf"}}, `{"error":{"code":"not_found","message":"m"}}`, "application/pdf"},
		{"PDF", httptest.NewRequest("GET", "/v1/things/t_1.pdf", nil), 200, http.Header{"Content-Type": {"application/pdf"}}, "%PDF-1.4", ""},
		{"UnknownRouteError", httptest.NewRequest("GET", "/v1/nothing", nil), 404, json, `{"error":{"code":"not_found","message":"m"}}`, ""},
		{"ErrUnknownRouteOK", httptest.NewRequest("GET", "/v1/nothing", nil), 200, json, `{}`, "not in the document"},
		{"NotChecked", httptest.NewRequest("GET", "/login", nil), 200, http.Header{"X-Anything": {"1"}}, "<html>", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := c.Check(tc.req, tc.status, tc.header, []byte(tc.body))
			switch {
			case tc.bad == "" && err != nil:
				t.Errorf("got %v, want no error", err)
			case tc.bad != "" && (err == nil || !strings.Contains(err.Error(), tc.bad)):
				t.Errorf("got %v, want an error naming %q", err, tc.bad)
			}
		})
	}
}

func TestUntried(t *testing.T) {
	c, err := openapicheck.New([]byte(strings.Replace(doc, `"title":"t"`, `"title":"untried"`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Untried(), ","); got != "getThing,getThingPDF" {
		t.Errorf("untried %q before any request", got)
	}
	_ = c.Check(httptest.NewRequest("GET", "/v1/things/t_1", nil), 200, http.Header{"Content-Type": {"application/json"}}, []byte(`{"id":"t_1"}`))
	_ = c.Check(httptest.NewRequest("GET", "/v1/things/t_1.pdf", nil), 404, http.Header{"Content-Type": {"application/json"}}, []byte(`{}`))
	if got := strings.Join(c.Untried(), ","); got != "getThingPDF" {
		t.Errorf("untried %q, want getThingPDF (its only answer was an error)", got)
	}
}
