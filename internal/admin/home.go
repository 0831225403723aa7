package admin

func (a *Admin) homeRoutes() {
	a.handle("GET /admin/{$}", areaDashboard, a.dashboard)
}
