package server

// portalNumberRoutes registers the portal pages of this file (being built).
func (s *Server) portalNumberRoutes() {}
