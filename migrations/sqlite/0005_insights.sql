-- What Ritorno computed about each buyer (ritorno.CustomerInsight), replaced for the whole
-- shop at each computation, and the computation itself (ritorno.ShopInsight).
CREATE TABLE customer_insights (
    shop_id              INTEGER NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    buyer_key            INTEGER NOT NULL,
    customer_platform_id INTEGER NOT NULL DEFAULT 0,
    orders               INTEGER NOT NULL,
    currency             TEXT    NOT NULL,
    net_spent_minor      INTEGER NOT NULL,
    aov_minor            INTEGER NOT NULL,
    first_order_at       DATETIME NOT NULL,
    last_order_at        DATETIME NOT NULL,
    mean_days_between    REAL NOT NULL DEFAULT 0,
    recency_days         INTEGER NOT NULL,
    r_score              INTEGER NOT NULL,
    f_score              INTEGER NOT NULL,
    m_score              INTEGER NOT NULL,
    segment              TEXT    NOT NULL,
    predicted            BOOLEAN NOT NULL,
    p_alive              REAL NOT NULL DEFAULT 0,
    expected_purchases   REAL NOT NULL DEFAULT 0,
    expected_value_minor INTEGER NOT NULL DEFAULT 0,
    next_order_at        DATETIME,
    computed_at          DATETIME NOT NULL,
    CONSTRAINT customer_insights_pkey PRIMARY KEY (shop_id, buyer_key)
);
CREATE INDEX customer_insights_shop_segment_idx ON customer_insights (shop_id, segment);

CREATE TABLE shop_insights (
    shop_id      INTEGER PRIMARY KEY REFERENCES shops (id) ON DELETE CASCADE,
    computed_at  DATETIME NOT NULL,
    seconds      REAL NOT NULL,
    customers    INTEGER NOT NULL,
    orders       INTEGER NOT NULL,
    horizon_days INTEGER NOT NULL,
    model        TEXT    NOT NULL DEFAULT '',
    fallback     BOOLEAN NOT NULL,
    notes        TEXT    NOT NULL DEFAULT ''
);
