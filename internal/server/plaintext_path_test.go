package server

import "testing"

// TestBadTextNamesItsPath: the text check names the JSON field holding a
// NUL or invalid UTF-8 in the path style of other errors.
func TestBadTextNamesItsPath(t *testing.T) {
	for _, c := range []struct{ body, want string }{
		{`{"name":"a\u0000b"}`, "name"},
		{`{"a":1,"b":{"c":[1,{"d":"x"}]},"city":"Ber\u0000lin"}`, "city"},
		{`{"items":[{"plan":"ivr"},{"type":"x","plan":"st\u0000art"}]}`, "items[1].plan"},
		{`{"items":[["ok","n\u0000"]]}`, "items[0][1]"},
		{"{\"name\":\"a\xffb\"}", "name"},
		{`{"a\u0000":"b"}`, ""},
		{`{"x":{"a\u0000":"b"}}`, "x"},
	} {
		got, ok := cleanBody("application/json", []byte(c.body))
		if ok || got != c.want {
			t.Errorf("%s: param %q ok %v, want %q refused", c.body, got, ok, c.want)
		}
	}
	if _, ok := cleanBody("application/json", []byte(`{"name":"fine","n":[1,2]}`)); !ok {
		t.Error("clean body refused")
	}
	if got, ok := cleanValues("a=1&format=x%00y"); ok || got != "format" {
		t.Errorf("query: %q %v, want format refused", got, ok)
	}
}
