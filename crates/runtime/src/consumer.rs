//! Runs a durable consumer: decode, de-duplicate through the inbox, handle in one transaction,
//! then settle the delivery.
//!
//! The order is what makes redelivery harmless: the inbox row and the handler's effect (including
//! any outbox rows it writes) commit together, and only then is the message acknowledged. A crash
//! between commit and ack redelivers a message whose inbox row already exists, so it is acked
//! without running the handler again. A message that is not a CloudEvent can never succeed and is
//! dead-lettered at once instead of looping.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use opentelemetry::KeyValue;
use opentelemetry::metrics::Counter;
use sqlx::{Any, Transaction};
use tracing::Instrument;

use crate::bus::{BusError, ConsumerSpec, Delivery, EventBus};
use crate::envelope::CloudEvent;
use crate::shutdown::Shutdown;
use crate::store::{Store, inbox};

/// Why a handler did not finish.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// Worth another attempt later (a dependency was down, a conflict).
    #[error(transparent)]
    Retry(anyhow::Error),
    /// Will never succeed (the event is invalid for this consumer): dead-letter it now.
    #[error(transparent)]
    Reject(anyhow::Error),
}

impl From<sqlx::Error> for HandlerError {
    fn from(error: sqlx::Error) -> Self {
        HandlerError::Retry(error.into())
    }
}

/// A consumer's effect on its own store.
#[async_trait]
pub trait EventHandler: Send + Sync + 'static {
    /// Applies `event` (delivered on `subject`) inside `tx`; the runner commits and acknowledges.
    async fn handle(
        &self,
        tx: &mut Transaction<'static, Any>,
        subject: &str,
        event: &CloudEvent,
    ) -> Result<(), HandlerError>;
}

/// A durable consumer bound to a store and a handler.
pub struct Consumer<H> {
    pub spec: ConsumerSpec,
    pub store: Store,
    pub bus: Arc<dyn EventBus>,
    pub handler: H,
}

struct ConsumerMetrics {
    handled: Counter<u64>,
    redelivered: Counter<u64>,
}

/// How often a running consumer samples its lag (`butterboard_consumer_lag`).
const LAG_INTERVAL: Duration = Duration::from_secs(10);

impl ConsumerMetrics {
    /// The instruments, with every outcome of `consumer` at zero so alerts see the families before
    /// the first delivery.
    fn new(consumer: &str) -> Self {
        let meter = crate::telemetry::meter();
        let metrics = ConsumerMetrics {
            handled: meter
                .u64_counter("butterboard_consumer_deliveries")
                .with_description("deliveries by consumer and outcome")
                .build(),
            redelivered: meter
                .u64_counter("butterboard_consumer_redeliveries")
                .with_description("deliveries that were a second or later attempt")
                .build(),
        };
        for outcome in [Outcome::Handled, Outcome::Duplicate, Outcome::Retried, Outcome::DeadLettered] {
            metrics.handled.add(0, &outcome_labels(consumer, outcome));
        }
        metrics.redelivered.add(0, &[KeyValue::new("consumer", consumer.to_string())]);
        metrics
    }
}

fn outcome_labels(consumer: &str, outcome: Outcome) -> [KeyValue; 2] {
    [KeyValue::new("consumer", consumer.to_string()), KeyValue::new("outcome", outcome.as_str())]
}

/// Samples the consumer's lag until `shutdown`; a failed sample keeps the last value.
async fn watch_lag(bus: Arc<dyn EventBus>, spec: ConsumerSpec, shutdown: Shutdown) {
    let lag = crate::telemetry::meter()
        .u64_gauge("butterboard_consumer_lag")
        .with_description("messages the durable consumer has not been handed yet")
        .build();
    let labels = [KeyValue::new("consumer", spec.name.clone())];
    lag.record(0, &labels);
    let stopped = shutdown.wait();
    tokio::pin!(stopped);
    loop {
        match bus.consumer_lag(&spec).await {
            Ok(pending) => lag.record(pending, &labels),
            Err(error) => tracing::debug!(consumer = %spec.name, %error, "cannot read the consumer lag"),
        }
        tokio::select! {
            _ = tokio::time::sleep(LAG_INTERVAL) => {}
            _ = &mut stopped => return,
        }
    }
}

