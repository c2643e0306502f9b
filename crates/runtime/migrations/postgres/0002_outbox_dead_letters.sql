-- Outbox rows the bus refused for good (too large, a subject no stream holds), moved out of the
-- outbox so that the rows behind them are published. Kept whole, with the bus's last answer, to be
-- listed and put back into the outbox once the cause is fixed.
CREATE TABLE IF NOT EXISTS outbox_dead_letters (
    id               BIGINT  PRIMARY KEY,
    event_id         TEXT    NOT NULL,
    subject          TEXT    NOT NULL,
    headers          TEXT    NOT NULL,
    payload          BYTEA   NOT NULL,
    created_at       BIGINT  NOT NULL,
    error            TEXT    NOT NULL,
    attempts         BIGINT  NOT NULL,
    dead_lettered_at BIGINT  NOT NULL
);
