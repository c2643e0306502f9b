//! The store conformance suite: the outbox, its relay and the inbox behave the same on
//! PostgreSQL and SQLite. Instantiate with [`store_conformance_tests!`](crate::store_conformance_tests)
//! and a fixture that makes a fresh, migrated store.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use crate::bus::{ConsumerSpec, EventBus};
use crate::envelope::{CONTENT_TYPE_JSON, CloudEvent};
use crate::store::relay::{OutboxRelay, RelayConfig};
use crate::store::{Store, inbox, outbox};

/// Makes fresh stores for the suite.
pub trait StoreFixture: Send + Sync {
    fn store(&self) -> impl std::future::Future<Output = anyhow::Result<Store>> + Send;
}

/// Generates one `#[tokio::test]` per case for a fixture expression.
#[macro_export]
macro_rules! store_conformance_tests {
    ($fixture:expr) => {
        $crate::store_conformance_tests!(@case $fixture,
            migrations_can_be_applied_again,
            an_outbox_row_of_a_rolled_back_transaction_is_never_published,
            the_relay_publishes_in_order_and_empties_the_outbox,
            two_relays_on_one_outbox_publish_each_event_once_in_order,
            the_inbox_claims_an_event_once_per_consumer,
            an_inbox_claim_in_a_rolled_back_transaction_is_forgotten,
        );
    };
    (@case $fixture:expr, $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let fixture = $fixture;
                $crate::testing::store::$case(&fixture).await;
            }
        )*
    };
}

fn event(n: usize) -> CloudEvent {
    CloudEvent::new("butterboard/test", "test.event", CONTENT_TYPE_JSON, Bytes::from(format!("{{\"n\":{n}}}")))
}

async fn write_events(store: &Store, range: std::ops::Range<usize>) -> Vec<String> {
    let mut tx = store.begin().await.expect("begin");
    let mut ids = Vec::new();
    for n in range {
        let event = event(n);
        ids.push(event.id.clone());
        outbox::enqueue(&mut tx, "onboarding.test.happened", event).await.expect("enqueue");
    }
    tx.commit().await.expect("commit");
    ids
}

async fn bus() -> (Arc<dyn EventBus>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    (super::embedded_bus(dir.path()).await.expect("embedded bus"), dir)
}

/// Reads `count` payloads from a fresh consumer on `onboarding.test.>`, acking each.
async fn read(bus: &Arc<dyn EventBus>, name: &str, count: usize) -> Vec<String> {
    let mut spec = ConsumerSpec::new(name, &["onboarding.test.>"]);
    spec.ack_wait = Duration::from_secs(5);
    let mut subscription = bus.subscribe(spec).await.expect("subscribe");
    let mut ids = Vec::new();
    while ids.len() < count {
        let delivery = tokio::time::timeout(Duration::from_secs(10), subscription.next())
            .await
            .expect("a message within 10 s")
            .expect("next")
            .expect("open subscription");
        ids.push(delivery.message.headers.get("ce-id").cloned().unwrap_or_default());
        delivery.ack().await.expect("ack");
    }
    ids
}

pub async fn migrations_can_be_applied_again(fixture: &impl StoreFixture) {
    let store = fixture.store().await.expect("store");
    store.migrate(&super::no_service_migrations()).await.expect("second migration run is a no-op");
    assert_eq!(outbox::pending(store.pool()).await.expect("count"), 0);
}

pub async fn an_outbox_row_of_a_rolled_back_transaction_is_never_published(fixture: &impl StoreFixture) {
    let store = fixture.store().await.expect("store");
    let mut tx = store.begin().await.expect("begin");
    outbox::enqueue(&mut tx, "onboarding.test.happened", event(1)).await.expect("enqueue");
    tx.rollback().await.expect("rollback");
    assert_eq!(outbox::pending(store.pool()).await.expect("count"), 0);
}

pub async fn the_relay_publishes_in_order_and_empties_the_outbox(fixture: &impl StoreFixture) {
    let store = fixture.store().await.expect("store");
    let (bus, _dir) = bus().await;
    let written = write_events(&store, 0..250).await;
    let config = RelayConfig { batch_size: 100, ..RelayConfig::default() };
    let relay = OutboxRelay::new("test", store.clone(), bus.clone(), config);
    let mut published = 0;
    loop {
        let n = relay.relay_once().await.expect("relay round");
        if n == 0 {
            break;
        }
        published += n;
    }
    assert_eq!(published, 250);
    assert_eq!(outbox::pending(store.pool()).await.expect("count"), 0);
    assert_eq!(read(&bus, "store-suite-order", 250).await, written);
}

pub async fn two_relays_on_one_outbox_publish_each_event_once_in_order(fixture: &impl StoreFixture) {
    let store = fixture.store().await.expect("store");
    let (bus, _dir) = bus().await;
    let written = write_events(&store, 0..400).await;
    let relay = |_| {
        OutboxRelay::new("test", store.clone(), bus.clone(), RelayConfig { batch_size: 50, ..RelayConfig::default() })
    };
    let (a, b) = (relay(1), relay(2));
    let drain = |relay: OutboxRelay| async move {
        let mut total = 0;
        for _ in 0..200 {
            total += relay.relay_once().await.expect("relay round");
        }
        total
    };
    let (from_a, from_b) = tokio::join!(drain(a), drain(b));
    assert_eq!(from_a + from_b, 400, "every row published by exactly one relay");
    assert_eq!(read(&bus, "store-suite-two-relays", 400).await, written);
}

pub async fn the_inbox_claims_an_event_once_per_consumer(fixture: &impl StoreFixture) {
    let store = fixture.store().await.expect("store");
    for (consumer, expected) in [("a", true), ("a", false), ("b", true)] {
        let mut tx = store.begin().await.expect("begin");
        assert_eq!(inbox::claim(&mut tx, consumer, "event-1").await.expect("claim"), expected, "{consumer}");
        tx.commit().await.expect("commit");
    }
}

pub async fn an_inbox_claim_in_a_rolled_back_transaction_is_forgotten(fixture: &impl StoreFixture) {
    let store = fixture.store().await.expect("store");
    let mut tx = store.begin().await.expect("begin");
    assert!(inbox::claim(&mut tx, "a", "event-2").await.expect("claim"));
    tx.rollback().await.expect("rollback");
    let mut tx = store.begin().await.expect("begin");
    assert!(
        inbox::claim(&mut tx, "a", "event-2").await.expect("claim"),
        "the effect was rolled back, so it must run again"
    );
}
