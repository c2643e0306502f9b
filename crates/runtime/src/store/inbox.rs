//! The inbox: `(consumer, event id)` recorded in the same transaction as the consumer's effect, so a
//! redelivered event changes nothing the second time.
//!
//! Entries are kept for [`RETENTION`] and then purged by [`retention_task`]. An entry only matters
//! while the event it names can still reach its consumer again, and the longest way back is not
//! a redelivery (at most `max_deliver` × (ack wait + backoff), minutes) nor the bus's duplicate
//! window (2 h): it is a message read again from a stream — a dead letter replayed with its
//! CloudEvents id to every consumer of its subject, or a consumer re-created from the start of its
//! stream — and streams keep messages up to their `max_age` (30 days for `ONBOARDING` and `DLQ`).
//! So the inbox keeps entries as long as the longest stream keeps messages, plus a day.

use std::sync::Arc;
use std::time::Duration;

use sqlx::{Any, Transaction};

use super::Store;
use crate::bus::STREAMS;
use crate::clock::{Clock, now_ms};
use crate::periodic::{Pace, Periodic};
use crate::service::Task;
use crate::shutdown::Shutdown;

/// How long inbox entries are kept: the longest stream age, plus a day for a replay of a dead
/// letter written at the end of it.
pub const RETENTION: Duration = {
    let mut longest = STREAMS[0].max_age;
    let mut i = 1;
    while i < STREAMS.len() {
        if STREAMS[i].max_age.as_secs() > longest.as_secs() {
            longest = STREAMS[i].max_age;
        }
        i += 1;
    }
    Duration::from_secs(longest.as_secs() + 24 * 3600)
};

/// How often [`retention_task`] purges, and how many entries one statement deletes (so that a
/// purge never holds a SQLite store's only connection for long).
const PURGE_INTERVAL: Duration = Duration::from_secs(3600);
const PURGE_BATCH: i64 = 5000;

/// Records that `consumer` handles `event_id` in this transaction. Returns `false` when it was
/// handled before — the caller then rolls back and acknowledges.
pub async fn claim(tx: &mut Transaction<'_, Any>, consumer: &str, event_id: &str) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "INSERT INTO inbox (consumer, event_id, handled_at) VALUES ($1, $2, $3) \
         ON CONFLICT (consumer, event_id) DO NOTHING",
    )
    .bind(consumer)
    .bind(event_id)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Forgets inbox entries older than `before_ms` (they are past any redelivery or replay window).
pub async fn purge(pool: &sqlx::AnyPool, before_ms: i64) -> Result<u64, sqlx::Error> {
    let result = sqlx::query("DELETE FROM inbox WHERE handled_at < $1").bind(before_ms).execute(pool).await?;
    Ok(result.rows_affected())
}

/// Forgets up to one batch of entries handled before `cutoff_ms`; returns how many went, so a
/// caller can go on while it is a full batch.
pub async fn purge_older_than(store: &Store, cutoff_ms: i64) -> Result<u64, sqlx::Error> {
    let result = sqlx::query(
        "DELETE FROM inbox WHERE (consumer, event_id) IN \
         (SELECT consumer, event_id FROM inbox WHERE handled_at < $1 LIMIT $2)",
    )
    .bind(cutoff_ms)
    .bind(PURGE_BATCH)
    .execute(store.pool())
    .await?;
    Ok(result.rows_affected())
}

/// The task that purges entries older than [`RETENTION`] (by `clock`) every hour, batch after
/// batch, until shutdown.
pub fn retention_task(store: Store, clock: Arc<dyn Clock>, shutdown: Shutdown) -> Task {
    Periodic::every("inbox-retention", PURGE_INTERVAL).task(shutdown, move || {
        let (store, clock) = (store.clone(), clock.clone());
        async move {
            let cutoff = clock.now_ms().saturating_sub(RETENTION.as_millis() as i64);
            let purged = purge_older_than(&store, cutoff).await?;
            if purged > 0 {
                tracing::debug!(purged, "inbox entries past their retention purged");
            }
            Ok(if purged as i64 >= PURGE_BATCH { Pace::More } else { Pace::Idle })
        }
    })
}
