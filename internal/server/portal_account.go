package server

// portalAccountRoutes registers the portal pages of this file (being built).
func (s *Server) portalAccountRoutes() {}
