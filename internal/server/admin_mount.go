package server

import (
	"net/http"
	"strings"

	"github.com/dialtone/dialtone/internal/admin"
	"github.com/dialtone/dialtone/internal/web"
)

// adminRoutes mounts the operator's back office (package admin) at
// /admin. Its pages are behind the server's middleware (request IDs,
// metrics, cross-origin refusal, text checks); it authenticates its
// operators and enforces their roles itself (admin/roles.go), so
// authorize lets its routes through (forBackOffice).
func (s *Server) adminRoutes() {
	cfg := admin.Config{
		Sandbox:    s.cfg.Sandbox,
		ClientAddr: func(r *http.Request) string { return web.ClientOf(r.Context()) },
		Secure: func(r *http.Request) bool {
			secure := web.Secure(r.Context())
			return secure
		},
		Status: web.PageStatus,
	}
	if s.cfg.Sandbox && s.cfg.SandboxClock != nil {
		cfg.AdvanceClock = s.api.AdvanceClockForm
	}
	adm, err := admin.New(s.svc, s.log, cfg)
	if err != nil {
		panic(err) // the templates are embedded: a parse error is a build error
	}
	s.handle("/admin/", forBackOffice, adm)
	s.handle("/admin", forBackOffice, adm)
}

// isBackOffice reports whether a path is the back office's.
func isBackOffice(path string) bool {
	return path == "/admin" || strings.HasPrefix(path, "/admin/")
}
