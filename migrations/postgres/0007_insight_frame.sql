-- Incremental insight updates (analytics.UpdateBuyers): the full computation's scoring
-- frame, how far order changes have been applied (ritorno.OrderWindow), and the
-- incremental updates since the full computation.
ALTER TABLE shop_insights ADD COLUMN frame TEXT NOT NULL DEFAULT '';
ALTER TABLE shop_insights ADD COLUMN window_from TIMESTAMPTZ;
ALTER TABLE shop_insights ADD COLUMN window_orders INTEGER NOT NULL DEFAULT 0;
ALTER TABLE shop_insights ADD COLUMN window_latest TIMESTAMPTZ;
ALTER TABLE shop_insights ADD COLUMN incremental_at TIMESTAMPTZ;
ALTER TABLE shop_insights ADD COLUMN incremental_buyers INTEGER NOT NULL DEFAULT 0;
ALTER TABLE shop_insights ADD COLUMN buyers_since_full INTEGER NOT NULL DEFAULT 0;
