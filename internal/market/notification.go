package market

import "time"

// Notification is a message sent to a customer.
type Notification struct {
	ID         string
	CustomerID string
	Type       string
	Subject    string
	Body       string
	ObjectType string
	ObjectID   string
	DedupeKey  string
	CreatedAt  time.Time
}
