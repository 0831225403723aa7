package billing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
)

// Cart is the customer's draft order with its quote.
type Cart struct {
	Items     []CartEntry
	PromoCode string
	Quote     *Quote
	// QuoteError says why the cart cannot be quoted now (e.g. a promo code
	// that no longer applies), if it cannot.
	QuoteError error
}

// CartEntry is an item in the cart.
type CartEntry struct {
	ID   string
	Item ItemInput
}

// Cart returns the cart and its quote (billingAddress, if given, sets the
// tax) as the customer is shown it: its prices are remembered, so that a
// checkout without a quote token charges them or fails with
// price_changed (CheckoutCart). Call it only to show the cart.
func (s *Service) Cart(ctx context.Context, p Principal, billingAddress string) (Cart, error) {
	c, err := s.cart(ctx, p, billingAddress)
	if err != nil || c.Quote == nil {
		return c, err
	}
	if err := s.rememberShown(ctx, p, c.Quote.prices); err != nil {
		return Cart{}, err
	}
	return c, nil
}

// CartEntries returns the items in the cart, without pricing them.
func (s *Service) CartEntries(ctx context.Context, p Principal) ([]CartEntry, error) {
	c, err := s.cartItems(ctx, p)
	return c.Items, err
}

// rememberShown adds prices to those the customer was shown for the cart
// (a price shown again replaces the one shown before).
func (s *Service) rememberShown(ctx context.Context, p Principal, prices map[string]string) error {
	if len(prices) == 0 {
		return nil
	}
	shown, err := s.store.Read().CartShown(ctx, p.CustomerID)
	if err != nil {
		return err
	}
	same := shown != nil
	for k, v := range prices {
		if was, ok := shown[k]; !ok || was != v {
			same = false
		}
	}
	if same {
		return nil // no write for every look at an unchanged cart
	}
	return s.store.Tx(ctx, func(q *store.Q) error {
		shown, err := q.CartShown(ctx, p.CustomerID)
		if err != nil {
			return err
		}
		if shown == nil {
			shown = map[string]string{}
		}
		for k, v := range prices {
			shown[k] = v
		}
		return q.SetCartShown(ctx, p.CustomerID, shown, s.now())
	})
}

// cartItems reads the cart's items and promo code, unpriced.
func (s *Service) cartItems(ctx context.Context, p Principal) (Cart, error) {
	items, promo, err := s.store.Read().Cart(ctx, p.CustomerID)
	if err != nil {
		return Cart{}, err
	}
	c := Cart{PromoCode: promo}
	for _, it := range items {
		var ii ItemInput
		if err := json.Unmarshal([]byte(it.Item), &ii); err != nil {
			return Cart{}, fmt.Errorf("cart item %s: %w", it.ID, err)
		}
		c.Items = append(c.Items, CartEntry{ID: it.ID, Item: ii})
	}
	return c, nil
}

// cart returns the cart and its quote without remembering it as shown.
func (s *Service) cart(ctx context.Context, p Principal, billingAddress string) (Cart, error) {
	c, err := s.cartItems(ctx, p)
	if err != nil {
		return Cart{}, err
	}
	// Without any billing address the cart is quoted net of tax.
	in := OrderInput{PromoCode: c.PromoCode, BillingAddress: billingAddress, preview: true}
	for _, e := range c.Items {
		in.Items = append(in.Items, e.Item)
	}
	if len(in.Items) == 0 {
		return c, nil
	}
	if billingAddress == "" {
		// Quote with the first address, if any, so the cart shows tax.
		if addrs, err := s.store.Read().BillingAddresses(ctx, p.CustomerID); err == nil && len(addrs) > 0 {
			in.BillingAddress = addrs[0].ID
		}
	}
	q, err := s.Quote(ctx, p, in)
	if err != nil {
		if market.ErrorCode(err) == market.CodeInternal {
			return c, err
		}
		c.QuoteError = err
		return c, nil
	}
	c.Quote = &q
	return c, nil
}

