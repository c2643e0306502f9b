//! The SQL of the deliveries table. One text serves PostgreSQL and SQLite (`ON CONFLICT … DO NOTHING RETURNING` exists in both).

use std::collections::HashSet;

use butterboard_runtime::bus::OutgoingMessage;
use butterboard_runtime::envelope::{CONTENT_TYPE_JSON, CloudEvent};
use bytes::Bytes;
use sqlx::{Any, AnyPool, AssertSqlSafe, Row, Transaction};
use time::OffsetDateTime;

/// The CloudEvents source of every `zoom.*` event.
pub const SOURCE: &str = "butterboard/zoom-webhook-ingest";

/// Rows per statement at most: keeps the bind count (8 per row) far below both backends' limits.
const ROWS_PER_STATEMENT: usize = 256;

/// A verified delivery about to be stored, with the bus message that publishes it.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub dedupe_key: String,
    pub event_type: String,
    pub meeting_uuid: Option<String>,
    pub event_ts: Option<i64>,
    pub received_at: i64,
    /// The request headers of interest, as a JSON object.
    pub headers: String,
    pub body: Bytes,
    /// Its `id` is the delivery's event id.
    pub message: OutgoingMessage,
}

/// The bus message of a Zoom delivery: the raw body, `ce-type` = Zoom's event name, `ce-time`
/// from `event_ts`, `ce-subject` the meeting session's uuid, on `zoom.<event name>`.
pub fn zoom_message(
    event_id: String,
    event_type: &str,
    event_ts: Option<i64>,
    meeting_uuid: Option<&str>,
    body: Bytes,
) -> OutgoingMessage {
    let mut event = CloudEvent::new(SOURCE, event_type, CONTENT_TYPE_JSON, body);
    event.id = event_id;
    if let Some(time) =
        event_ts.and_then(|ms| OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok())
    {
        event.time = time;
    }
    if let Some(uuid) = meeting_uuid {
        event = event.with_subject(uuid);
    }
    event.into_message(format!("zoom.{event_type}"))
}

/// Inserts the deliveries, skipping bodies stored before; returns the dedupe keys inserted now.
pub async fn insert_deliveries(
    tx: &mut Transaction<'static, Any>,
    batch: &[&NewDelivery],
) -> Result<HashSet<String>, sqlx::Error> {
    let mut inserted = HashSet::with_capacity(batch.len());
    for chunk in butterboard_runtime::store::statement_chunks(batch, ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO deliveries (dedupe_key, event_id, event_type, meeting_uuid, event_ts, received_at, headers, body) VALUES {} \
             ON CONFLICT (dedupe_key) DO NOTHING RETURNING dedupe_key",
            butterboard_runtime::store::placeholders(chunk.len(), 8)
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for d in chunk {
            query = query
                .bind(d.dedupe_key.as_str())
                .bind(d.message.id.as_str())
                .bind(d.event_type.as_str())
                .bind(d.meeting_uuid.as_deref())
                .bind(d.event_ts)
                .bind(d.received_at)
                .bind(d.headers.as_str())
                .bind(d.body.to_vec());
        }
        for row in query.fetch_all(&mut **tx).await? {
            inserted.insert(row.try_get::<String, _>(0)?);
        }
    }
    Ok(inserted)
}

/// Which stored deliveries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub received_from_ms: Option<i64>,
    pub received_to_ms: Option<i64>,
    pub event_types: Vec<String>,
    pub meeting_uuid: Option<String>,
    pub ids: Vec<i64>,
}

/// A stored delivery, as listed or replayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDelivery {
    pub id: i64,
    pub dedupe_key: String,
    pub event_id: String,
    pub event_type: String,
    pub meeting_uuid: Option<String>,
    pub event_ts: Option<i64>,
    pub received_at: i64,
    pub body_bytes: i64,
    /// Only when asked for.
    pub body: Option<Vec<u8>>,
}

enum Bind {
    Int(i64),
    Text(String),
}

/// Adds a bind and returns its placeholder.
fn next(bind: Bind, binds: &mut Vec<Bind>) -> String {
    binds.push(bind);
    format!("${}", binds.len())
}

