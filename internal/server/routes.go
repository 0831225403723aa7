package server

import (
	"context"
	"net/http"
	"reflect"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/dialtone/dialtone/internal/inventory"
	"github.com/dialtone/dialtone/internal/market"
)

// routes registers every route of the server.
func (s *Server) routes(reg *prometheus.Registry) {
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, map[string]string{"status": "ok"}) })
	s.mux.HandleFunc("GET /readyz", s.readyz)
	if reg != nil {
		s.mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	}

	s.mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, s.log, market.NotFound("route "+r.Method+" "+r.URL.Path))
	})
	s.portalRoutes()
	s.adminRoutes()
	s.mux.HandleFunc("GET /v1/docs", s.docs)

	// Public.
	op(s, "GET", "/v1/plans", "listPlans", "The catalog: products with their plans", "catalog", forAnyone, s.listPlans)
	op(s, "POST", "/v1/signup", "signup", "Open a customer account", "account", forAnyone, s.signup)
	op(s, "POST", "/v1/sessions", "createSession", "Log in", "account", forAnyone, s.createSession)
	op(s, "DELETE", "/v1/sessions/current", "deleteSession", "Log out", "account", forCustomer, s.deleteSession)
	op(s, "POST", "/v1/password_resets", "createPasswordReset", "E-mail a link that sets a new password (always 202)", "account", forAnyone, s.createPasswordReset)
	op(s, "POST", "/v1/password_resets/{token}", "usePasswordReset", "Set a password with an invitation's or a reset's link", "account", forAnyone, s.usePasswordReset)

	// Customer.
	op(s, "GET", "/v1/account", "getAccount", "The customer account and its balance", "account", forCustomer, s.getAccount)
	op(s, "PATCH", "/v1/account", "updateAccount", "Change the company name, the low-balance threshold, the automatic top-up and how invoices are e-mailed", "account", forManager, s.patchAccount)
	op(s, "GET", "/v1/logins", "listLogins", "The account's logins with their roles", "account", forCustomer, s.listLogins)
	op(s, "POST", "/v1/logins", "createLogin", "Invite a colleague by e-mail with a role", "account", forManager, s.createLogin)
	op(s, "DELETE", "/v1/logins/{id}", "deleteLogin", "Remove a login and end its sessions", "account", forManager, s.deleteLogin)
	op(s, "GET", "/v1/billing_addresses", "listAddresses", "Billing addresses", "billing", forCustomer, s.listAddresses)
	op(s, "POST", "/v1/billing_addresses", "createAddress", "Add a verified billing address", "billing", forBilling, s.createAddress)
	op(s, "GET", "/v1/billing_addresses/{id}", "getAddress", "A billing address", "billing", forCustomer, s.getAddress)
	op(s, "PATCH", "/v1/billing_addresses/{id}", "updateAddress", "Change a billing address", "billing", forBilling, s.updateAddress)
	op(s, "DELETE", "/v1/billing_addresses/{id}", "deleteAddress", "Remove a billing address", "billing", forBilling, s.deleteAddress)
	op(s, "GET", "/v1/payment_methods", "listPaymentMethods", "Saved cards", "billing", forCustomer, s.listPaymentMethods)
	op(s, "POST", "/v1/payment_methods", "createPaymentMethod", "Save a card", "billing", forBilling, s.createPaymentMethod)
	op(s, "DELETE", "/v1/payment_methods/{id}", "deletePaymentMethod", "Remove a saved card", "billing", forBilling, s.deletePaymentMethod)
	op(s, "POST", "/v1/payment_methods/{id}/default", "defaultPaymentMethod", "Make a card the default", "billing", forBilling, s.defaultPaymentMethod)
	op(s, "POST", "/v1/quotes", "createQuote", "Price an order without changing anything", "orders", forCustomer, s.createQuote)
	op(s, "POST", "/v1/orders", "createOrder", "Place and pay an order", "orders", forBilling, s.createOrder)
	op(s, "GET", "/v1/orders", "listOrders", "Orders", "orders", forCustomer, s.listOrders)
	op(s, "GET", "/v1/orders/{id}", "getOrder", "An order", "orders", forCustomer, s.getOrder)
	if s.cfg.GatewayEvents != nil {
		// Only a gateway that can ask for authentication leaves orders
		// waiting, and only Stripe sends events: the sandbox has neither
		// route, so its document does not promise them.
		op(s, "POST", "/v1/orders/{id}/confirm", "confirmOrder", "Complete an order whose card payment waited for authentication", "orders", forBilling, s.confirmOrder)
		op(s, "POST", "/v1/webhooks/stripe", "stripeWebhook", "Stripe's events (signature checked; each applied once)", "payments", forAnyone, s.stripeWebhook)
	}
	s.documentStripeWebhook()
	op(s, "GET", "/v1/cart", "getCart", "The cart with its quote", "cart", forCustomer, s.getCart)
	op(s, "POST", "/v1/cart/items", "addCartItem", "Add an item to the cart", "cart", forManager, s.addCartItem)
	op(s, "PATCH", "/v1/cart/items/{id}", "updateCartItem", "Change an item's licenses or term (the cart is priced anew)", "cart", forManager, s.updateCartItem)
	op(s, "DELETE", "/v1/cart/items/{id}", "removeCartItem", "Remove an item from the cart", "cart", forManager, s.removeCartItem)
	op(s, "PUT", "/v1/cart/promo_code", "setCartPromo", "Apply or remove a promo code", "cart", forManager, s.setCartPromo)
	op(s, "POST", "/v1/cart/checkout", "checkoutCart", "Pay the cart as one order", "cart", forManager, s.checkoutCart)
	op(s, "GET", "/v1/subscriptions", "listSubscriptions", "Subscriptions", "subscriptions", forCustomer, s.listSubscriptions)
	op(s, "GET", "/v1/subscriptions/{id}", "getSubscription", "A subscription with its periods", "subscriptions", forCustomer, s.getSubscription)
	op(s, "PATCH", "/v1/subscriptions/{id}", "updateSubscription", "Switch automatic renewal, cancel at the end of the period or undo that", "subscriptions", forManager, s.updateSubscription)
	op(s, "GET", "/v1/transactions", "listTransactions", "The Billing tab (JSON, or CSV with ?format=csv or Accept: text/csv)", "billing", forCustomer, s.listTransactions)
	op(s, "GET", "/v1/balance/entries", "listBalanceEntries", "Movements of the balance with the running balance", "billing", forCustomer, s.listBalanceEntries)
	op(s, "GET", "/v1/invoices", "listInvoices", "Invoices and credit notes", "billing", forCustomer, s.listInvoices)
	op(s, "GET", "/v1/invoices/{id}", "getInvoice", "An invoice (JSON; {id}.pdf for PDF, {id}.html for HTML)", "billing", forCustomer, s.getInvoice)
	op(s, "GET", "/v1/notifications", "listNotifications", "What was sent to the customer", "account", forCustomer, s.listNotifications)
	op(s, "GET", "/v1/notifications/{id}/email", "getNotificationEmail", "The e-mail of a notification, as the sandbox mailbox kept it (sandbox without SMTP; 404 otherwise)", "account", forCustomer, s.getNotificationEmail)
	op(s, "GET", "/v1/users", "listUsers", "Users", "users", forCustomer, s.listUsers)
	op(s, "POST", "/v1/users", "createUser", "Create a user on a subscription", "users", forManager, s.createUser)
	op(s, "DELETE", "/v1/users/{id}", "deleteUser", "Delete a user", "users", forManager, s.deleteUser)
	op(s, "GET", "/v1/sip_accounts", "listSIPAccounts", "SIP accounts with their numbers and registration", "sip", forCustomer, s.listSIPAccounts)
	op(s, "GET", "/v1/sip_accounts/{id}", "getSIPAccount", "A SIP account (with its password for the customer's admin, the first time only)", "sip", forCustomer, s.getSIPAccount)
	op(s, "POST", "/v1/sip_accounts/{id}/password", "rotateSIPPassword", "Rotate a SIP account's password: the new one is shown in this answer only, and its devices must register again", "sip", forManager, s.rotateSIPPassword)
	op(s, "GET", "/v1/numbers/countries", "listNumberCountries", "Countries with numbers", "numbers", forCustomer, s.listNumberCountries)
	op(s, "GET", "/v1/numbers/countries/{cc}/states", "listNumberStates", "States of a country with numbers", "numbers", forCustomer, s.listNumberStates)
	op(s, "GET", "/v1/numbers/countries/{cc}/areas", "listNumberAreas", "Areas of a country (and state) with numbers", "numbers", forCustomer, s.listNumberAreas)
	op(s, "GET", "/v1/numbers/available", "listAvailableNumbers", "Available numbers", "numbers", forCustomer, s.listAvailableNumbers)
	op(s, "GET", "/v1/numbers", "listNumbers", "Purchased numbers", "numbers", forCustomer, s.listNumbers)
	op(s, "PATCH", "/v1/numbers/{id}", "updateNumber", "Assign a number to a SIP account", "numbers", forManager, s.updateNumber)
	op(s, "DELETE", "/v1/numbers/{id}", "releaseNumber", "Release a number", "numbers", forManager, s.releaseNumber)

	// Operator.
	op(s, "GET", "/v1/admin/plans", "adminListPlans", "All plans", "admin", forOperator, s.adminListPlans)
	op(s, "POST", "/v1/admin/plans", "adminCreatePlan", "Create a plan", "admin", forOperator, s.adminCreatePlan)
	op(s, "PATCH", "/v1/admin/plans/{code}", "adminUpdatePlan", "Change a plan", "admin", forOperator, s.adminUpdatePlan)
	op(s, "GET", "/v1/admin/promo_codes", "adminListPromos", "Promo codes", "admin", forOperator, s.adminListPromos)
	op(s, "POST", "/v1/admin/promo_codes", "adminCreatePromo", "Create a promo code", "admin", forOperator, s.adminCreatePromo)
	op(s, "PATCH", "/v1/admin/promo_codes/{code}", "adminUpdatePromo", "Change a promo code", "admin", forOperator, s.adminUpdatePromo)
	op(s, "GET", "/v1/admin/tax_rates", "adminListTaxRates", "Tax rates", "admin", forOperator, s.adminListTaxRates)
	op(s, "PUT", "/v1/admin/tax_rates/{country}", "adminSetTaxRate", "Set a country's tax rate", "admin", forOperator, s.adminSetTaxRate)
	op(s, "GET", "/v1/admin/number_prices", "adminListNumberPrices", "The price list of numbers in further currencies", "admin", forOperator, s.adminListNumberPrices)
	op(s, "PUT", "/v1/admin/number_prices", "adminPutNumberPrice", "Price numbers of a country (state, area, type) in a further currency", "admin", forOperator, s.adminPutNumberPrice)
	op(s, "GET", "/v1/admin/mailbox", "adminListMailbox", "The sandbox mailbox: every e-mail kept instead of sent (sandbox without SMTP), newest first", "admin", forOperator, s.listMailbox)
	op(s, "GET", "/v1/admin/mailbox/{id}", "adminGetMailboxMail", "One kept e-mail with its text and HTML parts and its attachments (base64)", "admin", forOperator, s.getMailboxMail)
	op(s, "GET", "/v1/admin/customers", "adminListCustomers", "Customers", "admin", forOperator, s.adminListCustomers)
	op(s, "GET", "/v1/admin/customers/{id}", "adminGetCustomer", "A customer", "admin", forOperator, s.adminGetCustomer)
	op(s, "POST", "/v1/admin/customers/{id}/balance_adjustments", "adminAdjustBalance", "Credit or debit a customer's balance", "admin", forOperator, s.adminAdjustBalance)
	op(s, "GET", "/v1/admin/orders", "adminListOrders", "Orders of every customer, filtered by customer, status, purpose and date", "admin", forOperator, s.adminListOrders)
	op(s, "GET", "/v1/admin/subscriptions", "adminListSubscriptions", "Subscriptions of every customer, filtered by customer, status, plan and expiry", "admin", forOperator, s.adminListSubscriptions)
	op(s, "GET", "/v1/admin/orders/{id}/disputes", "adminOrderDisputes", "Disputes of an order's card payment (Stripe's charge.dispute events)", "admin", forOperator, s.adminOrderDisputes)
	op(s, "POST", "/v1/admin/orders/{id}/refunds", "adminRefundOrder", "Refund (part of) an order the way it was paid, with a credit note", "admin", forOperator, s.adminRefundOrder)
	op(s, "POST", "/v1/admin/numbers", "adminImportNumbers", "Import numbers (JSON list or CSV)", "admin", forOperator, s.adminImportNumbers)
	op(s, "GET", "/v1/admin/numbers", "adminListNumbers", "The number inventory by status", "admin", forOperator, s.adminListNumbers)
	op(s, "GET", "/v1/admin/webhook_endpoints", "adminListWebhookEndpoints", "Webhook endpoints", "webhooks", forOperator, s.adminListWebhookEndpoints)
	op(s, "POST", "/v1/admin/webhook_endpoints", "adminCreateWebhookEndpoint", "Register a webhook endpoint (its secret is shown once)", "webhooks", forOperator, s.adminCreateWebhookEndpoint)
	op(s, "DELETE", "/v1/admin/webhook_endpoints/{id}", "adminDeleteWebhookEndpoint", "Delete a webhook endpoint", "webhooks", forOperator, s.adminDeleteWebhookEndpoint)
	op(s, "GET", "/v1/admin/webhook_endpoints/{id}/deliveries", "adminListWebhookDeliveries", "An endpoint's deliveries with their attempts", "webhooks", forOperator, s.adminListWebhookDeliveries)
	op(s, "POST", "/v1/admin/webhook_deliveries/{id}/retry", "adminRetryWebhookDelivery", "Send a delivery again now", "webhooks", forOperator, s.adminRetryWebhookDelivery)
	defer s.documentWebhookErrors()
	defer s.documentFormats()
	defer s.documentLimits()
	op(s, "GET", "/v1/admin/audit_log", "adminListAuditLog", "The audit log: every change made by an operator or with the admin token, newest first", "admin", forOperator, s.adminListAuditLog)
	op(s, "GET", "/v1/admin/clock", "adminGetClock", "The sandbox clock", "admin", forOperator, s.adminGetClock)
	op(s, "POST", "/v1/admin/clock/advance", "adminAdvanceClock", "Move the sandbox clock and run what became due", "admin", forOperator, s.adminAdvanceClock)
}

