//! Reading what a service published, the way another Butterboard service would: a fresh durable
//! consumer on the bus, each message checked as a CloudEvent and decoded.

use std::sync::Arc;
use std::time::Duration;

use crate::bus::{ConsumerSpec, EventBus, Message, Subscription};
use crate::envelope::CloudEvent;
use crate::events::OnboardingEvent;

/// A consumer of its own on some subjects; every message it hands out is acknowledged.
pub struct Watch {
    subscription: Box<dyn Subscription>,
}

impl Watch {
    /// Starts watching `filters` (e.g. `onboarding.meeting.>`), from the start of the stream.
    pub async fn new(bus: &Arc<dyn EventBus>, filters: &[&str]) -> Watch {
        let name = super::unique_name("watch").replace('_', "-");
        let mut spec = ConsumerSpec::new(name, filters);
        spec.ack_wait = Duration::from_secs(30);
        Watch { subscription: bus.subscribe(spec).await.expect("a watch consumer") }
    }

    /// The next message within `limit`, acknowledged; `None` if none came.
    pub async fn next(&mut self, limit: Duration) -> Option<Message> {
        let next = tokio::time::timeout(limit, self.subscription.next()).await.ok()?;
        let delivery = next.expect("the watch subscription works").expect("the watch subscription is open");
        let message = delivery.message.clone();
        delivery.ack().await.expect("ack");
        Some(message)
    }

    /// Exactly `n` messages within `limit`, then nothing more for `quiet`.
    pub async fn messages(&mut self, n: usize, limit: Duration, quiet: Duration) -> Vec<Message> {
        let deadline = tokio::time::Instant::now() + limit;
        let mut seen = Vec::with_capacity(n);
        while seen.len() < n {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await {
                Some(message) => seen.push(message),
                None => panic!(
                    "only {} of {n} messages within {limit:?}: {:?}",
                    seen.len(),
                    seen.iter().map(|m| &m.subject).collect::<Vec<_>>()
                ),
            }
        }
        let mut extra = Vec::new();
        while let Some(message) = self.next(quiet).await {
            extra.push(message.subject);
        }
        assert!(extra.is_empty(), "expected exactly {n} messages, then {} more: {extra:?}", extra.len());
        seen
    }

    /// Exactly `n` onboarding events within `limit` (then a quiet second), decoded.
    pub async fn events(&mut self, n: usize, limit: Duration) -> Vec<OnboardingEvent> {
        self.messages(n, limit, Duration::from_secs(1)).await.iter().map(decode).collect()
    }
}

/// A bus message as an onboarding event; panics with the reason if it is not one.
pub fn decode(message: &Message) -> OnboardingEvent {
    let event = CloudEvent::from_message(message).expect("a CloudEvent");
    OnboardingEvent::decode(&event).expect("an onboarding event")
}
