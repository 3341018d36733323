-- On PostgreSQL this drops customer_insights' foreign key to shops (see the file there).
-- SQLite checks a foreign key with one index probe and cannot drop a constraint without
-- rebuilding the table, so it keeps it; nothing relies on either behaviour, because the
-- store deletes a shop's insights explicitly.
SELECT 1;
