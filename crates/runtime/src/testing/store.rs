//! The store conformance suite: the outbox, its relay and the inbox behave the same on
//! PostgreSQL and SQLite. Instantiate with [`store_conformance_tests!`](crate::store_conformance_tests)
//! and a fixture that makes a fresh, migrated store.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use super::bus::{GatedBus, within};
use crate::bus::{ConsumerSpec, EventBus};
use crate::clock::{Clock, ManualClock};
use crate::envelope::{CONTENT_TYPE_JSON, CloudEvent};
use crate::shutdown::Shutdown;
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
            the_store_takes_writes_and_pings_while_the_relay_waits_on_the_bus,
            a_row_the_bus_refuses_for_good_is_dead_lettered_and_the_rows_behind_it_flow_on,
            the_inbox_purge_forgets_only_entries_older_than_the_cutoff,
            the_inbox_retention_task_purges_entries_past_the_retention,
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

/// The relay lets go of the store while the bus answers: on SQLite the store has one connection,
/// and a relay holding it would make every write and `/readyz` wait on the bus.
pub async fn the_store_takes_writes_and_pings_while_the_relay_waits_on_the_bus(fixture: &impl StoreFixture) {
    let store = fixture.store().await.expect("store");
    let (bus, _dir) = bus().await;
    let gated = GatedBus::new(bus.clone());
    write_events(&store, 0..10).await;
    gated.close();
    let relay = OutboxRelay::new("test", store.clone(), Arc::new(gated.clone()), RelayConfig::default());
    let round = tokio::spawn(async move { relay.relay_once().await });
    within("the relay to reach the bus", Duration::from_secs(10), gated.publish_waiting()).await;

    let quick = Duration::from_secs(2);
    within("a write while the relay waits on the bus", quick, write_events(&store, 10..11)).await;
    within("a ping while the relay waits on the bus", quick, store.ping()).await.expect("ping");
    gated.open();
    let published = within("the relay round", Duration::from_secs(10), round).await.expect("task").expect("round");
    assert_eq!(published, 10, "the round publishes the batch it read");
    assert_eq!(outbox::pending(store.pool()).await.expect("count"), 1, "the row written meanwhile waits");
}

/// A row larger than the bus's max payload is tried `max_attempts` times, then moved to the
/// outbox's dead letters with the bus's answer, and the 100 rows behind it are published in order.
pub async fn a_row_the_bus_refuses_for_good_is_dead_lettered_and_the_rows_behind_it_flow_on(
    fixture: &impl StoreFixture,
) {
    let store = fixture.store().await.expect("store");
    let (bus, _dir) = bus().await;
    let data = Bytes::from(vec![b'x'; bus.max_payload() + 1]);
    let big = CloudEvent::new("butterboard/test", "test.event", CONTENT_TYPE_JSON, data);
    let big_id = big.id.clone();
    let mut tx = store.begin().await.expect("begin");
    outbox::enqueue(&mut tx, "onboarding.test.happened", big).await.expect("enqueue the big row");
    tx.commit().await.expect("commit");
    let behind = write_events(&store, 0..100).await;

    let config = RelayConfig {
        max_attempts: 3,
        min_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
        ..RelayConfig::default()
    };
    let shutdown = Shutdown::new();
    let relay = tokio::spawn(OutboxRelay::new("test", store.clone(), bus.clone(), config).run(shutdown.clone()));
    assert_eq!(read(&bus, "store-suite-refused", 100).await, behind, "the rows behind it, in order");
    let drained = super::eventually(Duration::from_secs(10), || async {
        outbox::pending(store.pool()).await.expect("count") == 0
    })
    .await;
    assert!(drained, "the outbox empties");
    shutdown.trigger();
    within("the relay to stop", Duration::from_secs(10), relay).await.expect("task").expect("relay");

    let letters = outbox::dead_letters(store.pool(), 10).await.expect("dead letters");
    assert_eq!(letters.len(), 1, "{letters:?}");
    let letter = &letters[0];
    assert_eq!((letter.message.id.as_str(), letter.attempts), (big_id.as_str(), 3));
    assert!(letter.error.contains("max payload"), "the dead letter says why: {}", letter.error);
    assert_eq!(letter.message.payload.len(), bus.max_payload() + 1, "kept whole");

    assert!(outbox::replay_dead_letter(&store, letter.id).await.expect("replay"));
    assert_eq!(outbox::pending(store.pool()).await.expect("count"), 1, "back in the outbox");
    assert!(outbox::dead_letters(store.pool(), 10).await.expect("dead letters").is_empty());
    assert!(!outbox::replay_dead_letter(&store, letter.id).await.expect("replay again"), "only once");
}

/// Claims `event_ids` for consumer `c`, then dates them `handled_at`.
async fn claim_at(store: &Store, event_ids: &[String], handled_at: i64) {
    let mut tx = store.begin().await.expect("begin");
    for id in event_ids {
        assert!(inbox::claim(&mut tx, "c", id).await.expect("claim"));
        sqlx::query("UPDATE inbox SET handled_at = $1 WHERE consumer = 'c' AND event_id = $2")
            .bind(handled_at)
            .bind(id.as_str())
            .execute(&mut *tx)
            .await
            .expect("date the entry");
    }
    tx.commit().await.expect("commit");
}

async fn claimable(store: &Store, event_id: &str) -> bool {
    let mut tx = store.begin().await.expect("begin");
    let fresh = inbox::claim(&mut tx, "c", event_id).await.expect("claim");
    tx.rollback().await.expect("rollback");
    fresh
}

pub async fn the_inbox_purge_forgets_only_entries_older_than_the_cutoff(fixture: &impl StoreFixture) {
    let store = fixture.store().await.expect("store");
    let old: Vec<String> = (0..5).map(|i| format!("old-{i}")).collect();
    claim_at(&store, &old, 1_000).await;
    claim_at(&store, &["recent".to_string()], 3_000).await;
    assert_eq!(inbox::purge_older_than(&store, 2_000).await.expect("purge"), 5);
    assert!(claimable(&store, "old-0").await, "a purged entry is forgotten");
    assert!(!claimable(&store, "recent").await, "an entry after the cutoff stays");
    assert_eq!(inbox::purge_older_than(&store, 2_000).await.expect("purge again"), 0);
}

pub async fn the_inbox_retention_task_purges_entries_past_the_retention(fixture: &impl StoreFixture) {
    let store = fixture.store().await.expect("store");
    let clock = ManualClock::at(crate::clock::now_ms());
    let retention = inbox::RETENTION.as_millis() as i64;
    claim_at(&store, &["expired".to_string()], clock.now_ms() - retention - 1).await;
    claim_at(&store, &["kept".to_string()], clock.now_ms() - retention + 60_000).await;
    let shutdown = Shutdown::new();
    let task = tokio::spawn(inbox::retention_task(store.clone(), Arc::new(clock.clone()), shutdown.clone()).future);
    let purged = super::eventually(Duration::from_secs(10), || claimable(&store, "expired")).await;
    assert!(purged, "the entry past the retention is purged");
    assert!(!claimable(&store, "kept").await, "an entry inside the retention stays");
    shutdown.trigger();
    within("the retention task to stop", Duration::from_secs(10), task).await.expect("task").expect("round");
}
