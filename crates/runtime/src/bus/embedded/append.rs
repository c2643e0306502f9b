//! Appending messages to streams, with de-duplication by message id, several per round trip.
//!
//! SQLite itself is fast; what costs is each round trip to sqlx's connection thread. So a group's
//! publishes go down in chunks: one multi-statement query per chunk, each message a fixed run of
//! four statements ([`ONE`]). The sequence comes from `streams.last_seq` inside those statements (never
//! from a cache), so another process writing the same file cannot make sequences collide; each
//! step runs only if the previous one took (`changes()`).

use std::sync::OnceLock;

use sqlx::Row;
use sqlx::sqlite::SqliteConnection;

use super::publish::{Retention, TxState, encode_headers};
use super::stream_index;
use crate::bus::{Headers, PublishAck, StreamSpec};

/// Chunk sizes, largest first: a few fixed texts keep sqlx's prepared-statement cache small.
const CHUNKS: [usize; 5] = [16, 8, 4, 2, 1];

/// One message to append.
#[derive(Debug, Clone, Copy)]
pub(super) struct Append<'a> {
    pub stream: &'a StreamSpec,
    pub subject: &'a str,
    pub msg_id: &'a str,
    pub headers: &'a Headers,
    pub payload: &'a [u8],
}

/// The four statements that append one message, with plain `?` parameters bound in the order
/// of [`bind_one`]. (sqlx binds numbered parameters per statement and silently leaves later ones
/// unbound when a statement skips numbers, so numbering cannot be used across statements.)
const ONE: &str = "\
    INSERT INTO dedupe (stream, msg_id, seq, stored_at) \
    SELECT ?, ?, last_seq + 1, ? FROM streams WHERE name = ? \
    ON CONFLICT (stream, msg_id) DO NOTHING; \
    UPDATE streams SET last_seq = last_seq + 1 WHERE name = ? AND changes() = 1; \
    INSERT INTO messages (stream, seq, subject, headers, payload, stored_at) \
    SELECT ?, last_seq, ?, ?, ?, ? FROM streams WHERE name = ? AND changes() = 1; \
    SELECT changes() AS stored, seq, stored_at FROM dedupe WHERE stream = ? AND msg_id = ?; ";

/// The statements for a chunk of `size` messages.
fn chunk_sql(size: usize) -> &'static str {
    static TEXTS: OnceLock<Vec<String>> = OnceLock::new();
    let texts = TEXTS.get_or_init(|| CHUNKS.iter().map(|&size| ONE.repeat(size)).collect());
    let index = CHUNKS.iter().position(|&c| c == size).unwrap_or(CHUNKS.len() - 1);
    &texts[index]
}

type AppendQuery<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>;

/// Binds one message's parameters, in the order they appear in [`ONE`].
fn bind_one<'q>(query: AppendQuery<'q>, message: &Append<'q>, headers: &'q str, now: i64) -> AppendQuery<'q> {
    let stream = message.stream.name;
    query
        .bind(stream)
        .bind(message.msg_id)
        .bind(now)
        .bind(stream)
        .bind(stream)
        .bind(stream)
        .bind(message.subject)
        .bind(headers)
        .bind(message.payload)
        .bind(now)
        .bind(stream)
        .bind(stream)
        .bind(message.msg_id)
}

/// Appends `messages` in order unless their id was stored in their stream inside the duplicate
/// window; returns one ack per message, in order.
pub(super) async fn append_all(
    conn: &mut SqliteConnection,
    st: &mut TxState,
    retention: &Retention,
    messages: &[Append<'_>],
    now: i64,
) -> sqlx::Result<Vec<PublishAck>> {
    let mut acks = Vec::with_capacity(messages.len());
    let mut rest = messages;
    while !rest.is_empty() {
        let size = CHUNKS.iter().copied().find(|&c| c <= rest.len()).unwrap_or(1);
        let (chunk, tail) = rest.split_at(size);
        rest = tail;
        let headers: Vec<String> = chunk.iter().map(|m| encode_headers(m.headers)).collect();
        let mut query = sqlx::query(chunk_sql(size));
        for (message, headers) in chunk.iter().zip(&headers) {
            query = bind_one(query, message, headers, now);
        }
        let rows = query.fetch_all(&mut *conn).await?;
        if rows.len() != chunk.len() {
            return Err(sqlx::Error::Protocol(format!("{} answers for {} appends", rows.len(), chunk.len())));
        }
        for ((message, headers), row) in chunk.iter().zip(&headers).zip(&rows) {
            let (stored, seq, stored_at): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
            let ack = if stored == 1 {
                st.stored |= 1 << stream_index(message.stream.name);
                PublishAck { sequence: seq as u64, duplicate: false }
            } else if now - stored_at < retention.window_ms(message.stream) {
                PublishAck { sequence: seq as u64, duplicate: true }
            } else {
                append_seen(conn, st, message, headers, now).await?
            };
            acks.push(ack);
        }
    }
    Ok(acks)
}

/// Appends a message whose id is known from before the duplicate window (the purge has not
/// caught up with it yet): it is new again.
async fn append_seen(
    conn: &mut SqliteConnection,
    st: &mut TxState,
    message: &Append<'_>,
    headers: &str,
    now: i64,
) -> sqlx::Result<PublishAck> {
    let seq: i64 = sqlx::query(
        "UPDATE streams SET last_seq = last_seq + 1 WHERE name = ?; \
         UPDATE dedupe SET seq = (SELECT last_seq FROM streams WHERE name = ?), stored_at = ? \
         WHERE stream = ? AND msg_id = ?; \
         INSERT INTO messages (stream, seq, subject, headers, payload, stored_at) \
         SELECT ?, last_seq, ?, ?, ?, ? FROM streams WHERE name = ?; \
         SELECT last_seq FROM streams WHERE name = ?;",
    )
    .bind(message.stream.name)
    .bind(message.stream.name)
    .bind(now)
    .bind(message.stream.name)
    .bind(message.msg_id)
    .bind(message.stream.name)
    .bind(message.subject)
    .bind(headers)
    .bind(message.payload)
    .bind(now)
    .bind(message.stream.name)
    .bind(message.stream.name)
    .fetch_one(&mut *conn)
    .await?
    .get(0);
    st.stored |= 1 << stream_index(message.stream.name);
    Ok(PublishAck { sequence: seq as u64, duplicate: false })
}
