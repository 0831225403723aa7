package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
)

// statusOf is the one table from contract codes to HTTP statuses: the
// API answers with it, the portal's and the back office's pages show a
// failed form with it.
var statusOf = map[market.Code]int{
	market.CodeInvalidRequest:       http.StatusBadRequest,
	market.CodeUnauthenticated:      http.StatusUnauthorized,
	market.CodeForbidden:            http.StatusForbidden,
	market.CodeNotFound:             http.StatusNotFound,
	market.CodeInsufficientFunds:    http.StatusPaymentRequired,
	market.CodeCardDeclined:         http.StatusPaymentRequired,
	market.CodeNumberUnavailable:    http.StatusConflict,
	market.CodeLicenseLimitReached:  http.StatusConflict,
	market.CodeIdempotencyKeyInUse:  http.StatusConflict,
	market.CodePriceChanged:         http.StatusConflict,
	market.CodeConflict:             http.StatusConflict,
	market.CodeMinLicenses:          http.StatusUnprocessableEntity,
	market.CodeMaxLicenses:          http.StatusUnprocessableEntity,
	market.CodeInvalidTerm:          http.StatusUnprocessableEntity,
	market.CodeDowngradeNotAllowed:  http.StatusUnprocessableEntity,
	market.CodeTrialAlreadyUsed:     http.StatusUnprocessableEntity,
	market.CodePromoInvalid:         http.StatusUnprocessableEntity,
	market.CodePromoExhausted:       http.StatusUnprocessableEntity,
	market.CodeCurrencyMismatch:     http.StatusUnprocessableEntity,
	market.CodeIdempotencyKeyReused: http.StatusUnprocessableEntity,
	market.CodeRateLimited:          http.StatusTooManyRequests,
	market.CodeInternal:             http.StatusInternalServerError,

	market.CodeAuthenticationRequired: http.StatusPaymentRequired,
}

// StatusOf is the HTTP status of a contract code; ok is false for a code
// the table does not know.
func StatusOf(c market.Code) (status int, ok bool) {
	status, ok = statusOf[c]
	return status, ok
}

// PageStatus is the HTTP status of a page that shows err next to a form:
// the API's status for the same error.
func PageStatus(err error) int {
	if st, ok := statusOf[market.ErrorCode(err)]; ok {
		return st
	}
	return http.StatusInternalServerError
}

// ErrBadText is the answer to text we could not store alike on both
// stores: PostgreSQL refuses NUL characters and invalid UTF-8 in text,
// SQLite keeps them, so both refuse them here, before anything runs.
var ErrBadText = market.Invalid("", "text must be UTF-8 without NUL characters")

// AsContract turns a store's refusal of text into the contract's
// invalid_request; other errors pass unchanged.
func AsContract(err error) error {
	if billing.BadText(err) {
		return ErrBadText
	}
	return err
}

// BadTextIn is ErrBadText naming the field, query parameter or header
// that holds the text ("" when none can be named).
func BadTextIn(param string) error {
	if param == "" {
		return ErrBadText
	}
	return market.Invalid(param, "%s: text must be UTF-8 without NUL characters", param)
}

// RetryAfter is the Retry-After header of an error that says when to try
// again (a rate_limited one), or "".
func RetryAfter(err error) string {
	var me *market.Error
	if errors.As(err, &me) {
		if v, ok := me.Extra["retry_after"].(int64); ok && v > 0 {
			return strconv.FormatInt(v, 10)
		}
	}
	return ""
}

// ResetSentWords is the same answer whether or not the address is known;
// it claims no e-mail that is not sent.
func ResetSentWords(mode billing.MailMode) string {
	switch mode {
	case billing.MailSMTP:
		return "If this address belongs to a login, a link to choose a new password is on its way; it works once, within an hour."
	case billing.MailMailbox:
		return "If this address belongs to a login, a link to choose a new password was written; e-mail is not configured on this sandbox, so it is kept in the sandbox mailbox (GET /v1/admin/mailbox) instead of being sent. It works once, within an hour."
	}
	return "E-mail is not configured on this server, so no link to choose a new password can be e-mailed: ask the provider's support."
}
