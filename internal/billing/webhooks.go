package billing

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/dialtone/dialtone/internal/id"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
)

// Webhook event types (API.md, operator section).
const (
	EventOrderPaid              = "order.paid"
	EventSubscriptionCreated    = "subscription.created"
	EventSubscriptionRenewed    = "subscription.renewed"
	EventSubscriptionUpdated    = "subscription.updated"
	EventSubscriptionPastDue    = "subscription.past_due"
	EventSubscriptionExpired    = "subscription.expired"
	EventNumberOrdered          = "number.ordered"
	EventNumberReleased         = "number.released"
	EventRefundCreated          = "refund.created"
	EventSIPAccountRegistered   = "sip_account.registered"
	EventSIPAccountUnregistered = "sip_account.unregistered"
)

// EventSubscriptionCanceled: a subscription the customer canceled ended at
// expires_at (or at once, canceled while past due), or an operator's refund
// with revoke ended a new one.
const EventSubscriptionCanceled = "subscription.canceled"

// EventOrderDisputed: the cardholder disputed the order's card payment
// with their bank, or the dispute changed status (Stripe's
// charge.dispute.created, .updated, .closed); the order's dispute_status
// says where it stands.
const EventOrderDisputed = "order.disputed"

// EventTypes returns the event types an endpoint may take.
func EventTypes() []string {
	return []string{EventOrderPaid, EventOrderDisputed, EventSubscriptionCreated, EventSubscriptionRenewed, EventSubscriptionUpdated,
		EventSubscriptionPastDue, EventSubscriptionExpired, EventSubscriptionCanceled, EventNumberOrdered, EventNumberReleased, EventRefundCreated,
		EventSIPAccountRegistered, EventSIPAccountUnregistered}
}

// Webhook delivery: each attempt has webhookTimeout to be answered 2xx; a
// leased delivery is held for webhookLease (wall clock), longer than an
// attempt; after a failure the next attempt waits webhookRetry(n); after
// webhookGiveUp from the event the delivery is failed.
const (
	webhookTimeout  = 10 * time.Second
	webhookLease    = 2 * time.Minute
	webhookGiveUp   = 3 * 24 * time.Hour
	webhookParallel = 8
	webhookBatch    = 32
)

// webhookRetry is how long to wait after the n-th failed attempt (n from
// 1): one minute, doubling, at most six hours.
func webhookRetry(n int) time.Duration {
	return min(time.Minute<<min(max(n-1, 0), 10), 6*time.Hour)
}

// PaidOrder is an order with its payment: the object of order.paid.
type PaidOrder struct {
	Order   market.Order
	Payment market.Payment
}

// EventObjects renders the object of a webhook event as the API shows it:
// a PaidOrder, a market.Subscription, a market.Number (with the customer
// that held it) or a Refund. The server sets it (SetEventObjects), so that
// events carry the API's representation; without it the domain object is
// encoded as it is.
type EventObjects func(obj any, now time.Time) (any, error)

// webhooks is the Service's webhook state.
type webhooks struct {
	objects atomic.Pointer[EventObjects]
	client  *http.Client
}

func newWebhooks() *webhooks {
	return &webhooks{client: WebhookClient()}
}

// SetEventObjects sets how event objects are rendered.
func (s *Service) SetEventObjects(f EventObjects) { s.hooks.objects.Store(&f) }

