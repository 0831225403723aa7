-- dialtone schema. One file serves SQLite and PostgreSQL: every type here
-- (TEXT, BIGINT, INTEGER, BOOLEAN) means the same on both. Times are BIGINT
-- microseconds since the Unix epoch, UTC. Money is BIGINT minor units next to
-- a currency column. Rules that guard money are in the schema as well as in
-- the code: balance >= 0, one period per start, one redemption per order, one
-- owner per number, gapless invoice sequences.

-- +goose Up
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE customers (
    id             TEXT PRIMARY KEY,
    company        TEXT NOT NULL,
    country        TEXT NOT NULL,
    currency       TEXT NOT NULL,
    email          TEXT NOT NULL,
    balance        BIGINT NOT NULL DEFAULT 0 CHECK (balance >= 0),
    next_extension INTEGER NOT NULL DEFAULT 100,
    created_at     BIGINT NOT NULL
);

CREATE TABLE products (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE plans (
    code         TEXT PRIMARY KEY,
    product      TEXT NOT NULL REFERENCES products(code),
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    rank         INTEGER NOT NULL,
    min_licenses INTEGER NOT NULL,
    max_licenses INTEGER NOT NULL,
    terms        TEXT NOT NULL,
    trial_days   INTEGER NOT NULL DEFAULT 0,
    active       BOOLEAN NOT NULL DEFAULT TRUE,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);

CREATE TABLE plan_prices (
    plan_code   TEXT NOT NULL REFERENCES plans(code),
    currency    TEXT NOT NULL,
    term_months INTEGER NOT NULL,
    unit_amount BIGINT NOT NULL CHECK (unit_amount >= 0),
    PRIMARY KEY (plan_code, currency, term_months)
);

CREATE TABLE subscriptions (
    id              TEXT PRIMARY KEY,
    customer_id     TEXT NOT NULL REFERENCES customers(id),
    product         TEXT NOT NULL,
    plan            TEXT NOT NULL REFERENCES plans(code),
    term_months     INTEGER NOT NULL,
    status          TEXT NOT NULL,
    auto_renew      BOOLEAN NOT NULL DEFAULT FALSE,
    currency        TEXT NOT NULL,
    started_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    trial_ends_at   BIGINT,
    renew_attempts  INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX subscriptions_customer ON subscriptions (customer_id, id);
CREATE INDEX subscriptions_expires ON subscriptions (expires_at);

-- One row per paid or trial stretch. A period can start only once per
-- subscription: a renewal cannot be charged twice.
CREATE TABLE periods (
    subscription_id TEXT NOT NULL REFERENCES subscriptions(id),
    seq             INTEGER NOT NULL,
    start_at        BIGINT NOT NULL,
    end_at          BIGINT NOT NULL CHECK (end_at > start_at),
    plan            TEXT NOT NULL,
    quantity        INTEGER NOT NULL CHECK (quantity > 0),
    unit_amount     BIGINT NOT NULL,
    term_months     INTEGER NOT NULL,
    trial           BOOLEAN NOT NULL DEFAULT FALSE,
    order_id        TEXT,
    PRIMARY KEY (subscription_id, seq),
    UNIQUE (subscription_id, start_at)
);

-- One trial per customer per product.
CREATE TABLE trials (
    customer_id     TEXT NOT NULL REFERENCES customers(id),
    product         TEXT NOT NULL,
    subscription_id TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (customer_id, product)
);

CREATE TABLE users (
    id              TEXT PRIMARY KEY,
    customer_id     TEXT NOT NULL REFERENCES customers(id),
    name            TEXT NOT NULL,
    email           TEXT NOT NULL,
    password_hash   TEXT,
    role            TEXT NOT NULL,
    subscription_id TEXT REFERENCES subscriptions(id),
    extension       TEXT NOT NULL,
    sip_account_id  TEXT,
    created_at      BIGINT NOT NULL,
    UNIQUE (customer_id, extension)
);
CREATE UNIQUE INDEX users_login ON users (email) WHERE password_hash IS NOT NULL;
CREATE INDEX users_customer ON users (customer_id, id);
CREATE INDEX users_subscription ON users (subscription_id);

CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id),
    customer_id TEXT NOT NULL REFERENCES customers(id),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);

