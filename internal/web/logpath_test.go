package web

import (
	"net/http/httptest"
	"testing"
)

// TestLogPathHidesLinkTokens: the token of an invitation or reset link
// never reaches the logs.
func TestLogPathHidesLinkTokens(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ path, want string }{
		{"/v1/password_resets/abcdef123", "/v1/password_resets/…"},
		{"/password_resets/abcdef123", "/password_resets/…"},
		{"/invitations/abcdef123", "/invitations/…"},
		{"/v1/password_resets", "/v1/password_resets"},
		{"/v1/orders/ord_1", "/v1/orders/ord_1"},
	} {
		if got := LogPath(httptest.NewRequest("GET", c.path, nil)); got != c.want {
			t.Errorf("LogPath(%s) = %q, want %q", c.path, got, c.want)
		}
	}
}
