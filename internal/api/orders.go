package api

import (
	"context"
	"strings"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/web"
)

type orderIn struct {
	idemHeader
	Body billing.OrderInput
}

func (s *Handler) CreateQuote(ctx context.Context, p billing.Principal, in *orderIn) (*out[QuoteResponse], error) {
	q, err := s.svc.Quote(ctx, p, in.Body)
	if err != nil {
		return nil, err
	}
	return reply(quoteResponse(q)), nil
}

func (s *Handler) orderOut(ctx context.Context, o market.Order) (*out[OrderResponse], error) {
	pay, err := s.svc.Reads().PaymentByID(ctx, o.PaymentID)
	if err != nil && !market.IsCode(err, market.CodeNotFound) {
		return nil, err
	}
	return reply(orderResponse(o, &pay)), nil
}

func (s *Handler) CreateOrder(ctx context.Context, p billing.Principal, in *orderIn) (*out[OrderResponse], error) {
	o, err := s.svc.PlaceOrder(ctx, p, in.Body.Keyed(web.KeyOf(ctx)), "api")
	if err != nil {
		return nil, err
	}
	return s.orderOut(ctx, o)
}

func (s *Handler) ListOrders(ctx context.Context, p billing.Principal, in *listIn) (*out[List[OrderResponse]], error) {
	if err := knownCursor(in.StartingAfter, func() error { _, err := s.svc.Order(ctx, p, in.StartingAfter); return err }); err != nil {
		return nil, err
	}
	orders, err := s.svc.Orders(ctx, p, in.page())
	if err != nil {
		return nil, err
	}
	list, err := s.ordersOut(ctx, orders, in.Limit)
	if err != nil {
		return nil, err
	}
	return reply(list), nil
}

// ordersOut is the list of orders (up to limit, then has_more), each
// with its payment, read at once.
func (s *Handler) ordersOut(ctx context.Context, orders []market.Order, limit int) (List[OrderResponse], error) {
	ids := make([]string, len(orders))
	for i, o := range orders {
		ids[i] = o.PaymentID
	}
	pays, err := s.svc.Reads().PaymentsByID(ctx, ids)
	if err != nil {
		return List[OrderResponse]{}, err
	}
	return listOf(orders, limit, func(o market.Order) OrderResponse {
		if pay, ok := pays[o.PaymentID]; ok {
			return orderResponse(o, &pay)
		}
		return orderResponse(o, nil)
	}), nil
}

func (s *Handler) GetOrder(ctx context.Context, p billing.Principal, in *idPath) (*out[OrderResponse], error) {
	o, err := s.svc.Order(ctx, p, in.ID)
	if err != nil {
		return nil, err
	}
	return s.orderOut(ctx, o)
}

// CartItemResponse is an item in the cart.
type CartItemResponse struct {
	ID   string            `json:"id"`
	Item billing.ItemInput `json:"item"`
}

// CartResponse is the cart and what it would cost now.
type CartResponse struct {
	Items      []CartItemResponse `json:"items"`
	PromoCode  string             `json:"promo_code,omitempty"`
	Quote      *QuoteResponse     `json:"quote,omitempty"`
	QuoteError *ErrorObject       `json:"quote_error,omitempty" doc:"Why the cart cannot be bought as it is, if it cannot."`
}

func (s *Handler) cartResponse(ctx context.Context, c billing.Cart) CartResponse {
	r := CartResponse{Items: []CartItemResponse{}, PromoCode: c.PromoCode}
	for _, e := range c.Items {
		r.Items = append(r.Items, CartItemResponse{ID: e.ID, Item: e.Item})
	}
	if c.Quote != nil {
		q := quoteResponse(*c.Quote)
		r.Quote = &q
	}
	if c.QuoteError != nil {
		e := ToAPIError(ctx, s.log, c.QuoteError).Err
		r.QuoteError = &e
	}
	return r
}

type cartIn struct {
	BillingAddress string `query:"billing_address" doc:"Quote with this address's tax (default: the first address)."`
}

func (s *Handler) GetCart(ctx context.Context, p billing.Principal, in *cartIn) (*out[CartResponse], error) {
	c, err := s.svc.Cart(ctx, p, in.BillingAddress)
	if err != nil {
		return nil, err
	}
	return reply(s.cartResponse(ctx, c)), nil
}

type cartItemIn struct {
	idemHeader
	Body billing.ItemInput
}

