//! The bus conformance suite: what every [`EventBus`] must do, whatever is behind it.
//!
//! A backend's test file implements [`BusFixture`] (a fresh, isolated bus that can be restarted)
//! and instantiates every case with one line:
//!
//! ```ignore
//! butterboard_runtime::bus_conformance_tests!(my_fixture); // async fn my_fixture() -> impl BusFixture
//! ```
//!
//! Each case is a `pub async fn` below, named as the sentence it checks, so a failing test reads as
//! the broken promise. Cases use only the trait, unique subjects and durable names per test (so
//! they may share a server), short ack waits, and a timeout on everything they wait for: a bus
//! that hangs fails instead of blocking the run. Timing assertions are one-sided and generous
//! (JetStream redelivers on its own clock).

mod dead_letters;
mod delivery;
mod subjects;
mod wrappers;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use uuid::Uuid;

use crate::bus::{
    ConsumerSpec, Delivery, EventBus, Headers, OutgoingMessage, StoredMessage, Subscription, dead_letter_subject,
};

pub use dead_letters::*;
pub use delivery::*;
pub use subjects::*;
pub use wrappers::{CountingBus, Delivered, GatedBus};

/// A bus under test, fresh and isolated per test, that a test can restart.
pub trait BusFixture: Send + Sync {
    /// The bus as last opened. It must be fully running: for JetStream that includes whatever
    /// dead-letters messages whose last delivery expired.
    fn bus(&self) -> Arc<dyn EventBus>;

    /// Closes the current bus the way a process stop would and opens a new one on the same data
    /// (the embedded bus: the same file; JetStream: a new client in the same namespace). Callers
    /// drop what they held of the old bus first. [`bus`](Self::bus) answers the new one from then.
    fn reopen(&self) -> impl Future<Output = Arc<dyn EventBus>> + Send;
}

/// Generates one `#[tokio::test]` per conformance case. `$make` is called with no argument and
/// returns a future of a [`BusFixture`] (an `async fn` or a closure returning an async block).
#[macro_export]
macro_rules! bus_conformance_tests {
    ($make:expr) => {
        $crate::bus_conformance_tests!(@cases $make;
            a_published_message_is_consumed_once_and_not_redelivered_after_its_ack,
            a_duplicate_id_is_acknowledged_as_a_duplicate_and_delivered_once,
            a_durable_consumer_resumes_where_it_left_off_after_a_reopen,
            a_nak_with_a_delay_redelivers_after_the_delay_not_before,
            an_unacknowledged_delivery_is_redelivered_after_the_ack_wait,
            in_progress_keeps_a_delivery_from_being_redelivered,
            one_subscriber_sees_the_messages_of_a_subject_in_publish_order,
            two_subscriptions_on_one_durable_consumer_share_its_messages,
            a_backlog_behind_a_slow_handler_is_delivered_once_and_nothing_is_dead_lettered,
            a_message_failing_max_deliver_times_lands_on_the_dead_letter_subject,
            a_message_never_acknowledged_is_dead_lettered_after_max_deliver_attempts,
            a_delivery_dead_lettered_by_its_handler_is_listed_at_once_and_not_redelivered,
            a_replayed_dead_letter_is_delivered_again_to_the_original_consumer,
            consumers_with_wildcard_filters_receive_only_the_subjects_they_match,
            a_tail_sees_only_matching_messages_published_after_it_started,
            a_tail_from_the_start_or_a_time_sees_what_was_stored_before_it_started,
            publishing_to_an_invalid_subject_is_refused_with_a_clear_error,
            publish_all_returns_the_acks_in_input_order,
        );
    };
    (@cases $make:expr; $($case:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let fixture = ($make)().await;
                $crate::testing::bus::$case(&fixture).await;
            }
        )+
    };
}

/// The longest any single expected event may take before the case fails.
pub const STEP: Duration = Duration::from_secs(10);
/// The ack wait of most cases: short so the suite is quick, long enough for a loaded machine.
pub const ACK_WAIT: Duration = Duration::from_millis(400);
/// Clock granularity allowed when checking that something did not happen too early.
pub const SLACK: Duration = Duration::from_millis(20);

/// Subjects, durable names and messages private to one test.
#[derive(Debug, Clone)]
pub struct Names {
    tag: String,
}

impl Default for Names {
    fn default() -> Self {
        Self::new()
    }
}

