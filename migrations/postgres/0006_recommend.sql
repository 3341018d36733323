-- Recommendations read orders and products changed since a watermark (row updated_at,
-- then platform id on equal times), so both tables get an index in that order.
CREATE INDEX orders_shop_updated_idx ON orders (shop_id, updated_at, platform_id);
CREATE INDEX products_shop_updated_idx ON products (shop_id, updated_at, platform_id);

-- A merchant's rules for the shop's recommendations (ritorno.RecommendControls). The lists
-- are JSON arrays, as tags are elsewhere; they are read whole, never searched in SQL.
CREATE TABLE recommend_controls (
    shop_id            BIGINT PRIMARY KEY REFERENCES shops (id) ON DELETE CASCADE,
    excluded_products  TEXT    NOT NULL DEFAULT '[]',
    excluded_tags      TEXT    NOT NULL DEFAULT '[]',
    excluded_vendors   TEXT    NOT NULL DEFAULT '[]',
    fallback_chain     TEXT    NOT NULL DEFAULT '[]',
    upsell_min_percent INTEGER NOT NULL DEFAULT 0,
    upsell_max_percent INTEGER NOT NULL DEFAULT 0,
    min_evidence       INTEGER NOT NULL DEFAULT 0,
    updated_at         TIMESTAMPTZ NOT NULL
);

-- The products a merchant pinned to a product, in the merchant's order (position 0 first).
CREATE TABLE recommend_pins (
    shop_id             BIGINT  NOT NULL REFERENCES recommend_controls (shop_id) ON DELETE CASCADE,
    product_platform_id BIGINT  NOT NULL,
    position            INTEGER NOT NULL,
    pinned_platform_id  BIGINT  NOT NULL,
    CONSTRAINT recommend_pins_pkey PRIMARY KEY (shop_id, product_platform_id, position),
    CONSTRAINT recommend_pins_shop_product_pinned_key UNIQUE (shop_id, product_platform_id, pinned_platform_id)
);
