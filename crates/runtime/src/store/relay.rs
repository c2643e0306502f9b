//! The outbox relay: publishes outbox rows in order and deletes them only after the bus
//! acknowledged them.
//!
//! On PostgreSQL several replicas may run a relay over one outbox. Rows are taken under a
//! transaction-scoped advisory lock rather than `FOR UPDATE SKIP LOCKED`: skipping locked rows
//! would let two replicas publish neighbouring batches concurrently and out of order, while the
//! lock keeps one publisher at a time and hands over on its own when a replica dies. SQLite stores
//! belong to one process, whose single connection already serialises relays.
//!
//! While the bus is down the relay retries with capped exponential backoff, counts the failures
//! and keeps the rows; the ids it republishes are the same, so the bus drops any it had already
//! stored.

use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Histogram};
use sqlx::Row;

use super::outbox::{OutboxRow, row_to_message};
use super::{Backend, Store};
use crate::bus::EventBus;
use crate::clock::now_ms;
use crate::shutdown::Shutdown;

/// How the relay paces itself.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// Rows per round; publishes within a round are pipelined.
    pub batch_size: usize,
    /// How often to look without a local wake-up (rows written by another process).
    pub poll_interval: Duration,
    /// First and largest delay after a failed round.
    pub min_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for RelayConfig {
    fn default() -> Self {
        Self {
            batch_size: 1000,
            poll_interval: Duration::from_millis(500),
            min_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
        }
    }
}

/// Publishes one store's outbox to the bus.
pub struct OutboxRelay {
    store: Store,
    bus: std::sync::Arc<dyn EventBus>,
    config: RelayConfig,
    lock_key: i64,
    metrics: RelayMetrics,
}

struct RelayMetrics {
    published: Counter<u64>,
    failures: Counter<u64>,
    lag: Histogram<f64>,
    labels: [KeyValue; 1],
}

impl OutboxRelay {
    /// `service` names the relay in metrics and keys its lock.
    pub fn new(service: &str, store: Store, bus: std::sync::Arc<dyn EventBus>, config: RelayConfig) -> Self {
        let meter = crate::telemetry::meter();
        let metrics = RelayMetrics {
            published: meter
                .u64_counter("butterboard_outbox_published")
                .with_description("outbox events published to the bus")
                .build(),
            failures: meter
                .u64_counter("butterboard_outbox_relay_failures")
                .with_description("outbox relay rounds that failed (bus or store down)")
                .build(),
            lag: meter
                .f64_histogram("butterboard_outbox_lag_seconds")
                .with_description("time from outbox write to bus acknowledgement")
                .with_unit("s")
                .build(),
            labels: [KeyValue::new("service", service.to_string())],
        };
        Self { store, bus, config, lock_key: lock_key(service), metrics }
    }

    /// Runs until shutdown; the batch in flight when shutdown fires is finished first.
    pub async fn run(self, shutdown: Shutdown) -> anyhow::Result<()> {
        let mut backoff = self.config.min_backoff;
        let stopped = shutdown.wait();
        tokio::pin!(stopped);
        loop {
            if shutdown.is_triggered() {
                return Ok(());
            }
            match self.relay_once().await {
                Ok(published) => {
                    backoff = self.config.min_backoff;
                    if published >= self.config.batch_size {
                        continue;
                    }
                    tokio::select! {
                        _ = self.store.outbox_signal().notified() => {}
                        _ = tokio::time::sleep(self.config.poll_interval) => {}
                        _ = &mut stopped => return Ok(()),
                    }
                }
                Err(error) => {
                    self.metrics.failures.add(1, &self.metrics.labels);
                    tracing::warn!(
                        error = format!("{error:#}"),
                        retry_in_ms = backoff.as_millis() as u64,
                        "outbox relay round failed"
                    );
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = &mut stopped => return Ok(()),
                    }
                    backoff = (backoff * 2).min(self.config.max_backoff);
                }
            }
        }
    }

    /// Publishes up to one batch; returns how many rows were published and deleted.
    pub async fn relay_once(&self) -> anyhow::Result<usize> {
        let mut tx = self.store.begin().await?;
        if self.store.backend() == Backend::Postgres {
            // The delete need not wait for its WAL flush (set_config(…, true) = SET LOCAL): lost in
            // a crash, the rows are published again, and the bus drops the repeats by id
            // (consumers' inboxes too). The writers' commits then do not queue behind the relay's.
            let locked: bool = sqlx::query_scalar(
                "SELECT pg_try_advisory_xact_lock($1) FROM set_config('synchronous_commit', 'off', true)",
            )
            .bind(self.lock_key)
            .fetch_one(&mut *tx)
            .await?;
            if !locked {
                return Ok(0);
            }
        }
        let rows =
            sqlx::query("SELECT id, event_id, subject, headers, payload, created_at FROM outbox ORDER BY id LIMIT $1")
                .bind(self.config.batch_size as i64)
                .fetch_all(&mut *tx)
                .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let mut batch: Vec<OutboxRow> = Vec::with_capacity(rows.len());
        for row in rows {
            batch.push(row_to_message(
                row.try_get(0)?,
                row.try_get(1)?,
                row.try_get(2)?,
                row.try_get(3)?,
                row.try_get(4)?,
                row.try_get(5)?,
            )?);
        }
        let ids: Vec<i64> = batch.iter().map(|r| r.id).collect();
        let oldest = batch.iter().map(|r| r.created_at).min().unwrap_or_else(now_ms);
        self.bus.publish_all(batch.into_iter().map(|r| r.message).collect()).await?;
        delete_rows(&mut tx, &ids).await?;
        tx.commit().await?;
        self.metrics.published.add(ids.len() as u64, &self.metrics.labels);
        self.metrics.lag.record((now_ms() - oldest).max(0) as f64 / 1000.0, &self.metrics.labels);
        Ok(ids.len())
    }
}

/// Deletes exactly the published rows: a row with a smaller id may still be uncommitted and appear
/// later, so a range delete could drop an event never sent.
async fn delete_rows(tx: &mut sqlx::Transaction<'static, sqlx::Any>, ids: &[i64]) -> Result<(), sqlx::Error> {
    for chunk in super::statement_chunks(ids, 512) {
        let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!("DELETE FROM outbox WHERE id IN ({})", placeholders.join(","));
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind(*id);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// A stable advisory-lock key per service (FNV-1a of its name).
fn lock_key(service: &str) -> i64 {
    let hash =
        service.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    hash as i64
}
