package portal

import (
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/id"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/web"
)

// Shop -> Buy/Order and the Cart (the peoplefone web shop): products are
// added to the cart from Buy/Order, extensions from Renew/Change; the cart
// is then confirmed (Confirm order), given a billing address (Verify
// address) and paid (Finish). The cart lives on the server
// (billing.Service.Cart), so every step is a plain page.

// buyOrder is the order of the products on Buy/Order: the hosted PBX
// first, then the IVR add-on and the contact center; others after them.
var buyOrder = map[string]int{"hosted-pbx": 1, "ivr": 2, "contact-center": 3}

// buyPlan is one plan's form on Buy/Order.
type buyPlan struct {
	market.Plan
	Terms    []termOption
	Quantity string
	Trial    bool
	// Error is a failure of this plan's form that concerns no one field.
	Error, ErrCode string
}

// buyProduct is a product with its plans' forms.
type buyProduct struct {
	Code, Name string
	Plans      []buyPlan
}

// BuyPage lists what the customer can buy.
func (s *Handler) BuyPage(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	s.showBuyOrder(w, r, p, newForm(nil), http.StatusOK)
}

// showBuyOrder shows Buy/Order; the plan named by the form's "plan" shows
// what was entered and its errors, the others their defaults.
func (s *Handler) showBuyOrder(w http.ResponseWriter, r *http.Request, p billing.Principal, f *form, status int) {
	ctx := r.Context()
	c, err := s.svc.Customer(ctx, p.CustomerID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	plans, err := s.svc.Plans(ctx, false)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	var products []buyProduct
	idx := map[string]int{}
	for _, pl := range plans {
		prices := pricesIn(pl, c.Currency)
		if pl.Code == billing.IncludedPlan || len(prices) == 0 {
			continue
		}
		bp := buyPlan{Plan: pl, Quantity: strconv.Itoa(max(pl.MinLicenses, 1))}
		term := strconv.Itoa(pl.Terms[0])
		if f.Is("plan", pl.Code) {
			bp.Quantity, bp.Trial, term = f.Get("quantity"), f.Get("trial") == "on", f.Get("term")
			bp.Error, bp.ErrCode = f.Error, f.Code
			f.Error = "" // shown next to its plan's form instead of at the top
		}
		for _, tp := range prices {
			bp.Terms = append(bp.Terms, termOption{termPrice: tp, Selected: term == strconv.Itoa(tp.Term)})
		}
		i, ok := idx[pl.Product]
		if !ok {
			i = len(products)
			idx[pl.Product] = i
			products = append(products, buyProduct{Code: pl.Product, Name: pl.ProductName})
		}
		products[i].Plans = append(products[i].Plans, bp)
	}
	sort.SliceStable(products, func(i, j int) bool { return rankOf(products[i].Code) < rankOf(products[j].Code) })
	s.render(w, r, status, "buy", view{Title: "Buy/Order", Nav: "buy", Customer: c, Form: f, Data: products})
}

func rankOf(product string) int {
	if n, ok := buyOrder[product]; ok {
		return n
	}
	return len(buyOrder) + 1
}

// BuyPost is "Add to cart" of one plan on Buy/Order. Errors are shown
// next to that plan's fields (their names carry the plan's code).
func (s *Handler) BuyPost(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	ctx := r.Context()
	f := newForm(r.PostForm)
	code := f.Get("plan")
	pl, err := s.svc.Plan(ctx, code)
	switch {
	case err != nil || !pl.Active:
		f.Error = "This product is no longer sold. Please choose another one."
		s.showBuyOrder(w, r, p, f, http.StatusNotFound)
		return
	case pl.Code == billing.IncludedPlan:
		f.Error = "The standard SIP trunk is already included with your account: see the SIP manager."
		s.showBuyOrder(w, r, p, f, http.StatusBadRequest)
		return
	}
	it := billing.ItemInput{Type: string(market.ItemSubscription), Plan: pl.Code, Trial: f.Get("trial") == "on"}
	it.Quantity, err = licensesField(f.Values, "quantity", pl.MinLicenses)
	if err == nil {
		if it.TermMonths, err = atoiField(f.Values, "term"); err == nil && it.TermMonths == 0 {
			err = market.Invalid("term_months", "choose the term in months")
		}
	}
	if err == nil {
		_, err = s.svc.AddToCart(ctx, p, it)
	}
	if it.Trial && market.ErrorCode(err) == market.CodeTrialAlreadyUsed && s.cartHoldsTrial(r, p, pl.Product) {
		err = &market.Error{Code: market.CodeTrialAlreadyUsed, Param: "trial",
			Message: "your cart already holds a free trial of " + pl.ProductName + ": one trial per product. Confirm the order in the cart, or remove the trial there first"}
	}
	if err != nil {
		s.fail(r, f, err, map[string]string{"quantity": "quantity-" + code, "term_months": "term-" + code, "term": "term-" + code,
			"trial": "trial-" + code, "plan": "quantity-" + code})
		s.showBuyOrder(w, r, p, f, web.PageStatus(err))
		return
	}
	msg := pl.DisplayName() + " is in your cart. Click “Confirm order” when you are ready."
	if it.Trial {
		msg = pl.DisplayName() + " with the free trial is in your cart. Click “Confirm order” to activate it."
	}
	s.redirect(w, r, "/cart", msg)
}

// cartHoldsTrial reports whether the cart holds a trial of product (so
// that a second one is refused for that reason, not as "already used").
func (s *Handler) cartHoldsTrial(r *http.Request, p billing.Principal, product string) bool {
	items, err := s.svc.CartEntries(r.Context(), p)
	if err != nil {
		return false
	}
	for _, e := range items {
		if !e.Item.Trial || e.Item.Plan == "" {
			continue
		}
		if pl, err := s.svc.Plan(r.Context(), e.Item.Plan); err == nil && pl.Product == product {
			return true
		}
	}
	return false
}

// cartLine is an item of the cart with what its quote line says.
type cartLine struct {
	ID       string
	Item     billing.ItemInput
	Line     *market.Line
	Label    string
	Error    string
	Currency string
	// AfterTrial says what happens when the item's trial ends.
	AfterTrial string
	// Edit is the line's licenses and term form (the cart page only).
	Edit *lineEdit
	// Held warns that the line buys a second subscription of a product
	// the customer holds (the cart page only).
	Held string
}

// cartData is the cart and its checkout steps.
type cartData struct {
	Lines     []cartLine
	PromoCode string
	Quote     *billing.Quote
	QuoteErr  string
	QuoteCode string
	Step      string
	// Address is the chosen billing address (payment step).
	Address string
	Pay     payData
	Key     string
}

var itemIndex = regexp.MustCompile(`^items\[(\d+)\]`)

// loadCart reads the cart, its quote with address's tax (the first
// address's when empty), and puts a quote error in words: on its item
// when it names one, on the promo field when it is the code's.
func (s *Handler) loadCart(r *http.Request, p billing.Principal, address string, f *form) (cartData, error) {
	ctx := r.Context()
	c, err := s.svc.Cart(ctx, p, address)
	if err != nil {
		return cartData{}, err
	}
	cur, err := s.svc.Customer(ctx, p.CustomerID)
	if err != nil {
		return cartData{}, err
	}
	d := cartData{PromoCode: c.PromoCode, Quote: c.Quote, Address: address}
	for i, e := range c.Items {
		cl := cartLine{ID: e.ID, Item: e.Item, Label: itemTypeLabel(e.Item.Type), Currency: cur.Currency}
		if c.Quote != nil && i < len(c.Quote.Lines) {
			cl.Line = &c.Quote.Lines[i]
			if cl.Line.Trial {
				one := *c.Quote
				one.Lines = c.Quote.Lines[i : i+1]
				cl.AfterTrial = s.afterTrial(ctx, one, e.Item)
			}
		}
		if f != nil {
			cl.Edit = s.editOf(ctx, p, e.ID, e.Item, cl.Line, cur.Currency, f)
			cl.Held = s.heldWarning(ctx, p, e.Item)
		}
		d.Lines = append(d.Lines, cl)
	}
	if c.QuoteError != nil {
		qf := newForm(nil)
		s.fail(r, qf, c.QuoteError, map[string]string{})
		d.QuoteErr, d.QuoteCode = qf.Error, qf.Code
		var me *market.Error
		if m, ok := c.QuoteError.(*market.Error); ok {
			me = m
		}
		if me != nil {
			if m := itemIndex.FindStringSubmatch(me.Param); m != nil {
				if i, _ := strconv.Atoi(m[1]); i < len(d.Lines) {
					d.Lines[i].Error = qf.Error
				}
			}
			if me.Param == "promo_code" && f != nil && f.Err("promo") == "" {
				f.Errors["promo"] = qf.Error
			}
		}
	}
	return d, nil
}

// CartPage is the cart: its items with Remove, the promo code and the
// quote, and "Confirm order".
func (s *Handler) CartPage(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	s.showCart(w, r, p, newForm(nil), http.StatusOK)
}

func (s *Handler) showCart(w http.ResponseWriter, r *http.Request, p billing.Principal, f *form, status int) {
	d, err := s.loadCart(r, p, "", f)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	d.Step = "cart"
	if _, ok := f.Values["promo"]; !ok {
		f.Values.Set("promo", d.PromoCode)
	}
	s.render(w, r, status, "cart", view{Title: "Cart", Nav: "cart", Form: f, Data: d})
}

// CartRemovePost takes an item out of the cart.
func (s *Handler) CartRemovePost(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	if err := s.svc.RemoveFromCart(r.Context(), p, r.PathValue("id")); err != nil {
		if market.ErrorCode(err) == market.CodeNotFound {
			s.redirect(w, r, "/cart", "That item was no longer in the cart.")
			return
		}
		s.pageError(w, r, err)
		return
	}
	s.redirect(w, r, "/cart", "The item was removed from the cart.")
}

// CartPromoPost applies the promo code (Apply) or removes it (Remove).
func (s *Handler) CartPromoPost(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	f := newForm(r.PostForm)
	code := f.Get("promo")
	if f.Get("action") == "remove" {
		code = ""
	} else if code == "" {
		f.Errors["promo"] = "Enter a promo code."
		s.showCart(w, r, p, f, http.StatusBadRequest)
		return
	}
	c, err := s.svc.SetCartPromo(r.Context(), p, code)
	if err != nil {
		s.fail(r, f, err, map[string]string{"code": "promo", "promo_code": "promo"})
		s.showCart(w, r, p, f, web.PageStatus(err))
		return
	}
	if code == "" {
		s.redirect(w, r, "/cart", "The promo code was removed.")
		return
	}
	s.redirect(w, r, "/cart", "Promo code "+c.PromoCode+" applied.")
}

// CartAddressPage is the billing address step (after Confirm order).
func (s *Handler) CartAddressPage(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	f := newForm(nil)
	if a := r.URL.Query().Get("address"); a != "" {
		f.Values.Set("address", a)
	}
	s.showCartAddress(w, r, p, f, http.StatusOK)
}

func (s *Handler) showCartAddress(w http.ResponseWriter, r *http.Request, p billing.Principal, f *form, status int) {
	d, ok := s.cartStep(w, r, p, "")
	if !ok {
		return
	}
	d.Step = "address"
	d.Pay.defaults(f, 0)
	s.render(w, r, status, "cart_address", view{Title: "Billing address", Nav: "cart", Form: f, Data: d})
}

// CartAddressPost is Verify address: a chosen address is checked, a new
// one verified and saved; then on to payment with its tax.
func (s *Handler) CartAddressPost(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	ctx := r.Context()
	f := newForm(r.PostForm)
	adr, err := s.addressFrom(ctx, p, f.Values)
	if err == nil && f.Get("address") != "new" {
		if _, aerr := s.svc.Address(ctx, p, adr); aerr != nil {
			err = market.Invalid("billing_address", "choose one of your billing addresses or enter a new one")
		}
	}
	if err != nil {
		s.fail(r, f, err, checkoutFields)
		s.showCartAddress(w, r, p, f, web.PageStatus(err))
		return
	}
	flash := ""
	if f.Get("address") == "new" {
		flash = "Address verified and saved."
	}
	s.redirect(w, r, "/cart/payment?"+url.Values{"address": {adr}}.Encode(), flash)
}

// CartPaymentPage is the last step: the quote with the address's tax, how
// to pay, and Finish.
func (s *Handler) CartPaymentPage(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	f := newForm(nil)
	f.Values.Set("address", r.URL.Query().Get("address"))
	s.showCartPayment(w, r, p, f, http.StatusOK)
}

func (s *Handler) showCartPayment(w http.ResponseWriter, r *http.Request, p billing.Principal, f *form, status int) {
	ctx := r.Context()
	address := f.Get("address")
	if address == "" {
		s.redirect(w, r, "/cart/address", "Choose the billing address first.")
		return
	}
	if _, err := s.svc.Address(ctx, p, address); err != nil {
		s.redirect(w, r, "/cart/address", "Choose the billing address first.")
		return
	}
	d, ok := s.cartStep(w, r, p, address)
	if !ok {
		return
	}
	d.Step, d.Key = "payment", f.Get("key")
	if d.Key == "" {
		d.Key = id.Secret(12)
	}
	var total int64
	if d.Quote != nil {
		total = d.Quote.Totals.Total
	}
	d.Pay.defaults(f, total)
	f.Return = "/cart/payment?" + url.Values{"address": {address}}.Encode()
	s.render(w, r, status, "cart_payment", view{Title: "Payment", Nav: "cart", Form: f, Data: d})
}

// CartPaymentPost is Finish: the cart is paid as one order (at most once
// per form) and the confirmation follows.
func (s *Handler) CartPaymentPost(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	ctx := r.Context()
	f := newForm(r.PostForm)
	to, err := s.keyedOnce(ctx, p, f.Get("key"), func(k billing.Key) (string, error) {
		return placed(s.svc.CheckoutCart(ctx, p, billing.CheckoutInput{BillingAddress: f.Get("address"),
			Payment: paymentFrom(f.Values), QuoteToken: f.Get("quote_token")}.Keyed(k)))
	})
	if err != nil {
		if me, ok := err.(*market.Error); ok && me.Code == market.CodeInvalidRequest && me.Param == "items" {
			s.redirect(w, r, "/cart", "Your cart is empty: it may have been paid already.")
			return
		}
		// The page is shown again with the cart's fresh quote: after
		// price_changed that is the new total to confirm.
		forgetCard(f, err)
		s.fail(r, f, err, checkoutFields)
		f.Values.Set("key", id.Secret(12))
		s.showCartPayment(w, r, p, f, web.PageStatus(err))
		return
	}
	s.redirect(w, r, to, "")
}

// cartStep loads what the address and payment steps show: the cart quoted
// with address's tax, and the customer's addresses and cards. An empty
// cart goes back to /cart; a failure is shown as the page; ok is false then.
func (s *Handler) cartStep(w http.ResponseWriter, r *http.Request, p billing.Principal, address string) (cartData, bool) {
	ctx := r.Context()
	d, err := s.loadCart(r, p, address, nil)
	if err != nil {
		s.pageError(w, r, err)
		return d, false
	}
	if len(d.Lines) == 0 {
		s.redirect(w, r, "/cart", "Your cart is empty.")
		return d, false
	}
	c, err := s.svc.Customer(ctx, p.CustomerID)
	if err == nil {
		d.Pay, err = s.loadPay(ctx, p, c)
	}
	if err != nil {
		s.pageError(w, r, err)
		return d, false
	}
	return d, true
}
