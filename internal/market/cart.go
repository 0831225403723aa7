package market

import "time"

// CartItem is an item in a customer's cart, kept as the JSON the customer
// sent.
type CartItem struct {
	ID        string
	Item      string
	CreatedAt time.Time
}
