//! Retention: deliveries older than the configured age (default 30 days) are deleted in the
//! background, in small chunks so the webhook writers never wait long behind a purge.

use std::time::Duration;

use butterboard_runtime::clock::Clock;
use butterboard_runtime::periodic::Periodic;
use butterboard_runtime::service::{ServiceContext, Task};
use butterboard_runtime::store::Store;

use crate::store::purge_chunk;

const CHUNK: i64 = 1000;

/// Deletes every delivery received more than `retention` before now; returns how many.
pub async fn purge_once(store: &Store, clock: &dyn Clock, retention: Duration) -> Result<u64, sqlx::Error> {
    let before = clock.now_ms() - i64::try_from(retention.as_millis()).unwrap_or(i64::MAX);
    let mut total = 0;
    loop {
        let deleted = purge_chunk(store.pool(), before, CHUNK).await?;
        total += deleted;
        if deleted < CHUNK as u64 {
            return Ok(total);
        }
        tokio::task::yield_now().await;
    }
}

/// Purges every `interval` until shutdown, as a periodic task of the service.
pub fn task(ctx: &ServiceContext, retention: Duration, interval: Duration) -> Task {
    let (store, clock) = (ctx.store.clone(), ctx.clock.clone());
    Periodic::every("retention", interval).task(ctx.shutdown.clone(), move || {
        let (store, clock) = (store.clone(), clock.clone());
        async move {
            let deleted = purge_once(&store, clock.as_ref(), retention).await?;
            if deleted > 0 {
                tracing::info!(deleted, retention_days = retention.as_secs() / 86_400, "old zoom deliveries purged");
            }
            Ok(())
        }
    })
}
