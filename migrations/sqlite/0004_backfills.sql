-- The import of each shop's past from its platform (ritorno.Backfill): one row per shop,
-- progress saved after every page so that a crash resumes from resume_cursor. A lease
-- (lease_owner, locked_until) keeps two server processes from running the same backfill.
-- No claim index: one row per shop is small enough to scan.
CREATE TABLE backfills (
    shop_id         INTEGER PRIMARY KEY REFERENCES shops (id) ON DELETE CASCADE,
    status          TEXT    NOT NULL,
    step            TEXT    NOT NULL DEFAULT '',
    resume_cursor   TEXT    NOT NULL DEFAULT '',
    done            INTEGER  NOT NULL DEFAULT 0,
    step_done       INTEGER  NOT NULL DEFAULT 0,
    step_total      INTEGER  NOT NULL DEFAULT 0,
    inserted        INTEGER  NOT NULL DEFAULT 0,
    updated         INTEGER  NOT NULL DEFAULT 0,
    unchanged       INTEGER  NOT NULL DEFAULT 0,
    skipped         INTEGER  NOT NULL DEFAULT 0,
    orders_from     DATETIME,
    orders_to       DATETIME,
    limit_note      TEXT    NOT NULL DEFAULT '',
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    next_attempt_at DATETIME NOT NULL,
    lease_owner     TEXT    NOT NULL DEFAULT '',
    locked_until    DATETIME,
    started_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL,
    finished_at     DATETIME
);