impl Names {
    pub fn new() -> Self {
        let id = Uuid::new_v4().simple().to_string();
        Self { tag: format!("t{}", &id[..12]) }
    }

    /// `onboarding.<tag>.<rest>`: inside the ONBOARDING stream, seen by no other test.
    pub fn subject(&self, rest: &str) -> String {
        format!("onboarding.{}.{rest}", self.tag)
    }

    /// A durable name for `purpose`, unique to this test.
    pub fn consumer(&self, purpose: &str) -> String {
        format!("conformance-{}-{purpose}", self.tag)
    }

    /// A message with a fresh id, CloudEvents-like headers and `payload` as text.
    pub fn message(&self, subject: &str, payload: &str) -> OutgoingMessage {
        let id = Uuid::now_v7().to_string();
        let headers = Headers::from([
            ("ce-id".to_string(), id.clone()),
            ("ce-type".to_string(), "butterboard.conformance.v1".to_string()),
            ("x-conformance-tag".to_string(), self.tag.clone()),
        ]);
        OutgoingMessage { subject: subject.into(), id, headers, payload: Bytes::from(payload.to_string()) }
    }
}

/// A consumer spec with explicit timings.
pub fn consumer_spec(
    name: String,
    filters: &[&str],
    ack_wait: Duration,
    max_deliver: u32,
    backoff: &[Duration],
) -> ConsumerSpec {
    ConsumerSpec { ack_wait, max_deliver, backoff: backoff.to_vec(), ..ConsumerSpec::new(name, filters) }
}

/// Awaits `future`, failing the test after `limit`.
pub async fn within<T>(what: &str, limit: Duration, future: impl Future<Output = T>) -> T {
    match tokio::time::timeout(limit, future).await {
        Ok(value) => value,
        Err(_) => panic!("timed out after {limit:?} waiting for {what}"),
    }
}

/// The next delivery, which must come within [`STEP`].
pub async fn next_delivery(subscription: &mut Box<dyn Subscription>, what: &str) -> Delivery {
    match within(what, STEP, subscription.next()).await {
        Ok(Some(delivery)) => delivery,
        Ok(None) => panic!("subscription closed while waiting for {what}"),
        Err(error) => panic!("subscription failed while waiting for {what}: {error}"),
    }
}

/// Fails if anything is delivered within `period`.
pub async fn expect_quiet(subscription: &mut Box<dyn Subscription>, period: Duration, when: &str) {
    if let Ok(next) = tokio::time::timeout(period, subscription.next()).await {
        let got = next.map(|d| d.map(|d| (d.message.subject, text(&d.message.payload), d.attempt)));
        panic!("expected no delivery {when}, got {got:?}");
    }
}

/// Acknowledges everything delivered until nothing came for `quiet`; returns what came.
pub async fn drain(subscription: &mut Box<dyn Subscription>, quiet: Duration) -> Vec<(String, String, u32)> {
    let mut seen = Vec::new();
    while let Ok(next) = tokio::time::timeout(quiet, subscription.next()).await {
        let delivery = next.expect("subscription failed while draining").expect("subscription closed while draining");
        seen.push((delivery.message.subject.clone(), text(&delivery.message.payload), delivery.attempt));
        delivery.ack().await.expect("ack while draining");
    }
    seen
}

/// The payload as text, for assertions and failure messages.
pub fn text(payload: &Bytes) -> String {
    String::from_utf8_lossy(payload).into_owned()
}

/// Fails unless every header of `sent` is in `got` with the same value.
pub fn assert_headers_kept(got: &Headers, sent: &Headers) {
    for (name, value) in sent {
        assert_eq!(got.get(name), Some(value), "header {name} was not kept; got {got:?}");
    }
}

/// The dead letter of the message published on `subject` with `payload`, waiting for it.
pub async fn wait_for_dead_letter(bus: &Arc<dyn EventBus>, subject: &str, payload: &str) -> StoredMessage {
    let dlq = dead_letter_subject(subject);
    let found = async {
        loop {
            let letters = bus.dead_letters(10_000).await.expect("list dead letters");
            if let Some(letter) = letters.into_iter().find(|l| l.subject == dlq && text(&l.payload) == payload) {
                return letter;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    within(&format!("a dead letter on {dlq}"), STEP, found).await
}