CREATE TABLE sip_accounts (
    id          TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    kind        TEXT NOT NULL,
    username    TEXT NOT NULL UNIQUE,
    password    TEXT NOT NULL,
    domain      TEXT NOT NULL,
    user_id     TEXT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX sip_accounts_customer ON sip_accounts (customer_id, id);

CREATE TABLE billing_addresses (
    id          TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    name        TEXT NOT NULL,
    line1       TEXT NOT NULL,
    line2       TEXT NOT NULL DEFAULT '',
    city        TEXT NOT NULL,
    postal_code TEXT NOT NULL DEFAULT '',
    state       TEXT NOT NULL DEFAULT '',
    country     TEXT NOT NULL,
    vat_id      TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    deleted_at  BIGINT
);
CREATE INDEX billing_addresses_customer ON billing_addresses (customer_id, id);

CREATE TABLE payment_methods (
    id          TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    gateway     TEXT NOT NULL,
    token       TEXT NOT NULL,
    brand       TEXT NOT NULL,
    last4       TEXT NOT NULL,
    exp_month   INTEGER NOT NULL,
    exp_year    INTEGER NOT NULL,
    is_default  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  BIGINT NOT NULL,
    deleted_at  BIGINT
);
CREATE INDEX payment_methods_customer ON payment_methods (customer_id, id);

CREATE TABLE tax_rates (
    country    TEXT PRIMARY KEY,
    percent    TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE promo_codes (
    code                TEXT PRIMARY KEY,
    percent_off         TEXT,
    amount_off          BIGINT NOT NULL DEFAULT 0,
    currency            TEXT NOT NULL DEFAULT '',
    plans               TEXT NOT NULL DEFAULT '',
    terms               TEXT NOT NULL DEFAULT '',
    valid_from          BIGINT,
    valid_until         BIGINT,
    max_redemptions     INTEGER NOT NULL DEFAULT 0,
    max_per_customer    INTEGER NOT NULL DEFAULT 1,
    first_purchase_only BOOLEAN NOT NULL DEFAULT FALSE,
    min_quantity        INTEGER NOT NULL DEFAULT 0,
    renewals            BOOLEAN NOT NULL DEFAULT FALSE,
    redemptions         INTEGER NOT NULL DEFAULT 0,
    active              BOOLEAN NOT NULL DEFAULT TRUE,
    created_at          BIGINT NOT NULL,
    CHECK (max_redemptions = 0 OR redemptions <= max_redemptions)
);

CREATE TABLE promo_redemptions (
    code        TEXT NOT NULL REFERENCES promo_codes(code),
    order_id    TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (code, order_id)
);
CREATE INDEX promo_redemptions_customer ON promo_redemptions (code, customer_id);

CREATE TABLE orders (
    id                 TEXT PRIMARY KEY,
    customer_id        TEXT NOT NULL REFERENCES customers(id),
    status             TEXT NOT NULL,
    currency           TEXT NOT NULL,
    subtotal           BIGINT NOT NULL,
    discount           BIGINT NOT NULL,
    tax                BIGINT NOT NULL,
    total              BIGINT NOT NULL,
    refunded           BIGINT NOT NULL DEFAULT 0,
    promo_code         TEXT NOT NULL DEFAULT '',
    billing_address_id TEXT NOT NULL DEFAULT '',
    payment_id         TEXT NOT NULL DEFAULT '',
    invoice_id         TEXT NOT NULL DEFAULT '',
    source             TEXT NOT NULL DEFAULT 'api',
    created_at         BIGINT NOT NULL,
    CHECK (total = subtotal - discount + tax),
    CHECK (refunded >= 0 AND refunded <= total)
);
CREATE INDEX orders_customer ON orders (customer_id, id);

CREATE TABLE order_items (
    order_id        TEXT NOT NULL REFERENCES orders(id),
    seq             INTEGER NOT NULL,
    type            TEXT NOT NULL,
    description     TEXT NOT NULL,
    quantity        INTEGER NOT NULL,
    unit_amount     BIGINT NOT NULL,
    amount          BIGINT NOT NULL,
    discount        BIGINT NOT NULL,
    tax_rate        TEXT NOT NULL DEFAULT '0',
    tax             BIGINT NOT NULL,
    plan            TEXT NOT NULL DEFAULT '',
    term_months     INTEGER NOT NULL DEFAULT 0,
    subscription_id TEXT NOT NULL DEFAULT '',
    number_id       TEXT NOT NULL DEFAULT '',
    phone_number    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (order_id, seq)
);

-- The Billing tab: every movement of money a customer sees.
CREATE TABLE payments (
    id                TEXT PRIMARY KEY,
    customer_id       TEXT NOT NULL REFERENCES customers(id),
    order_id          TEXT NOT NULL DEFAULT '',
    invoice_id        TEXT NOT NULL DEFAULT '',
    purpose           TEXT NOT NULL,
    description       TEXT NOT NULL,
    method            TEXT NOT NULL,
    amount            BIGINT NOT NULL,
    currency          TEXT NOT NULL,
    card_brand        TEXT NOT NULL DEFAULT '',
    card_last4        TEXT NOT NULL DEFAULT '',
    payment_method_id TEXT NOT NULL DEFAULT '',
    gateway_ref       TEXT NOT NULL DEFAULT '',
    refund_of         TEXT NOT NULL DEFAULT '',
    created_at        BIGINT NOT NULL
);
CREATE INDEX payments_customer ON payments (customer_id, id);
CREATE INDEX payments_customer_time ON payments (customer_id, created_at);

-- Double-entry ledger. Accounts are named ("customer:cus_x:balance",
-- "system:revenue:EUR"); every transaction's postings sum to zero; nothing is
-- ever updated or deleted.
CREATE TABLE ledger_accounts (
    id          TEXT PRIMARY KEY,
    customer_id TEXT,
    kind        TEXT NOT NULL,
    currency    TEXT NOT NULL
);

CREATE TABLE ledger_transactions (
    id          TEXT PRIMARY KEY,
    customer_id TEXT,
    kind        TEXT NOT NULL,
    description TEXT NOT NULL,
    payment_id  TEXT NOT NULL DEFAULT '',
    order_id    TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL
);

CREATE TABLE ledger_postings (
    transaction_id TEXT NOT NULL REFERENCES ledger_transactions(id),
    seq            INTEGER NOT NULL,
    account_id     TEXT NOT NULL REFERENCES ledger_accounts(id),
    amount         BIGINT NOT NULL,
    currency       TEXT NOT NULL,
    balance_after  BIGINT,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (transaction_id, seq)
);
CREATE INDEX ledger_postings_account ON ledger_postings (account_id, created_at);

CREATE TABLE invoice_sequences (
    year INTEGER PRIMARY KEY,
    last INTEGER NOT NULL
);

CREATE TABLE invoices (
    id          TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    order_id    TEXT NOT NULL DEFAULT '',
    kind        TEXT NOT NULL,
    number      TEXT NOT NULL UNIQUE,
    year        INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    currency    TEXT NOT NULL,
    subtotal    BIGINT NOT NULL,
    discount    BIGINT NOT NULL,
    tax         BIGINT NOT NULL,
    total       BIGINT NOT NULL,
    document    TEXT NOT NULL,
    issued_at   BIGINT NOT NULL,
    UNIQUE (year, seq)
);
CREATE INDEX invoices_customer ON invoices (customer_id, id);

CREATE TABLE idempotency_keys (
    scope        TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL DEFAULT 0,
    response     TEXT NOT NULL DEFAULT '',
    content_type TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

CREATE TABLE carts (
    customer_id TEXT PRIMARY KEY REFERENCES customers(id),
    promo_code  TEXT NOT NULL DEFAULT '',
    updated_at  BIGINT NOT NULL
);

CREATE TABLE cart_items (
    id          TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    item        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX cart_items_customer ON cart_items (customer_id, id);

CREATE TABLE numbers (
    id               TEXT PRIMARY KEY,
    number           TEXT NOT NULL UNIQUE,
    country          TEXT NOT NULL,
    state            TEXT NOT NULL DEFAULT '',
    area             TEXT NOT NULL,
    type             TEXT NOT NULL,
    setup_amount     BIGINT NOT NULL,
    monthly_amount   BIGINT NOT NULL,
    currency         TEXT NOT NULL,
    status           TEXT NOT NULL,
    customer_id      TEXT,
    sip_account_id   TEXT,
    purchased_at     BIGINT,
    renews_at        BIGINT,
    grace_until      BIGINT,
    quarantine_until BIGINT,
    created_at       BIGINT NOT NULL,
    CHECK ((status IN ('active', 'grace')) = (customer_id IS NOT NULL))
);
CREATE INDEX numbers_search ON numbers (status, country, state, area, type, number);
CREATE INDEX numbers_customer ON numbers (customer_id, id);
CREATE INDEX numbers_renews ON numbers (renews_at);
CREATE INDEX numbers_quarantine ON numbers (quarantine_until);

-- One monthly charge per number per rental period.
CREATE TABLE number_rentals (
    number_id    TEXT NOT NULL REFERENCES numbers(id),
    period_start BIGINT NOT NULL,
    customer_id  TEXT NOT NULL,
    payment_id   TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (number_id, period_start)
);

CREATE TABLE notifications (
    id          TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    type        TEXT NOT NULL,
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    object_type TEXT NOT NULL DEFAULT '',
    object_id   TEXT NOT NULL DEFAULT '',
    dedupe_key  TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);
CREATE INDEX notifications_customer ON notifications (customer_id, id);

CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    notification_id TEXT NOT NULL REFERENCES notifications(id),
    recipient       TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    sent_at         BIGINT,
    last_error      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox (sent_at, next_attempt_at);

-- +goose Down
SELECT 1;
