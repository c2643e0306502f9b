//! The ingest when its dependencies fail: the bus stopped during a burst, PostgreSQL stopped, a
//! store too slow for the load.

mod support;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use butterboard_runtime::bus::EventBus;
use butterboard_runtime::bus::jetstream::JetStreamBus;
use butterboard_runtime::clock::ManualClock;
use butterboard_runtime::store::Store;
use butterboard_runtime::testing::PrivatePostgres;
use butterboard_runtime::testing::{self, NatsServer};
use bytes::Bytes;
use futures::StreamExt;
use support::{Ingest, Mode, TS, expect_messages, participant_joined, settings};

/// Posts every body with `concurrency` requests in flight; returns (status, latency) per body.
async fn burst(ingest: &Ingest, bodies: Vec<Bytes>, concurrency: usize) -> Vec<(u16, Duration)> {
    futures::stream::iter(bodies)
        .map(|body| async move {
            let started = Instant::now();
            let status = ingest.post(body).await.status().as_u16();
            (status, started.elapsed())
        })
        .buffer_unordered(concurrency)
        .collect()
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_stopped_during_a_burst_of_1000_deliveries_publishes_all_1000_once_after_it_returns() {
    let mut nats = NatsServer::start().await.expect("private nats-server");
    let namespace = testing::unique_name("t");
    let bus: Arc<dyn EventBus> =
        Arc::new(JetStreamBus::connect(&nats.url(), Some(&namespace)).await.expect("jetstream"));
    let store = testing::postgres_store(&zoom_webhook_ingest::migrations()).await.expect("postgres");
    let clock = ManualClock::at(TS * 1000);
    let ingest = Ingest::start_on(store, bus, settings(), clock).await;

    nats.stop();
    let bodies: Vec<Bytes> = (0..1000).map(participant_joined).collect();
    let answers = burst(&ingest, bodies.clone(), 64).await;
    assert!(answers.iter().all(|(status, _)| *status == 200), "every delivery is acknowledged while NATS is down");
    let slowest = answers.iter().map(|(_, took)| *took).max().unwrap_or_default();
    assert!(slowest < Duration::from_secs(3), "answered within Zoom's 3 s, slowest {slowest:?}");
    assert_eq!(ingest.count("deliveries").await, 1000);
    assert_eq!(ingest.count("outbox").await, 1000, "nothing could be published yet");

    nats.restart().await.expect("nats-server restarts");
    let mut events = ingest.subscribe().await;
    let messages = expect_messages(&mut events, 1000, Duration::from_secs(60), Duration::from_secs(3)).await;
    let payloads: HashSet<Bytes> = messages.iter().map(|m| m.payload.clone()).collect();
    assert_eq!(payloads, bodies.into_iter().collect::<HashSet<_>>(), "each delivery published once");
    let ids: HashSet<&String> = messages.iter().filter_map(|m| m.headers.get("ce-id")).collect();
    assert_eq!(ids.len(), 1000);
    assert!(
        testing::eventually(Duration::from_secs(10), || async { ingest.count("outbox").await == 0 }).await,
        "the outbox empties"
    );
    ingest.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_answers_503_and_nothing_is_half_stored() {
    let pg = PrivatePostgres::start();
    let store = Store::connect(&pg.url, 4).await.expect("private postgres");
    store.migrate(&zoom_webhook_ingest::migrations()).await.expect("migrate");
    let (bus, _) = testing::jetstream_bus().await.expect("jetstream");
    let clock = ManualClock::at(TS * 1000);
    let ingest = Ingest::start_on(store, bus, settings(), clock).await;
    let mut events = ingest.subscribe().await;

    let before: Vec<Bytes> = (0..5).map(participant_joined).collect();
    assert!(burst(&ingest, before.clone(), 5).await.iter().all(|(s, _)| *s == 200));
    expect_messages(&mut events, 5, Duration::from_secs(20), Duration::from_millis(500)).await;

    pg.stop();
    let during: Vec<Bytes> = (5..10).map(participant_joined).collect();
    for (status, took) in burst(&ingest, during.clone(), 5).await {
        assert_eq!(status, 503, "Zoom must retry what could not be stored");
        assert!(took < Duration::from_secs(3), "answered within Zoom's 3 s, took {took:?}");
    }

    pg.restart();
    assert!(
        testing::eventually(Duration::from_secs(30), || async { ingest.store.ping().await.is_ok() }).await,
        "postgres is back"
    );
    assert_eq!(ingest.count("deliveries").await, 5, "nothing answered 503 was stored");
    // Zoom's retries of the refused deliveries now go through, once each.
    for (status, _) in burst(&ingest, during.clone(), 5).await {
        assert_eq!(status, 200);
    }
    let messages = expect_messages(&mut events, 5, Duration::from_secs(20), Duration::from_secs(2)).await;
    let payloads: HashSet<Bytes> = messages.into_iter().map(|m| m.payload).collect();
    assert_eq!(payloads, during.into_iter().collect::<HashSet<_>>());
    assert_eq!(ingest.count("deliveries").await, 10);
    ingest.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_too_slow_for_the_load_sheds_deliveries_with_503_inside_the_deadline() {
    let clock = ManualClock::at(TS * 1000);
    let mut tight = settings();
    tight.max_queued = 2;
    tight.reply_deadline = Duration::from_millis(300);
    let ingest = Ingest::start_with(Mode::Embedded, tight, clock).await;
    // SQLite has one connection: holding it stalls the writer, as a slow disk would.
    let held = ingest.store.pool().acquire().await.expect("the only connection");
    let answers = burst(&ingest, (0..10).map(participant_joined).collect(), 10).await;
    for (status, took) in &answers {
        assert_eq!(*status, 503);
        assert!(*took < Duration::from_secs(1), "shed quickly, took {took:?}");
    }
    drop(held);
    // The tight deadline still applies, so on a busy machine the first tries may be shed too;
    // as Zoom does, try again until it is taken.
    let recovered = testing::eventually(Duration::from_secs(10), || async {
        ingest.post(participant_joined(99)).await.status() == 200
    })
    .await;
    assert!(recovered, "the ingest recovers");
    assert_eq!(ingest.count("deliveries").await, 1, "deliveries answered 503 were not stored afterwards");
    ingest.stop().await;
}
