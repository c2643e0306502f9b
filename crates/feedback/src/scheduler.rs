//! The sweeper: sends each reminder that is due and expires each request past its deadline,
//! exactly once however many replicas run (the claims in `store::sweep`), with time from the
//! injected clock — tests move it instead of sleeping; the interval only says how often to look.
//!
//! Expiry runs first, so a request whose deadline passed while the sweeper was stopped is not
//! reminded on its way out. A reminder found more than an hour late is moved to the set hour of
//! the next business day rather than sent at night (`Policy::catch_up`).

use std::sync::Arc;

use butterboard_runtime::clock::Clock;
use butterboard_runtime::periodic::{Pace, Periodic};
use butterboard_runtime::service::Task;
use butterboard_runtime::shutdown::Shutdown;
use butterboard_runtime::store::Store;
use jiff::tz::TimeZone;

use crate::domain::calendar::zone;
use crate::events;
use crate::settings::FeedbackSettings;
use crate::store::requests::RequestRecord;
use crate::store::sweep;

/// Rows claimed per transaction.
const BATCH: u32 = 500;

pub struct Sweeper {
    store: Store,
    clock: Arc<dyn Clock>,
    settings: Arc<FeedbackSettings>,
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sweep {
    pub reminders: usize,
    /// Reminders moved to a later business morning, or dropped at the deadline.
    pub rescheduled: usize,
    pub expired: usize,
}

impl Sweeper {
    pub fn new(store: Store, clock: Arc<dyn Clock>, settings: Arc<FeedbackSettings>) -> Self {
        Self { store, clock, settings }
    }

    /// Sweeps every interval until shutdown; a failed round is logged and retried with backoff.
    pub fn task(self: Arc<Self>, shutdown: Shutdown) -> Task {
        Periodic::every("feedback-sweeper", self.settings.sweep_interval).task(shutdown, move || {
            let sweeper = self.clone();
            async move {
                let sweep = sweeper.sweep().await?;
                Ok(if sweep.reminders + sweep.expired + sweep.rescheduled >= BATCH as usize {
                    Pace::More
                } else {
                    Pace::Idle
                })
            }
        })
    }

    fn zone(&self, request: &RequestRecord) -> TimeZone {
        zone(&request.employee_time_zone).unwrap_or_else(|| self.settings.default_zone.clone())
    }

    /// One round: expiries, then reminders, one batch of each.
    pub async fn sweep(&self) -> anyhow::Result<Sweep> {
        let now = self.clock.now_ms();
        let mut sweep = Sweep::default();
        let mut tx = self.store.begin().await?;
        let mut owed = Vec::new();
        for request in sweep::past_deadline(&mut tx, self.store.backend(), now, BATCH).await? {
            if sweep::expire(&mut tx, &request.id, now).await? {
                owed.push(events::expired(&request, now));
                sweep.expired += 1;
            }
        }
        let policy = &self.settings.policy;
        for request in sweep::due_reminders(&mut tx, self.store.backend(), now, BATCH).await? {
            let Some(scheduled) = request.next_reminder_at else { continue };
            let zone = self.zone(&request);
            match policy.catch_up(scheduled, now, &zone)? {
                None => {
                    let number = request.reminders_sent + 1;
                    let next = policy.after_sent(request.asked_at, number, request.due_at, now, &zone)?;
                    if sweep::advance_reminder(&mut tx, &request, true, next).await? {
                        owed.push(events::reminder(&request, number));
                        sweep.reminders += 1;
                    }
                }
                Some(later) => {
                    let next = (later < request.due_at).then_some(later);
                    if sweep::advance_reminder(&mut tx, &request, false, next).await? {
                        sweep.rescheduled += 1;
                    }
                }
            }
        }
        events::enqueue(&mut tx, owed).await?;
        tx.commit().await?;
        if sweep.reminders + sweep.expired > 0 {
            self.store.outbox_written();
            tracing::info!(reminders = sweep.reminders, expired = sweep.expired, "feedback sweep");
        }
        Ok(sweep)
    }
}