// WebhookClient returns the client deliveries are sent with: a timeout
// per attempt, no redirects followed (a 3xx is a failure), no proxy from
// the environment, and a dialer that refuses link-local and metadata
// addresses as resolved at the time of each connection (a name that
// resolves to one is refused too, however the URL looked when it was
// registered).
func WebhookClient() *http.Client {
	d := &net.Dialer{Timeout: webhookTimeout, Control: func(network, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return err
		}
		a, err := netip.ParseAddr(host)
		if err != nil {
			return fmt.Errorf("webhook: dialing %q: not an IP address", address)
		}
		if forbiddenAddr(a) {
			return fmt.Errorf("webhook: %s is a link-local or metadata address: refused", a)
		}
		return nil
	}}
	tr := &http.Transport{Proxy: nil, DialContext: d.DialContext, ForceAttemptHTTP2: true, MaxIdleConns: 32,
		IdleConnTimeout: 90 * time.Second, TLSHandshakeTimeout: webhookTimeout, ResponseHeaderTimeout: webhookTimeout}
	return &http.Client{Transport: tr, Timeout: webhookTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// metadataAddrs are cloud metadata services outside the link-local range.
var metadataAddrs = []netip.Addr{
	netip.MustParseAddr("fd00:ec2::254"),   // AWS over IPv6
	netip.MustParseAddr("100.100.100.200"), // Alibaba Cloud
}

// forbiddenAddr reports whether a webhook may not be sent to a: link-local
// (169.254.0.0/16 with the metadata address 169.254.169.254, fe80::/10),
// a metadata address, unspecified or multicast. Loopback and private
// addresses stay allowed: the provider's own systems live there.
func forbiddenAddr(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	return a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsMulticast() || a.IsUnspecified() ||
		slices.Contains(metadataAddrs, a)
}

// metadataHosts are names of cloud metadata services.
var metadataHosts = []string{"metadata.google.internal", "metadata.goog", "metadata", "instance-data", "instance-data.ec2.internal"}

// checkWebhookURL refuses a URL a webhook may not go to, naming url: not
// absolute http(s), with credentials, or at a link-local or metadata
// address or name.
func checkWebhookURL(raw string) error {
	u, err := url.Parse(strings.TrimSpace(raw))
	switch {
	case err != nil:
		return market.Invalid("url", "url: not a valid URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return market.Invalid("url", "url: must be an http or https URL, e.g. https://pbx.example.com/dialtone")
	case u.Host == "" || u.Hostname() == "":
		return market.Invalid("url", "url: has no host")
	case u.User != nil:
		return market.Invalid("url", "url: must not carry a user name or password")
	case u.Fragment != "":
		return market.Invalid("url", "url: must not have a fragment (#...)")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return market.Invalid("url", "url: port %q is not between 1 and 65535", p)
		}
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if slices.Contains(metadataHosts, host) {
		return market.Invalid("url", "url: %s is a cloud metadata service: webhooks may not go there", host)
	}
	if a, err := netip.ParseAddr(host); err == nil && forbiddenAddr(a) {
		return market.Invalid("url", "url: %s is a link-local, metadata or multicast address: webhooks may not go there", host)
	}
	return nil
}

// WebhookEndpointInput creates a webhook endpoint.
type WebhookEndpointInput struct {
	URL    string   `json:"url" minLength:"1" maxLength:"2000" doc:"Where events are POSTed: an http or https URL, not link-local or a cloud metadata address."`
	Events []string `json:"events" minItems:"1" maxItems:"50" doc:"The event types to send, from the documented list."`
}

// CreateWebhookEndpoint registers a receiver of events with a new signing
// secret. Errors: invalid_request naming url (not http(s), link-local or
// metadata) or events (empty or an unknown type).
func (s *Service) CreateWebhookEndpoint(ctx context.Context, in WebhookEndpointInput) (market.WebhookEndpoint, error) {
	if err := checkWebhookURL(in.URL); err != nil {
		return market.WebhookEndpoint{}, err
	}
	if len(in.Events) == 0 {
		return market.WebhookEndpoint{}, market.Invalid("events", "events: name at least one event type (%s)", strings.Join(EventTypes(), ", "))
	}
	var events []string
	for i, e := range in.Events {
		if !slices.Contains(EventTypes(), e) {
			return market.WebhookEndpoint{}, market.Invalid("events", "events[%d]: %q is not an event type; the types are %s",
				i, e, strings.Join(EventTypes(), ", "))
		}
		if !slices.Contains(events, e) {
			events = append(events, e)
		}
	}
	e := market.WebhookEndpoint{ID: s.ids.New("we"), URL: strings.TrimSpace(in.URL), Events: events,
		Secret: "whsec_" + id.Secret(24), CreatedAt: s.now()}
	err := s.store.Tx(ctx, func(q *store.Q) error {
		if err := q.InsertWebhookEndpoint(ctx, e); err != nil {
			return err
		}
		return s.audit(ctx, q, "webhook_endpoint.create", "webhook_endpoint", e.ID, nil, endpointAudit(e))
	})
	return e, err
}

// WebhookEndpoints lists the webhook endpoints, newest first (one more
// than the page for has_more).
func (s *Service) WebhookEndpoints(ctx context.Context, p store.Page) ([]market.WebhookEndpoint, error) {
	return s.store.Read().WebhookEndpoints(ctx, p)
}

// WebhookEndpoint reads a webhook endpoint. Error: not_found.
func (s *Service) WebhookEndpoint(ctx context.Context, endpointID string) (market.WebhookEndpoint, error) {
	return s.store.Read().WebhookEndpoint(ctx, endpointID)
}

// DeleteWebhookEndpoint stops sending to an endpoint; what is still
// pending for it is dropped. Error: not_found.
func (s *Service) DeleteWebhookEndpoint(ctx context.Context, endpointID string) error {
	return s.store.Tx(ctx, func(q *store.Q) error {
		before, err := q.WebhookEndpoint(ctx, endpointID)
		if err != nil {
			return err
		}
		if err := q.DeleteWebhookEndpoint(ctx, endpointID, s.now()); err != nil {
			return err
		}
		return s.audit(ctx, q, "webhook_endpoint.delete", "webhook_endpoint", endpointID, endpointAudit(before), nil)
	})
}

// endpointAudit is what the audit log keeps of an endpoint: not its secret.
func endpointAudit(e market.WebhookEndpoint) map[string]any {
	return map[string]any{"id": e.ID, "url": e.URL, "events": e.Events}
}

// WebhookDelivery is a delivery with its log of attempts, oldest first.
type WebhookDelivery struct {
	market.WebhookDelivery
	Log []market.WebhookAttempt
}

// WebhookDeliveries lists an endpoint's deliveries, newest first (one more
// than the page for has_more), each with its attempts. Error: not_found
// (the endpoint).
func (s *Service) WebhookDeliveries(ctx context.Context, endpointID string, p store.Page) ([]WebhookDelivery, error) {
	q := s.store.Read()
	if _, err := q.WebhookEndpoint(ctx, endpointID); err != nil {
		return nil, err
	}
	ds, err := q.WebhookDeliveries(ctx, endpointID, p)
	if err != nil {
		return nil, err
	}
	return s.withLog(ctx, q, ds)
}

// WebhookDeliveryOf reads a delivery of an endpoint. Error: not_found.
func (s *Service) WebhookDeliveryOf(ctx context.Context, endpointID, deliveryID string) (market.WebhookDelivery, error) {
	return s.store.Read().WebhookDelivery(ctx, endpointID, deliveryID)
}

func (s *Service) withLog(ctx context.Context, q *store.Q, ds []market.WebhookDelivery) ([]WebhookDelivery, error) {
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
	}
	logs, err := q.WebhookAttempts(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]WebhookDelivery, len(ds))
	for i, d := range ds {
		out[i] = WebhookDelivery{WebhookDelivery: d, Log: logs[d.ID]}
	}
	return out, nil
}