// AddToCart checks that the item can be bought together with what the
// cart holds (prices, terms, licenses, availability) and adds it. Tax and
// promo codes are applied at the cart's quote. Errors: those of a quote.
func (s *Service) AddToCart(ctx context.Context, p Principal, it ItemInput) (CartEntry, error) {
	if err := p.mayManage(); err != nil {
		return CartEntry{}, err
	}
	if err := it.validate(); err != nil {
		return CartEntry{}, err
	}
	cur, err := s.cartItems(ctx, p)
	if err != nil {
		return CartEntry{}, err
	}
	var in OrderInput
	for _, e := range cur.Items {
		in.Items = append(in.Items, e.Item)
	}
	in.Items = append(in.Items, it)
	if _, err := s.quoteItemsOnly(ctx, p, in); err != nil {
		// An error of the new item names its field as the request does
		// ("quantity"); one of the items already held keeps its index.
		var me *market.Error
		if last := fmt.Sprintf("items[%d].", len(in.Items)-1); errors.As(err, &me) && strings.HasPrefix(me.Param, last) {
			return CartEntry{}, me.WithParam(strings.TrimPrefix(me.Param, last))
		}
		return CartEntry{}, err
	}
	return s.putCartItem(ctx, p, it)
}

// quoteItemsOnly prices items without promo code, address or tax.
func (s *Service) quoteItemsOnly(ctx context.Context, p Principal, in OrderInput) (Quote, error) {
	q := s.store.Read()
	cust, err := q.Customer(ctx, p.CustomerID)
	if err != nil {
		return Quote{}, err
	}
	pr := &pricing{s: s, q: q, now: s.now(), cust: cust, plans: map[string]market.Plan{}, subs: map[string]*workSub{}}
	for i, it := range in.Items {
		l, err := pr.item(ctx, it)
		if err != nil {
			var me *market.Error
			if errors.As(err, &me) && me.Param != "" {
				return Quote{}, me.WithParam(fmt.Sprintf("items[%d].%s", i, me.Param))
			}
			return Quote{}, err
		}
		pr.lines = append(pr.lines, l)
	}
	pr.totals = market.Sum(pr.lines)
	return pr.quote(), nil
}

func (s *Service) putCartItem(ctx context.Context, p Principal, it ItemInput) (CartEntry, error) {
	body, err := json.Marshal(it)
	if err != nil {
		return CartEntry{}, err
	}
	e := CartEntry{ID: s.ids.New("cit"), Item: it}
	err = s.store.Tx(ctx, func(q *store.Q) error {
		return q.AddCartItem(ctx, p.CustomerID, market.CartItem{ID: e.ID, Item: string(body), CreatedAt: s.now()})
	})
	return e, err
}

// RemoveFromCart deletes a cart item. Error: not_found.
func (s *Service) RemoveFromCart(ctx context.Context, p Principal, itemID string) error {
	if err := p.mayManage(); err != nil {
		return err
	}
	return s.store.Tx(ctx, func(q *store.Q) error { return q.RemoveCartItem(ctx, p.CustomerID, itemID) })
}

// SetCartPromo applies (or with "" removes) a promo code on the cart after
// checking that it applies to the cart now. On an empty cart the code is
// kept when this customer may use it now (it exists, is active and in its
// validity, has redemptions left); whether it reduces the items is judged
// by the cart's quote when they come. Errors: promo_invalid,
// promo_exhausted, naming code.
func (s *Service) SetCartPromo(ctx context.Context, p Principal, code string) (Cart, error) {
	if err := p.mayManage(); err != nil {
		return Cart{}, err
	}
	code = market.NormalizeCode(code)
	if code != "" {
		cur, err := s.cartItems(ctx, p)
		if err != nil {
			return Cart{}, err
		}
		if err := s.cartPromoUsable(ctx, p, code, cur.Items); err != nil {
			if c := market.ErrorCode(err); c == market.CodePromoInvalid || c == market.CodePromoExhausted {
				var me *market.Error
				if errors.As(err, &me) {
					return Cart{}, me.WithParam("code")
				}
			}
			return Cart{}, err
		}
	}
	if err := s.store.Tx(ctx, func(q *store.Q) error { return q.SetCartPromo(ctx, p.CustomerID, code, s.now()) }); err != nil {
		return Cart{}, err
	}
	return s.Cart(ctx, p, "")
}

