package market

import "time"

// User is a login or a seat of a customer.
type User struct {
	ID             string
	CustomerID     string
	Name           string
	Email          string
	PasswordHash   string // "" for seats without a login
	Role           string // "owner" or "member"
	SubscriptionID string
	Extension      string
	SIPAccountID   string
	CreatedAt      time.Time
}

// Session is a login session (API bearer token or portal cookie).
type Session struct {
	TokenHash  string
	UserID     string
	CustomerID string
	CreatedAt  time.Time
	ExpiresAt  time.Time
}

// LoginToken is the stored form of an invitation's or a password reset's
// link (migration 00014): the SHA-256 of its token, never the token.
type LoginToken struct {
	TokenHash  string
	UserID     string
	CustomerID string
	Purpose    string // "invitation" or "reset"
	CreatedAt  time.Time
	ExpiresAt  time.Time
}