// RetryWebhookDelivery makes a delivery due now, whatever became of it
// (succeeded, failed, or waiting for its next attempt): the scheduler's
// next pass sends it once more. A send of it in flight does not undo that
// with its result (store.RecordWebhookAttempt). Error: not_found.
func (s *Service) RetryWebhookDelivery(ctx context.Context, deliveryID string) (WebhookDelivery, error) {
	var out []WebhookDelivery
	err := s.store.Tx(ctx, func(q *store.Q) error {
		before, err := q.WebhookDelivery(ctx, "", deliveryID)
		if err != nil {
			return err
		}
		if err := q.RetryWebhookDelivery(ctx, deliveryID, s.now()); err != nil {
			return err
		}
		d, err := q.WebhookDelivery(ctx, "", deliveryID)
		if err != nil {
			return err
		}
		if err := s.audit(ctx, q, "webhook_delivery.retry", "webhook_delivery", deliveryID, before, d); err != nil {
			return err
		}
		out, err = s.withLog(ctx, q, []market.WebhookDelivery{d})
		return err
	})
	if err != nil {
		return WebhookDelivery{}, err
	}
	return out[0], nil
}

// eventBody is what an event is POSTed as.
type eventBody struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	CreatedAt time.Time `json:"created_at"`
	Data      struct {
		Object any `json:"object"`
	} `json:"data"`
}

