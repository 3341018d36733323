-- What Ritorno computed about each buyer (ritorno.CustomerInsight), replaced for the whole
-- shop at each computation, and the computation itself (ritorno.ShopInsight).
CREATE TABLE customer_insights (
    shop_id              BIGINT NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    buyer_key            BIGINT NOT NULL,
    customer_platform_id BIGINT NOT NULL DEFAULT 0,
    orders               INTEGER NOT NULL,
    currency             TEXT    NOT NULL,
    net_spent_minor      BIGINT NOT NULL,
    aov_minor            BIGINT NOT NULL,
    first_order_at       TIMESTAMPTZ NOT NULL,
    last_order_at        TIMESTAMPTZ NOT NULL,
    mean_days_between    DOUBLE PRECISION NOT NULL DEFAULT 0,
    recency_days         BIGINT NOT NULL,
    r_score              INTEGER NOT NULL,
    f_score              INTEGER NOT NULL,
    m_score              INTEGER NOT NULL,
    segment              TEXT    NOT NULL,
    predicted            BOOLEAN NOT NULL,
    p_alive              DOUBLE PRECISION NOT NULL DEFAULT 0,
    expected_purchases   DOUBLE PRECISION NOT NULL DEFAULT 0,
    expected_value_minor BIGINT NOT NULL DEFAULT 0,
    next_order_at        TIMESTAMPTZ,
    computed_at          TIMESTAMPTZ NOT NULL,
    CONSTRAINT customer_insights_pkey PRIMARY KEY (shop_id, buyer_key)
);
CREATE INDEX customer_insights_shop_segment_idx ON customer_insights (shop_id, segment);

CREATE TABLE shop_insights (
    shop_id      BIGINT PRIMARY KEY REFERENCES shops (id) ON DELETE CASCADE,
    computed_at  TIMESTAMPTZ NOT NULL,
    seconds      DOUBLE PRECISION NOT NULL,
    customers    INTEGER NOT NULL,
    orders       INTEGER NOT NULL,
    horizon_days INTEGER NOT NULL,
    model        TEXT    NOT NULL DEFAULT '',
    fallback     BOOLEAN NOT NULL,
    notes        TEXT    NOT NULL DEFAULT ''
);
