-- The tenant: one row per connected store. Every other table carries shop_id.
CREATE TABLE shops (
    id              INTEGER PRIMARY KEY,
    platform        TEXT        NOT NULL,
    domain          TEXT        NOT NULL,
    name            TEXT        NOT NULL DEFAULT '',
    status          TEXT        NOT NULL,
    currency        TEXT        NOT NULL,
    timezone        TEXT        NOT NULL,
    connection_key  TEXT,
    installed_at    DATETIME,
    uninstalled_at  DATETIME,
    created_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL,
    CONSTRAINT shops_platform_domain_key UNIQUE (platform, domain),
    CONSTRAINT shops_connection_key_key UNIQUE (connection_key)
);

-- Secrets apart from the shop row, each column AES-256-GCM sealed by the application.
CREATE TABLE shop_credentials (
    shop_id                  BIGINT PRIMARY KEY REFERENCES shops (id) ON DELETE CASCADE,
    access_token_sealed      TEXT NOT NULL DEFAULT '',
    access_token_expires_at  DATETIME,
    refresh_token_sealed     TEXT NOT NULL DEFAULT '',
    refresh_token_expires_at DATETIME,
    scopes                   TEXT NOT NULL DEFAULT '',
    consumer_key_sealed      TEXT NOT NULL DEFAULT '',
    consumer_secret_sealed   TEXT NOT NULL DEFAULT '',
    webhook_secret_sealed    TEXT NOT NULL DEFAULT '',
    updated_at               DATETIME NOT NULL
);

CREATE TABLE customers (
    id                  INTEGER PRIMARY KEY,
    shop_id             BIGINT  NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    platform_id         BIGINT  NOT NULL,
    email               TEXT    NOT NULL DEFAULT '',
    email_hash          TEXT    NOT NULL DEFAULT '',
    first_name          TEXT    NOT NULL DEFAULT '',
    last_name           TEXT    NOT NULL DEFAULT '',
    state               TEXT    NOT NULL DEFAULT '',
    tags                TEXT    NOT NULL DEFAULT '[]',
    platform_created_at DATETIME,
    platform_updated_at DATETIME,
    deleted_at          DATETIME,
    redacted_at         DATETIME,
    created_at          DATETIME NOT NULL,
    updated_at          DATETIME NOT NULL,
    CONSTRAINT customers_shop_platform_key UNIQUE (shop_id, platform_id)
);
CREATE INDEX customers_shop_email_hash_idx ON customers (shop_id, email_hash);

CREATE TABLE products (
    id                  INTEGER PRIMARY KEY,
    shop_id             BIGINT NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    platform_id         BIGINT NOT NULL,
    title               TEXT   NOT NULL DEFAULT '',
    handle              TEXT   NOT NULL DEFAULT '',
    product_type        TEXT   NOT NULL DEFAULT '',
    vendor              TEXT   NOT NULL DEFAULT '',
    tags                TEXT   NOT NULL DEFAULT '[]',
    collections         TEXT   NOT NULL DEFAULT '[]',
    status              TEXT   NOT NULL,
    published_at        DATETIME,
    image_url           TEXT   NOT NULL DEFAULT '',
    platform_created_at DATETIME,
    platform_updated_at DATETIME,
    deleted_at          DATETIME,
    created_at          DATETIME NOT NULL,
    updated_at          DATETIME NOT NULL,
    CONSTRAINT products_shop_platform_key UNIQUE (shop_id, platform_id)
);
CREATE INDEX products_shop_status_idx ON products (shop_id, status);

CREATE TABLE variants (
    id                    INTEGER PRIMARY KEY,
    shop_id               BIGINT  NOT NULL,
    product_platform_id   BIGINT  NOT NULL,
    platform_id           BIGINT  NOT NULL,
    title                 TEXT    NOT NULL DEFAULT '',
    sku                   TEXT    NOT NULL DEFAULT '',
    position              BIGINT  NOT NULL DEFAULT 0,
    currency              TEXT    NOT NULL,
    price_minor           BIGINT  NOT NULL,
    compare_at_price_minor BIGINT NOT NULL DEFAULT 0,
    inventory_tracked     BOOLEAN NOT NULL DEFAULT 0,
    inventory_quantity    BIGINT  NOT NULL DEFAULT 0,
    continue_selling      BOOLEAN NOT NULL DEFAULT 0,
    gift_card             BOOLEAN NOT NULL DEFAULT 0,
    CONSTRAINT variants_shop_platform_key UNIQUE (shop_id, platform_id),
    CONSTRAINT variants_product_fkey FOREIGN KEY (shop_id, product_platform_id)
        REFERENCES products (shop_id, platform_id) ON DELETE CASCADE
);
CREATE INDEX variants_shop_product_idx ON variants (shop_id, product_platform_id);