func (s *Handler) AddCartItem(ctx context.Context, p billing.Principal, in *cartItemIn) (*out[CartResponse], error) {
	if _, err := s.svc.AddToCart(ctx, p, in.Body); err != nil {
		return nil, err
	}
	return s.GetCart(ctx, p, &cartIn{})
}

func (s *Handler) RemoveCartItem(ctx context.Context, p billing.Principal, in *idPath) (*out[CartResponse], error) {
	if err := s.svc.RemoveFromCart(ctx, p, in.ID); err != nil {
		return nil, err
	}
	return s.GetCart(ctx, p, &cartIn{})
}

type cartItemChangeIn struct {
	ID   string `path:"id" maxLength:"100"`
	Body billing.CartItemChange
}

// updateCartItem changes an item's licenses or term; the cart is quoted
// anew.
func (s *Handler) UpdateCartItem(ctx context.Context, p billing.Principal, in *cartItemChangeIn) (*out[CartResponse], error) {
	if _, err := s.svc.UpdateCartItem(ctx, p, in.ID, in.Body); err != nil {
		return nil, err
	}
	return s.GetCart(ctx, p, &cartIn{})
}

type promoIn struct {
	Body struct {
		Code string `json:"code" maxLength:"40" doc:"The code; empty removes it."`
	}
}

func (s *Handler) SetCartPromo(ctx context.Context, p billing.Principal, in *promoIn) (*out[CartResponse], error) {
	c, err := s.svc.SetCartPromo(ctx, p, in.Body.Code)
	if err != nil {
		return nil, err
	}
	return reply(s.cartResponse(ctx, c)), nil
}

type checkoutIn struct {
	idemHeader
	Body billing.CheckoutInput
}

func (s *Handler) CheckoutCart(ctx context.Context, p billing.Principal, in *checkoutIn) (*out[OrderResponse], error) {
	o, err := s.svc.CheckoutCart(ctx, p, in.Body.Keyed(web.KeyOf(ctx)))
	if err != nil {
		return nil, err
	}
	return s.orderOut(ctx, o)
}

func (s *Handler) ListInvoices(ctx context.Context, p billing.Principal, in *listIn) (*out[List[InvoiceResponse]], error) {
	if err := knownCursor(in.StartingAfter, func() error { _, err := s.svc.Reads().Invoice(ctx, p.CustomerID, in.StartingAfter); return err }); err != nil {
		return nil, err
	}
	rows, err := s.svc.Invoices(ctx, p, in.page())
	if err != nil {
		return nil, err
	}
	res := listOf(rows, in.Limit, func(v market.Invoice) InvoiceResponse {
		_, d, _ := s.svc.Invoice(ctx, p, v.ID)
		return invoiceResponse(v, d)
	})
	return reply(res), nil
}

func (s *Handler) GetInvoice(ctx context.Context, p billing.Principal, in *idPath) (*out[InvoiceResponse], error) {
	invID := strings.TrimSuffix(strings.TrimSuffix(in.ID, ".pdf"), ".html")
	v, d, err := s.svc.Invoice(ctx, p, invID)
	if err != nil {
		return nil, err
	}
	return reply(invoiceResponse(v, d)), nil
}

func (s *Handler) ListAddresses(ctx context.Context, p billing.Principal, in *listIn) (*out[List[AddressResponse]], error) {
	rows, err := s.svc.Addresses(ctx, p)
	if err != nil {
		return nil, err
	}
	if rows, err = after(rows, in.StartingAfter, func(a market.BillingAddress) string { return a.ID }); err != nil {
		return nil, err
	}
	return reply(listOf(rows, in.Limit, addressResponse)), nil
}

type addressIn struct {
	idemHeader
	Body billing.AddressInput
}

func (s *Handler) CreateAddress(ctx context.Context, p billing.Principal, in *addressIn) (*out[AddressResponse], error) {
	a, err := s.svc.SaveAddress(ctx, p, "", in.Body)
	if err != nil {
		return nil, err
	}
	return reply(addressResponse(a)), nil
}

func (s *Handler) GetAddress(ctx context.Context, p billing.Principal, in *idPath) (*out[AddressResponse], error) {
	a, err := s.svc.Address(ctx, p, in.ID)
	if err != nil {
		return nil, err
	}
	return reply(addressResponse(a)), nil
}

