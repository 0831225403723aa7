package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/web"
)

// ErrorObject is the body of every error (API.md "Errors").
type ErrorObject struct {
	Code        string         `json:"code" doc:"The contract's error code."`
	Message     string         `json:"message"`
	Param       string         `json:"param,omitempty" doc:"The offending field, if one."`
	Missing     *int64         `json:"missing,omitempty" doc:"insufficient_funds: how much is missing, in minor units."`
	Currency    string         `json:"currency,omitempty"`
	DeclineCode string         `json:"decline_code,omitempty" doc:"card_declined: generic_decline, insufficient_funds or expired_card."`
	Quote       *QuoteResponse `json:"quote,omitempty" doc:"price_changed: the fresh quote."`

	// Rejected: POST /v1/admin/numbers when no number was imported.
	Rejected []ImportRowError `json:"rejected,omitempty" doc:"POST /v1/admin/numbers when no number was imported: every row left out and why."`
	// NextActionURL and Order: authentication_required.
	NextActionURL string `json:"next_action_url,omitempty" doc:"authentication_required: the bank's page where the customer authenticates the payment; the order completes when they did."`
	Order         string `json:"order,omitempty" doc:"authentication_required: the ID the order will have; POST /v1/orders/{id}/confirm completes it once authenticated."`
}

// APIError is an error response; it satisfies huma.StatusError.
type APIError struct {
	status int
	Err    ErrorObject `json:"error"`
}

// Error implements error.
func (e *APIError) Error() string { return e.Err.Code + ": " + e.Err.Message }

// GetStatus implements huma.StatusError.
func (e *APIError) GetStatus() int { return e.status }

// ContentType implements huma.ContentTypeFilter: an error is JSON whatever
// representation was asked for (a PDF, HTML or CSV route's too).
func (e *APIError) ContentType(string) string { return "application/json" }

// ToAPIError converts any error to the contract's shape. Errors without a
// contract code are internal: logged with detail, answered without.
func ToAPIError(ctx context.Context, log *slog.Logger, err error) *APIError {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae
	}
	err = web.AsContract(err)
	var me *market.Error
	if !errors.As(err, &me) {
		if errors.Is(err, context.Canceled) {
			return &APIError{status: 499, Err: ErrorObject{Code: string(market.CodeInvalidRequest), Message: "request canceled"}}
		}
		log.ErrorContext(ctx, "internal error", "err", err, "request_id", web.RequestID(ctx))
		return &APIError{status: 500, Err: ErrorObject{Code: string(market.CodeInternal), Message: "something went wrong on our side; nothing was charged twice — try again"}}
	}
	status, ok := web.StatusOf(me.Code)
	if !ok {
		status = http.StatusBadRequest
	}
	out := &APIError{status: status, Err: ErrorObject{Code: string(me.Code), Message: me.Message, Param: me.Param}}
	if v, ok := me.Extra["missing"].(int64); ok {
		out.Err.Missing = &v
	}
	if v, ok := me.Extra["currency"].(string); ok {
		out.Err.Currency = v
	}
	if v, ok := me.Extra["decline_code"].(string); ok {
		out.Err.DeclineCode = v
	}
	if v, ok := me.Extra["rejected"].([]ImportRowError); ok {
		out.Err.Rejected = v
	}
	if v, ok := me.Extra["next_action_url"].(string); ok {
		out.Err.NextActionURL = v
	}
	if v, ok := me.Extra["order"].(string); ok {
		out.Err.Order = v
	}
	if q, ok := me.Extra["quote"].(billing.Quote); ok {
		qr := quoteResponse(q)
		out.Err.Quote = &qr
	}
	return out
}

// init installs our error shape into huma: its own validation failures
// (missing or malformed fields, bad JSON) become 400 invalid_request naming
// the field. huma takes its error constructor and its validation messages
// from package variables (there is no per-API option), so they are set
// once, when the program starts, like a database driver's registration,
// and never changed after: one pure function and constant words.
func init() {
	sayInWords()
	huma.NewError = func(status int, msg string, errs ...error) huma.StatusError {
		code := market.CodeInvalidRequest
		switch {
		case status == http.StatusNotFound:
			code = market.CodeNotFound
		case status == http.StatusUnauthorized:
			code = market.CodeUnauthenticated
		case status == http.StatusForbidden:
			code = market.CodeForbidden
		case status >= 500:
			code = market.CodeInternal
		case status == http.StatusRequestEntityTooLarge, status == http.StatusUnsupportedMediaType,
			status == http.StatusNotAcceptable, status == http.StatusMethodNotAllowed:
			// keep the status, answer invalid_request
		default:
			status = http.StatusBadRequest
		}
		e := &APIError{status: status, Err: ErrorObject{Code: string(code), Message: wordsOfMessage(msg)}}
		for _, d := range errs {
			var det *huma.ErrorDetail
			if errors.As(d, &det) {
				e.Err.Param, e.Err.Message = detailWords(det)
				break
			}
		}
		if e.Err.Message == "" {
			e.Err.Message = http.StatusText(status)
		}
		return e
	}
}

// requiredProp reads validation.MsgExpectedRequiredProperty (sayInWords).
var requiredProp = regexp.MustCompile(`^(\S+) is required$`)

// paramOfDetail names the field of a huma validation detail: its location,
// or for a missing property the property under that location.
func paramOfDetail(d *huma.ErrorDetail) string {
	p := paramOf(d.Location)
	if m := requiredProp.FindStringSubmatch(d.Message); m != nil {
		if p == "" {
			return m[1]
		}
		return p + "." + m[1]
	}
	return p
}

// paramOf turns huma's "body.items[0].plan" into "items[0].plan".
func paramOf(loc string) string {
	for _, p := range []string{"body.", "query.", "path.", "header."} {
		if strings.HasPrefix(loc, p) {
			return strings.TrimPrefix(loc, p)
		}
	}
	if loc == "body" {
		return ""
	}
	return loc
}

// WriteError writes an error outside huma (the server's middleware).
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	if ra := web.RetryAfter(err); ra != "" {
		w.Header().Set("Retry-After", ra)
	}
	e := ToAPIError(r.Context(), log, err)
	web.WriteJSON(w, e.status, e)
}
