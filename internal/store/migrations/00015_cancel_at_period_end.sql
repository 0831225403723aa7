-- Issue 17, "Cancel": a customer cancels a subscription at the end of its
-- period (PRODUCT.md "Cancelling and refunds"). cancel_at_period_end is set
-- while a cancellation is pending (the subscription stays in force until
-- expires_at and does not renew) and stays set once the scheduler made the
-- subscription canceled at expires_at. Undo clears it before then.

-- +goose Up
ALTER TABLE subscriptions ADD COLUMN cancel_at_period_end BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE subscriptions DROP COLUMN cancel_at_period_end;