CREATE TABLE orders (
    id                    INTEGER PRIMARY KEY,
    shop_id               BIGINT  NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    platform_id           BIGINT  NOT NULL,
    name                  TEXT    NOT NULL DEFAULT '',
    buyer_kind            TEXT    NOT NULL,
    customer_platform_id  BIGINT  NOT NULL DEFAULT 0,
    email_hash            TEXT    NOT NULL DEFAULT '',
    currency              TEXT    NOT NULL,
    presentment_currency  TEXT    NOT NULL DEFAULT '',
    subtotal_minor        BIGINT  NOT NULL DEFAULT 0,
    total_discounts_minor BIGINT  NOT NULL DEFAULT 0,
    total_tax_minor       BIGINT  NOT NULL DEFAULT 0,
    total_shipping_minor  BIGINT  NOT NULL DEFAULT 0,
    total_minor           BIGINT  NOT NULL DEFAULT 0,
    refunded_minor        BIGINT  NOT NULL DEFAULT 0,
    financial_status      TEXT    NOT NULL DEFAULT '',
    fulfillment_status    TEXT    NOT NULL DEFAULT '',
    source_name           TEXT    NOT NULL DEFAULT '',
    test                  BOOLEAN NOT NULL DEFAULT 0,
    tags                  TEXT    NOT NULL DEFAULT '[]',
    platform_created_at   DATETIME,
    processed_at          DATETIME,
    cancelled_at          DATETIME,
    cancel_reason         TEXT    NOT NULL DEFAULT '',
    platform_updated_at   DATETIME,
    deleted_at            DATETIME,
    created_at            DATETIME NOT NULL,
    updated_at            DATETIME NOT NULL,
    CONSTRAINT orders_shop_platform_key UNIQUE (shop_id, platform_id)
);
CREATE INDEX orders_shop_customer_idx ON orders (shop_id, customer_platform_id, processed_at);
CREATE INDEX orders_shop_email_hash_idx ON orders (shop_id, email_hash);
CREATE INDEX orders_shop_processed_idx ON orders (shop_id, processed_at);

CREATE TABLE line_items (
    id                   INTEGER PRIMARY KEY,
    shop_id              BIGINT  NOT NULL,
    order_platform_id    BIGINT  NOT NULL,
    platform_id          BIGINT  NOT NULL,
    product_platform_id  BIGINT  NOT NULL DEFAULT 0,
    variant_platform_id  BIGINT  NOT NULL DEFAULT 0,
    title                TEXT    NOT NULL DEFAULT '',
    variant_title        TEXT    NOT NULL DEFAULT '',
    sku                  TEXT    NOT NULL DEFAULT '',
    vendor               TEXT    NOT NULL DEFAULT '',
    quantity             BIGINT  NOT NULL,
    price_minor          BIGINT  NOT NULL,
    total_discount_minor BIGINT  NOT NULL DEFAULT 0,
    gift_card            BOOLEAN NOT NULL DEFAULT 0,
    CONSTRAINT line_items_shop_order_platform_key UNIQUE (shop_id, order_platform_id, platform_id),
    CONSTRAINT line_items_order_fkey FOREIGN KEY (shop_id, order_platform_id)
        REFERENCES orders (shop_id, platform_id) ON DELETE CASCADE
);
CREATE INDEX line_items_shop_product_idx ON line_items (shop_id, product_platform_id);

CREATE TABLE refunds (
    id                  INTEGER PRIMARY KEY,
    shop_id             BIGINT NOT NULL,
    order_platform_id   BIGINT NOT NULL,
    platform_id         BIGINT NOT NULL,
    platform_created_at DATETIME,
    processed_at        DATETIME,
    amount_minor        BIGINT NOT NULL,
    note                TEXT   NOT NULL DEFAULT '',
    CONSTRAINT refunds_shop_order_platform_key UNIQUE (shop_id, order_platform_id, platform_id),
    CONSTRAINT refunds_order_fkey FOREIGN KEY (shop_id, order_platform_id)
        REFERENCES orders (shop_id, platform_id) ON DELETE CASCADE
);

CREATE TABLE refund_line_items (
    id                      INTEGER PRIMARY KEY,
    shop_id                 BIGINT NOT NULL,
    order_platform_id       BIGINT NOT NULL,
    refund_platform_id      BIGINT NOT NULL,
    line_item_platform_id   BIGINT NOT NULL,
    quantity                BIGINT NOT NULL,
    subtotal_minor          BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT refund_line_items_shop_refund_line_key
        UNIQUE (shop_id, order_platform_id, refund_platform_id, line_item_platform_id),
    CONSTRAINT refund_line_items_refund_fkey FOREIGN KEY (shop_id, order_platform_id, refund_platform_id)
        REFERENCES refunds (shop_id, order_platform_id, platform_id) ON DELETE CASCADE
);
