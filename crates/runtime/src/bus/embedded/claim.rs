//! Claiming deliveries for a subscription, and expiring those whose ack deadline passed.
//!
//! A claim moves messages into the consumer's `pending` rows as in flight, with a deadline; the
//! sweep and every claim turn overdue in-flight rows into redeliveries (after the backoff) or, once
//! `max_deliver` attempts are spent, into dead letters.

use sqlx::Row;
use sqlx::sqlite::{SqliteConnection, SqliteRow};

use super::consume::{ConsumerRef, NO_ACK_ERROR, delete, json_ids};
use super::publish::{Retention, TxState, dead_letter, message_from_row};
use crate::bus::{Message, subject_matches};

/// Rows read per page when looking for new messages past a cursor.
const PAGE: i64 = 128;
/// New messages examined per claim at most, so one claim never holds the writer for long.
const SCAN_LIMIT: usize = 4096;

/// One message claimed for a subscription; `deadline` is when it is due back unless settled.
#[derive(Debug)]
pub(super) struct Claim {
    pub id: i64,
    pub attempt: u32,
    pub deadline: i64,
    pub message: Message,
}

/// The answer to a claim.
#[derive(Debug, Default)]
pub(super) struct Claimed {
    pub deliveries: Vec<Claim>,
    /// More may be ready right now (the batch or the scan limit was reached).
    pub more: bool,
    /// The earliest time something owed to this consumer becomes due, in epoch ms.
    pub next_due: Option<i64>,
}

/// Reads what a claim needs in one round trip: the consumer's due rows (waiting ones whose time
/// came and in-flight ones past their deadline), a page of the stream past its cursor, and the
/// earliest time anything of it becomes due (for the caller's sleep when nothing is claimed).
///
/// Parameters are plain `?`, bound in order across the statements: sqlx binds numbered ones
/// per statement and silently leaves a statement's later ones unbound when it skips numbers.
const CLAIM_READ: &str = "\
    SELECT 'due' AS kind, p.message AS id, p.attempts, p.inflight, p.visible_at, p.last_error, \
    m.stream, m.seq, m.subject, m.headers, m.payload \
    FROM pending p JOIN messages m ON m.id = p.message \
    WHERE p.consumer = ? AND p.visible_at <= ? ORDER BY p.message LIMIT ?; \
    SELECT 'new' AS kind, id, seq, subject, headers, payload FROM messages \
    WHERE stream = ? AND id > (SELECT cursor FROM consumers WHERE name = ?) ORDER BY id LIMIT ?; \
    SELECT 'min' AS kind, MIN(visible_at) AS visible_at FROM pending WHERE consumer = ?;";

/// Claims up to `max` deliveries: first redeliveries that are due, then new matching messages.
///
/// In-flight rows past their deadline are expired here as well (the sweep does the same for
/// consumers nobody is reading). In the steady state a claim is two round trips to SQLite: one
/// read, one write.
pub(super) async fn claim(
    conn: &mut SqliteConnection,
    st: &mut TxState,
    retention: &Retention,
    consumer: &ConsumerRef,
    max: usize,
    now: i64,
) -> sqlx::Result<Claimed> {
    let deadline = now + consumer.ack_wait_ms;
    let rows = sqlx::query(CLAIM_READ)
        .bind(&*consumer.name)
        .bind(now)
        .bind(max as i64)
        .bind(consumer.stream)
        .bind(&*consumer.name)
        .bind(PAGE)
        .bind(&*consumer.name)
        .fetch_all(&mut *conn)
        .await?;
    let mut batch = Batch { max, deadline, ..Batch::default() };
    let mut next_due = None;
    let mut page = 0;
    for row in &rows {
        match row.get::<&str, _>("kind") {
            "due" => {
                let expired = Expired {
                    consumer: &consumer.name,
                    id: row.get("id"),
                    attempts: row.get("attempts"),
                    deadline: row.get("visible_at"),
                    max_deliver: i64::from(consumer.max_deliver),
                    backoff_ms: &consumer.backoff_ms,
                };
                if row.get::<i64, _>("inflight") == 1 && !expired.settle(conn, st, retention, row, now).await? {
                    continue;
                }
                batch.redelivered.push(expired.id);
                let attempt = expired.attempts as u32 + 1;
                batch.claims.push(Claim { id: expired.id, attempt, deadline, message: message_from_row(row)? });
            }
            "new" => {
                page += 1;
                batch.offer(consumer, row)?;
            }
            _ => next_due = row.get("visible_at"),
        }
    }
    if page == PAGE && !batch.full() {
        more_pages(conn, consumer, &mut batch).await?;
    }
    batch.write(conn, consumer).await?;
    let more = batch.more || batch.full();
    let next_due = if batch.claims.is_empty() { next_due } else { None };
    Ok(Claimed { deliveries: batch.claims, more, next_due })
}

/// The deliveries a claim is assembling, and what it must write for them.
#[derive(Default)]
struct Batch {
    max: usize,
    deadline: i64,
    claims: Vec<Claim>,
    redelivered: Vec<i64>,
    fresh: Vec<i64>,
    /// The last message looked at past the consumer's cursor.
    cursor: Option<i64>,
    more: bool,
}

impl Batch {
    fn full(&self) -> bool {
        self.claims.len() >= self.max
    }

    /// Takes a message past the cursor if it matches; stops moving the cursor once full.
    fn offer(&mut self, consumer: &ConsumerRef, row: &SqliteRow) -> sqlx::Result<()> {
        if self.full() {
            self.more = true;
            return Ok(());
        }
        let id: i64 = row.get("id");
        self.cursor = Some(id);
        let subject: &str = row.get("subject");
        if consumer.filters.iter().any(|f| subject_matches(f, subject)) {
            self.fresh.push(id);
            let message = message_from_row(row)?;
            self.claims.push(Claim { id, attempt: 1, deadline: self.deadline, message });
        }
        Ok(())
    }