// emit puts an event of type typ into the outbox, in q's transaction, so
// that it commits (or not) with the change it reports. object is called
// only when some endpoint takes the type.
func (s *Service) emit(ctx context.Context, q *store.Q, typ string, object func() (any, error)) error {
	targets, err := q.WebhookTargets(ctx, typ)
	if err != nil || len(targets) == 0 {
		return err
	}
	obj, err := object()
	if err != nil {
		return err
	}
	now := s.now()
	if f := s.hooks.objects.Load(); f != nil {
		if obj, err = (*f)(obj, now); err != nil {
			return err
		}
	}
	b := eventBody{ID: s.ids.New("evt"), Type: typ, CreatedAt: now}
	b.Data.Object = obj
	payload, err := json.Marshal(b)
	if err != nil {
		return fmt.Errorf("event %s: %w", typ, err)
	}
	return q.InsertWebhookEvent(ctx, market.WebhookEvent{ID: b.ID, Type: typ, Payload: payload, CreatedAt: now}, targets)
}

// emitSubscription emits an event about a subscription as it stands in q.
func (s *Service) emitSubscription(ctx context.Context, q *store.Q, typ, customerID, subID string) error {
	return s.emit(ctx, q, typ, func() (any, error) {
		sub, err := q.Subscription(ctx, customerID, subID)
		sub.Status = sub.StatusAt(s.now())
		return sub, err
	})
}

// emitNumberReleased emits number.released: the number as released, with
// the customer that held it.
func (s *Service) emitNumberReleased(ctx context.Context, q *store.Q, held, released market.Number) error {
	return s.emit(ctx, q, EventNumberReleased, func() (any, error) {
		released.CustomerID = held.CustomerID
		return released, nil
	})
}

// orderEvents emits what a paid order did: order.paid, then per
// subscription subscription.created, .renewed or .updated (an upgrade or
// added licenses), and number.ordered per number.
func (s *Service) orderEvents(ctx context.Context, q *store.Q, o market.Order) error {
	if err := s.emit(ctx, q, EventOrderPaid, func() (any, error) {
		pay, err := q.PaymentByID(ctx, o.PaymentID)
		return PaidOrder{Order: o, Payment: pay}, err
	}); err != nil {
		return err
	}
	done := map[string]bool{}
	for _, l := range o.Lines {
		if k := kindOf(l.Type); k != nil {
			if err := k.emit(ctx, s, q, o, l, done); err != nil {
				return err
			}
		}
	}
	return nil
}

