package server_test

import (
	"encoding/json"
	"testing"

	"github.com/dialtone/dialtone/internal/store/storetest"
)

func TestTmpOA(t *testing.T) {
	a := newAPI(t, storetest.Open(t, "sqlite"))
	r := a.do("GET", "/v1/openapi.json", "", nil)
	p := r.body["paths"].(map[string]any)["/v1/admin/orders/{id}/refunds"]
	b, _ := json.MarshalIndent(p, "", " ")
	t.Log(string(b)[:1500])
	s := r.body["components"].(map[string]any)["schemas"].(map[string]any)["RefundInput"]
	b, _ = json.MarshalIndent(s, "", " ")
	t.Log(string(b))
}
