package sip

// BreakTLSListener closes l's TLS socket under it, as a failing network
// would (TestListenerReady).
func BreakTLSListener(l *Listener) { _ = l.tls.Close() }
