package server

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/dialtone/dialtone/internal/api"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/web"
)

// routes registers every route of every face, each with who may call it
// (auth.go): the server's own, the back office's mount, the portal's pages
// and the JSON API's operations. authorize refuses a caller a route does
// not allow before anything else of the request is read, and a handler
// receives its caller's principal (routes_test.go walks this list).
func (s *Server) routes(reg *prometheus.Registry) {
	// The server's own.
	s.handle("GET /healthz", forAnyone, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		web.WriteJSON(w, 200, map[string]string{"status": "ok"})
	}))
	s.handle("GET /readyz", forAnyone, http.HandlerFunc(s.readyz))
	if reg != nil {
		s.handle("GET /metrics", forAnyone, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	}

	// The operator's back office (internal/admin) at /admin: it logs its
	// operators in and enforces their roles itself (admin/roles.go).
	s.adminRoutes()

	// The customer portal (internal/portal) at /: public pages, and pages
	// of a logged-in customer (s.page), whose visitors are sent to log in.
	s.handle("GET /static/", forAnyone, s.portal.Static())
	s.public("/", s.portal.NotFound)
	s.page("GET /{$}", s.portal.Dashboard)
	s.public("GET /signup", s.portal.SignupPage)
	s.public("POST /signup", s.portal.SignupPost)
	s.public("GET /login", s.portal.LoginPage)
	s.public("POST /login", s.portal.LoginPost)
	s.public("POST /logout", s.portal.LogoutPost)
	s.page("GET /marketplace/plans", s.portal.PlansPage)
	s.page("GET /marketplace/plans/{code}/buy", s.portal.BuyPlanPage)
	s.page("POST /marketplace/plans/{code}/buy", s.portal.BuyPlanPost)
	s.page("GET /marketplace/subscriptions/{id}/renew", s.portal.RenewRedirect)
	s.page("GET /marketplace/subscriptions/{id}/upgrade", s.portal.UpgradePage)
	s.page("GET /marketplace/subscriptions/{id}/licenses", s.portal.LicensesPage)
	s.page("POST /marketplace/subscriptions/{id}/licenses", s.portal.LicensesPost)
	s.page("GET /checkout", s.portal.CheckoutPage)
	s.page("POST /checkout", s.portal.CheckoutPost)
	s.page("GET /orders/{id}", s.portal.OrderPage)
	s.page("GET /marketplace/numbers", s.portal.NumbersPage)
	s.page("POST /marketplace/numbers/{id}/assign", s.portal.AssignNumberPost)
	s.page("GET /marketplace/numbers/{id}/release", s.portal.ReleaseNumberPage)
	s.page("POST /marketplace/numbers/{id}/release", s.portal.ReleaseNumberPost)
	s.page("GET /marketplace/billing", s.portal.BillingPage)
	s.page("GET /marketplace/billing/balance", s.portal.BalancePage)
	s.page("GET /marketplace/billing/refill", s.portal.RefillPage)
	s.page("POST /marketplace/billing/refill", s.portal.RefillPost)
	s.page("GET /subscriptions", s.portal.SubscriptionsPage)
	s.page("POST /subscriptions/{id}/auto-renew", s.portal.AutoRenewPost)
	s.page("GET /subscriptions/{id}", s.portal.SubscriptionPage)
	s.page("POST /subscriptions/{id}/extend", s.portal.ExtendPost)
	s.page("GET /buy", s.portal.BuyPage)
	s.page("POST /buy", s.portal.BuyPost)
	s.page("GET /cart", s.portal.CartPage)
	s.page("POST /cart/items/{id}/remove", s.portal.CartRemovePost)
	s.page("POST /cart/items/{id}", s.portal.CartItemPost)
	s.page("POST /cart/promo", s.portal.CartPromoPost)
	s.page("GET /cart/address", s.portal.CartAddressPage)
	s.page("POST /cart/address", s.portal.CartAddressPost)
	s.page("GET /cart/payment", s.portal.CartPaymentPage)
	s.page("POST /cart/payment", s.portal.CartPaymentPost)
	s.page("GET /subscriptions/{id}/cancel", s.portal.CancelPage)
	s.page("POST /subscriptions/{id}/cancel", s.portal.CancelPost)
	s.page("POST /subscriptions/{id}/undo-cancel", s.portal.UndoCancelPost)
	s.page("GET /users", s.portal.UsersPage)
	s.page("POST /users", s.portal.UsersPost)
	s.page("GET /users/{id}/delete", s.portal.UserDeletePage)
	s.page("POST /users/{id}/delete", s.portal.UserDeletePost)
	s.page("GET /sip", s.portal.SipPage)
	s.page("GET /sip/{id}", s.portal.SipAccountPage)
	s.page("GET /sip/{id}/password", s.portal.SipRotatePage)
	s.page("POST /sip/{id}/password", s.portal.SipRotatePost)
	s.page("GET /notifications", s.portal.NotificationsPage)
	s.page("GET /invoices", s.portal.InvoicesPage)
	s.page("GET /invoices/{id}", s.portal.InvoicePage)
	s.page("GET /payment-methods", s.portal.CardsPage)
	s.page("POST /payment-methods", s.portal.CardsPost)
	s.page("POST /payment-methods/{id}/default", s.portal.CardDefaultPost)
	s.page("POST /payment-methods/{id}/delete", s.portal.CardDeletePost)
	s.page("GET /addresses", s.portal.AddressesPage)
	s.page("POST /addresses", s.portal.AddressesPost)
	s.page("GET /addresses/{id}/edit", s.portal.AddressEditPage)
	s.page("POST /addresses/{id}/edit", s.portal.AddressEditPost)
	s.page("POST /addresses/{id}/delete", s.portal.AddressDeletePost)
	s.page("GET /settings", s.portal.SettingsPage)
	s.page("POST /settings/password", s.portal.PasswordPost)
	s.page("POST /settings/balance", s.portal.BalanceSettingsPost)
	s.page("GET /orders/{id}/authenticate", s.portal.PaymentAuthenticate)
	s.page("GET /orders/{id}/return", s.portal.PaymentReturn)
	s.page("GET /payment-methods/return", s.portal.CardReturn)
	s.public("GET /forgot-password", s.portal.ForgotPage)
	s.public("POST /forgot-password", s.portal.ForgotPost)
	s.public("GET /invitations/{token}", s.portal.LinkPage)
	s.public("POST /invitations/{token}", s.portal.LinkPost)
	s.public("GET /password_resets/{token}", s.portal.LinkPage)
	s.public("POST /password_resets/{token}", s.portal.LinkPost)
	s.page("POST /settings/company", s.portal.CompanyPost)
	s.page("POST /settings/email", s.portal.EmailPost)
	s.page("POST /settings/logins", s.portal.InvitePost)
	s.page("POST /settings/logins/{id}/delete", s.portal.LoginDeletePost)
	s.page("GET /notifications/{id}/email", s.portal.NotificationMailPage)
	s.page("GET /notifications/{id}/email.html", s.portal.NotificationMailHTML)
	s.page("GET /notifications/{id}/email/attachments/{n}", s.portal.NotificationMailAttachment)
	s.page("POST /settings/invoice-emails", s.portal.InvoiceEmailsPost)

	// The JSON API (internal/api) under /v1: huma operations, each with
	// who may call it; huma serves the OpenAPI document itself
	// (GET /v1/openapi.json, .yaml, /v1/schemas/…), open to anyone.
	s.handle("/v1/", forAnyone, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		api.WriteError(w, r, s.log, market.NotFound("route "+r.Method+" "+r.URL.Path))
	}))
	s.handle("GET /v1/docs", forAnyone, http.HandlerFunc(s.api.Docs))

	// Public.
	op(s, "GET", "/v1/plans", "listPlans", "The catalog: products with their plans", "catalog", forAnyone, s.api.ListPlans)
	op(s, "POST", "/v1/signup", "signup", "Open a customer account", "account", forAnyone, s.api.Signup)
	op(s, "POST", "/v1/sessions", "createSession", "Log in", "account", forAnyone, s.api.CreateSession)
	op(s, "DELETE", "/v1/sessions/current", "deleteSession", "Log out", "account", forCustomer, s.api.DeleteSession)
	op(s, "POST", "/v1/password_resets", "createPasswordReset", "E-mail a link that sets a new password (always 202)", "account", forAnyone, s.api.CreatePasswordReset)
	op(s, "POST", "/v1/password_resets/{token}", "usePasswordReset", "Set a password with an invitation's or a reset's link", "account", forAnyone, s.api.UsePasswordReset)

	// Customer.
	op(s, "GET", "/v1/account", "getAccount", "The customer account and its balance", "account", forCustomer, s.api.GetAccount)
	op(s, "PATCH", "/v1/account", "updateAccount", "Change the company name, the low-balance threshold, the automatic top-up and how invoices are e-mailed", "account", forManager, s.api.PatchAccount)
	op(s, "GET", "/v1/logins", "listLogins", "The account's logins with their roles", "account", forCustomer, s.api.ListLogins)
	op(s, "POST", "/v1/logins", "createLogin", "Invite a colleague by e-mail with a role", "account", forManager, s.api.CreateLogin)
	op(s, "DELETE", "/v1/logins/{id}", "deleteLogin", "Remove a login and end its sessions", "account", forManager, s.api.DeleteLogin)
	op(s, "GET", "/v1/billing_addresses", "listAddresses", "Billing addresses", "billing", forCustomer, s.api.ListAddresses)
	op(s, "POST", "/v1/billing_addresses", "createAddress", "Add a verified billing address", "billing", forBilling, s.api.CreateAddress)
	op(s, "GET", "/v1/billing_addresses/{id}", "getAddress", "A billing address", "billing", forCustomer, s.api.GetAddress)
	op(s, "PATCH", "/v1/billing_addresses/{id}", "updateAddress", "Change a billing address", "billing", forBilling, s.api.UpdateAddress)
	op(s, "DELETE", "/v1/billing_addresses/{id}", "deleteAddress", "Remove a billing address", "billing", forBilling, s.api.DeleteAddress)
	op(s, "GET", "/v1/payment_methods", "listPaymentMethods", "Saved cards", "billing", forCustomer, s.api.ListPaymentMethods)
	op(s, "POST", "/v1/payment_methods", "createPaymentMethod", "Save a card", "billing", forBilling, s.api.CreatePaymentMethod)
	op(s, "DELETE", "/v1/payment_methods/{id}", "deletePaymentMethod", "Remove a saved card", "billing", forBilling, s.api.DeletePaymentMethod)
	op(s, "POST", "/v1/payment_methods/{id}/default", "defaultPaymentMethod", "Make a card the default", "billing", forBilling, s.api.DefaultPaymentMethod)
	op(s, "POST", "/v1/quotes", "createQuote", "Price an order without changing anything", "orders", forCustomer, s.api.CreateQuote)
	op(s, "POST", "/v1/orders", "createOrder", "Place and pay an order", "orders", forBilling, s.api.CreateOrder)
	op(s, "GET", "/v1/orders", "listOrders", "Orders", "orders", forCustomer, s.api.ListOrders)
	op(s, "GET", "/v1/orders/{id}", "getOrder", "An order", "orders", forCustomer, s.api.GetOrder)
	if s.cfg.GatewayEvents != nil {
		// Only a gateway that can ask for authentication leaves orders
		// waiting, and only Stripe sends events: the sandbox has neither
		// route, so its document does not promise them.
		op(s, "POST", "/v1/orders/{id}/confirm", "confirmOrder", "Complete an order whose card payment waited for authentication", "orders", forBilling, s.api.ConfirmOrder)
		op(s, "POST", "/v1/webhooks/stripe", "stripeWebhook", "Stripe's events (signature checked; each applied once)", "payments", forAnyone, s.api.StripeWebhook)
	}
	op(s, "GET", "/v1/cart", "getCart", "The cart with its quote", "cart", forCustomer, s.api.GetCart)
	op(s, "POST", "/v1/cart/items", "addCartItem", "Add an item to the cart", "cart", forManager, s.api.AddCartItem)
	op(s, "PATCH", "/v1/cart/items/{id}", "updateCartItem", "Change an item's licenses or term (the cart is priced anew)", "cart", forManager, s.api.UpdateCartItem)
	op(s, "DELETE", "/v1/cart/items/{id}", "removeCartItem", "Remove an item from the cart", "cart", forManager, s.api.RemoveCartItem)
	op(s, "PUT", "/v1/cart/promo_code", "setCartPromo", "Apply or remove a promo code", "cart", forManager, s.api.SetCartPromo)
	op(s, "POST", "/v1/cart/checkout", "checkoutCart", "Pay the cart as one order", "cart", forManager, s.api.CheckoutCart)
	op(s, "GET", "/v1/subscriptions", "listSubscriptions", "Subscriptions", "subscriptions", forCustomer, s.api.ListSubscriptions)
	op(s, "GET", "/v1/subscriptions/{id}", "getSubscription", "A subscription with its periods", "subscriptions", forCustomer, s.api.GetSubscription)
	op(s, "PATCH", "/v1/subscriptions/{id}", "updateSubscription", "Switch automatic renewal, cancel at the end of the period or undo that", "subscriptions", forManager, s.api.UpdateSubscription)
	op(s, "GET", "/v1/transactions", "listTransactions", "The Billing tab (JSON, or CSV with ?format=csv or Accept: text/csv)", "billing", forCustomer, s.api.ListTransactions)
	op(s, "GET", "/v1/balance/entries", "listBalanceEntries", "Movements of the balance with the running balance", "billing", forCustomer, s.api.ListBalanceEntries)
	op(s, "GET", "/v1/invoices", "listInvoices", "Invoices and credit notes", "billing", forCustomer, s.api.ListInvoices)
	op(s, "GET", "/v1/invoices/{id}", "getInvoice", "An invoice (JSON; {id}.pdf for PDF, {id}.html for HTML)", "billing", forCustomer, s.api.GetInvoice)
	op(s, "GET", "/v1/notifications", "listNotifications", "What was sent to the customer", "account", forCustomer, s.api.ListNotifications)
	op(s, "GET", "/v1/notifications/{id}/email", "getNotificationEmail", "The e-mail of a notification, as the sandbox mailbox kept it (sandbox without SMTP; 404 otherwise)", "account", forCustomer, s.api.GetNotificationEmail)
	op(s, "GET", "/v1/users", "listUsers", "Users", "users", forCustomer, s.api.ListUsers)
	op(s, "POST", "/v1/users", "createUser", "Create a user on a subscription", "users", forManager, s.api.CreateUser)
	op(s, "DELETE", "/v1/users/{id}", "deleteUser", "Delete a user", "users", forManager, s.api.DeleteUser)
	op(s, "GET", "/v1/sip_accounts", "listSIPAccounts", "SIP accounts with their numbers and registration", "sip", forCustomer, s.api.ListSIPAccounts)
	op(s, "GET", "/v1/sip_accounts/{id}", "getSIPAccount", "A SIP account (with its password for the customer's admin, the first time only)", "sip", forCustomer, s.api.GetSIPAccount)
	op(s, "POST", "/v1/sip_accounts/{id}/password", "rotateSIPPassword", "Rotate a SIP account's password: the new one is shown in this answer only, and its devices must register again", "sip", forManager, s.api.RotateSIPPassword)
	op(s, "GET", "/v1/numbers/countries", "listNumberCountries", "Countries with numbers", "numbers", forCustomer, s.api.ListNumberCountries)
	op(s, "GET", "/v1/numbers/countries/{cc}/states", "listNumberStates", "States of a country with numbers", "numbers", forCustomer, s.api.ListNumberStates)
	op(s, "GET", "/v1/numbers/countries/{cc}/areas", "listNumberAreas", "Areas of a country (and state) with numbers", "numbers", forCustomer, s.api.ListNumberAreas)
	op(s, "GET", "/v1/numbers/available", "listAvailableNumbers", "Available numbers", "numbers", forCustomer, s.api.ListAvailableNumbers)
	op(s, "GET", "/v1/numbers", "listNumbers", "Purchased numbers", "numbers", forCustomer, s.api.ListNumbers)
	op(s, "PATCH", "/v1/numbers/{id}", "updateNumber", "Assign a number to a SIP account", "numbers", forManager, s.api.UpdateNumber)
	op(s, "DELETE", "/v1/numbers/{id}", "releaseNumber", "Release a number", "numbers", forManager, s.api.ReleaseNumber)

	// Operator.
	op(s, "GET", "/v1/admin/plans", "adminListPlans", "All plans", "admin", forOperator, s.api.AdminListPlans)
	op(s, "POST", "/v1/admin/plans", "adminCreatePlan", "Create a plan", "admin", forOperator, s.api.AdminCreatePlan)
	op(s, "PATCH", "/v1/admin/plans/{code}", "adminUpdatePlan", "Change a plan", "admin", forOperator, s.api.AdminUpdatePlan)
	op(s, "GET", "/v1/admin/promo_codes", "adminListPromos", "Promo codes", "admin", forOperator, s.api.AdminListPromos)
	op(s, "POST", "/v1/admin/promo_codes", "adminCreatePromo", "Create a promo code", "admin", forOperator, s.api.AdminCreatePromo)
	op(s, "PATCH", "/v1/admin/promo_codes/{code}", "adminUpdatePromo", "Change a promo code", "admin", forOperator, s.api.AdminUpdatePromo)
	op(s, "GET", "/v1/admin/tax_rates", "adminListTaxRates", "Tax rates", "admin", forOperator, s.api.AdminListTaxRates)
	op(s, "PUT", "/v1/admin/tax_rates/{country}", "adminSetTaxRate", "Set a country's tax rate", "admin", forOperator, s.api.AdminSetTaxRate)
	op(s, "GET", "/v1/admin/number_prices", "adminListNumberPrices", "The price list of numbers in further currencies", "admin", forOperator, s.api.AdminListNumberPrices)
	op(s, "PUT", "/v1/admin/number_prices", "adminPutNumberPrice", "Price numbers of a country (state, area, type) in a further currency", "admin", forOperator, s.api.AdminPutNumberPrice)
	op(s, "GET", "/v1/admin/mailbox", "adminListMailbox", "The sandbox mailbox: every e-mail kept instead of sent (sandbox without SMTP), newest first", "admin", forOperator, s.api.ListMailbox)
	op(s, "GET", "/v1/admin/mailbox/{id}", "adminGetMailboxMail", "One kept e-mail with its text and HTML parts and its attachments (base64)", "admin", forOperator, s.api.GetMailboxMail)
	op(s, "GET", "/v1/admin/customers", "adminListCustomers", "Customers", "admin", forOperator, s.api.AdminListCustomers)
	op(s, "GET", "/v1/admin/customers/{id}", "adminGetCustomer", "A customer", "admin", forOperator, s.api.AdminGetCustomer)
	op(s, "POST", "/v1/admin/customers/{id}/balance_adjustments", "adminAdjustBalance", "Credit or debit a customer's balance", "admin", forOperator, s.api.AdminAdjustBalance)
	op(s, "GET", "/v1/admin/orders", "adminListOrders", "Orders of every customer, filtered by customer, status, purpose and date", "admin", forOperator, s.api.AdminListOrders)
	op(s, "GET", "/v1/admin/subscriptions", "adminListSubscriptions", "Subscriptions of every customer, filtered by customer, status, plan and expiry", "admin", forOperator, s.api.AdminListSubscriptions)
	op(s, "GET", "/v1/admin/orders/{id}/disputes", "adminOrderDisputes", "Disputes of an order's card payment (Stripe's charge.dispute events)", "admin", forOperator, s.api.AdminOrderDisputes)
	op(s, "POST", "/v1/admin/orders/{id}/refunds", "adminRefundOrder", "Refund (part of) an order the way it was paid, with a credit note", "admin", forOperator, s.api.AdminRefundOrder)
	op(s, "POST", "/v1/admin/numbers", "adminImportNumbers", "Import numbers (JSON list or CSV)", "admin", forOperator, s.api.AdminImportNumbers)
	op(s, "GET", "/v1/admin/numbers", "adminListNumbers", "The number inventory by status", "admin", forOperator, s.api.AdminListNumbers)
	op(s, "GET", "/v1/admin/webhook_endpoints", "adminListWebhookEndpoints", "Webhook endpoints", "webhooks", forOperator, s.api.AdminListWebhookEndpoints)
	op(s, "POST", "/v1/admin/webhook_endpoints", "adminCreateWebhookEndpoint", "Register a webhook endpoint (its secret is shown once)", "webhooks", forOperator, s.api.AdminCreateWebhookEndpoint)
	op(s, "DELETE", "/v1/admin/webhook_endpoints/{id}", "adminDeleteWebhookEndpoint", "Delete a webhook endpoint", "webhooks", forOperator, s.api.AdminDeleteWebhookEndpoint)
	op(s, "GET", "/v1/admin/webhook_endpoints/{id}/deliveries", "adminListWebhookDeliveries", "An endpoint's deliveries with their attempts", "webhooks", forOperator, s.api.AdminListWebhookDeliveries)
	op(s, "POST", "/v1/admin/webhook_deliveries/{id}/retry", "adminRetryWebhookDelivery", "Send a delivery again now", "webhooks", forOperator, s.api.AdminRetryWebhookDelivery)
	op(s, "GET", "/v1/admin/audit_log", "adminListAuditLog", "The audit log: every change made by an operator or with the admin token, newest first", "admin", forOperator, s.api.AdminListAuditLog)
	op(s, "GET", "/v1/admin/clock", "adminGetClock", "The sandbox clock", "admin", forOperator, s.api.AdminGetClock)
	op(s, "POST", "/v1/admin/clock/advance", "adminAdvanceClock", "Move the sandbox clock and run what became due", "admin", forOperator, s.api.AdminAdvanceClock)
}