// cartPromoUsable checks a promo code against the cart's items, or, when
// the cart is empty, that this customer may use it at all now. Only promo
// errors (and internal ones) are returned: an item that cannot be quoted is
// the cart's quote error, not the code's.
func (s *Service) cartPromoUsable(ctx context.Context, p Principal, code string, items []CartEntry) error {
	if len(items) == 0 {
		q := s.store.Read()
		cust, err := q.Customer(ctx, p.CustomerID)
		if err != nil {
			return err
		}
		pr := &pricing{s: s, q: q, now: s.now(), cust: cust}
		_, err = pr.checkPromo(ctx, code)
		return err
	}
	in := OrderInput{PromoCode: code}
	for _, e := range items {
		in.Items = append(in.Items, e.Item)
	}
	if addrs, _ := s.store.Read().BillingAddresses(ctx, p.CustomerID); len(addrs) > 0 {
		in.BillingAddress = addrs[0].ID
	}
	_, err := s.Quote(ctx, p, in)
	switch c := market.ErrorCode(err); c {
	case market.CodePromoInvalid, market.CodePromoExhausted, market.CodeInternal:
		return err
	}
	return nil
}

// CheckoutInput pays the cart.
type CheckoutInput struct {
	BillingAddress string       `json:"billing_address,omitempty"`
	Payment        PaymentInput `json:"payment"`
	QuoteToken     string       `json:"quote_token,omitempty" doc:"The quote_token of the cart's quote the customer saw: if any price changed since, the checkout fails with price_changed and a fresh quote. Without it the prices last shown for the cart (GET /v1/cart, or the answer of a change to the cart) are compared the same way."`
	key            Key          // the request's idempotency key (Keyed)
}

// CheckoutCart places the cart as one order and empties the cart; on
// failure the cart stays as it was. Errors: those of PlaceOrder;
// invalid_request for an empty cart.
func (s *Service) CheckoutCart(ctx context.Context, p Principal, in CheckoutInput) (market.Order, error) {
	if err := p.mayManage(); err != nil {
		return market.Order{}, err
	}
	if o, ok, err := s.replayedOrder(ctx, p, in.key); ok || err != nil {
		return o, err // a retry of a checkout that committed: the cart is empty by now
	}
	items, promo, err := s.store.Read().Cart(ctx, p.CustomerID)
	if err != nil {
		return market.Order{}, err
	}
	if len(items) == 0 {
		return market.Order{}, market.Invalid("items", "the cart is empty")
	}
	shown, err := s.store.Read().CartShown(ctx, p.CustomerID)
	if err != nil {
		return market.Order{}, err
	}
	oi := OrderInput{PromoCode: promo, BillingAddress: in.BillingAddress, Payment: in.Payment, QuoteToken: in.QuoteToken, shown: shown, key: in.key}
	for _, it := range items {
		var ii ItemInput
		if err := json.Unmarshal([]byte(it.Item), &ii); err != nil {
			return market.Order{}, err
		}
		oi.Items = append(oi.Items, ii)
	}
	for _, it := range items {
		oi.cartItems = append(oi.cartItems, it.ID)
	}
	// Remove exactly the items bought, in the order's transaction: an item
	// added while the checkout ran stays in the cart.
	o, err := s.placeOrder(ctx, p, oi, "cart", func(q *store.Q) error {
		for _, it := range items {
			if err := q.RemoveCartItem(ctx, p.CustomerID, it.ID); err != nil {
				return err
			}
		}
		if err := q.SetCartShown(ctx, p.CustomerID, nil, s.now()); err != nil {
			return err
		}
		return q.SetCartPromo(ctx, p.CustomerID, "", s.now())
	})
	var me *market.Error
	if errors.As(err, &me) && me.Code == market.CodePriceChanged {
		// The error shows the fresh quote: a second checkout pays it.
		if q, ok := me.Extra["quote"].(Quote); ok {
			if rerr := s.rememberShown(ctx, p, q.prices); rerr != nil {
				return market.Order{}, rerr
			}
		}
	}
	return o, err
}
