-- A number is sold in the currency it is priced in, and a customer account
-- has one currency: a customer's cascade (countries, states, areas) counts
-- only the numbers it can buy. number_stock keeps its counts per currency
-- too (store/numbers.go, numberGroup). The table is made anew, as SQLite
-- cannot change a primary key. A search within an area reads each group's
-- range of numbers_free_group, which now holds the currency too, so that
-- the range is read from the index alone.

-- +goose Up
CREATE TABLE number_stock_by_currency (
    country   TEXT NOT NULL,
    state     TEXT NOT NULL,
    area      TEXT NOT NULL,
    type      TEXT NOT NULL,
    currency  TEXT NOT NULL,
    available BIGINT NOT NULL DEFAULT 0 CHECK (available >= 0),
    PRIMARY KEY (country, state, area, type, currency)
);

INSERT INTO number_stock_by_currency (country, state, area, type, currency, available)
SELECT country, state, area, type, currency, SUM(CASE WHEN status = 'available' THEN 1 ELSE 0 END)
FROM numbers GROUP BY country, state, area, type, currency;

DROP TABLE number_stock;
ALTER TABLE number_stock_by_currency RENAME TO number_stock;

DROP INDEX numbers_free_group;
CREATE INDEX numbers_free_group ON numbers (country, state, area, type, currency, number) WHERE status = 'available';

-- +goose Down
SELECT 1;
