-- Issue 18, gapless invoice numbers without a lock through every order's
-- commit (store/invoice_queue.go, billing/sequencer.go). On PostgreSQL an
-- order (a refund, a rental month) commits its invoice here, unnumbered;
-- one sequencer at a time (an advisory lock) moves what is queued into
-- invoices with the next numbers of its year, oldest first, right after the
-- commit — and at start-up, for what a crash left. invoices holds only
-- numbered invoices, so no reader sees one without its number. On SQLite
-- the writer numbers in the order's own transaction and this stays empty.
-- Same columns as invoices but the number.

-- +goose Up
CREATE TABLE invoice_queue (
    id          TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    order_id    TEXT NOT NULL DEFAULT '',
    kind        TEXT NOT NULL,
    currency    TEXT NOT NULL,
    subtotal    BIGINT NOT NULL,
    discount    BIGINT NOT NULL,
    tax         BIGINT NOT NULL,
    total       BIGINT NOT NULL,
    document    TEXT NOT NULL,
    issued_at   BIGINT NOT NULL
);
CREATE INDEX invoice_queue_issued ON invoice_queue (issued_at, id);

-- +goose Down
DROP TABLE invoice_queue;