    /// Records the claims and the moved cursor in one round trip.
    async fn write(&self, conn: &mut SqliteConnection, consumer: &ConsumerRef) -> sqlx::Result<()> {
        if self.redelivered.is_empty() && self.cursor.is_none() {
            return Ok(());
        }
        // The ids travel as JSON arrays so that one statement serves the whole batch.
        sqlx::query(
            "UPDATE pending SET attempts = attempts + 1, inflight = 1, visible_at = ? \
             WHERE consumer = ? AND message IN (SELECT value FROM json_each(?)); \
             INSERT OR REPLACE INTO pending (consumer, message, attempts, inflight, visible_at) \
             SELECT ?, value, 1, 1, ? FROM json_each(?); \
             UPDATE consumers SET cursor = ? WHERE name = ? AND ? IS NOT NULL;",
        )
        .bind(self.deadline)
        .bind(&*consumer.name)
        .bind(json_ids(&self.redelivered))
        .bind(&*consumer.name)
        .bind(self.deadline)
        .bind(json_ids(&self.fresh))
        .bind(self.cursor)
        .bind(&*consumer.name)
        .bind(self.cursor)
        .execute(&mut *conn)
        .await
        .map(drop)
    }
}

/// Keeps walking the stream when the first page held too few matching messages (a consumer whose
/// filters select a small part of a busy stream), up to a bound per claim.
async fn more_pages(conn: &mut SqliteConnection, consumer: &ConsumerRef, batch: &mut Batch) -> sqlx::Result<()> {
    let mut scanned = PAGE as usize;
    while let Some(cursor) = batch.cursor {
        if batch.full() || scanned >= SCAN_LIMIT {
            batch.more = true;
            return Ok(());
        }
        let rows = sqlx::query(
            "SELECT id, seq, subject, headers, payload FROM messages \
             WHERE stream = ? AND id > ? ORDER BY id LIMIT ?",
        )
        .bind(consumer.stream)
        .bind(cursor)
        .bind(PAGE)
        .fetch_all(&mut *conn)
        .await?;
        for row in &rows {
            batch.offer(consumer, row)?;
        }
        scanned += rows.len();
        if (rows.len() as i64) < PAGE {
            return Ok(());
        }
    }
    Ok(())
}

/// An in-flight delivery whose ack deadline passed.
struct Expired<'a> {
    consumer: &'a str,
    id: i64,
    attempts: i64,
    deadline: i64,
    max_deliver: i64,
    backoff_ms: &'a [i64],
}

impl Expired<'_> {
    /// Dead-letters it once `max_deliver` attempts are spent, or schedules the redelivery after
    /// the backoff. `true` when it may be redelivered right now. `row` holds the message columns.
    async fn settle(
        &self,
        conn: &mut SqliteConnection,
        st: &mut TxState,
        retention: &Retention,
        row: &SqliteRow,
        now: i64,
    ) -> sqlx::Result<bool> {
        if self.attempts >= self.max_deliver {
            let error: Option<String> = row.get("last_error");
            let message = message_from_row(row)?;
            let stream: &str = row.get("stream");
            let error = error.as_deref().unwrap_or(NO_ACK_ERROR);
            dead_letter(conn, st, retention, self.consumer, stream, &message, error, now).await?;
            delete(conn, self.consumer, self.id).await?;
            return Ok(false);
        }
        // No backoff configured: redeliver as soon as the ack wait ran out, as JetStream does.
        let index = (self.attempts.max(1) - 1) as usize;
        let delay = self.backoff_ms.get(index).or(self.backoff_ms.last()).copied().unwrap_or(0);
        let visible_at = self.deadline + delay;
        if visible_at <= now {
            return Ok(true);
        }
        sqlx::query("UPDATE pending SET inflight = 0, visible_at = ? WHERE consumer = ? AND message = ?")
            .bind(visible_at)
            .bind(self.consumer)
            .bind(self.id)
            .execute(&mut *conn)
            .await?;
        Ok(false)
    }
}

/// Expires the overdue deliveries of every consumer, whether or not anyone is reading it: a
/// process that died during the last attempt still gets its message dead-lettered.
pub(super) async fn sweep(
    conn: &mut SqliteConnection,
    st: &mut TxState,
    retention: &Retention,
    now: i64,
) -> sqlx::Result<usize> {
    let rows = sqlx::query(
        "SELECT p.consumer, p.message, p.attempts, p.visible_at, p.last_error, c.max_deliver, \
         c.backoff_ms, m.stream, m.seq, m.subject, m.headers, m.payload \
         FROM pending p JOIN consumers c ON c.name = p.consumer JOIN messages m ON m.id = p.message \
         WHERE p.inflight = 1 AND p.visible_at <= ? LIMIT 512",
    )
    .bind(now)
    .fetch_all(&mut *conn)
    .await?;
    for row in &rows {
        let backoff_ms: Vec<i64> = serde_json::from_str(row.get("backoff_ms")).unwrap_or_default();
        let expired = Expired {
            consumer: row.get("consumer"),
            id: row.get("message"),
            attempts: row.get("attempts"),
            deadline: row.get("visible_at"),
            max_deliver: row.get("max_deliver"),
            backoff_ms: &backoff_ms,
        };
        if expired.settle(conn, st, retention, row, now).await? {
            // Due now: waiting, so the next claim delivers it.
            sqlx::query("UPDATE pending SET inflight = 0 WHERE consumer = ? AND message = ?")
                .bind(expired.consumer)
                .bind(expired.id)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(rows.len())
}
