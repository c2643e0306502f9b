//! Dead letters, replays and retention, and what the writer's statements share ([`super::append`]
//! stores messages).
//!
//! Every function here runs inside the writer's open transaction and returns
//! `Err(sqlx::Error)` only for a database failure, which rolls back the whole group; a refusal
//! that concerns one caller alone (unknown dead letter, no stream) is the inner `BusError`.

use std::time::Duration;

use sqlx::Row;
use sqlx::sqlite::{SqliteConnection, SqliteRow};
use uuid::Uuid;

use super::append::{Append, append_all};
use super::millis;
use crate::bus::{
    BusError, DLQ_CONSUMER_HEADER, DLQ_ERROR_HEADER, DLQ_PREFIX, DLQ_SUBJECT_HEADER, DUPLICATE_WINDOW, Headers,
    Message, PublishAck, STREAMS, StoredMessage, StreamSpec, dead_letter_subject, subject_matches, validate_subject,
};

/// The stream of `dlq.>` in [`STREAMS`].
pub(super) const DLQ_STREAM: &str = "DLQ";

/// The stream a subject is stored in, after checking the subject.
pub(super) fn route(subject: &str) -> Result<StreamSpec, BusError> {
    validate_subject(subject)?;
    STREAMS.into_iter().find(|s| subject_matches(s.subjects, subject)).ok_or_else(|| {
        // JetStream answers "no responders" here; say what that means.
        BusError::Other(format!("no stream holds subject {subject:?} (no responders)"))
    })
}

/// How long streams keep messages; tests may shorten every stream's age at once.
#[derive(Debug, Clone, Copy)]
pub(super) struct Retention {
    pub max_age: Option<Duration>,
}

impl Retention {
    fn max_age_ms(&self, stream: &StreamSpec) -> i64 {
        millis(self.max_age.unwrap_or(stream.max_age))
    }

    /// JetStream refuses a duplicate window longer than the stream's age; mirror that.
    pub fn window_ms(&self, stream: &StreamSpec) -> i64 {
        millis(DUPLICATE_WINDOW).min(self.max_age_ms(stream))
    }
}

/// What one write transaction carries between its commands.
#[derive(Debug, Default)]
pub(super) struct TxState {
    /// The streams (bits by index in `STREAMS`) that got messages, so that readers waiting on them
    /// are woken after the commit.
    pub stored: u8,
}

/// Stores one message unless `msg_id` was stored in the stream inside the duplicate window.
#[allow(clippy::too_many_arguments)]
pub(super) async fn store(
    conn: &mut SqliteConnection,
    st: &mut TxState,
    retention: &Retention,
    stream: &StreamSpec,
    subject: &str,
    msg_id: &str,
    headers: &Headers,
    payload: &[u8],
    now: i64,
) -> sqlx::Result<PublishAck> {
    let message = Append { stream, subject, msg_id, headers, payload };
    let acks = append_all(conn, st, retention, &[message], now).await?;
    acks.into_iter().next().ok_or_else(|| sqlx::Error::Protocol("no answer for an append".into()))
}

/// Publishes `original` (of `stream`) to `dlq.<subject>` with the reason and the consumer.
#[allow(clippy::too_many_arguments)]
pub(super) async fn dead_letter(
    conn: &mut SqliteConnection,
    st: &mut TxState,
    retention: &Retention,
    consumer: &str,
    stream: &str,
    original: &Message,
    error: &str,
    now: i64,
) -> sqlx::Result<PublishAck> {
    let mut headers = original.headers.clone();
    headers.insert(DLQ_ERROR_HEADER.into(), error.into());
    headers.insert(DLQ_CONSUMER_HEADER.into(), consumer.into());
    headers.insert(DLQ_SUBJECT_HEADER.into(), original.subject.clone());
    // One dead letter per consumer and message, even if two settlements race.
    let msg_id = format!("dlq:{consumer}:{stream}:{}", original.sequence);
    let subject = dead_letter_subject(&original.subject);
    let dlq = dlq_stream();
    let ack = store(conn, st, retention, &dlq, &subject, &msg_id, &headers, &original.payload, now).await?;
    tracing::warn!(
        consumer,
        subject = %original.subject,
        sequence = original.sequence,
        dlq_sequence = ack.sequence,
        error,
        "message dead-lettered"
    );
    Ok(ack)
}

