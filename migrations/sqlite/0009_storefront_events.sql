-- Shopper interactions with recommended items (ritorno.StorefrontEvent), written by the
-- storefront events endpoint and read for attribution: by time for a period's counts, and
-- by product then time for "was this product clicked shortly before the order".
CREATE TABLE storefront_events (
    id                  INTEGER PRIMARY KEY,
    shop_id             BIGINT  NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    type                TEXT    NOT NULL,
    product_platform_id BIGINT  NOT NULL,
    variant_platform_id BIGINT  NOT NULL DEFAULT 0,
    kind                TEXT    NOT NULL DEFAULT '',
    placement           TEXT    NOT NULL DEFAULT '',
    buyer_key           BIGINT  NOT NULL DEFAULT 0,
    occurred_at         DATETIME NOT NULL
);
CREATE INDEX storefront_events_shop_occurred_idx ON storefront_events (shop_id, occurred_at);
CREATE INDEX storefront_events_shop_product_idx ON storefront_events (shop_id, product_platform_id, occurred_at);
