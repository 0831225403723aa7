-- Issue 13, idempotency inside the transaction: a use case that moves
-- money or sells something (an order, a top-up, a balance adjustment)
-- writes what it made (the order's or the payment's ID) into its request's
-- Idempotency-Key row in its own transaction, so that the key and the
-- result commit together. A key still "in progress" (status 0) after a
-- crash between that commit and the stored answer then answers with the
-- result it names, and one without a result (the use case never
-- committed) may run again at once (billing/idempotency.go).

-- +goose Up
ALTER TABLE idempotency_keys ADD COLUMN result_ref TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE idempotency_keys DROP COLUMN result_ref;