fn dlq_stream() -> StreamSpec {
    STREAMS.into_iter().find(|s| s.name == DLQ_STREAM).unwrap_or(StreamSpec {
        name: DLQ_STREAM,
        subjects: "dlq.>",
        max_age: Duration::from_secs(30 * 24 * 3600),
    })
}

/// Publishes dead letter `sequence` again on its original subject and deletes it.
pub(super) async fn replay(
    conn: &mut SqliteConnection,
    st: &mut TxState,
    retention: &Retention,
    sequence: u64,
    now: i64,
) -> sqlx::Result<Result<PublishAck, BusError>> {
    let row = sqlx::query("SELECT id, subject, headers, payload FROM messages WHERE stream = ? AND seq = ?")
        .bind(DLQ_STREAM)
        .bind(sequence as i64)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else { return Ok(Err(BusError::NotFound(sequence))) };
    let id: i64 = row.get("id");
    let dlq_subject: String = row.get("subject");
    let mut headers = decode_headers(row.get("headers"))?;
    let payload: Vec<u8> = row.get("payload");
    let subject =
        headers.remove(DLQ_SUBJECT_HEADER).or_else(|| dlq_subject.strip_prefix(DLQ_PREFIX).map(str::to_string));
    headers.remove(DLQ_ERROR_HEADER);
    headers.remove(DLQ_CONSUMER_HEADER);
    // The fresh id below replaces any transport id the original carried.
    headers.retain(|name, _| !name.eq_ignore_ascii_case("nats-msg-id"));
    let Some(subject) = subject else {
        return Ok(Err(BusError::Other(format!("dead letter {sequence} names no original subject"))));
    };
    let stream = match route(&subject) {
        Ok(stream) => stream,
        Err(error) => return Ok(Err(error)),
    };
    let msg_id = Uuid::now_v7().to_string();
    let ack = store(conn, st, retention, &stream, &subject, &msg_id, &headers, &payload, now).await?;
    sqlx::query("DELETE FROM pending WHERE message = ?").bind(id).execute(&mut *conn).await?;
    sqlx::query("DELETE FROM messages WHERE id = ?").bind(id).execute(&mut *conn).await?;
    tracing::info!(sequence, %subject, new_sequence = ack.sequence, "dead letter replayed");
    Ok(Ok(ack))
}

/// Deletes messages older than their stream's age (with what consumers still owed on them) and
/// de-duplication entries older than the window. Returns the number of messages deleted.
pub(super) async fn purge(conn: &mut SqliteConnection, retention: &Retention, now: i64) -> sqlx::Result<u64> {
    let mut deleted = 0;
    for stream in STREAMS {
        let cutoff = now - retention.max_age_ms(&stream);
        sqlx::query(
            "DELETE FROM pending WHERE message IN \
             (SELECT id FROM messages WHERE stream = ? AND stored_at < ?)",
        )
        .bind(stream.name)
        .bind(cutoff)
        .execute(&mut *conn)
        .await?;
        deleted += sqlx::query("DELETE FROM messages WHERE stream = ? AND stored_at < ?")
            .bind(stream.name)
            .bind(cutoff)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        sqlx::query("DELETE FROM dedupe WHERE stream = ? AND stored_at < ?")
            .bind(stream.name)
            .bind(now - retention.window_ms(&stream))
            .execute(&mut *conn)
            .await?;
    }
    Ok(deleted)
}

pub(super) fn encode_headers(headers: &Headers) -> String {
    // A map of strings always serialises; the fallback only keeps this free of panics.
    serde_json::to_string(headers).unwrap_or_else(|_| "{}".into())
}

pub(super) fn decode_headers(text: &str) -> sqlx::Result<Headers> {
    serde_json::from_str(text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// A `Message` from a row with `seq`, `subject`, `headers` and `payload` columns.
pub(super) fn message_from_row(row: &SqliteRow) -> sqlx::Result<Message> {
    Ok(Message {
        sequence: row.try_get::<i64, _>("seq")? as u64,
        subject: row.try_get("subject")?,
        headers: decode_headers(row.try_get("headers")?)?,
        payload: row.try_get::<Vec<u8>, _>("payload")?.into(),
    })
}

/// A `StoredMessage` from a row with the columns of [`message_from_row`] and `stored_at`.
pub(super) fn stored_from_row(row: &SqliteRow) -> sqlx::Result<StoredMessage> {
    let message = message_from_row(row)?;
    Ok(StoredMessage {
        sequence: message.sequence,
        subject: message.subject,
        headers: message.headers,
        payload: message.payload,
        stored_at_ms: row.try_get("stored_at")?,
    })
}
