//! The transactional outbox: events are written in the same transaction as the state change that
//! owes them; the [relay](super::relay) publishes them afterwards.
//!
//! A row the bus refuses for good is moved to `outbox_dead_letters` rather than to the bus's own
//! dead letters (`dlq.<subject>`): that stream lives on the same bus, under the same size and
//! subject rules that refused the row, so it could not take the row either. [`dead_letters`] and
//! [`replay_dead_letter`] list them and put them back.

use sqlx::{Any, Row, Transaction};

use crate::bus::{Headers, OutgoingMessage};
use crate::clock::now_ms;
use crate::envelope::CloudEvent;

/// Writes `event`, to be published on `subject`, into the outbox of this transaction.
pub async fn enqueue(tx: &mut Transaction<'_, Any>, subject: &str, event: CloudEvent) -> Result<(), sqlx::Error> {
    let message = event.into_message(subject);
    enqueue_message(tx, &message).await
}

/// Writes a ready bus message into the outbox of this transaction.
pub async fn enqueue_message(tx: &mut Transaction<'_, Any>, message: &OutgoingMessage) -> Result<(), sqlx::Error> {
    enqueue_messages(tx, &[message]).await
}

/// Writes ready bus messages into the outbox of this transaction, in order, several rows per
/// statement (a group commit writes hundreds at once).
pub async fn enqueue_messages(tx: &mut Transaction<'_, Any>, messages: &[&OutgoingMessage]) -> Result<(), sqlx::Error> {
    // 256 rows of 5 parameters stay far below PostgreSQL's and SQLite's parameter limits.
    for chunk in super::statement_chunks(messages, 256) {
        let sql = format!(
            "INSERT INTO outbox (event_id, subject, headers, payload, created_at) VALUES {}",
            super::placeholders(chunk.len(), 5)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        let now = now_ms();
        for message in chunk {
            let headers = serde_json::to_string(&message.headers).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
            query = query
                .bind(message.id.as_str())
                .bind(message.subject.as_str())
                .bind(headers)
                .bind(message.payload.to_vec())
                .bind(now);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// One pending outbox row.
#[derive(Debug, Clone)]
pub struct OutboxRow {
    pub id: i64,
    pub created_at: i64,
    pub message: OutgoingMessage,
}

pub(crate) fn row_to_message(
    id: i64,
    event_id: String,
    subject: String,
    headers: String,
    payload: Vec<u8>,
    created_at: i64,
) -> Result<OutboxRow, serde_json::Error> {
    let headers: Headers = serde_json::from_str(&headers)?;
    Ok(OutboxRow {
        id,
        created_at,
        message: OutgoingMessage { subject, id: event_id, headers, payload: payload.into() },
    })
}

/// How many rows wait to be published.
pub async fn pending(pool: &sqlx::AnyPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM outbox").fetch_one(pool).await
}

/// An outbox row the relay gave up on: the bus refused it for good (too large, a subject no stream
/// holds) `attempts` times, so it was moved aside for the rows behind it to flow on.
#[derive(Debug, Clone)]
pub struct OutboxDeadLetter {
    /// The row's id in the outbox it left.
    pub id: i64,
    pub message: OutgoingMessage,
    pub created_at: i64,
    /// The bus's last answer.
    pub error: String,
    pub attempts: i64,
    pub dead_lettered_at: i64,
}

/// Moves outbox row `id` to the dead letters with the bus's `error`, in `tx`.
pub(crate) async fn bury(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    error: &str,
    attempts: u32,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO outbox_dead_letters \
         (id, event_id, subject, headers, payload, created_at, error, attempts, dead_lettered_at) \
         SELECT id, event_id, subject, headers, payload, created_at, $2, $3, $4 FROM outbox WHERE id = $1",
    )
    .bind(id)
    .bind(error)
    .bind(i64::from(attempts))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM outbox WHERE id = $1").bind(id).execute(&mut **tx).await?;
    Ok(())
}

/// The outbox's dead letters, oldest first.
pub async fn dead_letters(pool: &sqlx::AnyPool, limit: usize) -> Result<Vec<OutboxDeadLetter>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, event_id, subject, headers, payload, created_at, error, attempts, dead_lettered_at \
         FROM outbox_dead_letters ORDER BY id LIMIT $1",
    )
    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
    .fetch_all(pool)
    .await?;
    let mut letters = Vec::with_capacity(rows.len());
    for row in rows {
        let outbox = row_to_message(
            row.try_get(0)?,
            row.try_get(1)?,
            row.try_get(2)?,
            row.try_get(3)?,
            row.try_get(4)?,
            row.try_get(5)?,
        )
        .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
        letters.push(OutboxDeadLetter {
            id: outbox.id,
            message: outbox.message,
            created_at: outbox.created_at,
            error: row.try_get(6)?,
            attempts: row.try_get(7)?,
            dead_lettered_at: row.try_get(8)?,
        });
    }
    Ok(letters)
}

/// Puts dead letter `id` back at the end of the outbox (same event id, so consumers that saw it
/// recognise it), for the relay to try again; `false` if there is no such dead letter.
pub async fn replay_dead_letter(store: &super::Store, id: i64) -> Result<bool, sqlx::Error> {
    let mut tx = store.begin().await?;
    let moved = sqlx::query(
        "INSERT INTO outbox (event_id, subject, headers, payload, created_at) \
         SELECT event_id, subject, headers, payload, created_at FROM outbox_dead_letters WHERE id = $1",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    sqlx::query("DELETE FROM outbox_dead_letters WHERE id = $1").bind(id).execute(&mut *tx).await?;
    tx.commit().await?;
    store.outbox_written();
    Ok(moved == 1)
}

/// How many rows wait in the outbox, and when the oldest was written (epoch ms).
pub async fn backlog(store: &super::Store) -> Result<(i64, Option<i64>), sqlx::Error> {
    let row = sqlx::query("SELECT COUNT(*), MIN(created_at) FROM outbox").fetch_one(store.pool()).await?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}
