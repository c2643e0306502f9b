-- Every verified Zoom delivery, raw, with its dedupe key (ARCHITECTURE §2). The outbox row that
-- publishes it is written in the same transaction.
CREATE TABLE IF NOT EXISTS deliveries (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    -- sha256 of the raw body, hex: Zoom sends no event id, and its retries repeat the body.
    dedupe_key   TEXT    NOT NULL,
    -- The ce-id the delivery was first published with; a replay reuses it unless forced.
    event_id     TEXT    NOT NULL,
    event_type   TEXT    NOT NULL,
    meeting_uuid TEXT,
    -- event_ts of the body, milliseconds.
    event_ts     INTEGER,
    received_at  INTEGER NOT NULL,
    -- The request headers of interest, as a JSON object.
    headers      TEXT    NOT NULL,
    body         BLOB    NOT NULL,
    CONSTRAINT deliveries_dedupe_key UNIQUE (dedupe_key)
);

CREATE INDEX IF NOT EXISTS deliveries_received_at ON deliveries (received_at);
CREATE INDEX IF NOT EXISTS deliveries_event_type ON deliveries (event_type, received_at);
