-- The import of each shop's past from its platform (ritorno.Backfill): one row per shop,
-- progress saved after every page so that a crash resumes from resume_cursor. A lease
-- (lease_owner, locked_until) keeps two server processes from running the same backfill.
-- No claim index: one row per shop is small enough to scan.
CREATE TABLE backfills (
    shop_id         BIGINT PRIMARY KEY REFERENCES shops (id) ON DELETE CASCADE,
    status          TEXT    NOT NULL,
    step            TEXT    NOT NULL DEFAULT '',
    resume_cursor   TEXT    NOT NULL DEFAULT '',
    done            BIGINT  NOT NULL DEFAULT 0,
    step_done       BIGINT  NOT NULL DEFAULT 0,
    step_total      BIGINT  NOT NULL DEFAULT 0,
    inserted        BIGINT  NOT NULL DEFAULT 0,
    updated         BIGINT  NOT NULL DEFAULT 0,
    unchanged       BIGINT  NOT NULL DEFAULT 0,
    skipped         BIGINT  NOT NULL DEFAULT 0,
    orders_from     TIMESTAMPTZ,
    orders_to       TIMESTAMPTZ,
    limit_note      TEXT    NOT NULL DEFAULT '',
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    next_attempt_at TIMESTAMPTZ NOT NULL,
    lease_owner     TEXT    NOT NULL DEFAULT '',
    locked_until    TIMESTAMPTZ,
    started_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    finished_at     TIMESTAMPTZ
);
