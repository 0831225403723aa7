-- Card payments with Stripe (issue 16, internal/payment/stripe).
--
-- gateway_customers: the gateway's customer of an account (Stripe's cus_…),
-- made once, before the first card is saved or charged.
--
-- pending_orders: an order whose card charge waits for the customer to
-- authenticate (a PaymentIntent that requires_action). Nothing of it is
-- fulfilled: the order's input is kept as JSON and priced and fulfilled
-- again, in one transaction, when the intent succeeded (the customer came
-- back, or Stripe's webhook said so). status moves from 'pending' to
-- 'completed' or 'failed' once, by a conditional UPDATE, so the order is
-- completed exactly once however many returns and events race.
--
-- gateway_events: the IDs of the gateway's webhook events applied; an event
-- is inserted in the transaction that applies it, so a replay finds it and
-- changes nothing.
--
-- gateway_disputes: a charge the cardholder disputed with their bank
-- (Stripe's charge.dispute.* events), by order, with its latest status.
--
-- payments_gateway_ref finds the payment of a charge a webhook event names.

-- +goose Up
CREATE TABLE gateway_customers (
    customer_id TEXT NOT NULL REFERENCES customers(id),
    gateway     TEXT NOT NULL,
    ref         TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (customer_id, gateway)
);

CREATE TABLE pending_orders (
    id              TEXT PRIMARY KEY,
    customer_id     TEXT NOT NULL REFERENCES customers(id),
    user_id         TEXT NOT NULL DEFAULT '',
    gateway         TEXT NOT NULL,
    intent          TEXT NOT NULL,
    amount          BIGINT NOT NULL CHECK (amount > 0),
    currency        TEXT NOT NULL,
    source          TEXT NOT NULL,
    input           TEXT NOT NULL,
    next_action_url TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL CHECK (status IN ('pending', 'completed', 'failed')),
    reason          TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX pending_orders_intent ON pending_orders (gateway, intent);
CREATE INDEX pending_orders_customer ON pending_orders (customer_id, id);

CREATE TABLE gateway_events (
    id          TEXT PRIMARY KEY,
    gateway     TEXT NOT NULL,
    type        TEXT NOT NULL,
    received_at BIGINT NOT NULL
);

CREATE TABLE gateway_disputes (
    id          TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    order_id    TEXT NOT NULL,
    amount      BIGINT NOT NULL,
    currency    TEXT NOT NULL,
    reason      TEXT NOT NULL,
    status      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX gateway_disputes_order ON gateway_disputes (order_id);

CREATE INDEX payments_gateway_ref ON payments (gateway_ref) WHERE gateway_ref <> '';

-- +goose Down
DROP INDEX payments_gateway_ref;
DROP TABLE gateway_disputes;
DROP TABLE gateway_events;
DROP TABLE pending_orders;
DROP TABLE gateway_customers;
