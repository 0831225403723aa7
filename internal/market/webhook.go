package market

import "time"

// WebhookEndpoint is an operator's receiver of events.
type WebhookEndpoint struct {
	ID        string
	URL       string
	Events    []string
	Secret    string
	CreatedAt time.Time
}

// Delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliverySucceeded = "succeeded"
	DeliveryFailed    = "failed"
)

// WebhookEvent is an event in the outbox, with the JSON body it is sent as.
type WebhookEvent struct {
	ID        string
	Type      string
	Payload   []byte
	CreatedAt time.Time
}

// WebhookDelivery is one event on its way to one endpoint.
type WebhookDelivery struct {
	ID            string
	EndpointID    string
	EventID       string
	EventType     string
	Status        string
	Attempts      int
	NextAttemptAt *time.Time // pending only
	CreatedAt     time.Time
	DeliveredAt   *time.Time
}

// WebhookAttempt is one try of a delivery: the log row.
type WebhookAttempt struct {
	ID          string
	DeliveryID  string
	AttemptedAt time.Time
	StatusCode  int // 0: no answer
	Error       string
	Duration    time.Duration
	Response    string
}
