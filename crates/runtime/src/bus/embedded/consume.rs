//! Durable consumers: their definitions, claiming deliveries, settling them, and expiry.
//!
//! A consumer is a row of `consumers` with a cursor (the last message id it looked at) and rows of
//! `pending`, one per message delivered but not yet acknowledged. A pending row is either in flight
//! (`inflight = 1`, `visible_at` is its ack deadline) or waiting (`inflight = 0`, `visible_at` is
//! when it may be delivered again). Like the rest of the writer's statements these return
//! `Err(sqlx::Error)` only for database failures.

use std::sync::Arc;
use std::time::Duration;

use sqlx::Row;
use sqlx::sqlite::{SqliteConnection, SqliteRow};

use super::millis;
use super::publish::{Retention, TxState, dead_letter, message_from_row};
use crate::bus::{BusError, ConsumerSpec, Message, subject_matches};

/// The error a dead letter carries when no handler reported one.
pub(super) const NO_ACK_ERROR: &str = "max deliveries reached without acknowledgement";

/// Rows read per page when looking for new messages past a cursor.
const PAGE: i64 = 128;
/// New messages examined per claim at most, so one claim never holds the writer for long.
const SCAN_LIMIT: usize = 4096;

/// What a subscription asks for when it claims; cheap to clone.
#[derive(Debug, Clone)]
pub(super) struct ConsumerRef {
    pub name: Arc<str>,
    pub stream: &'static str,
    pub filters: Arc<[String]>,
    pub ack_wait_ms: i64,
    pub max_deliver: u32,
    /// The backoff in milliseconds; empty means none.
    pub backoff_ms: Arc<[i64]>,
}

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

/// The delivery a settlement is about.
#[derive(Debug, Clone)]
pub(super) struct Target {
    pub consumer: ConsumerRef,
    pub id: i64,
    pub attempt: u32,
}

/// How a delivery is settled.
#[derive(Debug)]
pub(super) enum Settle {
    Ack,
    Nak(Duration),
    Progress,
    DeadLetter { message: Message, error: String },
    /// Claimed but never handed to a handler (a dropped subscription's buffer): give it back
    /// without counting the attempt.
    Release,
}

/// Creates or updates a durable consumer. A new one starts at the beginning of its stream, like
/// JetStream's default deliver policy; an existing one keeps its cursor.
pub(super) async fn upsert(
    conn: &mut SqliteConnection,
    spec: &ConsumerSpec,
    stream: &'static str,
) -> sqlx::Result<Result<(), BusError>> {
    let existing = sqlx::query("SELECT stream FROM consumers WHERE name = ?")
        .bind(&spec.name)
        .fetch_optional(&mut *conn)
        .await?;
    if let Some(row) = existing {
        let current: String = row.get(0);
        if current != stream {
            return Ok(Err(BusError::InvalidConsumer(format!(
                "{} reads stream {current}; its filters now point at {stream}",
                spec.name
            ))));
        }
    }
    let backoff: Vec<i64> = spec.backoff.iter().copied().map(millis).collect();
    sqlx::query(
        "INSERT INTO consumers (name, stream, filters, ack_wait_ms, max_deliver, backoff_ms, cursor) \
         VALUES (?, ?, ?, ?, ?, ?, 0) \
         ON CONFLICT (name) DO UPDATE SET filters = excluded.filters, \
         ack_wait_ms = excluded.ack_wait_ms, max_deliver = excluded.max_deliver, \
         backoff_ms = excluded.backoff_ms",
    )
    .bind(&spec.name)
    .bind(stream)
    .bind(serde_json::to_string(&spec.filters).unwrap_or_else(|_| "[]".into()))
    .bind(millis(spec.ack_wait))
    .bind(i64::from(spec.max_deliver))
    .bind(serde_json::to_string(&backoff).unwrap_or_else(|_| "[]".into()))
    .execute(&mut *conn)
    .await?;
    Ok(Ok(()))
}

