package contracttest

import (
	"net/http"
	"testing"
)

// Regression tests from the issue 12 audit (a new integrator's first hour,
// written from API.md only).

// TestAuditNULNamesItsField: a NUL character (\u0000, valid JSON) in one field
// of a JSON body is a wrong field: 400 invalid_request whose param names it
// (API.md, Conventions: "missing or wrong field; param names it"), not a
// body-wide "text must be UTF-8 without NUL characters" with no param.
func TestAuditNULNamesItsField(t *testing.T) {
	each(t, func(t *testing.T, s *server) {
		tok := s.customer("nul", "EUR")
		s.fails(400, "invalid_request", "name", "POST", "/v1/billing_addresses", tok,
			"{\"name\":\"Acme\\u0000GmbH\",\"line1\":\"Unter den Linden 1\",\"city\":\"Berlin\",\"postal_code\":\"10117\",\"country\":\"DE\"}")
		s.fails(400, "invalid_request", "city", "POST", "/v1/billing_addresses", tok,
			"{\"name\":\"Acme GmbH\",\"line1\":\"Unter den Linden 1\",\"city\":\"Ber\\u0000lin\",\"postal_code\":\"10117\",\"country\":\"DE\"}")
		s.fails(400, "invalid_request", "company", "POST", "/v1/signup", "",
			"{\"email\":\"nul-company@contract.test\",\"password\":\"correct horse battery\",\"company\":\"A\\u0000B\",\"country\":\"DE\",\"currency\":\"EUR\"}")
		if n := len(s.must(200, "GET", "/v1/billing_addresses", tok, nil).data()); n != 0 {
			t.Errorf("%d addresses made from bad input", n)
		}
	})
}

// TestAuditBearerSchemeAnyCase: the authentication scheme is
// case-insensitive (RFC 9110 §11.1), so "bearer <token>" is the same
// credential as "Bearer <token>"; some HTTP clients send it in lower case.
func TestAuditBearerSchemeAnyCase(t *testing.T) {
	each(t, func(t *testing.T, s *server) {
		tok := s.customer("scheme", "EUR")
		for _, scheme := range []string{"Bearer", "bearer", "BEARER"} {
			req, _ := http.NewRequest("GET", s.base+"/v1/account", nil)
			req.Header.Set("Authorization", scheme+" "+tok)
			res, err := s.c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 200 {
				t.Errorf("Authorization: %s <token>: %d, want 200", scheme, res.StatusCode)
			}
			req, _ = http.NewRequest("GET", s.base+"/v1/admin/clock", nil)
			req.Header.Set("Authorization", scheme+" "+adminToken)
			res, err = s.c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 200 {
				t.Errorf("Authorization: %s <admin token>: %d, want 200", scheme, res.StatusCode)
			}
		}
	})
}
