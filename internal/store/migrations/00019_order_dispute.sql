-- Issue 16, "dispute opened: the order is marked": dispute_status is the
-- latest status of a dispute of the order's card payment (Stripe's
-- charge.dispute.* events: needs_response, under_review, won, lost, ...),
-- '' while none was opened. PutDispute sets it with the dispute's row.

-- +goose Up
ALTER TABLE orders ADD COLUMN dispute_status TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE orders DROP COLUMN dispute_status;
