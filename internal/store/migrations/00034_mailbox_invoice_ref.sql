-- Issue 18, renewal runs: the sandbox mailbox keeps an invoice's PDF as a
-- reference, not as bytes. A renewal run e-mails one invoice per renewal,
-- and rendering each PDF (about 40 ms of CPU) when the mail is "sent" made
-- the mailbox the run's bottleneck. invoice_id names the invoice (its
-- frozen document) the attachment is rendered from when a mail is opened
-- (store.MailAttachment.InvoiceID); content is then '' and size 0 until
-- the mail is first read, which renders the PDF and keeps it here.
-- Attachments kept before stay as they are ('' invoice_id).

-- +goose Up
ALTER TABLE mailbox_attachments ADD COLUMN invoice_id TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE mailbox_attachments DROP COLUMN invoice_id;
