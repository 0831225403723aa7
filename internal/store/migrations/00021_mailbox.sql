-- The sandbox mailbox and the account's invoice e-mails (issue 17, "E-mail
-- you can see").
--
-- mailbox keeps every e-mail that a sandbox without SMTP "sends": who it
-- was for, its subject, its text and HTML parts, and its attachments (the
-- invoice's PDF bytes too), with the customer and the notification it was
-- sent for, so that the operator (GET /v1/admin/mailbox) and the customer
-- (from Notifications) can read it. outbox_id is unique: the outbox's
-- at-least-once delivery keeps one copy of a mail however often it runs.
-- Production never writes here.
--
-- mail_settings is one row per customer that changed how invoices are
-- mailed: invoice_emails (1: paid invoices and credit notes are e-mailed
-- as PDF, the default) and billing_email (their recipient; '' is the
-- owner's e-mail).

-- +goose Up
CREATE TABLE mailbox (
    id              TEXT PRIMARY KEY,
    outbox_id       TEXT NOT NULL UNIQUE,
    customer_id     TEXT NOT NULL DEFAULT '',
    notification_id TEXT NOT NULL DEFAULT '',
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX mailbox_customer ON mailbox (customer_id, id);
CREATE INDEX mailbox_notification ON mailbox (notification_id);

CREATE TABLE mailbox_attachments (
    mail_id      TEXT NOT NULL REFERENCES mailbox(id),
    seq          INTEGER NOT NULL,
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    content      TEXT NOT NULL,
    PRIMARY KEY (mail_id, seq)
);

CREATE TABLE mail_settings (
    customer_id    TEXT PRIMARY KEY REFERENCES customers(id),
    invoice_emails INTEGER NOT NULL DEFAULT 1,
    billing_email  TEXT NOT NULL DEFAULT ''
);

-- +goose Down
DROP TABLE mail_settings;
DROP TABLE mailbox_attachments;
DROP TABLE mailbox;
