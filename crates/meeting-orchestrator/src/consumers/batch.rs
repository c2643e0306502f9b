//! `meeting-orchestrator-zoom` in batches: Zoom's lifecycle events come in bursts (a meeting of
//! thirty people is sixty joins and leaves within a minute), and one transaction per event spends
//! most of its time committing. Up to [`BATCH`] deliveries already on the bus are applied in one
//! transaction — inbox claims in one statement, meetings and sessions looked up once — then
//! acknowledged; the guarantees are the runtime consumer's: the inbox rows and the effects commit
//! together, and only then are the deliveries acknowledged.
//!
//! A batch that fails is rolled back and its deliveries are handled one at a time, each in its
//! own transaction, so one event that cannot be handled now is retried (or dead-lettered) alone.
//! An event that can never be handled (not a CloudEvent, not Zoom's JSON) is dead-lettered.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use butterboard_runtime::bus::{BusError, ConsumerSpec, Delivery, EventBus, Subscription};
use butterboard_runtime::consumer::HandlerError;
use butterboard_runtime::envelope::CloudEvent;
use butterboard_runtime::shutdown::Shutdown;
use butterboard_runtime::store::Store;
use sqlx::{Any, Transaction};

use crate::app::MeetingApp;
use crate::app::lifecycle::Lookups;

/// Deliveries applied in one transaction at most.
pub const BATCH: usize = 256;
/// How long a batch waits for one more delivery once it has one.
const LINGER: Duration = Duration::from_millis(2);

pub struct ZoomBatches {
    pub app: MeetingApp,
    pub store: Store,
    pub bus: Arc<dyn EventBus>,
    pub spec: ConsumerSpec,
}

async fn settle(result: Result<(), BusError>) {
    if let Err(error) = result {
        // The bus redelivers what it did not hear settled; the inbox makes that harmless.
        tracing::warn!(%error, "settling a delivery failed");
    }
}

/// Claims `ids` for `consumer` in one statement; the ids claimed now.
async fn claim(
    tx: &mut Transaction<'static, Any>,
    consumer: &str,
    ids: &[&str],
    now: i64,
) -> Result<HashSet<String>, sqlx::Error> {
    let mut claimed = HashSet::new();
    for chunk in butterboard_runtime::store::statement_chunks(ids, 256) {
        let sql = format!(
            "INSERT INTO inbox (consumer, event_id, handled_at) VALUES {} ON CONFLICT (consumer, event_id) DO NOTHING RETURNING event_id",
            butterboard_runtime::store::placeholders(chunk.len(), 3)
        );
        let mut query = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind(consumer).bind(*id).bind(now);
        }
        claimed.extend(query.fetch_all(&mut **tx).await?);
    }
    Ok(claimed)
}

impl ZoomBatches {
    pub async fn run(mut self, shutdown: Shutdown) -> anyhow::Result<()> {
        self.spec.concurrency = BATCH;
        let stopped = shutdown.wait();
        tokio::pin!(stopped);
        let mut backoff = Duration::from_millis(100);
        let mut subscription = loop {
            match self.bus.subscribe(self.spec.clone()).await {
                Ok(subscription) => break subscription,
                Err(BusError::Unavailable(error)) => {
                    tracing::warn!(consumer = %self.spec.name, %error, "cannot subscribe yet, retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => backoff = (backoff * 2).min(Duration::from_secs(5)),
                        _ = &mut stopped => return Ok(()),
                    }
                }
                Err(error) => return Err(anyhow::Error::new(error).context(format!("consumer {}", self.spec.name))),
            }
        };
        loop {
            let first = tokio::select! {
                next = subscription.next() => next,
                _ = &mut stopped => return Ok(()),
            };
            match first {
                Ok(Some(delivery)) => {
                    backoff = Duration::from_millis(100);
                    let batch = self.gather(delivery, subscription.as_mut()).await;
                    self.process(batch).await;
                }
                Ok(None) => return Ok(()),
                Err(error) => {
                    tracing::warn!(consumer = %self.spec.name, %error, "pulling failed, retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => backoff = (backoff * 2).min(Duration::from_secs(5)),
                        _ = &mut stopped => return Ok(()),
                    }
                }
            }
        }
    }

