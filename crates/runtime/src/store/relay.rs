//! The outbox relay: publishes outbox rows in order and deletes them only after the bus
//! acknowledged them.
//!
//! A round reads a batch, lets go of the database, publishes, then deletes exactly the
//! acknowledged rows in a short transaction: nothing of the store is held while the bus answers,
//! which on SQLite (one connection) would make every webhook commit and `/readyz` wait on the bus.
//! Relays of one process over one store take turns ([`Store::relay_turn`]); on PostgreSQL the
//! replicas of a service also take turns, through a session advisory lock ([`super::relay_lock`]
//! says why that keeps the order even when its holder's connection dies). `FOR UPDATE SKIP LOCKED`
//! would let two replicas publish neighbouring batches at once and out of order.
//!
//! While the bus is down the relay retries with capped exponential backoff, counts the failures
//! and keeps the rows; the ids it republishes are the same, so the bus drops any it had already
//! stored. A row the bus refuses for any other reason (too large, a subject no stream holds) is
//! tried again up to [`RelayConfig::max_attempts`] times, then moved to the outbox's dead letters
//! ([`super::outbox::dead_letters`]) so that the rows behind it flow on.

use std::sync::Mutex;
use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Histogram};
use sqlx::Row;

use super::outbox::{OutboxRow, bury, row_to_message};
use super::relay_lock::PublisherLock;
use super::{Backend, Store};
use crate::bus::{BusError, EventBus};
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
    /// Rounds in a row the bus may refuse a row (for a reason other than being unavailable)
    /// before the row is dead-lettered.
    pub max_attempts: u32,
}

impl Default for RelayConfig {
    fn default() -> Self {
        Self {
            batch_size: 1000,
            poll_interval: Duration::from_millis(500),
            min_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            max_attempts: 5,
        }
    }
}

/// Publishes one store's outbox to the bus.
pub struct OutboxRelay {
    store: Store,
    bus: std::sync::Arc<dyn EventBus>,
    config: RelayConfig,
    lock: PublisherLock,
    /// The row the bus refused last, and how many rounds in a row it did.
    refused: Mutex<Option<(i64, u32)>>,
    metrics: RelayMetrics,
}

struct RelayMetrics {
    published: Counter<u64>,
    failures: Counter<u64>,
    dead_lettered: Counter<u64>,
    lag: Histogram<f64>,
    labels: [KeyValue; 1],
}

/// What a round did: rows to delete, rows to move to the dead letters, and why it stopped early.
#[derive(Default)]
struct Round {
    published: Vec<i64>,
    buried: Vec<(i64, String, u32)>,
    failure: Option<anyhow::Error>,
}

