package api

import (
	"reflect"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dialtone/dialtone/internal/inventory"
)

// documentFormats adds the non-JSON representations to the OpenAPI
// document: the Billing tab as CSV, invoices as PDF and HTML.
func (s *Handler) documentFormats() {
	oa := s.api.OpenAPI()
	add := func(path string, types ...string) {
		item := oa.Paths[path]
		if item == nil || item.Get == nil || item.Get.Responses["200"] == nil {
			return
		}
		r := item.Get.Responses["200"]
		for _, t := range types {
			r.Content[t] = &huma.MediaType{Schema: &huma.Schema{Type: "string", Format: "binary"}}
		}
	}
	add("/v1/transactions", "text/csv")
	add("/v1/invoices/{id}", "application/pdf", "text/html")
	if item := oa.Paths["/v1/cart/promo_code"]; item != nil && item.Put != nil {
		item.Put.Description = "An empty `code` removes the cart's code. A code that does not exist, is inactive, " +
			"not yet or no longer valid, or for another currency is 422 `promo_invalid`, one used up is 422 " +
			"`promo_exhausted` (`param`: `code`), whatever the cart holds. On an empty cart a usable code is kept " +
			"and priced with the items when they come (the cart's `quote_error` says so if it does not apply to them); " +
			"on a cart with items it must reduce one of them."
	}
	if item := oa.Paths["/v1/cart/items/{id}"]; item != nil && item.Patch != nil {
		item.Patch.Description = "Changes `quantity` (a new subscription's licenses, an extension's licenses, licenses added) " +
			"and `term_months` (a new subscription's or an extension's term) of an item in place; a field left out stays. " +
			"The item is checked again as `POST /v1/cart/items` checks one: fewer than the plan's minimum is 422 `min_licenses`, " +
			"more than its maximum 422 `max_licenses`, a term it does not sell 422 `invalid_term` (`param` names the field); " +
			"a field the item has not (an upgrade, a number, a top-up; a term of added licenses) is 400 `invalid_request`. " +
			"Nothing changes on an error. The answer is the cart with its new quote (which counts as shown)."
	}
	// An import is a CSV file or a JSON list; huma knows of the CSV.
	if item := oa.Paths["/v1/admin/numbers"]; item != nil && item.Post != nil && item.Post.RequestBody != nil {
		item.Post.Description = "Each row is checked on its own and a bad row never stops the others. " +
			"When at least one number is added: 201 with `imported` and, in `rejected`, every row left out " +
			"(invalid, a duplicate in the file, or already in the inventory) with its line (CSV; the header is line 1) " +
			"or position (JSON, from 1), field and reason. When none is: 400 `invalid_request`, nothing changes, " +
			"the same list in `error.rejected` and `param` naming the first row's field " +
			"(`[0].setup_amount` in a JSON list, `setup_amount` in CSV, `body` when there are no rows). " + inventory.TypeRule
		item.Post.RequestBody.Content["application/json"] = &huma.MediaType{
			Schema: oa.Components.Schemas.Schema(reflect.TypeFor[[]ImportNumber](), true, ""),
		}
	}
}
