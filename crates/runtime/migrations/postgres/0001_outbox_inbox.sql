-- The transactional outbox and the inbox that every service store carries (ARCHITECTURE §4).
CREATE TABLE IF NOT EXISTS outbox (
    id         BIGSERIAL PRIMARY KEY,
    event_id   TEXT   NOT NULL,
    subject    TEXT   NOT NULL,
    headers    TEXT   NOT NULL,
    payload    BYTEA  NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS inbox (
    consumer   TEXT   NOT NULL,
    event_id   TEXT   NOT NULL,
    handled_at BIGINT NOT NULL,
    CONSTRAINT inbox_pkey PRIMARY KEY (consumer, event_id)
);

CREATE INDEX IF NOT EXISTS inbox_handled_at ON inbox (handled_at);
