-- Issue 15, the back office at scale (10,000 customers, 100,000 orders,
-- 1,000,000 numbers; internal/server/admin_bench_test.go).
--
-- revenue_rollup: what the revenue accounts received, by time, ledger
-- transaction kind and currency, for the dashboard's revenue per month
-- (store/reports.go RevenueByMonth) without reading every posting of a
-- year with its transaction. Post (store/ledger.go) adds a row for each
-- posting to a system:revenue:<currency> account in the posting's
-- transaction; CompactRevenue replaces the rows of a month by their sum
-- per kind and currency (a DELETE ... RETURNING and an INSERT of what it
-- removed, so a posting written meanwhile is never lost). The rows of any
-- month (UTC) sum to that month's postings, to the minor unit.
--
-- And indexes for the dashboard's counts (subscriptions new, renewed,
-- canceled per month; the periods running now for the MRR) and the
-- operator's lists (orders by status, by date; an order's invoices and
-- refunds; the audit log by object type; the customers holding a number
-- that contains digits, read from a covering index of the held numbers
-- alone).

-- +goose Up
CREATE TABLE revenue_rollup (
    at       BIGINT NOT NULL,
    kind     TEXT NOT NULL,
    currency TEXT NOT NULL,
    amount   BIGINT NOT NULL
);
CREATE INDEX revenue_rollup_at ON revenue_rollup (at, kind, currency, amount);
INSERT INTO revenue_rollup (at, kind, currency, amount)
    SELECT p.created_at, t.kind, p.currency, p.amount FROM ledger_postings p JOIN ledger_transactions t ON t.id = p.transaction_id
    WHERE p.account_id LIKE 'system:revenue:%';

CREATE INDEX subscriptions_created ON subscriptions (created_at);
CREATE INDEX subscriptions_canceled ON subscriptions (updated_at) WHERE status = 'canceled';
CREATE INDEX periods_started ON periods (start_at, seq);
CREATE INDEX periods_running ON periods (subscription_id, end_at);
CREATE INDEX orders_status ON orders (status, id);
CREATE INDEX orders_created ON orders (created_at);
CREATE INDEX invoices_order ON invoices (order_id);
CREATE INDEX payments_refund_of ON payments (refund_of) WHERE refund_of <> '';
CREATE INDEX audit_log_type ON audit_log (object_type, id);
CREATE INDEX numbers_holder_number ON numbers (number, customer_id) WHERE customer_id IS NOT NULL;

-- +goose Down
DROP INDEX numbers_holder_number;
DROP INDEX audit_log_type;
DROP INDEX payments_refund_of;
DROP INDEX invoices_order;
DROP INDEX orders_created;
DROP INDEX orders_status;
DROP INDEX periods_running;
DROP INDEX periods_started;
DROP INDEX subscriptions_canceled;
DROP INDEX subscriptions_created;
DROP TABLE revenue_rollup;
