-- The webhook inbox: every verified delivery is committed here before it is acknowledged,
-- then processed by workers. It is keyed by what arrived (platform, shop domain, delivery
-- id) because a delivery may come before its shop is known (parked, shop_id NULL).
CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY,
    platform         TEXT    NOT NULL,
    shop_domain      TEXT    NOT NULL,
    shop_id          BIGINT,
    topic            TEXT    NOT NULL,
    webhook_id       TEXT,
    event_id         TEXT    NOT NULL DEFAULT '',
    api_version      TEXT    NOT NULL DEFAULT '',
    triggered_at     DATETIME,
    body             BLOB   NOT NULL,
    received_at      DATETIME NOT NULL,
    status           TEXT    NOT NULL,
    attempts         BIGINT  NOT NULL DEFAULT 0,
    next_attempt_at  DATETIME NOT NULL,
    locked_until     DATETIME,
    last_error       TEXT    NOT NULL DEFAULT '',
    processed_at     DATETIME,
    CONSTRAINT webhook_deliveries_webhook_key UNIQUE (platform, shop_domain, webhook_id)
);
-- Workers claim by status and due time.
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (status, next_attempt_at);
-- Parked deliveries are released when their shop appears.
CREATE INDEX webhook_deliveries_shop_domain_idx ON webhook_deliveries (platform, shop_domain, status);

-- Customer data requests (customers/data_request), kept so that the merchant can export
-- what Ritorno holds about the customer.
CREATE TABLE data_requests (
    id                   INTEGER PRIMARY KEY,
    shop_id              BIGINT NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    request_id           BIGINT NOT NULL,
    customer_platform_id BIGINT NOT NULL DEFAULT 0,
    email_hash           TEXT   NOT NULL DEFAULT '',
    orders_requested     TEXT   NOT NULL DEFAULT '[]',
    received_at          DATETIME NOT NULL,
    exported_at          DATETIME,
    CONSTRAINT data_requests_shop_request_key UNIQUE (shop_id, request_id)
);
