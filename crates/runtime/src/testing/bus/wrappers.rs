//! Real buses with an eye or a hand on them, for tests: [`CountingBus`] records every delivery as
//! the bus hands it out (before any handler or inbox sees it), [`GatedBus`] holds publishes until
//! the test lets them through.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use tokio::sync::watch;

use crate::bus::{
    BusError, ConsumerSpec, Delivery, EventBus, OutgoingMessage, PublishAck, StoredMessage, Subscription, Tail,
    TailStart,
};

/// One delivery as the bus handed it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    pub consumer: String,
    pub subject: String,
    pub sequence: u64,
    pub attempt: u32,
}

/// A bus that records each delivery its subscriptions return.
#[derive(Clone)]
pub struct CountingBus {
    inner: Arc<dyn EventBus>,
    log: Arc<Mutex<Vec<Delivered>>>,
}

impl CountingBus {
    pub fn new(inner: Arc<dyn EventBus>) -> Self {
        Self { inner, log: Arc::default() }
    }

    /// Every delivery so far, in the order they were handed out.
    pub fn deliveries(&self) -> Vec<Delivered> {
        self.log.lock().map(|log| log.clone()).unwrap_or_default()
    }

    /// The deliveries that were redeliveries (attempt above 1) or repeated a stream position for
    /// the same consumer.
    pub fn redeliveries(&self) -> Vec<Delivered> {
        let mut seen = std::collections::BTreeSet::new();
        self.deliveries()
            .into_iter()
            .filter(|d| !seen.insert((d.consumer.clone(), d.subject.clone(), d.sequence)) || d.attempt > 1)
            .collect()
    }
}

struct CountingSubscription {
    inner: Box<dyn Subscription>,
    consumer: String,
    log: Arc<Mutex<Vec<Delivered>>>,
}

#[async_trait]
impl Subscription for CountingSubscription {
    async fn next(&mut self) -> Result<Option<Delivery>, BusError> {
        let next = self.inner.next().await?;
        if let Some(delivery) = &next
            && let Ok(mut log) = self.log.lock()
        {
            log.push(Delivered {
                consumer: self.consumer.clone(),
                subject: delivery.message.subject.clone(),
                sequence: delivery.message.sequence,
                attempt: delivery.attempt,
            });
        }
        Ok(next)
    }
}

/// A bus whose publishes wait while its gate is closed (it starts open).
#[derive(Clone)]
pub struct GatedBus {
    inner: Arc<dyn EventBus>,
    open: Arc<watch::Sender<bool>>,
    waiting: Arc<watch::Sender<usize>>,
}

impl GatedBus {
    pub fn new(inner: Arc<dyn EventBus>) -> Self {
        Self { inner, open: Arc::new(watch::channel(true).0), waiting: Arc::new(watch::channel(0).0) }
    }

    /// Publishes from now on wait until [`open`](Self::open).
    pub fn close(&self) {
        self.open.send_replace(false);
    }

    /// Lets waiting and later publishes through.
    pub fn open(&self) {
        self.open.send_replace(true);
    }

    /// Resolves once at least one publish is waiting at the closed gate.
    pub async fn publish_waiting(&self) {
        let mut waiting = self.waiting.subscribe();
        let _ = waiting.wait_for(|n| *n > 0).await;
    }

    async fn pass(&self) {
        let mut open = self.open.subscribe();
        if *open.borrow_and_update() {
            return;
        }
        self.waiting.send_modify(|n| *n += 1);
        let _ = open.wait_for(|open| *open).await;
        self.waiting.send_modify(|n| *n -= 1);
    }
}

// Both wrappers pass everything but what they watch straight to the real bus.
#[async_trait]
impl EventBus for CountingBus {
    fn kind(&self) -> &'static str {
        self.inner.kind()
    }

    fn max_payload(&self) -> usize {
        self.inner.max_payload()
    }

    async fn tail(&self, filter: &str, start: TailStart) -> Result<Box<dyn Tail>, BusError> {
        self.inner.tail(filter, start).await
    }

    async fn dead_letters(&self, limit: usize) -> Result<Vec<StoredMessage>, BusError> {
        self.inner.dead_letters(limit).await
    }

    async fn replay_dead_letter(&self, sequence: u64) -> Result<PublishAck, BusError> {
        self.inner.replay_dead_letter(sequence).await
    }

    async fn ping(&self) -> Result<(), BusError> {
        self.inner.ping().await
    }

    async fn consumer_lag(&self, spec: &ConsumerSpec) -> Result<u64, BusError> {
        self.inner.consumer_lag(spec).await
    }

    async fn dead_letter_count(&self) -> Result<u64, BusError> {
        self.inner.dead_letter_count().await
    }

    async fn publish(&self, message: OutgoingMessage) -> Result<PublishAck, BusError> {
        self.inner.publish(message).await
    }

    async fn publish_all(&self, messages: Vec<OutgoingMessage>) -> Result<Vec<PublishAck>, BusError> {
        self.inner.publish_all(messages).await
    }

    async fn subscribe(&self, spec: ConsumerSpec) -> Result<Box<dyn Subscription>, BusError> {
        let consumer = spec.name.clone();
        let inner = self.inner.subscribe(spec).await?;
        Ok(Box::new(CountingSubscription { inner, consumer, log: self.log.clone() }))
    }
}

#[async_trait]
impl EventBus for GatedBus {
    fn kind(&self) -> &'static str {
        self.inner.kind()
    }

    fn max_payload(&self) -> usize {
        self.inner.max_payload()
    }

    async fn tail(&self, filter: &str, start: TailStart) -> Result<Box<dyn Tail>, BusError> {
        self.inner.tail(filter, start).await
    }

    async fn dead_letters(&self, limit: usize) -> Result<Vec<StoredMessage>, BusError> {
        self.inner.dead_letters(limit).await
    }

    async fn replay_dead_letter(&self, sequence: u64) -> Result<PublishAck, BusError> {
        self.inner.replay_dead_letter(sequence).await
    }

    async fn ping(&self) -> Result<(), BusError> {
        self.inner.ping().await
    }

    async fn consumer_lag(&self, spec: &ConsumerSpec) -> Result<u64, BusError> {
        self.inner.consumer_lag(spec).await
    }

    async fn dead_letter_count(&self) -> Result<u64, BusError> {
        self.inner.dead_letter_count().await
    }

    async fn publish(&self, message: OutgoingMessage) -> Result<PublishAck, BusError> {
        self.pass().await;
        self.inner.publish(message).await
    }

    async fn publish_all(&self, messages: Vec<OutgoingMessage>) -> Result<Vec<PublishAck>, BusError> {
        self.pass().await;
        self.inner.publish_all(messages).await
    }

    async fn subscribe(&self, spec: ConsumerSpec) -> Result<Box<dyn Subscription>, BusError> {
        self.inner.subscribe(spec).await
    }
}
