package market

import "time"

// SIPAccount is a SIP account of a customer.
type SIPAccount struct {
	ID         string
	CustomerID string
	Kind       string // "trunk" or "user"
	Username   string
	Password   string
	Domain     string
	UserID     string
	CreatedAt  time.Time
	// HA1Realm, HA1MD5 and HA1SHA256 are what digest authentication needs
	// (H(username:realm:password), RFC 8760) for the realm HA1Realm; once
	// the customer has seen the password, Password is "" and only these
	// remain (migration 00013).
	HA1Realm, HA1MD5, HA1SHA256 string
}

// SIPBinding is one contact registered for a SIP account (RFC 3261
// section 10): live while ExpiresAt is in the future. Its times are
// wall-clock times, not the business clock: a phone's registration is
// real-world protocol time (see internal/sip).
type SIPBinding struct {
	ID           string
	SIPAccountID string
	CustomerID   string
	Contact      string // the contact URI, as the binding's key
	UserAgent    string
	Source       string // ip:port the REGISTER came from
	Transport    string // UDP, TCP, TLS
	CallID       string
	CSeq         int64
	ExpiresAt    time.Time
	CreatedAt    time.Time // first registered (kept across refreshes)
	UpdatedAt    time.Time // last refreshed
}
