package admin

import (
	"net/http"

	"github.com/dialtone/dialtone/internal/billing"
)

func (a *Admin) homeRoutes() {
	a.handle("GET /admin/{$}", areaDashboard, a.home)
}

// home is the landing page after log-in: who is logged in, with what
// role, and the parts of the back office that role may use.
func (a *Admin) home(w http.ResponseWriter, r *http.Request, act billing.Actor) {
	a.render(w, r, http.StatusOK, "home", view{Title: "Dashboard", Area: areaDashboard, Data: roleWords(act.Role)})
}