impl Round {
    fn failed(error: impl Into<anyhow::Error>) -> Self {
        Round { failure: Some(error.into()), ..Round::default() }
    }
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
            dead_lettered: meter
                .u64_counter("butterboard_outbox_dead_lettered")
                .with_description("outbox rows the bus refused for good, moved to the outbox dead letters")
                .build(),
            lag: meter
                .f64_histogram("butterboard_outbox_lag_seconds")
                .with_description("time from outbox write to bus acknowledgement")
                .with_unit("s")
                .build(),
            labels: [KeyValue::new("service", service.to_string())],
        };
        Self { store, bus, config, lock: PublisherLock::new(service), refused: Mutex::new(None), metrics }
    }

    /// Runs until shutdown; the batch in flight when shutdown fires is finished first.
    pub async fn run(self, shutdown: Shutdown) -> anyhow::Result<()> {
        self.rounds(shutdown).await;
        self.lock.release().await;
        Ok(())
    }

    async fn rounds(&self, shutdown: Shutdown) {
        let mut backoff = self.config.min_backoff;
        let stopped = shutdown.wait();
        tokio::pin!(stopped);
        loop {
            if shutdown.is_triggered() {
                return;
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
                        _ = &mut stopped => return,
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
                        _ = &mut stopped => return,
                    }
                    backoff = (backoff * 2).min(self.config.max_backoff);
                }
            }
        }
    }

    /// Publishes up to one batch; returns how many rows left the outbox (published, or
    /// dead-lettered after their last attempt).
    pub async fn relay_once(&self) -> anyhow::Result<usize> {
        let _turn = self.store.relay_turn().lock().await;
        if !self.lock.hold(&self.store).await? {
            return Ok(0);
        }
        let rows = self.read_batch().await?;
        let Some(oldest) = rows.iter().map(|r| r.created_at).min() else { return Ok(0) };
        let round = self.publish(rows).await;
        let done = round.published.len() + round.buried.len();
        if done > 0 {
            self.settle(&round).await?;
            self.metrics.published.add(round.published.len() as u64, &self.metrics.labels);
            self.metrics.lag.record((now_ms() - oldest).max(0) as f64 / 1000.0, &self.metrics.labels);
        }
        match round.failure {
            Some(error) => Err(error),
            None => Ok(done),
        }
    }

    /// The oldest rows, read outside any transaction: the connection goes back to the pool before
    /// the bus is asked anything.
    async fn read_batch(&self) -> anyhow::Result<Vec<OutboxRow>> {
        let rows =
            sqlx::query("SELECT id, event_id, subject, headers, payload, created_at FROM outbox ORDER BY id LIMIT $1")
                .bind(self.config.batch_size as i64)
                .fetch_all(self.store.pool())
                .await?;
        let mut batch = Vec::with_capacity(rows.len());
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
        Ok(batch)
    }

    /// Publishes `rows`, pipelined; when the bus refuses one, finds it by publishing one at a time.
    async fn publish(&self, rows: Vec<OutboxRow>) -> Round {
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        match self.bus.publish_all(rows.into_iter().map(|r| r.message).collect()).await {
            Ok(_) => Round { published: ids, ..Round::default() },
            Err(error @ BusError::Unavailable(_)) => Round::failed(error),
            Err(_) => self.one_at_a_time().await,
        }
    }

    /// Publishes the batch again row by row (rows before the refused one may be stored already;
    /// the bus drops those repeats by id). A refused row stops the round, keeping the order, until
    /// its last attempt: then it is dead-lettered and the rows behind it go on.
    async fn one_at_a_time(&self) -> Round {
        let rows = match self.read_batch().await {
            Ok(rows) => rows,
            Err(error) => return Round::failed(error),
        };
        let mut round = Round::default();
        for row in rows {
            let (id, subject) = (row.id, row.message.subject.clone());
            let error = match self.bus.publish(row.message).await {
                Ok(_) => {
                    round.published.push(id);
                    continue;
                }
                Err(error @ BusError::Unavailable(_)) => {
                    round.failure = Some(error.into());
                    return round;
                }
                Err(error) => error,
            };
            let attempts = self.note_refusal(id);
            if attempts < self.config.max_attempts {
                let error = anyhow::Error::new(error).context(format!(
                    "the bus refused outbox row {id} ({attempts} of {} attempts)",
                    self.config.max_attempts
                ));
                round.failure = Some(error);
                return round;
            }
            tracing::error!(row = id, %subject, attempts, error = %error, "outbox row refused by the bus for good, dead-lettered");
            round.buried.push((id, error.to_string(), attempts));
        }
        round
    }

    /// Counts one more refusal of row `id`; the count starts over for another row.
    fn note_refusal(&self, id: i64) -> u32 {
        let mut refused = self.refused.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let attempts = match *refused {
            Some((row, attempts)) if row == id => attempts + 1,
            _ => 1,
        };
        *refused = Some((id, attempts));
        attempts
    }

    /// Deletes the published rows and moves the buried ones, in one short transaction.
    async fn settle(&self, round: &Round) -> anyhow::Result<()> {
        let mut tx = match self.store.backend() {
            // The delete need not wait for its WAL flush (SET LOCAL): lost in a crash, the rows are
            // published again, and the bus drops the repeats by id (consumers' inboxes too). The
            // writers' commits then do not queue behind the relay's.
            Backend::Postgres => self.store.pool().begin_with("BEGIN; SET LOCAL synchronous_commit = off").await?,
            Backend::Sqlite => self.store.begin().await?,
        };
        delete_rows(&mut tx, &round.published).await?;
        let now = now_ms();
        for (id, error, attempts) in &round.buried {
            bury(&mut tx, *id, error, *attempts, now).await?;
        }
        tx.commit().await?;
        if !round.buried.is_empty() {
            self.metrics.dead_lettered.add(round.buried.len() as u64, &self.metrics.labels);
        }
        Ok(())
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
