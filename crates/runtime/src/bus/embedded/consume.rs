//! Durable consumers: their definitions and the settling of their deliveries ([`super::claim`]
//! hands deliveries out).
//!
//! A consumer is a row of `consumers` with a cursor (the last message id it looked at) and rows of
//! `pending`, one per message delivered but not yet acknowledged. A pending row is either in flight
//! (`inflight = 1`, `visible_at` is its ack deadline) or waiting (`inflight = 0`, `visible_at` is
//! when it may be delivered again). Like the rest of the writer's statements these return
//! `Err(sqlx::Error)` only for database failures.

use std::sync::Arc;
use std::time::Duration;

use sqlx::Row;
use sqlx::sqlite::SqliteConnection;

use super::millis;
use super::publish::{Retention, TxState, dead_letter, message_from_row};
use crate::bus::{BusError, ConsumerSpec, Message};

/// The error a dead letter carries when no handler reported one.
pub(super) const NO_ACK_ERROR: &str = "max deliveries reached without acknowledgement";

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
    DeadLetter {
        message: Message,
        error: String,
    },
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
    let existing =
        sqlx::query("SELECT stream FROM consumers WHERE name = ?").bind(&spec.name).fetch_optional(&mut *conn).await?;
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
        Settle::Progress => sqlx::query(
            "UPDATE pending SET visible_at = ? \
                 WHERE consumer = ? AND message = ? AND attempts = ? AND inflight = 1",
        )
        .bind(now + target.consumer.ack_wait_ms)
        .bind(consumer)
        .bind(target.id)
        .bind(i64::from(target.attempt))
        .execute(&mut *conn)
        .await
        .map(drop),
        // Whether still in flight or already expired by the sweep, an attempt nobody handled
        // does not count; a later claim (a higher attempt) is left alone.
        Settle::Release => sqlx::query(
            "UPDATE pending SET attempts = attempts - 1, inflight = 0, visible_at = ? \
                 WHERE consumer = ? AND message = ? AND attempts = ?",
        )
        .bind(now)
        .bind(consumer)
        .bind(target.id)
        .bind(i64::from(target.attempt))
        .execute(&mut *conn)
        .await
        .map(drop),
        Settle::Nak(delay) => nak(conn, st, retention, target, delay, now).await,
    }
}

/// Applies many acks: one statement per consumer.
pub(super) async fn ack_all(conn: &mut SqliteConnection, acks: &[(Arc<str>, i64)]) -> sqlx::Result<()> {
    let mut by_consumer: std::collections::BTreeMap<&str, Vec<i64>> = Default::default();
    for (consumer, id) in acks {
        by_consumer.entry(consumer).or_default().push(*id);
    }
    for (consumer, ids) in by_consumer {
        sqlx::query("DELETE FROM pending WHERE consumer = ? AND message IN (SELECT value FROM json_each(?))")
            .bind(consumer)
            .bind(json_ids(&ids))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
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

pub(super) async fn delete(conn: &mut SqliteConnection, consumer: &str, id: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM pending WHERE consumer = ? AND message = ?")
        .bind(consumer)
        .bind(id)
        .execute(&mut *conn)
        .await
        .map(drop)
}

/// Ids as a JSON array, so that one statement (`json_each`) serves a whole batch.
pub(super) fn json_ids(ids: &[i64]) -> String {
    let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
    format!("[{}]", ids.join(","))
}
