//! The embedded bus end to end: publish → consume → ack, with the consumer running while the
//! publisher publishes; with every commit synced (`FULL`, the default) and with the `NORMAL`
//! opt-out, in the same run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use butterboard_runtime::bus::embedded::{EmbeddedBus, EmbeddedOptions, SqliteSync};
use butterboard_runtime::bus::{ConsumerSpec, EventBus, OutgoingMessage};

pub async fn run(events: usize) -> anyhow::Result<()> {
    println!("== embedded bus, {events} events of 1 KiB");
    // Alternated, so that load from elsewhere on the machine weighs on both alike.
    let (mut full, mut normal) = (Vec::new(), Vec::new());
    for _ in 0..2 {
        full.push(rate(events, SqliteSync::Full).await?);
        normal.push(rate(events, SqliteSync::Normal).await?);
    }
    let best = |rates: &[f64]| rates.iter().copied().fold(0.0, f64::max);
    crate::report("embedded bus publish → consume → ack (synchronous FULL)", best(&full), "events/s", "≥ 5000");
    crate::report("embedded bus publish → consume → ack (synchronous NORMAL)", best(&normal), "events/s", "baseline");
    crate::report("FULL / NORMAL ratio", best(&full) / best(&normal), "", "the cost of syncing");
    Ok(())
}

/// Events per second through a fresh bus with `synchronous`.
async fn rate(events: usize, synchronous: SqliteSync) -> anyhow::Result<f64> {
    let dir = tempfile::tempdir()?;
    let options = EmbeddedOptions { synchronous, ..EmbeddedOptions::default() };
    let bus: Arc<dyn EventBus> = Arc::new(EmbeddedBus::open_with(dir.path(), options).await?);
    let mut subscription = bus.subscribe(ConsumerSpec::new("bench-embedded", &["onboarding.bench.>"])).await?;
    let payload = bytes::Bytes::from(vec![b'x'; 1024]);
    let started = Instant::now();
    let publisher = {
        let bus = bus.clone();
        tokio::spawn(async move {
            let mut next = 0;
            while next < events {
                let batch: Vec<OutgoingMessage> = (next..(next + 256).min(events))
                    .map(|n| OutgoingMessage {
                        subject: "onboarding.bench.embedded".into(),
                        id: format!("bench-{n}"),
                        headers: Default::default(),
                        payload: payload.clone(),
                    })
                    .collect();
                next += batch.len();
                bus.publish_all(batch).await?;
            }
            anyhow::Ok(())
        })
    };
    let mut acked = 0;
    while acked < events {
        let delivery = tokio::time::timeout(Duration::from_secs(30), subscription.next()).await??;
        let Some(delivery) = delivery else { anyhow::bail!("subscription closed after {acked}") };
        delivery.ack().await?;
        acked += 1;
    }
    publisher.await??;
    Ok(events as f64 / started.elapsed().as_secs_f64())
}
