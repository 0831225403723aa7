-- Two rules of issue 12.
--
-- carts.shown: the prices the customer was last shown for the cart (a JSON
-- object of the quote's fingerprint, billing.Quote.prices): a checkout
-- that would charge another price than one shown fails with price_changed
-- and the fresh quote instead of charging it.
--
-- One e-mail per user of an account, whatever its case. Older databases may
-- hold duplicates: the login of an account (the owner) keeps its e-mail,
-- and so does the oldest seat of each e-mail where no login has it; every
-- later duplicate seat's e-mail gets its user ID as a "+" tag
-- (ann@acme.test -> ann+usr_01...@acme.test), which still reaches the
-- same mailbox with most providers and shows the customer which users to
-- correct. No user, license or SIP account is removed.

-- +goose Up
ALTER TABLE carts ADD COLUMN shown TEXT NOT NULL DEFAULT '';

UPDATE users SET email = replace(email, '@', '+' || id || '@')
WHERE password_hash IS NULL AND EXISTS (
    SELECT 1 FROM users o
    WHERE o.customer_id = users.customer_id AND lower(o.email) = lower(users.email) AND o.id <> users.id
      AND (o.password_hash IS NOT NULL OR o.id < users.id));

CREATE UNIQUE INDEX users_customer_email ON users (customer_id, lower(email));

-- +goose Down
DROP INDEX users_customer_email;
ALTER TABLE carts DROP COLUMN shown;
