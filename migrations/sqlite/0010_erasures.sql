-- Erasures that stay erased (customers/redact). A redacted order keeps its redaction time,
-- so that a re-delivered version of it writes no e-mail hash back.
ALTER TABLE orders ADD COLUMN redacted_at DATETIME;

-- Addresses erased by customers/redact, as a keyed marker (HMAC with a key derived from
-- the encryption key, which is not in the database), never the address or its plain hash:
-- later orders with the address stay anonymous.
CREATE TABLE erased_emails (
    shop_id     BIGINT NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    marker      TEXT   NOT NULL,
    erased_at   DATETIME NOT NULL,
    CONSTRAINT erased_emails_pkey PRIMARY KEY (shop_id, marker)
);

-- The data request log keeps no hash of the address (an unsalted SHA-256 of an e-mail is
-- reversible by trying addresses); the export goes by customer id and orders.
ALTER TABLE data_requests DROP COLUMN email_hash;
