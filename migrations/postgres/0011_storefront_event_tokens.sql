-- An impression, click or add-to-cart counts once per tracking token: token identifies the
-- token an event came with (see storefront.tokenKey), and the unique key makes a replayed
-- event a no-op (INSERT … ON CONFLICT DO NOTHING). Events stored before this migration have
-- no token (NULL) and stay as they are: NULLs never conflict.
ALTER TABLE storefront_events ADD COLUMN token TEXT;
CREATE UNIQUE INDEX storefront_events_shop_token_type_key ON storefront_events (shop_id, token, type);
