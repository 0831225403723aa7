package server

// portalSubscriptionRoutes registers the portal pages of this file (being built).
func (s *Server) portalSubscriptionRoutes() {}
