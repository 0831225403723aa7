package api

import (
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/web"
)

// Error codes an operation can give besides those every operation of its
// kind gives (see baseCodes). Keyed by operation ID.
var extraCodes = map[string][]market.Code{
	"signup":               {market.CodeConflict},
	"createSession":        {market.CodeUnauthenticated, market.CodeRateLimited},
	"createPaymentMethod":  {market.CodeCardDeclined},
	"createQuote":          orderCodes,
	"createOrder":          orderCodes,
	"confirmOrder":         orderCodes,
	"getCart":              {market.CodeNotFound, market.CodePromoInvalid, market.CodePromoExhausted},
	"addCartItem":          orderCodes,
	"updateCartItem":       orderCodes,
	"setCartPromo":         {market.CodePromoInvalid, market.CodePromoExhausted, market.CodeNotFound},
	"checkoutCart":         orderCodes,
	"updateSubscription":   {market.CodeConflict},
	"createUser":           {market.CodeNotFound, market.CodeLicenseLimitReached, market.CodeConflict},
	"updateNumber":         {market.CodeConflict},
	"adminCreatePlan":      {market.CodeConflict},
	"adminUpdatePlan":      {market.CodeConflict},
	"adminCreatePromo":     {market.CodeConflict},
	"adminUpdatePromo":     {market.CodeConflict},
	"adminAdjustBalance":   {market.CodeInsufficientFunds},
	"adminRefundOrder":     {market.CodeInsufficientFunds, market.CodeCardDeclined, market.CodeConflict},
	"adminImportNumbers":   {market.CodeConflict},
	"adminGetClock":        {market.CodeNotFound},
	"adminAdvanceClock":    {market.CodeNotFound, market.CodeConflict},
	"createLogin":          {market.CodeConflict},
	"deleteLogin":          nil,
	"createPasswordReset":  {market.CodeRateLimited},
	"usePasswordReset":     {market.CodeConflict},
	"listTransactions":     nil,
	"listAvailableNumbers": nil,
}

// orderCodes are what pricing and paying an order can answer.
var orderCodes = []market.Code{
	market.CodeNotFound, market.CodeInsufficientFunds, market.CodeCardDeclined,
	market.CodeNumberUnavailable, market.CodeLicenseLimitReached, market.CodePriceChanged, market.CodeConflict,
	market.CodeMinLicenses, market.CodeMaxLicenses, market.CodeInvalidTerm, market.CodeDowngradeNotAllowed,
	market.CodeTrialAlreadyUsed, market.CodePromoInvalid, market.CodePromoExhausted, market.CodeCurrencyMismatch,
	market.CodeAuthenticationRequired, // a card payment that waits for the bank (Stripe)
}

// baseCodes are the codes every operation of its kind can give: bad input
// (a NUL character is refused anywhere), authentication and authorization,
// objects named in the path, and the idempotency keys of POSTs.
func baseCodes(method, path string, o *huma.Operation) []market.Code {
	c := []market.Code{market.CodeInvalidRequest, market.CodeInternal}
	if len(o.Security) > 0 {
		c = append(c, market.CodeUnauthenticated, market.CodeForbidden)
	} else if method != http.MethodGet {
		c = append(c, market.CodeForbidden) // a cross-origin form post
	}
	if strings.Contains(path, "{") {
		c = append(c, market.CodeNotFound)
	}
	if method == http.MethodPost {
		c = append(c, market.CodeIdempotencyKeyInUse, market.CodeIdempotencyKeyReused)
	}
	return c
}

// documentContract completes the OpenAPI document with what huma does not
// know of: the server, the public operations' empty security, every error
// status an operation can give with its codes (no catch-all "default", so
// an undocumented status is an error of the document), the headers the
// middleware sets (X-Request-Id, Idempotency-Key, Idempotent-Replayed,
// Retry-After, Content-Disposition) and the invoice downloads.
func (s *Handler) documentContract() {
	oa := s.api.OpenAPI()
	if oa.Info.Version == "" {
		oa.Info.Version = "dev" // OpenAPI requires one
	}
	oa.Servers = []*huma.Server{{URL: "/", Description: "The server that serves this document"}}
	if inv := oa.Paths["/v1/invoices/{id}"]; inv != nil && inv.Get != nil {
		for ext, ct := range map[string]string{"pdf": "application/pdf", "html": "text/html"} {
			if oa.Paths["/v1/invoices/{id}."+ext] != nil {
				continue // registered as an operation of its own
			}
			g := *inv.Get
			g.OperationID = "getInvoice" + strings.ToUpper(ext)
			g.Summary = "An invoice as " + strings.ToUpper(ext)
			g.Responses = map[string]*huma.Response{"200": {Description: "The invoice as " + strings.ToUpper(ext),
				Content: map[string]*huma.MediaType{ct: {Schema: &huma.Schema{Type: "string", Format: "binary"}}}}}
			oa.Paths["/v1/invoices/{id}."+ext] = &huma.PathItem{Get: &g}
		}
	}
	for path, item := range oa.Paths {
		for method, o := range map[string]*huma.Operation{http.MethodGet: item.Get, http.MethodPost: item.Post,
			http.MethodPut: item.Put, http.MethodPatch: item.Patch, http.MethodDelete: item.Delete} {
			if o != nil {
				documentOperation(method, path, o)
			}
		}
	}
}