    /// `first` and what else the bus hands out without waiting more than [`LINGER`].
    async fn gather(&self, first: Delivery, subscription: &mut dyn Subscription) -> Vec<Delivery> {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match tokio::time::timeout(LINGER, subscription.next()).await {
                Ok(Ok(Some(delivery))) => batch.push(delivery),
                _ => break,
            }
        }
        batch
    }

    async fn process(&self, batch: Vec<Delivery>) {
        let mut valid = Vec::with_capacity(batch.len());
        for delivery in batch {
            match CloudEvent::from_message(&delivery.message) {
                Ok(event) => valid.push((delivery, event)),
                Err(error) => {
                    tracing::warn!(%error, "not a valid cloudevent, dead-lettering");
                    settle(delivery.dead_letter(&format!("invalid cloudevent: {error}")).await).await;
                }
            }
        }
        match self.apply(&valid).await {
            Ok(rejected) => {
                for (delivery, event) in valid {
                    match rejected.iter().find(|(id, _)| *id == event.id) {
                        Some((_, error)) => settle(delivery.dead_letter(error).await).await,
                        None => settle(delivery.ack().await).await,
                    }
                }
            }
            Err(error) => {
                tracing::warn!(consumer = %self.spec.name, error = format!("{error:#}"), size = valid.len(), "a batch failed; handling its events one by one");
                for (delivery, event) in valid {
                    self.one(delivery, &event).await;
                }
            }
        }
    }

    /// The batch in one transaction; the events rejected (dead letters to be), with their error.
    async fn apply(&self, batch: &[(Delivery, CloudEvent)]) -> anyhow::Result<Vec<(String, String)>> {
        let mut tx = self.store.begin().await?;
        let ids: Vec<&str> = batch.iter().map(|(_, e)| e.id.as_str()).collect();
        let mut claimed = claim(&mut tx, &self.spec.name, &ids, self.app.now()).await?;
        let mut lookups = Lookups::default();
        let mut rejected = Vec::new();
        for (_, event) in batch {
            // A redelivery, or the same event twice in this batch.
            if !claimed.remove(&event.id) {
                continue;
            }
            match self.app.apply_zoom_with(&mut tx, &event.data, &mut lookups).await {
                Ok(()) => {}
                Err(HandlerError::Reject(error)) => {
                    // Unclaimed again, so a replay of the dead letter is handled.
                    sqlx::query("DELETE FROM inbox WHERE consumer = $1 AND event_id = $2")
                        .bind(&self.spec.name)
                        .bind(&event.id)
                        .execute(&mut *tx)
                        .await?;
                    tracing::warn!(event_id = %event.id, error = format!("{error:#}"), "event rejected, dead-lettering");
                    rejected.push((event.id.clone(), format!("{error:#}")));
                }
                Err(HandlerError::Retry(error)) => return Err(error),
            }
        }
        tx.commit().await?;
        self.store.outbox_written();
        Ok(rejected)
    }

    /// One delivery in its own transaction, as the runtime's consumer handles it.
    async fn one(&self, delivery: Delivery, event: &CloudEvent) {
        let result: Result<bool, HandlerError> = async {
            let mut tx = self.store.begin().await?;
            if !butterboard_runtime::store::inbox::claim(&mut tx, &self.spec.name, &event.id).await? {
                return Ok(false);
            }
            self.app.apply_zoom(&mut tx, &event.data).await?;
            tx.commit().await?;
            self.store.outbox_written();
            Ok(true)
        }
        .await;
        match result {
            Ok(_) => settle(delivery.ack().await).await,
            Err(HandlerError::Reject(error)) => settle(delivery.dead_letter(&format!("{error:#}")).await).await,
            Err(HandlerError::Retry(error)) => {
                let backoff = self.spec.backoff_after(delivery.attempt);
                tracing::warn!(event_id = %event.id, error = format!("{error:#}"), attempt = delivery.attempt, "handling failed");
                settle(delivery.fail(&format!("{error:#}"), backoff).await).await;
            }
        }
    }
}
