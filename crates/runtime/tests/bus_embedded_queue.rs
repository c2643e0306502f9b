//! The embedded bus under publishers faster than its disk: the writer's queue is bounded, and
//! publishers wait for room in it rather than grow it (or lose what they were told was stored).

use std::sync::Arc;
use std::time::Duration;

use butterboard_runtime::bus::embedded::{EmbeddedBus, EmbeddedOptions};
use butterboard_runtime::bus::{BusError, EventBus, PublishAck};
use butterboard_runtime::testing::bus::{Names, STEP, consumer_spec, drain, within};

/// The write lock of the bus file, taken by a second connection: the writer cannot commit, as a
/// stalled disk would stop it.
async fn stall_writer(bus: &EmbeddedBus) -> sqlx::SqliteConnection {
    let url = format!("sqlite://{}", bus.path().display());
    let mut blocker = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url).await.expect("a second connection");
    sqlx::query("BEGIN IMMEDIATE").execute(&mut blocker).await.expect("take the write lock");
    blocker
}

/// Publishes of about 5 KiB each (as the queue counts them) on `subject`, each in its own task.
fn publish_many(
    bus: &Arc<EmbeddedBus>,
    n: &Names,
    subject: &str,
    count: usize,
) -> Vec<tokio::task::JoinHandle<Result<PublishAck, BusError>>> {
    (0..count)
        .map(|i| {
            let (bus, message) = (bus.clone(), n.message(subject, &format!("{i:04}{}", "x".repeat(4096))));
            tokio::spawn(async move { bus.publish(message).await })
        })
        .collect()
}

/// Waits until the queue holds all it may: no room is left for one more publish.
async fn wait_until_full(bus: &EmbeddedBus, bound: usize) {
    let full = butterboard_runtime::testing::eventually(Duration::from_secs(10), || {
        std::future::ready(bus.queued_publish_bytes() + 5 * 1024 > bound)
    })
    .await;
    assert!(full, "the queue fills up: {} bytes queued", bus.queued_publish_bytes());
}

/// Publishers faster than the disk wait for room in the writer's queue instead of growing it: a
/// publisher still waiting for room leaves nothing behind when it gives up, and once the writer
/// moves again every publish that was waited for is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishers_faster_than_the_disk_wait_for_room_in_the_queue_and_lose_nothing() {
    const BOUND: usize = 64 * 1024;
    let dir = tempfile::tempdir().expect("temp dir");
    let options = EmbeddedOptions {
        max_queued_bytes: BOUND,
        poll_interval: Duration::from_millis(50),
        sweep_interval: Duration::from_millis(100),
        ..EmbeddedOptions::default()
    };
    let bus = Arc::new(EmbeddedBus::open_with(dir.path(), options).await.expect("open"));
    let n = Names::new();

    // 40 publishes of 5 KiB while the writer is stuck: 200 KiB, three times the bound.
    let (abandoned, kept) = (n.subject("abandoned"), n.subject("kept"));
    let mut blocker = stall_writer(&bus).await;
    let publishers = publish_many(&bus, &n, &abandoned, 40);
    wait_until_full(&bus, BOUND).await;
    assert!(bus.queued_publish_bytes() <= BOUND, "{} bytes queued, above {BOUND}", bus.queued_publish_bytes());
    assert!(publishers.iter().all(|p| !p.is_finished()), "nothing is acknowledged while the writer is stuck");
    // The publishers give up: those that found room are in the writer's hands, the others left
    // nothing behind.
    publishers.iter().for_each(|p| p.abort());
    sqlx::query("COMMIT").execute(&mut blocker).await.expect("let the writer go");
    let mut sub = bus.subscribe(consumer_spec(n.consumer("a"), &[&abandoned], STEP, 3, &[])).await.expect("subscribe");
    let stored = drain(&mut sub, Duration::from_millis(700)).await.len();
    assert!(
        (1..=BOUND / (5 * 1024)).contains(&stored),
        "{stored} of 40 abandoned publishes stored; at most what fits the queue"
    );

    let mut blocker = stall_writer(&bus).await;
    let publishers = publish_many(&bus, &n, &kept, 40);
    wait_until_full(&bus, BOUND).await;
    sqlx::query("COMMIT").execute(&mut blocker).await.expect("let the writer go");
    for publisher in publishers {
        within("a waiting publish", STEP, publisher).await.expect("task").expect("publish");
    }
    let mut sub = bus.subscribe(consumer_spec(n.consumer("k"), &[&kept], STEP, 3, &[])).await.expect("subscribe");
    assert_eq!(drain(&mut sub, Duration::from_millis(700)).await.len(), 40, "every publish waited for is stored");
}
