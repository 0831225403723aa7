package server

// portalRoutes registers the customer portal's pages at /.
func (s *Server) portalRoutes() {}