// Sign returns the Dialtone-Signature header of body sent at t with
// secret: "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">".
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// DeliverWebhooks sends the due deliveries of the outbox, after the
// transactions that queued them committed, a few at a time. Each is
// leased first, so that another process (or pass) does not send it at the
// same time; a crash between sending and recording sends it again (at
// least once). An answer other than 2xx within the timeout is retried with
// backoff (one minute, doubling, at most six hours) until three days after
// the event, then the delivery is failed. Every attempt is logged. It
// returns how many deliveries succeeded.
func (s *Service) DeliverWebhooks(ctx context.Context) (int, error) {
	delivered := 0
	for {
		now, wall := s.now(), s.wallNow()
		var batch []store.DueDelivery
		err := s.store.Tx(ctx, func(q *store.Q) error {
			var err error
			batch, err = q.LeaseWebhookDeliveries(ctx, now, wall, wall.Add(webhookLease), webhookBatch)
			return err
		})
		if err != nil || len(batch) == 0 {
			return delivered, err
		}
		var mu sync.Mutex
		var firstErr error
		sem := make(chan struct{}, webhookParallel)
		var wg sync.WaitGroup
		for _, d := range batch {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				ok, err := s.deliver(ctx, d)
				mu.Lock()
				defer mu.Unlock()
				if ok {
					delivered++
				}
				if err != nil && firstErr == nil {
					firstErr = err
				}
			}()
		}
		wg.Wait()
		if firstErr == nil {
			firstErr = ctx.Err() // stopping: what was not sent is back in the outbox
		}
		if firstErr != nil {
			return delivered, firstErr
		}
	}
}

// deliver makes one attempt of a leased delivery and records it.
func (s *Service) deliver(ctx context.Context, d store.DueDelivery) (bool, error) {
	a := s.attempt(ctx, d)
	if a.StatusCode == 0 && ctx.Err() != nil {
		// Shutting down: not the receiver's failure. Give the delivery back
		// for the next process to send.
		ctx = context.WithoutCancel(ctx)
		return false, s.store.Tx(ctx, func(q *store.Q) error { return q.ReleaseWebhookLease(ctx, d.ID) })
	}
	status, next := market.DeliverySucceeded, s.now()
	if a.StatusCode < 200 || a.StatusCode > 299 {
		status, next = market.DeliveryPending, next.Add(webhookRetry(d.Attempts+1))
		if next.After(d.EventCreatedAt.Add(webhookGiveUp)) {
			status = market.DeliveryFailed
		}
		s.log.Warn("webhook not delivered", "delivery", d.ID, "event", d.EventID, "attempt", d.Attempts+1,
			"status", a.StatusCode, "err", a.Error, "gave_up", status == market.DeliveryFailed)
	}
	ctx = context.WithoutCancel(ctx) // what was sent is recorded
	err := s.store.Tx(ctx, func(q *store.Q) error { return q.RecordWebhookAttempt(ctx, a, status, next) })
	return status == market.DeliverySucceeded, err
}

// attempt POSTs a delivery's event, signed, and says how it went.
func (s *Service) attempt(ctx context.Context, d store.DueDelivery) market.WebhookAttempt {
	a := market.WebhookAttempt{ID: s.ids.New("wha"), DeliveryID: d.ID, AttemptedAt: s.now()}
	ctx, cancel := context.WithTimeout(ctx, webhookTimeout)
	defer cancel()
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(d.Payload))
	if err != nil {
		a.Error = err.Error()
		return a
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "dialtone-webhooks/1")
	req.Header.Set("Dialtone-Event-Id", d.EventID)
	req.Header.Set("Dialtone-Signature", Sign(d.Secret, s.wallNow(), d.Payload))
	res, err := s.hooks.client.Do(req)
	if err != nil {
		a.Error = err.Error()
		if errors.Is(err, context.DeadlineExceeded) {
			a.Error = fmt.Sprintf("no answer within %s", webhookTimeout)
		}
		a.Duration = time.Since(start)
		return a
	}
	defer res.Body.Close()
	buf := make([]byte, 1000)
	n, _ := io.ReadFull(res.Body, buf)
	a.StatusCode, a.Response, a.Duration = res.StatusCode, string(buf[:n]), time.Since(start)
	if res.StatusCode < 200 || res.StatusCode > 299 {
		a.Error = "answered " + res.Status
	}
	return a
}