/// Deliveries matching `filter` with an id above `after_id`, oldest first, at most `limit`.
pub async fn select(
    pool: &AnyPool,
    filter: &Filter,
    after_id: i64,
    limit: i64,
    with_body: bool,
) -> Result<Vec<StoredDelivery>, sqlx::Error> {
    let mut conditions = vec!["id > $1".to_string()];
    let mut binds = vec![Bind::Int(after_id)];
    if let Some(from) = filter.received_from_ms {
        conditions.push(format!("received_at >= {}", next(Bind::Int(from), &mut binds)));
    }
    if let Some(to) = filter.received_to_ms {
        conditions.push(format!("received_at < {}", next(Bind::Int(to), &mut binds)));
    }
    if !filter.event_types.is_empty() {
        let list: Vec<String> = filter.event_types.iter().map(|t| next(Bind::Text(t.clone()), &mut binds)).collect();
        conditions.push(format!("event_type IN ({})", list.join(",")));
    }
    if let Some(uuid) = &filter.meeting_uuid {
        conditions.push(format!("meeting_uuid = {}", next(Bind::Text(uuid.clone()), &mut binds)));
    }
    if !filter.ids.is_empty() {
        let list: Vec<String> = filter.ids.iter().map(|id| next(Bind::Int(*id), &mut binds)).collect();
        conditions.push(format!("id IN ({})", list.join(",")));
    }
    let limit_placeholder = next(Bind::Int(limit), &mut binds);
    let body = if with_body { "body" } else { "NULL AS body" };
    let sql = format!(
        "SELECT id, dedupe_key, event_id, event_type, meeting_uuid, event_ts, received_at, CAST(LENGTH(body) AS BIGINT), {body} \
         FROM deliveries WHERE {} ORDER BY id LIMIT {limit_placeholder}",
        conditions.join(" AND ")
    );
    let mut query = sqlx::query(AssertSqlSafe(sql));
    for bind in binds {
        query = match bind {
            Bind::Int(n) => query.bind(n),
            Bind::Text(t) => query.bind(t),
        };
    }
    let rows = query.fetch_all(pool).await?;
    rows.iter()
        .map(|row| {
            Ok(StoredDelivery {
                id: row.try_get(0)?,
                dedupe_key: row.try_get(1)?,
                event_id: row.try_get(2)?,
                event_type: row.try_get(3)?,
                meeting_uuid: row.try_get(4)?,
                event_ts: row.try_get(5)?,
                received_at: row.try_get(6)?,
                body_bytes: row.try_get(7)?,
                body: if with_body { Some(row.try_get(8)?) } else { None },
            })
        })
        .collect()
}

/// Deletes up to `chunk` deliveries received before `before_ms`; returns how many.
pub async fn purge_chunk(pool: &AnyPool, before_ms: i64, chunk: i64) -> Result<u64, sqlx::Error> {
    let result = sqlx::query(
        "DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries WHERE received_at < $1 ORDER BY id LIMIT $2)",
    )
    .bind(before_ms)
    .bind(chunk)
    .execute(pool)
    .await?;
    Ok(result.rows_affected())
}

/// How many outbox rows wait, and when the oldest was written.
pub async fn outbox_backlog(pool: &AnyPool) -> Result<(i64, Option<i64>), sqlx::Error> {
    let row = sqlx::query("SELECT COUNT(*), MIN(created_at) FROM outbox").fetch_one(pool).await?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zoom_message_carries_the_body_and_cloudevents_headers() {
        let body = Bytes::from_static(br#"{"event":"meeting.started"}"#);
        let message =
            zoom_message("id-1".into(), "meeting.started", Some(1_764_579_612_345), Some("u=="), body.clone());
        assert_eq!((message.subject.as_str(), message.id.as_str()), ("zoom.meeting.started", "id-1"));
        assert_eq!(message.payload, body);
        assert_eq!(message.headers["ce-type"], "meeting.started");
        assert_eq!(message.headers["ce-time"], "2025-12-01T09:00:12.345Z");
        assert_eq!(message.headers["ce-subject"], "u==");
        assert_eq!(message.headers["content-type"], "application/json");
    }
}
