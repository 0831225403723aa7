package portal

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/web"
)

// A cart line's licenses and term are changed in place (a form per line,
// POST /cart/items/{id}, as PATCH /v1/cart/items/{id}); the cart is then
// priced anew. Errors are shown next to the line's fields, whose names
// carry the item's ID (quantity-cit_…, term-cit_…).

// lineEdit is what a cart line lets the customer change.
type lineEdit struct {
	Quantity string
	// AskQuantity: a new subscription, an extension or added licenses.
	AskQuantity bool
	// Terms are the plan's terms for a new subscription or an extension.
	Terms []termOption
}

// editOf returns what the cart line of it may change, filled with what was
// entered (f, for this line) or the item's values.
func (s *Handler) editOf(ctx context.Context, p billing.Principal, lineID string, it billing.ItemInput, l *market.Line, currency string, f *form) *lineEdit {
	show := showOf(it.Type)
	if !show.Licenses {
		return nil
	}
	e := &lineEdit{AskQuantity: true, Quantity: strconv.Itoa(it.Quantity)}
	term := it.TermMonths
	if l != nil {
		if it.Quantity == 0 {
			e.Quantity = strconv.Itoa(l.Quantity)
		}
		if term == 0 {
			term = l.TermMonths
		}
	}
	plan := it.Plan
	if market.ItemType(it.Type) == market.ItemRenewal {
		sub, err := s.svc.Subscription(ctx, p, it.Subscription)
		if err != nil {
			return e
		}
		plan = sub.Plan
		if e.Quantity == "0" {
			e.Quantity = strconv.Itoa(sub.Quantity(s.svc.Now()))
		}
		if term == 0 {
			term = sub.TermMonths
		}
	}
	want := strconv.Itoa(term)
	if f.Is("item", lineID) {
		e.Quantity, want = f.Get("quantity-"+lineID), f.Get("term-"+lineID)
	}
	if !show.Term {
		return e
	}
	if pl, err := s.svc.Plan(ctx, plan); err == nil {
		for _, tp := range pricesIn(pl, currency) {
			e.Terms = append(e.Terms, termOption{termPrice: tp, Selected: want == strconv.Itoa(tp.Term)})
		}
	}
	return e
}

// CartItemPost is a cart line's Update: its licenses and term.
func (s *Handler) CartItemPost(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	lineID := r.PathValue("id")
	f := newForm(r.PostForm)
	f.Values.Set("item", lineID)
	qk, tk := "quantity-"+lineID, "term-"+lineID
	var ch billing.CartItemChange
	var err error
	if _, ok := f.Values[qk]; ok {
		var n int
		if n, err = licensesField(f.Values, qk, 1); err == nil {
			ch.Quantity = &n
		}
	}
	if t := strings.TrimSpace(f.Get(tk)); err == nil && t != "" {
		var n int
		if n, err = atoiField(f.Values, tk); err == nil && n == 0 {
			err = market.Invalid(tk, "choose a payment period")
		}
		ch.TermMonths = &n
	}
	if err == nil {
		_, err = s.svc.UpdateCartItem(r.Context(), p, lineID, ch)
	}
	if err != nil {
		if market.ErrorCode(err) == market.CodeNotFound {
			s.redirect(w, r, "/cart", "That item was no longer in the cart.")
			return
		}
		if market.ErrorCode(err) == market.CodeForbidden {
			s.pageError(w, r, err)
			return
		}
		s.fail(r, f, err, map[string]string{"quantity": qk, qk: qk, "term_months": tk, tk: tk})
		s.showCart(w, r, p, f, web.PageStatus(err))
		return
	}
	s.redirect(w, r, "/cart", "The item was changed and the cart priced anew.")
}
