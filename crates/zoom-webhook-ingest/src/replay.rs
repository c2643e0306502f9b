//! Replaying stored deliveries to the bus, through the outbox so the relay publishes them in
//! order and only marks them sent once the bus acknowledged them.

use butterboard_runtime::store::Store;
use bytes::Bytes;

use crate::store::{Filter, select, zoom_message};

/// The most deliveries one replay publishes.
pub const MAX_REPLAY: u32 = 10_000;
/// Deliveries per transaction while replaying.
const CHUNK: i64 = 500;

/// Writes outbox rows for the deliveries matching `filter` (at most `limit`), reusing each one's
/// event id unless `force_new_ids`; returns the event ids written, in delivery order.
pub async fn replay(
    store: &Store,
    filter: &Filter,
    force_new_ids: bool,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    let mut event_ids = Vec::new();
    let mut after_id = 0;
    while (event_ids.len() as i64) < limit {
        let take = CHUNK.min(limit - event_ids.len() as i64);
        let rows = select(store.pool(), filter, after_id, take, true).await?;
        let Some(last) = rows.last() else { break };
        after_id = last.id;
        let messages: Vec<_> = rows
            .into_iter()
            .map(|row| {
                let id = if force_new_ids { uuid::Uuid::now_v7().to_string() } else { row.event_id };
                zoom_message(
                    id,
                    &row.event_type,
                    row.event_ts,
                    row.meeting_uuid.as_deref(),
                    Bytes::from(row.body.unwrap_or_default()),
                )
            })
            .collect();
        let mut tx = store.begin().await?;
        butterboard_runtime::store::outbox::enqueue_messages(&mut tx, &messages.iter().collect::<Vec<_>>()).await?;
        tx.commit().await?;
        store.outbox_written();
        event_ids.extend(messages.into_iter().map(|m| m.id));
    }
    Ok(event_ids)
}