/// Claims up to `max` deliveries: first redeliveries that are due, then new matching messages.
///
/// In-flight rows past their deadline are expired here as well (the sweep does the same for
/// consumers nobody is reading), so one query serves both and a claim costs few statements.
pub(super) async fn claim(
    conn: &mut SqliteConnection,
    st: &mut TxState,
    retention: &Retention,
    consumer: &ConsumerRef,
    max: usize,
    now: i64,
) -> sqlx::Result<Claimed> {
    let deadline = now + consumer.ack_wait_ms;
    let mut claimed = Claimed::default();
    let due = sqlx::query(
        "SELECT p.message, p.attempts, p.inflight, p.visible_at, p.last_error, \
         m.stream, m.seq, m.subject, m.headers, m.payload \
         FROM pending p JOIN messages m ON m.id = p.message \
         WHERE p.consumer = ? AND p.visible_at <= ? ORDER BY p.message LIMIT ?",
    )
    .bind(&*consumer.name)
    .bind(now)
    .bind(max as i64)
    .fetch_all(&mut *conn)
    .await?;
    for row in &due {
        let expired = Expired {
            consumer: &consumer.name,
            id: row.get("message"),
            attempts: row.get("attempts"),
            deadline: row.get("visible_at"),
            max_deliver: i64::from(consumer.max_deliver),
            backoff_ms: &consumer.backoff_ms,
        };
        if row.get::<i64, _>("inflight") == 1 && !expired.settle(conn, st, retention, row, now).await? {
            continue;
        }
        let attempt = expired.attempts as u32 + 1;
        sqlx::query(
            "UPDATE pending SET attempts = ?, inflight = 1, visible_at = ? WHERE consumer = ? AND message = ?",
        )
        .bind(i64::from(attempt))
        .bind(deadline)
        .bind(&*consumer.name)
        .bind(expired.id)
        .execute(&mut *conn)
        .await?;
        claimed.deliveries.push(Claim { id: expired.id, attempt, deadline, message: message_from_row(row)? });
    }
    claim_new(conn, consumer, max, deadline, &mut claimed).await?;
    if claimed.deliveries.is_empty() {
        claimed.next_due = sqlx::query("SELECT MIN(visible_at) FROM pending WHERE consumer = ?")
            .bind(&*consumer.name)
            .fetch_one(&mut *conn)
            .await?
            .get(0);
    }
    Ok(claimed)
}