// documentFormats adds the non-JSON representations to the OpenAPI
// document: the Billing tab as CSV, invoices as PDF and HTML.
func (s *Server) documentFormats() {
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

// op registers one huma operation and who may call it (enforced by
// authorize before the request is read, and documented as its security).
func op[I, O any](s *Server, method, path, id, summary, tag string, acc access, h func(context.Context, *I) (*O, error)) {
	o := huma.Operation{OperationID: id, Method: method, Path: path, Summary: summary, Tags: []string{tag}}
	switch acc {
	case forAnyone:
		o.Security = []map[string][]string{}
	case forCustomer, forManager, forBilling:
		o.Security = []map[string][]string{{"bearer": {}}, {"cookie": {}}}
	case forOperator:
		o.Security = []map[string][]string{{"bearer": {}}}
	}
	s.access[method+" "+path] = acc
	switch method {
	case http.MethodPost:
		o.DefaultStatus = http.StatusCreated
		if path == "/v1/password_resets" {
			o.DefaultStatus = http.StatusAccepted
		}
		if strings.HasPrefix(path, "/v1/password_resets/") || strings.HasSuffix(path, "/default") || strings.HasSuffix(path, "/advance") || strings.HasSuffix(path, "/retry") || path == "/v1/quotes" ||
			strings.HasSuffix(path, "/password") || strings.HasSuffix(path, "/confirm") || strings.HasPrefix(path, "/v1/webhooks/") {
			o.DefaultStatus = http.StatusOK
		}
	case http.MethodDelete:
		o.DefaultStatus = http.StatusOK
	}
	huma.Register(s.api, o, func(ctx context.Context, in *I) (*O, error) {
		out, err := h(ctx, in)
		if err != nil {
			if ra := retryAfter(err); ra != "" {
				return nil, huma.ErrorWithHeaders(toAPIError(ctx, s.log, err), http.Header{"Retry-After": {ra}})
			}
			return nil, toAPIError(ctx, s.log, err)
		}
		return out, nil
	})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.Store().Ping(r.Context()); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unreachable"})
		return
	}
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(r.Context()); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": err.Error()})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
