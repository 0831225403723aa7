-- What was refunded and revoked of each order line (a refund by items,
-- POST /v1/admin/orders/{id}/refunds; billing/refund.go). refunded_net is
-- the refunded part of the line's amount after discount (for a balance
-- top-up line: the credit taken back from the balance), refunded_tax that
-- of its tax; neither passes the line's own (the CHECKs), so a line is
-- never refunded twice. revoked_at is set when a refund with revoke ended
-- what the line bought; a line is revoked once.
--
-- Orders refunded before this migration: a refunded order's lines are
-- refunded in full; a partially refunded order's lines get their share of
-- what was refunded (the order's refunded x the line's part / the order's
-- total, rounded down), so a later refund never gives a line back more
-- than was left of the order (orders.refunded <= total holds the rest).
--
-- webhook_deliveries.retry_requested is set by the operator's retry
-- (POST /v1/admin/webhook_deliveries/{id}/retry) and cleared when the
-- delivery is leased for a send: a send in flight when the retry came
-- records its attempt but leaves the delivery pending, due at the retry,
-- instead of overwriting it with its own result.
--
-- webhook_endpoints_live indexes the endpoints not deleted, which every
-- event's outbox insert asks for (WebhookTargets).

-- +goose Up
ALTER TABLE order_items ADD COLUMN refunded_net BIGINT NOT NULL DEFAULT 0
    CHECK (refunded_net >= 0 AND refunded_net <= amount - discount);
ALTER TABLE order_items ADD COLUMN refunded_tax BIGINT NOT NULL DEFAULT 0
    CHECK (refunded_tax >= 0 AND refunded_tax <= tax);
ALTER TABLE order_items ADD COLUMN revoked_at BIGINT;

UPDATE order_items SET refunded_net = amount - discount, refunded_tax = tax
    WHERE order_id IN (SELECT id FROM orders WHERE refunded > 0 AND refunded >= total);
UPDATE order_items SET
    refunded_net = (amount - discount) * (SELECT o.refunded FROM orders o WHERE o.id = order_items.order_id)
        / (SELECT o.total FROM orders o WHERE o.id = order_items.order_id),
    refunded_tax = tax * (SELECT o.refunded FROM orders o WHERE o.id = order_items.order_id)
        / (SELECT o.total FROM orders o WHERE o.id = order_items.order_id)
    WHERE order_id IN (SELECT id FROM orders WHERE refunded > 0 AND refunded < total);

ALTER TABLE webhook_deliveries ADD COLUMN retry_requested BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX webhook_endpoints_live ON webhook_endpoints (id) WHERE deleted_at IS NULL;

-- +goose Down
DROP INDEX webhook_endpoints_live;
ALTER TABLE webhook_deliveries DROP COLUMN retry_requested;
ALTER TABLE order_items DROP COLUMN revoked_at;
ALTER TABLE order_items DROP COLUMN refunded_tax;
ALTER TABLE order_items DROP COLUMN refunded_net;