/// Walks the stream past the consumer's cursor, claiming what matches its filters.
async fn claim_new(
    conn: &mut SqliteConnection,
    consumer: &ConsumerRef,
    max: usize,
    deadline: i64,
    claimed: &mut Claimed,
) -> sqlx::Result<()> {
    // The first page reads the cursor in the same statement; later pages follow the last row.
    let mut cursor: Option<i64> = None;
    let mut scanned = 0;
    'pages: while claimed.deliveries.len() < max {
        let rows = sqlx::query(
            "SELECT id, seq, subject, headers, payload FROM messages \
             WHERE stream = ? AND id > COALESCE(?, (SELECT cursor FROM consumers WHERE name = ?)) \
             ORDER BY id LIMIT ?",
        )
        .bind(consumer.stream)
        .bind(cursor)
        .bind(&*consumer.name)
        .bind(PAGE)
        .fetch_all(&mut *conn)
        .await?;
        let last_page = (rows.len() as i64) < PAGE;
        for row in &rows {
            let id: i64 = row.get("id");
            cursor = Some(id);
            scanned += 1;
            let subject: &str = row.get("subject");
            if consumer.filters.iter().any(|f| subject_matches(f, subject)) {
                sqlx::query(
                    "INSERT OR REPLACE INTO pending (consumer, message, attempts, inflight, visible_at) \
                     VALUES (?, ?, 1, 1, ?)",
                )
                .bind(&*consumer.name)
                .bind(id)
                .bind(deadline)
                .execute(&mut *conn)
                .await?;
                claimed.deliveries.push(Claim { id, attempt: 1, deadline, message: message_from_row(row)? });
                if claimed.deliveries.len() >= max {
                    claimed.more = true;
                    break 'pages;
                }
            }
        }
        if last_page {
            break;
        }
        if scanned >= SCAN_LIMIT {
            claimed.more = true;
            break;
        }
    }
    if let Some(cursor) = cursor {
        sqlx::query("UPDATE consumers SET cursor = ? WHERE name = ?")
            .bind(cursor)
            .bind(&*consumer.name)
            .execute(&mut *conn)
            .await?;
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

/// Applies a settlement. Settling a delivery that was already redelivered (its attempt number is
/// stale) only counts for an ack or a dead letter, which end the message for the consumer anyway.
pub(super) async fn settle(
    conn: &mut SqliteConnection,
    st: &mut TxState,
    retention: &Retention,
    target: &Target,
    action: Settle,
    now: i64,
) -> sqlx::Result<()> {
    let consumer = &*target.consumer.name;
    match action {
        Settle::Ack => delete(conn, consumer, target.id).await,
        Settle::DeadLetter { message, error } => {
            let stream = target.consumer.stream;
            dead_letter(conn, st, retention, consumer, stream, &message, &error, now).await?;
            delete(conn, consumer, target.id).await
        }
        Settle::Progress => {
            sqlx::query(
                "UPDATE pending SET visible_at = ? \
                 WHERE consumer = ? AND message = ? AND attempts = ? AND inflight = 1",
            )
            .bind(now + target.consumer.ack_wait_ms)
            .bind(consumer)
            .bind(target.id)
            .bind(i64::from(target.attempt))
            .execute(&mut *conn)
            .await
            .map(drop)
        }
        Settle::Release => {
            sqlx::query(
                "UPDATE pending SET attempts = attempts - 1, inflight = 0, visible_at = ? \
                 WHERE consumer = ? AND message = ? AND attempts = ? AND inflight = 1",
            )
            .bind(now)
            .bind(consumer)
            .bind(target.id)
            .bind(i64::from(target.attempt))
            .execute(&mut *conn)
            .await
            .map(drop)
        }
        Settle::Nak(delay) => nak(conn, st, retention, target, delay, now).await,
    }
}

async fn nak(
    conn: &mut SqliteConnection,
    st: &mut TxState,
    retention: &Retention,
    target: &Target,
    delay: Duration,
    now: i64,
) -> sqlx::Result<()> {
    let consumer = &*target.consumer.name;
    let row = sqlx::query(
        "SELECT p.last_error, m.stream, m.seq, m.subject, m.headers, m.payload \
         FROM pending p JOIN messages m ON m.id = p.message \
         WHERE p.consumer = ? AND p.message = ? AND p.attempts = ?",
    )
    .bind(consumer)
    .bind(target.id)
    .bind(i64::from(target.attempt))
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(()) };
    if target.attempt >= target.consumer.max_deliver {
        let error: Option<String> = row.get("last_error");
        let message = message_from_row(&row)?;
        let stream: &str = row.get("stream");
        let error = error.as_deref().unwrap_or(NO_ACK_ERROR);
        dead_letter(conn, st, retention, consumer, stream, &message, error, now).await?;
        return delete(conn, consumer, target.id).await;
    }
    sqlx::query("UPDATE pending SET inflight = 0, visible_at = ? WHERE consumer = ? AND message = ?")
        .bind(now + millis(delay))
        .bind(consumer)
        .bind(target.id)
        .execute(&mut *conn)
        .await
        .map(drop)
}

async fn delete(conn: &mut SqliteConnection, consumer: &str, id: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM pending WHERE consumer = ? AND message = ?")
        .bind(consumer)
        .bind(id)
        .execute(&mut *conn)
        .await
        .map(drop)
}
