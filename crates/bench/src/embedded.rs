//! The embedded bus end to end: publish → consume → ack, with the consumer running while the
//! publisher publishes.

use std::time::{Duration, Instant};

use butterboard_runtime::bus::{ConsumerSpec, OutgoingMessage};
use butterboard_runtime::testing;

pub async fn run(events: usize) -> anyhow::Result<()> {
    println!("== embedded bus, {events} events of 1 KiB");
    let dir = tempfile::tempdir()?;
    let bus = testing::embedded_bus(dir.path()).await?;
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
    let rate = events as f64 / started.elapsed().as_secs_f64();
    crate::report("embedded bus publish → consume → ack", rate, "events/s", "≥ 5000");
    Ok(())
}
