//! Outbox → JetStream relay rate with a PostgreSQL outbox, next to raw pipelined JetStream
//! publishing of the same messages in the same run.

use std::time::Instant;

use butterboard_runtime::bus::OutgoingMessage;
use butterboard_runtime::envelope::{CONTENT_TYPE_JSON, CloudEvent};
use butterboard_runtime::store::outbox;
use butterboard_runtime::store::relay::{OutboxRelay, RelayConfig};
use butterboard_runtime::testing;

/// A 1 KiB JSON payload.
fn event() -> CloudEvent {
    let body = format!("{{\"pad\":\"{}\"}}", "x".repeat(1024 - 10));
    CloudEvent::new("butterboard/bench", "butterboard.bench.v1", CONTENT_TYPE_JSON, body.into_bytes().into())
}

pub async fn run(events: usize) -> anyhow::Result<()> {
    println!("== outbox relay (PostgreSQL → NATS JetStream), {events} events of 1 KiB");
    let (bus, _ns) = testing::jetstream_bus().await?;

    let messages: Vec<OutgoingMessage> = (0..events).map(|_| event().into_message("onboarding.bench.raw")).collect();
    let started = Instant::now();
    bus.publish_all(messages).await?;
    let raw_rate = events as f64 / started.elapsed().as_secs_f64();
    crate::report("raw pipelined JetStream publish", raw_rate, "events/s", "baseline");

    let store = testing::postgres_store(&testing::no_service_migrations()).await?;
    for chunk in (0..events).collect::<Vec<_>>().chunks(1000) {
        let mut tx = store.begin().await?;
        for _ in chunk {
            outbox::enqueue(&mut tx, "onboarding.bench.relayed", event()).await?;
        }
        tx.commit().await?;
    }
    let relay = OutboxRelay::new("bench", store.clone(), bus.clone(), RelayConfig::default());
    let started = Instant::now();
    let mut relayed = 0;
    while relayed < events {
        let n = relay.relay_once().await?;
        anyhow::ensure!(n > 0, "relay stopped with {relayed} of {events} published");
        relayed += n;
    }
    let relay_rate = events as f64 / started.elapsed().as_secs_f64();
    crate::report("outbox relay, PostgreSQL outbox → JetStream", relay_rate, "events/s", "≥ 10000");
    crate::report("relay / raw publish ratio", relay_rate / raw_rate, "", "≥ 0.3");
    Ok(())
}
