//! The gauges every service reports about what waits: its outbox backlog and the age of the oldest
//! row (`butterboard_outbox_backlog{service}`, `butterboard_outbox_oldest_age_seconds{service}`),
//! and the dead letters of the bus (`butterboard_dlq_messages`). The alerts on a stuck relay and a
//! growing dead-letter stream read them; they are sampled, since counting on every write would
//! put a query on the hot path.

use std::sync::Arc;
use std::time::Duration;

use opentelemetry::KeyValue;

use crate::bus::EventBus;
use crate::clock::Clock;
use crate::periodic::Periodic;
use crate::service::{ServiceName, Task};
use crate::shutdown::Shutdown;
use crate::store::{Store, outbox};

/// How often the gauges are sampled.
pub const INTERVAL: Duration = Duration::from_secs(10);

/// The sampling task of one service.
pub fn task(
    name: ServiceName,
    store: Store,
    bus: Arc<dyn EventBus>,
    clock: Arc<dyn Clock>,
    shutdown: Shutdown,
) -> Task {
    let meter = crate::telemetry::meter();
    let backlog =
        meter.u64_gauge("butterboard_outbox_backlog").with_description("outbox rows not yet published").build();
    let oldest = meter
        .f64_gauge("butterboard_outbox_oldest_age")
        .with_unit("s")
        .with_description("age of the oldest outbox row not yet published")
        .build();
    let dead = meter.u64_gauge("butterboard_dlq_messages").with_description("dead letters waiting in dlq.>").build();
    let labels = [KeyValue::new("service", name.as_str())];
    backlog.record(0, &labels);
    oldest.record(0.0, &labels);
    Periodic::every("service-metrics", INTERVAL).task(shutdown, move || {
        let (store, bus, clock) = (store.clone(), bus.clone(), clock.clone());
        let (backlog, oldest, dead, labels) = (backlog.clone(), oldest.clone(), dead.clone(), labels.clone());
        async move {
            let (rows, first) = outbox::backlog(&store).await?;
            backlog.record(u64::try_from(rows).unwrap_or(0), &labels);
            let age = first.map_or(0.0, |at| (clock.now_ms() - at).max(0) as f64 / 1000.0);
            oldest.record(age, &labels);
            match bus.dead_letter_count().await {
                Ok(count) => dead.record(count, &[]),
                Err(error) => tracing::debug!(%error, "cannot count the dead letters"),
            }
            Ok(())
        }
    })
}
