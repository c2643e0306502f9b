//! Background work that runs every so often until shutdown: purges, sweeps, samplers, schedulers.
//!
//! Every such loop needs the same four things, and getting one wrong is a bug that shows only in
//! production: stop promptly on shutdown (but never in the middle of a round, which may hold a
//! transaction), log a failed round with its cause and try again, back off while rounds keep
//! failing so a database outage does not become a log flood, and run again at once when a round
//! says there is more to do. [`Periodic`] does them once for every service.

use std::future::Future;
use std::time::Duration;

use crate::service::Task;
use crate::shutdown::Shutdown;

/// What a round found, which decides when the next one runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// Done for now: wait the interval.
    Idle,
    /// More work is waiting (a full batch): run again at once.
    More,
}

impl From<()> for Pace {
    fn from((): ()) -> Self {
        Pace::Idle
    }
}

/// A named periodic task. Rounds that fail are retried after `interval × 2ⁿ⁻¹` for the n-th
/// failure in a row, capped at `max(interval, 30 s)`.
#[derive(Debug, Clone)]
pub struct Periodic {
    name: String,
    interval: Duration,
    first_after_interval: bool,
}

/// The longest wait after failed rounds, unless the interval itself is longer.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

impl Periodic {
    /// Runs the first round at once, then every `interval`.
    pub fn every(name: impl Into<String>, interval: Duration) -> Self {
        Self { name: name.into(), interval: interval.max(Duration::from_millis(1)), first_after_interval: false }
    }

    /// Waits one interval before the first round (work that has nothing to do right after start).
    pub fn after_first_interval(mut self) -> Self {
        self.first_after_interval = true;
        self
    }

    /// The task running `round` until `shutdown`. A round in progress when shutdown fires is
    /// finished first.
    pub fn task<F, Fut, P>(self, shutdown: Shutdown, round: F) -> Task
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = anyhow::Result<P>> + Send + 'static,
        P: Into<Pace> + 'static,
    {
        let name = self.name.clone();
        Task::new(name, self.run(shutdown, round))
    }

    async fn run<F, Fut, P>(self, shutdown: Shutdown, mut round: F) -> anyhow::Result<()>
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = anyhow::Result<P>> + Send + 'static,
        P: Into<Pace> + 'static,
    {
        let stopped = shutdown.wait();
        tokio::pin!(stopped);
        let mut wait = if self.first_after_interval { self.interval } else { Duration::ZERO };
        let mut failures: u32 = 0;
        loop {
            if !wait.is_zero() {
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = &mut stopped => return Ok(()),
                }
            } else if shutdown.is_triggered() {
                return Ok(());
            }
            wait = match round().await.map(Into::into) {
                Ok(pace) => {
                    failures = 0;
                    match pace {
                        Pace::More => Duration::ZERO,
                        Pace::Idle => self.interval,
                    }
                }
                Err(error) => {
                    failures = failures.saturating_add(1);
                    let wait = self.backoff(failures);
                    tracing::warn!(
                        task = %self.name,
                        error = format!("{error:#}"),
                        failures,
                        retry_in_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                        "periodic round failed"
                    );
                    wait
                }
            };
            // A round that always says `More` must still let the runtime breathe.
            tokio::task::yield_now().await;
        }
    }

    fn backoff(&self, failures: u32) -> Duration {
        let cap = self.interval.max(MAX_BACKOFF);
        let factor = 1u32.checked_shl(failures.saturating_sub(1).min(16)).unwrap_or(u32::MAX);
        self.interval.saturating_mul(factor).min(cap)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[test]
    fn failures_back_off_from_the_interval_to_the_cap() {
        let fast = Periodic::every("t", Duration::from_secs(1));
        let waits: Vec<u64> = (1..=7).map(|n| fast.backoff(n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30]);
        let slow = Periodic::every("t", Duration::from_secs(3600));
        assert_eq!(slow.backoff(5), Duration::from_secs(3600));
    }

    #[tokio::test(start_paused = true)]
    async fn rounds_run_every_interval_again_at_once_when_there_is_more_and_stop_on_shutdown() {
        let rounds = Arc::new(AtomicU32::new(0));
        let shutdown = Shutdown::new();
        let counter = rounds.clone();
        let task = Periodic::every("t", Duration::from_secs(10)).task(shutdown.clone(), move || {
            let counter = counter.clone();
            async move {
                // The first two rounds report a full batch, then one fails, then all is quiet.
                match counter.fetch_add(1, Ordering::SeqCst) {
                    0 | 1 => Ok(Pace::More),
                    2 => Err(anyhow::anyhow!("database away")),
                    _ => Ok(Pace::Idle),
                }
            }
        });
        let handle = tokio::spawn(task.future);
        tokio::time::sleep(Duration::from_millis(1)).await;
        assert_eq!(rounds.load(Ordering::SeqCst), 3, "two full batches run back to back, then the failure");
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert_eq!(rounds.load(Ordering::SeqCst), 4, "the failed round is retried after one interval");
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert_eq!(rounds.load(Ordering::SeqCst), 5);
        shutdown.trigger();
        assert!(matches!(handle.await, Ok(Ok(()))));
        assert_eq!(rounds.load(Ordering::SeqCst), 5, "no round after shutdown");
    }
}
