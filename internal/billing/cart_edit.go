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

// CartItemChange changes a cart item's licenses or term; a field left out
// stays as it is.
type CartItemChange struct {
	Quantity   *int `json:"quantity,omitempty" minimum:"1" doc:"subscription: licenses, within the plan's min_licenses and max_licenses; renewal: licenses of the new period; licenses: licenses added (held + added at most the plan's max_licenses)."`
	TermMonths *int `json:"term_months,omitempty" minimum:"1" doc:"subscription, renewal: the term in months, one of the plan's terms."`
}

// UpdateCartItem changes the licenses or the term of an item in the cart
// and checks the item again against the plan and what the cart holds, as
// AddToCart does; the cart's next quote prices it anew. Errors:
// not_found; invalid_request naming quantity or term_months (a number
// below 1, or a field the item does not have: an upgrade, a number or a
// top-up has neither, added licenses have no term of their own);
// min_licenses, max_licenses, invalid_term naming the field; nothing
// changes on any error.
func (s *Service) UpdateCartItem(ctx context.Context, p Principal, itemID string, ch CartItemChange) (CartEntry, error) {
	if err := p.mayManage(); err != nil {
		return CartEntry{}, err
	}
	cur, err := s.cartItems(ctx, p)
	if err != nil {
		return CartEntry{}, err
	}
	at := -1
	for i, e := range cur.Items {
		if e.ID == itemID {
			at = i
		}
	}
	if at < 0 {
		return CartEntry{}, market.NotFound("cart item")
	}
	it, err := changed(cur.Items[at].Item, ch)
	if err != nil {
		return CartEntry{}, err
	}
	var in OrderInput
	for i, e := range cur.Items {
		if i == at {
			e.Item = it
		}
		in.Items = append(in.Items, e.Item)
	}
	if err := s.checkCartItem(ctx, p, in, at); err != nil {
		return CartEntry{}, err
	}
	body, err := json.Marshal(it)
	if err != nil {
		return CartEntry{}, err
	}
	err = s.store.Tx(ctx, func(q *store.Q) error { return q.UpdateCartItem(ctx, p.CustomerID, itemID, string(body)) })
	return CartEntry{ID: itemID, Item: it}, err
}

// changed applies ch to an item, refusing a field the item has not.
func changed(it ItemInput, ch CartItemChange) (ItemInput, error) {
	var show Show
	if k, ok := KindOf(it.Type); ok {
		show = k.Show()
	}
	if ch.Quantity != nil {
		switch {
		case !show.Licenses:
			return it, market.Invalid("quantity", "this item has no number of licenses to change")
		case *ch.Quantity < 1:
			return it, market.Invalid("quantity", "enter the number of licenses: at least 1")
		}
		it.Quantity = *ch.Quantity
	}
	if ch.TermMonths != nil {
		switch {
		case !show.Term && show.NoTerm != "":
			return it, market.Invalid("term_months", "%s", show.NoTerm)
		case !show.Term:
			return it, market.Invalid("term_months", "this item has no term to change")
		case *ch.TermMonths < 1:
			return it, market.Invalid("term_months", "choose a term of 1 month or more")
		}
		it.TermMonths = *ch.TermMonths
	}
	return it, it.validate()
}

// checkCartItem prices the cart's items without promo code or tax and
// returns the errors of item at, naming its field as the request does
// ("quantity"). An error of another item is the cart's quote error as it
// was before the change: the changed item is then checked on its own.
func (s *Service) checkCartItem(ctx context.Context, p Principal, in OrderInput, at int) error {
	_, err := s.quoteItemsOnly(ctx, p, in)
	var me *market.Error
	if err == nil || !errors.As(err, &me) {
		return err
	}
	if own := fmt.Sprintf("items[%d].", at); strings.HasPrefix(me.Param, own) {
		return me.WithParam(strings.TrimPrefix(me.Param, own))
	}
	if !strings.HasPrefix(me.Param, "items[") {
		return err
	}
	_, err = s.quoteItemsOnly(ctx, p, OrderInput{Items: in.Items[at : at+1]})
	if errors.As(err, &me) {
		return me.WithParam(strings.TrimPrefix(me.Param, "items[0]."))
	}
	return err
}
