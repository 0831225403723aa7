package market

import "time"

// Operator is one of the provider's staff who log in to the back office
// (migration 00022).
type Operator struct {
	ID           string
	Email        string
	PasswordHash string
	Role         string // admin, support or finance
	Disabled     bool
	CreatedAt    time.Time
}

// OperatorSession is the stored form of an operator's session: the
// SHA-256 of its token, never the token.
type OperatorSession struct {
	TokenHash  string
	OperatorID string
	CreatedAt  time.Time
	ExpiresAt  time.Time
}
