package market

import (
	"errors"
	"fmt"
)

// Code is an error code of the API contract. Every failure a customer or the
// operator can cause carries one; the server maps codes to statuses in one
// table.
type Code string

// The error codes of the contract (API.md "Errors").
const (
	CodeInvalidRequest       Code = "invalid_request"
	CodeUnauthenticated      Code = "unauthenticated"
	CodeForbidden            Code = "forbidden"
	CodeNotFound             Code = "not_found"
	CodeInsufficientFunds    Code = "insufficient_funds"
	CodeCardDeclined         Code = "card_declined"
	CodeNumberUnavailable    Code = "number_unavailable"
	CodeLicenseLimitReached  Code = "license_limit_reached"
	CodeIdempotencyKeyInUse  Code = "idempotency_key_in_use"
	CodePriceChanged         Code = "price_changed"
	CodeConflict             Code = "conflict"
	CodeMinLicenses          Code = "min_licenses"
	CodeMaxLicenses          Code = "max_licenses"
	CodeInvalidTerm          Code = "invalid_term"
	CodeDowngradeNotAllowed  Code = "downgrade_not_allowed"
	CodeTrialAlreadyUsed     Code = "trial_already_used"
	CodePromoInvalid         Code = "promo_invalid"
	CodePromoExhausted       Code = "promo_exhausted"
	CodeCurrencyMismatch     Code = "currency_mismatch"
	CodeIdempotencyKeyReused Code = "idempotency_key_reused"
	CodeRateLimited          Code = "rate_limited"
	CodeInternal             Code = "internal"
)

// CodeAuthenticationRequired: the card's bank asks the customer to
// authenticate the payment (Strong Customer Authentication); the order
// waits, unfulfilled, for it (Extra: next_action_url, order).
const CodeAuthenticationRequired Code = "authentication_required"

// Error is a failure with a contract code, a message for people, the
// offending parameter (if any) and extra fields the contract names (e.g.
// "missing" and "currency" for insufficient_funds).
type Error struct {
	Code    Code
	Message string
	Param   string
	Extra   map[string]any
}

// Error implements error.
func (e *Error) Error() string {
	if e.Param != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, e.Param)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an invalid_request error naming param.
func Invalid(param, format string, args ...any) *Error {
	return &Error{Code: CodeInvalidRequest, Param: param, Message: fmt.Sprintf(format, args...)}
}

// NotFound returns a not_found error for a kind of object ("subscription").
func NotFound(kind string) *Error {
	return &Error{Code: CodeNotFound, Message: kind + " not found"}
}

// WithParam returns a copy of e naming param.
func (e *Error) WithParam(param string) *Error {
	c := *e
	c.Param = param
	return &c
}

// ErrorCode returns the contract code of err: the code of an *Error in its
// chain, or CodeInternal for anything else (and "" for nil).
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// IsCode reports whether err carries the given code.
func IsCode(err error, code Code) bool { return ErrorCode(err) == code }

// String returns the code as text.
func (c Code) String() string { return string(c) }
