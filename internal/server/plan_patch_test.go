package server_test

import (
	"encoding/json"
	"testing"

	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestPlanPatchRefusesEmptyingAndCode: PATCH /v1/admin/plans/{code} with
// an empty name or product, or with a code in the body, is 400 naming the
// field, not a 200 that silently ignored it; the plan is unchanged.
func TestPlanPatchRefusesEmptyingAndCode(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st)
		start := func() string {
			r := a.do("GET", "/v1/admin/plans?limit=1000", adminToken, nil)
			data, _ := r.body["data"].([]any)
			for _, p := range data {
				if m, _ := p.(map[string]any); m["code"] == "start" {
					b, _ := json.Marshal(m)
					return string(b)
				}
			}
			t.Fatalf("no plan start: %s", r.raw)
			return ""
		}
		before := start()
		for _, c := range []struct {
			param string
			body  map[string]any
		}{
			{"name", map[string]any{"name": "", "description": "changed"}},
			{"name", map[string]any{"name": "  "}},
			{"product", map[string]any{"product": ""}},
			{"code", map[string]any{"code": "start2"}},
			{"code", map[string]any{"code": "start", "description": "changed"}},
		} {
			r := a.do("PATCH", "/v1/admin/plans/start", adminToken, c.body)
			if r.status != 400 || r.errCode() != "invalid_request" || r.errParam() != c.param {
				t.Errorf("%v: %d %s, want 400 invalid_request on %s", c.body, r.status, r.raw, c.param)
			}
		}
		if after := start(); after != before {
			t.Errorf("refused PATCHes changed the plan:\n%s\n%s", before, after)
		}
		if r := a.do("PATCH", "/v1/admin/plans/start", adminToken, map[string]any{"name": "Start plus"}); r.status != 200 || r.body["name"] != "Start plus" {
			t.Errorf("a new name: %d %s", r.status, r.raw)
		}
	})
}
