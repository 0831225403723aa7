package portal

import (
	"sort"
	"strings"
)

// A form's field errors are shown next to their fields and, on the
// checkout pages, once more at the top as a summary whose entries link to
// their fields (#id), so that an error below the fold is never missed.

// summaryItem is one entry of the error summary.
type summaryItem struct {
	// ID is the field's element ID (the anchor of the link).
	ID, Label, Msg string
}

// fieldOrder is the order in which the checkout's fields appear.
var fieldOrder = []string{"quantity", "term", "trial", "confirm_second", "promo", "address", "name", "line1", "line2",
	"postal_code", "city", "country", "state", "vat_id", "pay", "card_number", "exp_month", "exp_year", "cvc"}

// fieldLabels names the fields in the summary as their labels do.
var fieldLabels = map[string]string{
	"quantity": "Number of licenses", "term": "Payment period", "trial": "Free trial", "confirm_second": "Second subscription",
	"promo": "Promo code", "address": "Billing address", "name": "Name or company", "line1": "Street and number",
	"line2": "Address line 2", "postal_code": "Postal code", "city": "City", "country": "Country", "state": "State or province",
	"vat_id": "VAT ID", "pay": "Payment", "card_number": "Card number", "exp_month": "Expiry month", "exp_year": "Expiry year",
	"cvc": "Security code (CVC)", "amount": "Amount",
}

// summaryOf (the "summary" template function) returns the form's field errors in the order of the form's
// fields (a cart line's fields, "quantity-cit_…", after the known ones).
func summaryOf(f *form) []summaryItem {
	if f == nil || len(f.Errors) == 0 {
		return nil
	}
	rank := func(k string) int {
		for i, n := range fieldOrder {
			if k == n {
				return i
			}
		}
		return len(fieldOrder)
	}
	keys := make([]string, 0, len(f.Errors))
	for k := range f.Errors {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if ri, rj := rank(keys[i]), rank(keys[j]); ri != rj {
			return ri < rj
		}
		return keys[i] < keys[j]
	})
	out := make([]summaryItem, 0, len(keys))
	for _, k := range keys {
		base, _, _ := strings.Cut(k, "-")
		label := fieldLabels[base]
		if label == "" && base != "" {
			label = strings.ToUpper(base[:1]) + strings.ReplaceAll(base[1:], "_", " ")
		}
		out = append(out, summaryItem{ID: k, Label: label, Msg: f.Errors[k]})
	}
	return out
}