func documentOperation(method, path string, o *huma.Operation) {
	if o.Security == nil {
		o.Security = []map[string][]string{}
	}
	if method == http.MethodPost && !slices.ContainsFunc(o.Parameters, func(p *huma.Param) bool { return p.Name == "Idempotency-Key" }) {
		o.Parameters = append(o.Parameters, &huma.Param{Name: "Idempotency-Key", In: "header",
			Description: "Retry-safe key: the same key with the same request within 24 hours returns the first response again (same status and body, with Idempotent-Replayed: true) and does nothing more; the same key with another request is 422 idempotency_key_reused, and while the first still runs 409 idempotency_key_in_use.",
			Schema:      &huma.Schema{Type: "string", MaxLength: ptr(255)}})
	}
	if web.TakesKey(o.OperationID) {
		for _, p := range o.Parameters {
			if p.Name == "Idempotency-Key" {
				p.Description += " " + web.TakesKeyWords
			}
		}
	}
	if web.WithholdsAnswer(o.OperationID) {
		for _, p := range o.Parameters {
			if p.Name == "Idempotency-Key" {
				p.Description += " This operation's successful answer holds a secret shown once, so it is not kept: a replay of it is 409 idempotency_key_in_use (" + web.WithheldWords + ")."
			}
		}
		o.Description = strings.TrimSpace(o.Description + "\n\nIdempotency-Key: the successful answer holds a secret shown once and is not kept (24 hours in the database would keep the secret readable); the same key with the same request again is 409 idempotency_key_in_use and does nothing more. A refusal (4xx) is kept and replayed as usual.")
	}
	delete(o.Responses, "default")
	byStatus := map[int][]string{}
	codes := append(baseCodes(method, path, o), extraCodes[o.OperationID]...)
	for _, c := range codes {
		st, _ := web.StatusOf(c)
		if !slices.Contains(byStatus[st], string(c)) {
			byStatus[st] = append(byStatus[st], string(c))
		}
	}
	if o.RequestBody != nil {
		// A body too large, or of a type the operation does not read.
		byStatus[http.StatusRequestEntityTooLarge] = []string{string(market.CodeInvalidRequest)}
		byStatus[http.StatusUnsupportedMediaType] = []string{string(market.CodeInvalidRequest)}
	}
	for st, cs := range byStatus {
		sort.Strings(cs)
		o.Responses[strconv.Itoa(st)] = errorResponse(st, cs)
	}
	for st, r := range o.Responses {
		if r.Headers == nil {
			r.Headers = map[string]*huma.Param{}
		}
		r.Headers["X-Request-Id"] = &huma.Param{Description: "The request's ID, as logged by the server.", Schema: &huma.Schema{Type: "string"}}
		if method == http.MethodPost && st != "500" {
			r.Headers["Idempotent-Replayed"] = &huma.Param{Description: "true when this is the stored response of an earlier request with the same Idempotency-Key.",
				Schema: &huma.Schema{Type: "string", Enum: []any{"true"}}}
		}
		if st == "429" {
			r.Headers["Retry-After"] = &huma.Param{Description: "Seconds to wait before trying again.", Required: true, Schema: &huma.Schema{Type: "integer"}}
		}
		if st == "200" && r.Content != nil && (r.Content["text/csv"] != nil || r.Content["application/pdf"] != nil || r.Content["text/html"] != nil) {
			r.Headers["Content-Disposition"] = &huma.Param{Description: "Present on a download (the Billing tab as CSV): attachment with its file name.",
				Schema: &huma.Schema{Type: "string"}}
		}
	}
}

// errorResponse is the error response of one status with the codes the
// operation can give in it: listed in the description and in x-error-codes,
// and enforced by an enum on error.code.
func errorResponse(status int, codes []string) *huma.Response {
	enum := make([]any, len(codes))
	for i, c := range codes {
		enum[i] = c
	}
	quoted := make([]string, len(codes))
	for i, c := range codes {
		quoted[i] = "`" + c + "`"
	}
	schema := &huma.Schema{AllOf: []*huma.Schema{
		{Ref: "#/components/schemas/APIError"},
		{Type: "object", Properties: map[string]*huma.Schema{"error": {Type: "object",
			Properties: map[string]*huma.Schema{"code": {Type: "string", Enum: enum}}}}},
	}}
	return &huma.Response{
		Description: http.StatusText(status) + ": " + strings.Join(quoted, ", ") + ".",
		Content:     map[string]*huma.MediaType{"application/json": {Schema: schema}},
		Extensions:  map[string]any{"x-error-codes": codes},
	}
}

func ptr[T any](v T) *T { return &v }