type addressPatchIn struct {
	ID   string `path:"id" maxLength:"100"`
	Body struct {
		Name       *string `json:"name,omitempty"`
		Line1      *string `json:"line1,omitempty"`
		Line2      *string `json:"line2,omitempty"`
		City       *string `json:"city,omitempty"`
		PostalCode *string `json:"postal_code,omitempty"`
		State      *string `json:"state,omitempty"`
		Country    *string `json:"country,omitempty"`
		VATID      *string `json:"vat_id,omitempty"`
	}
}

func (s *Handler) UpdateAddress(ctx context.Context, p billing.Principal, in *addressPatchIn) (*out[AddressResponse], error) {
	cur, err := s.svc.Address(ctx, p, in.ID)
	if err != nil {
		return nil, err
	}
	a := billing.AddressInput{Name: cur.Name, Line1: cur.Line1, Line2: cur.Line2, City: cur.City, PostalCode: cur.PostalCode,
		State: cur.State, Country: cur.Country, VATID: cur.VATID}
	b := in.Body
	for _, f := range []struct {
		src *string
		dst *string
	}{{b.Name, &a.Name}, {b.Line1, &a.Line1}, {b.Line2, &a.Line2}, {b.City, &a.City}, {b.PostalCode, &a.PostalCode},
		{b.State, &a.State}, {b.Country, &a.Country}, {b.VATID, &a.VATID}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	res, err := s.svc.SaveAddress(ctx, p, in.ID, a)
	if err != nil {
		return nil, err
	}
	return reply(addressResponse(res)), nil
}

func (s *Handler) DeleteAddress(ctx context.Context, p billing.Principal, in *idPath) (*out[Deleted], error) {
	if err := s.svc.DeleteAddress(ctx, p, in.ID); err != nil {
		return nil, err
	}
	return reply(Deleted{ID: in.ID, Deleted: true}), nil
}

func (s *Handler) ListPaymentMethods(ctx context.Context, p billing.Principal, in *listIn) (*out[List[PaymentMethodResponse]], error) {
	rows, err := s.svc.Cards(ctx, p)
	if err != nil {
		return nil, err
	}
	if rows, err = after(rows, in.StartingAfter, func(m market.PaymentMethod) string { return m.ID }); err != nil {
		return nil, err
	}
	return reply(listOf(rows, in.Limit, paymentMethodResponse)), nil
}

type cardIn struct {
	idemHeader
	Body struct {
		Card          *billing.CardInput `json:"card,omitempty" doc:"Sandbox: the card as entered. One of card and payment_method."`
		PaymentMethod string             `json:"payment_method,omitempty" maxLength:"255" doc:"Stripe: the payment method ID (pm_...) from Stripe's card form; saved with a SetupIntent for future payments. A card the bank wants confirmed first answers 402 authentication_required with next_action_url; the bank sends the customer back to the portal's /payment-methods/return, which saves it."`
	}
}

func (s *Handler) CreatePaymentMethod(ctx context.Context, p billing.Principal, in *cardIn) (*out[PaymentMethodResponse], error) {
	var pm market.PaymentMethod
	var err error
	switch {
	case in.Body.Card != nil && in.Body.PaymentMethod != "":
		return nil, market.Invalid("payment_method", "give either card or payment_method, not both")
	case in.Body.PaymentMethod != "":
		pm, err = s.svc.SaveGatewayCardKeyed(ctx, p, in.Body.PaymentMethod, web.KeyOf(ctx))
	case in.Body.Card == nil:
		return nil, market.Invalid("card", "card (or, with Stripe, payment_method) is required")
	default:
		pm, err = s.svc.AddCard(ctx, p, in.Body.Card.Keyed(web.KeyOf(ctx)))
	}
	if err != nil {
		return nil, err
	}
	return reply(paymentMethodResponse(pm)), nil
}

func (s *Handler) DeletePaymentMethod(ctx context.Context, p billing.Principal, in *idPath) (*out[Deleted], error) {
	if err := s.svc.DeleteCard(ctx, p, in.ID); err != nil {
		return nil, err
	}
	return reply(Deleted{ID: in.ID, Deleted: true}), nil
}

type pmDefaultIn struct {
	idemHeader
	ID string `path:"id" maxLength:"100"`
}

func (s *Handler) DefaultPaymentMethod(ctx context.Context, p billing.Principal, in *pmDefaultIn) (*out[PaymentMethodResponse], error) {
	pm, err := s.svc.SetDefaultCard(ctx, p, in.ID)
	if err != nil {
		return nil, err
	}
	return reply(paymentMethodResponse(pm)), nil
}
