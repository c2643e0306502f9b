//! Reading without a consumer: tails of new messages and the dead-letter listing.
//!
//! Both read through the read-only pool, never through the writer, so they also work from another
//! process that opened the same file (`butterboard events tail` next to a running instance): a
//! tail polls the file and, in the owning process, is woken at once by the writer's commits.

use std::collections::VecDeque;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::Row;
use sqlx::sqlite::SqlitePool;
use tokio::sync::watch;

use super::Generations;
use super::publish::{DLQ_STREAM, stored_from_row};
use super::schema::unavailable;
use crate::bus::{BusError, StoredMessage, Tail, TailStart, subject_matches};

/// Rows read per poll.
const PAGE: i64 = 256;

pub(super) struct EmbeddedTail {
    reads: SqlitePool,
    filter: String,
    /// The last message id looked at; where the tail starts is set by its [`TailStart`].
    cursor: i64,
    stored: watch::Receiver<Generations>,
    poll_interval: Duration,
    buffer: VecDeque<StoredMessage>,
}

impl EmbeddedTail {
    pub async fn start(
        reads: SqlitePool,
        filter: String,
        start: TailStart,
        stored: watch::Receiver<Generations>,
        poll_interval: Duration,
    ) -> Result<Self, BusError> {
        let cursor: Option<i64> = match start {
            TailStart::All => Some(0),
            TailStart::New => {
                sqlx::query("SELECT MAX(id) FROM messages").fetch_one(&reads).await.map_err(unavailable)?.get(0)
            }
            // The message before the first one stored at or after `since`; the end when none is.
            TailStart::Since(since) => sqlx::query(
                "SELECT COALESCE((SELECT MIN(id) - 1 FROM messages WHERE stored_at >= ?), (SELECT MAX(id) FROM messages))",
            )
            .bind(since)
            .fetch_one(&reads)
            .await
            .map_err(unavailable)?
            .get(0),
        };
        let cursor = cursor.unwrap_or(0);
        Ok(Self { reads, filter, cursor, stored, poll_interval, buffer: VecDeque::new() })
    }

    /// Reads the next page after the cursor; `true` if there may be more right away.
    async fn read_page(&mut self) -> Result<bool, BusError> {
        let rows = sqlx::query(
            "SELECT id, seq, subject, headers, payload, stored_at FROM messages \
             WHERE id > ? ORDER BY id LIMIT ?",
        )
        .bind(self.cursor)
        .bind(PAGE)
        .fetch_all(&self.reads)
        .await
        .map_err(unavailable)?;
        for row in &rows {
            self.cursor = row.get("id");
            let subject: &str = row.get("subject");
            if subject_matches(&self.filter, subject) {
                self.buffer.push_back(stored_from_row(row).map_err(unavailable)?);
            }
        }
        Ok(rows.len() as i64 == PAGE)
    }
}

#[async_trait]
impl Tail for EmbeddedTail {
    async fn next(&mut self) -> Result<Option<StoredMessage>, BusError> {
        loop {
            if let Some(message) = self.buffer.pop_front() {
                return Ok(Some(message));
            }
            if self.reads.is_closed() {
                return Ok(None);
            }
            let seen = *self.stored.borrow_and_update();
            if self.read_page().await? || !self.buffer.is_empty() {
                continue;
            }
            tokio::select! {
                closed = async { self.stored.wait_for(|g| *g != seen).await.is_err() } => {
                    if closed {
                        // The writer is gone (or this is a reader-only use): keep polling.
                        tokio::time::sleep(self.poll_interval).await;
                    }
                }
                _ = tokio::time::sleep(self.poll_interval) => {}
            }
        }
    }
}

/// The oldest `limit` dead letters.
pub(super) async fn dead_letters(reads: &SqlitePool, limit: usize) -> Result<Vec<StoredMessage>, BusError> {
    let rows = sqlx::query(
        "SELECT seq, subject, headers, payload, stored_at FROM messages \
         WHERE stream = ? ORDER BY id LIMIT ?",
    )
    .bind(DLQ_STREAM)
    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
    .fetch_all(reads)
    .await
    .map_err(unavailable)?;
    rows.iter().map(|row| stored_from_row(row).map_err(unavailable)).collect()
}

/// Messages of its stream past the consumer's cursor that match its filters; 0 for a consumer not
/// created yet. Counted per subject, so the filters are matched in Rust as the consumer matches
/// them, over a handful of rows.
pub(super) async fn consumer_lag(reads: &SqlitePool, spec: &crate::bus::ConsumerSpec) -> Result<u64, BusError> {
    let Some(row) = sqlx::query("SELECT stream, cursor FROM consumers WHERE name = ?")
        .bind(&spec.name)
        .fetch_optional(reads)
        .await
        .map_err(unavailable)?
    else {
        return Ok(0);
    };
    let (stream, cursor): (String, i64) = (row.get(0), row.get(1));
    let counts = sqlx::query("SELECT subject, COUNT(*) FROM messages WHERE stream = ? AND id > ? GROUP BY subject")
        .bind(&stream)
        .bind(cursor)
        .fetch_all(reads)
        .await
        .map_err(unavailable)?;
    Ok(counts
        .iter()
        .filter(|row| spec.filters.iter().any(|filter| subject_matches(filter, row.get::<&str, _>(0))))
        .map(|row| u64::try_from(row.get::<i64, _>(1)).unwrap_or(0))
        .sum())
}

/// How many messages the stream `name` holds.
pub(super) async fn stream_messages(reads: &SqlitePool, name: &str) -> Result<u64, BusError> {
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE stream = ?")
        .bind(name)
        .fetch_one(reads)
        .await
        .map_err(unavailable)?;
    Ok(u64::try_from(count).unwrap_or(0))
}
