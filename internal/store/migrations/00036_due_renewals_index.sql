-- Issue 18: the batched renewal runs' claims (store/renewals.go
-- ClaimDueRenewals) walk the due subscriptions in (expires_at, id) order
-- from a cursor. With only expires_at indexed, the subscriptions due at one
-- instant (a month's renewals all fall on the 1st) were read and sorted
-- again by every claim: a run's claims cost the square of its size. The
-- index on both reads each claim's rows as one range.

-- +goose Up
CREATE INDEX subscriptions_expires_id ON subscriptions (expires_at, id);
DROP INDEX subscriptions_expires;

-- +goose Down
CREATE INDEX subscriptions_expires ON subscriptions (expires_at);
DROP INDEX subscriptions_expires_id;
