//! The stage scheduler: publishes `onboarding.stage.due` for each stage instance whose due time
//! has come, exactly once, however many replicas run and however often they restart (the claim
//! in `store::due` is what makes that hold), and marks instances overdue after a grace period.
//!
//! Time comes from the injected [`Clock`], so tests move it instead of sleeping; the tick interval
//! only says how often to look.

use std::sync::Arc;
use std::time::Duration;

use butterboard_runtime::clock::Clock;
use butterboard_runtime::periodic::Periodic;
use butterboard_runtime::service::Task;
use butterboard_runtime::shutdown::Shutdown;
use butterboard_runtime::store::Store;

use crate::events;
use crate::store::due;

/// How the scheduler paces itself.
#[derive(Debug, Clone)]
pub struct SchedulerConfig {
    /// How often to look for due instances.
    pub interval: Duration,
    /// Instances claimed per transaction.
    pub batch_size: u32,
    /// How long a due instance may stay open before it counts as overdue.
    pub overdue_after: Duration,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        Self { interval: Duration::from_secs(1), batch_size: 500, overdue_after: Duration::from_secs(7 * 24 * 3600) }
    }
}

pub struct Scheduler {
    store: Store,
    clock: Arc<dyn Clock>,
    config: SchedulerConfig,
}

/// What one tick did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tick {
    pub published: usize,
    pub overdue: u64,
}

impl Scheduler {
    pub fn new(store: Store, clock: Arc<dyn Clock>, config: SchedulerConfig) -> Self {
        Self { store, clock, config }
    }

    /// Ticks every interval until shutdown, as a periodic task: a failing tick (the database
    /// away) is logged and retried with backoff; it never stops the process, and nothing is lost
    /// since nothing was committed.
    pub fn task(self: Arc<Self>, shutdown: Shutdown) -> Task {
        Periodic::every("scheduler", self.config.interval).task(shutdown, move || {
            let scheduler = self.clone();
            async move { scheduler.tick().await.map(drop) }
        })
    }

    /// Publishes every instance due now (in batches) and sweeps overdue ones.
    pub async fn tick(&self) -> anyhow::Result<Tick> {
        let now = self.clock.now_ms();
        let mut tick = Tick::default();
        loop {
            let mut tx = self.store.begin().await?;
            let claimed = due::claim(&mut tx, self.store.backend(), now, self.config.batch_size).await?;
            for instance in &claimed {
                events::enqueue(&mut tx, events::due(instance), &instance.assignment_id).await?;
            }
            tx.commit().await?;
            if !claimed.is_empty() {
                self.store.outbox_written();
                tracing::info!(count = claimed.len(), "stage instances due");
            }
            tick.published += claimed.len();
            if claimed.len() < self.config.batch_size as usize {
                break;
            }
        }
        let grace = i64::try_from(self.config.overdue_after.as_millis()).unwrap_or(i64::MAX);
        let mut conn = self.store.pool().acquire().await?;
        tick.overdue = due::mark_overdue(&mut conn, now.saturating_sub(grace), now).await?;
        Ok(tick)
    }
}
