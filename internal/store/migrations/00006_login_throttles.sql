-- Security timers run on wall-clock time, never on the sandbox clock
-- (PRODUCT.md "Logins and the operator").
--
-- login_throttles counts failed log-ins (billing/throttle.go), per e-mail
-- address and per client address, in the database so that every process
-- sharing it enforces one limit. Each key is one bucket of the generic cell
-- rate algorithm: tat, its theoretical arrival time (wall clock,
-- microseconds), moves one interval later with each failure, from now if
-- it lies in the past; a key is throttled while tat is more than its burst
-- ahead of now. A row whose tat has passed counts nothing and is pruned.
--
-- Sessions were stamped with the sandbox clock before: they are ended
-- once, so that none outlives its wall-clock lifetime.

-- +goose Up
CREATE TABLE login_throttles (
    key TEXT PRIMARY KEY,
    tat BIGINT NOT NULL
);
CREATE INDEX login_throttles_tat ON login_throttles (tat);

DELETE FROM sessions;

-- +goose Down
DROP TABLE login_throttles;