/// What became of one delivery (for metrics and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Handled,
    Duplicate,
    Retried,
    DeadLettered,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Handled => "handled",
            Outcome::Duplicate => "duplicate",
            Outcome::Retried => "retried",
            Outcome::DeadLettered => "dead_lettered",
        }
    }
}

impl<H: EventHandler> Consumer<H> {
    pub fn new(spec: ConsumerSpec, store: Store, bus: Arc<dyn EventBus>, handler: H) -> Self {
        Self { spec, store, bus, handler }
    }

    /// Pulls and handles messages until shutdown; the delivery in hand is finished first. Bus
    /// outages are waited out with backoff.
    pub async fn run(self, shutdown: Shutdown) -> anyhow::Result<()> {
        let metrics = ConsumerMetrics::new(&self.spec.name);
        tokio::spawn(watch_lag(self.bus.clone(), self.spec.clone(), shutdown.clone()));
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
            let next = tokio::select! {
                next = subscription.next() => next,
                _ = &mut stopped => return Ok(()),
            };
            match next {
                Ok(Some(delivery)) => {
                    backoff = Duration::from_millis(100);
                    if delivery.attempt > 1 {
                        metrics.redelivered.add(1, &[KeyValue::new("consumer", self.spec.name.clone())]);
                    }
                    let outcome = self.process(delivery).await;
                    metrics.handled.add(1, &outcome_labels(&self.spec.name, outcome));
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

    /// Handles one delivery and settles it.
    pub async fn process(&self, delivery: Delivery) -> Outcome {
        let span = tracing::info_span!("consume", consumer = %self.spec.name, subject = %delivery.message.subject, attempt = delivery.attempt);
        crate::telemetry::propagation::set_parent_from_headers(&span, &delivery.message.headers);
        async {
            let event = match CloudEvent::from_message(&delivery.message) {
                Ok(event) => event,
                Err(error) => {
                    tracing::warn!(%error, "not a valid cloudevent, dead-lettering");
                    return settle(delivery.dead_letter(&format!("invalid cloudevent: {error}")).await, Outcome::DeadLettered);
                }
            };
            match self.apply(&delivery, &event).await {
                Ok(true) => settle(delivery.ack().await, Outcome::Handled),
                Ok(false) => settle(delivery.ack().await, Outcome::Duplicate),
                Err(HandlerError::Reject(error)) => {
                    tracing::warn!(event_id = %event.id, error = format!("{error:#}"), "event rejected, dead-lettering");
                    settle(delivery.dead_letter(&format!("{error:#}")).await, Outcome::DeadLettered)
                }
                Err(HandlerError::Retry(error)) => {
                    let last = delivery.attempt >= delivery.max_deliver;
                    tracing::warn!(event_id = %event.id, error = format!("{error:#}"), last_attempt = last, "handling failed");
                    let backoff = self.spec.backoff_after(delivery.attempt);
                    let outcome = if last { Outcome::DeadLettered } else { Outcome::Retried };
                    settle(delivery.fail(&format!("{error:#}"), backoff).await, outcome)
                }
            }
        }
        .instrument(span)
        .await
    }

    /// Runs the handler in a transaction with the inbox claim, keeping the delivery alive while
    /// it works. `Ok(false)`: the event had been handled before.
    async fn apply(&self, delivery: &Delivery, event: &CloudEvent) -> Result<bool, HandlerError> {
        let work = async {
            let mut tx = self.store.begin().await?;
            if !inbox::claim(&mut tx, &self.spec.name, &event.id).await? {
                return Ok(false);
            }
            self.handler.handle(&mut tx, &delivery.message.subject, event).await?;
            tx.commit().await?;
            self.store.outbox_written();
            Ok(true)
        };
        tokio::pin!(work);
        // Progress acks at a third of ack_wait keep a long handler's delivery from being handed to
        // another consumer instance.
        let mut heartbeat = tokio::time::interval(self.spec.ack_wait / 3);
        heartbeat.tick().await;
        loop {
            tokio::select! {
                result = &mut work => return result,
                _ = heartbeat.tick() => {
                    if let Err(error) = delivery.in_progress().await {
                        tracing::debug!(%error, "progress ack failed");
                    }
                }
            }
        }
    }
}

fn settle(result: Result<(), BusError>, outcome: Outcome) -> Outcome {
    if let Err(error) = result {
        // The bus redelivers what it did not hear settled; the inbox makes that harmless.
        tracing::warn!(%error, "settling a delivery failed");
    }
    outcome
}
