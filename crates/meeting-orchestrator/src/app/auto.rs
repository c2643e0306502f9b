//! Meetings for stages marked `schedule_automatically`, when `onboarding.stage.due` arrives:
//! the consumer records the due instance once (a redelivery finds it there), and this round
//! makes its meeting — hosted by the default host, for that instance's assignment, at the due
//! time when it is still ahead — under a lease and with an idempotency key of the instance, so
//! two replicas and any number of redeliveries make one meeting per instance. An instance a
//! meeting already covers (a weekly series, a cohort meeting HR started) gets none.

use std::time::Duration;

use butterboard_runtime::auth::{Caller, Role};
use butterboard_runtime::periodic::Pace;

use super::MeetingApp;
use super::errors::ServiceError;
use super::start::StartCommand;
use crate::domain::plan::Request;
use crate::participants::{SERVICE_SUBJECT, Target};
use crate::store::{auto, meetings};

const BATCH: i64 = 20;
/// Tries before a due instance is given up on.
const MAX_ATTEMPTS: u32 = 8;
/// How long a replica owns a row it works on.
const LEASE: Duration = Duration::from_secs(120);

/// What a failed attempt means: try again later, or stop.
fn next_attempt(error: &ServiceError, attempts: u32, now: i64) -> Option<i64> {
    match error {
        ServiceError::ResourceExhausted { retry_after, .. } => {
            Some(now + retry_after.map_or(3_600_000, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)))
        }
        ServiceError::Unavailable { .. } | ServiceError::Internal(_) if attempts < MAX_ATTEMPTS => {
            Some(now + 5_000 * (1i64 << attempts.min(10)))
        }
        _ => None,
    }
}

impl MeetingApp {
    /// One round: meetings for the due instances waiting.
    pub async fn schedule_due(&self) -> anyhow::Result<Pace> {
        let now = self.now();
        let ready = auto::ready(&mut *self.store.pool().acquire().await?, now, BATCH).await?;
        for row in &ready {
            let until = now + Self::ms(LEASE);
            if !auto::take(&mut *self.store.pool().acquire().await?, &row.stage_instance_id, now, until).await? {
                continue;
            }
            self.schedule_one(row).await?;
        }
        Ok(if ready.len() as i64 == BATCH { Pace::More } else { Pace::Idle })
    }

    async fn schedule_one(&self, row: &auto::AutoSchedule) -> anyhow::Result<()> {
        let id = &row.stage_instance_id;
        let covering = meetings::covering(&mut *self.store.pool().acquire().await?, id).await?;
        if let Some(meeting_id) = covering {
            auto::finish(&mut *self.store.pool().acquire().await?, id, Some(&meeting_id), None).await?;
            return Ok(());
        }
        let caller = Caller { subject: SERVICE_SUBJECT.into(), roles: vec![Role::Service] };
        let now = self.now();
        let command = StartCommand {
            target: Some(Target::Instance(id.clone())),
            request: Request {
                start_ms: (row.due_at > now).then_some(row.due_at),
                duration_minutes: None,
                assignment_ids: vec![row.assignment_id.clone()],
            },
            idempotency_key: format!("stage-due:{id}"),
        };
        // The connection is taken after the call: SQLite's pool holds one, which the call needs.
        let result = self.start_meeting(&caller, command).await;
        let mut conn = self.store.pool().acquire().await?;
        match result {
            Ok(started) => {
                auto::finish(&mut conn, id, Some(&started.view.loaded.row.id), None).await?;
                tracing::info!(stage_instance_id = %id, meeting_id = %started.view.loaded.row.id, "meeting scheduled for a due stage");
            }
            Err(error) => {
                let next = next_attempt(&error, row.attempts + 1, now);
                tracing::warn!(stage_instance_id = %id, %error, retry = next.is_some(), "cannot schedule the meeting of a due stage");
                auto::retry_later(&mut conn, id, next, &error.to_string()).await?;
            }
        }
        Ok(())
    }
}
