//! `onboarding.meeting.scheduled` and `onboarding.meeting.started`: the stage instances a meeting
//! is for become `scheduled` (with the meeting's id), then `in_progress` when it starts. Guarded
//! updates only move an instance forward — a meeting scheduled again, a late or repeated event
//! never reopens a completed stage or takes a started one back to scheduled.

use async_trait::async_trait;
use butterboard_runtime::consumer::{EventHandler, HandlerError};
use butterboard_runtime::envelope::CloudEvent;
use butterboard_runtime::events::OnboardingEvent;
use sqlx::{Any, AnyConnection, Transaction};

use crate::domain::instance::StageStatus;

pub const MEETING_PROGRESS: &str = "scenario-meeting-progress";
pub const SUBJECTS: [&str; 2] = ["onboarding.meeting.scheduled", "onboarding.meeting.started"];

/// Moves `id` to `to` with `meeting_id` when it is in one of `from`; `false` otherwise.
async fn advance(
    conn: &mut AnyConnection,
    id: &str,
    meeting_id: &str,
    from: &[StageStatus],
    to: StageStatus,
    now: i64,
) -> anyhow::Result<bool> {
    let list = from.iter().map(|s| format!("'{}'", s.as_str())).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "UPDATE stage_instances SET status = $2, meeting_id = $3, updated_at = $4 WHERE id = $1 AND status IN ({list})"
    );
    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(to.as_str())
        .bind(meeting_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub struct MeetingProgress {
    pub clock: std::sync::Arc<dyn butterboard_runtime::clock::Clock>,
}

#[async_trait]
impl EventHandler for MeetingProgress {
    async fn handle(
        &self,
        tx: &mut Transaction<'static, Any>,
        _subject: &str,
        event: &CloudEvent,
    ) -> Result<(), HandlerError> {
        let decoded = OnboardingEvent::decode(event).map_err(|e| HandlerError::Reject(e.into()))?;
        let (meeting_id, instances, from, to): (String, Vec<String>, &[StageStatus], StageStatus) = match decoded {
            OnboardingEvent::MeetingScheduled(m) => (
                m.meeting_id,
                m.stage_instance_ids,
                &[StageStatus::Pending, StageStatus::Due, StageStatus::Overdue],
                StageStatus::Scheduled,
            ),
            OnboardingEvent::MeetingStarted(m) => (
                m.meeting_id,
                m.stage_instance_ids,
                &[StageStatus::Pending, StageStatus::Due, StageStatus::Scheduled, StageStatus::Overdue],
                StageStatus::InProgress,
            ),
            _ => return Err(HandlerError::Reject(anyhow::anyhow!("unexpected event type {}", event.ty))),
        };
        let now = self.clock.now_ms();
        for id in &instances {
            let moved = advance(tx, id, &meeting_id, from, to, now).await.map_err(HandlerError::Retry)?;
            tracing::debug!(stage_instance_id = %id, meeting_id = %meeting_id, to = to.as_str(), moved, "meeting progress");
        }
        Ok(())
    }
}
