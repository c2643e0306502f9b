//! The transactional outbox: events are written in the same transaction as the state change that
//! owes them; the [relay](super::relay) publishes them afterwards.

use sqlx::{Any, Transaction};

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
