package server

// portalBillingRoutes registers the portal pages of this file (being built).
func (s *Server) portalBillingRoutes() {}
