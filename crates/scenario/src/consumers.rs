//! What this service consumes: `onboarding.meeting.scheduled` and `.started` (the stage's
//! instances become scheduled, then in progress: [`crate::meeting_progress`]),
//! `onboarding.meeting.ended` (attendance completes or marks the meeting stage), `onboarding.recording.archived` (the stage's latest recording, offered to later
//! cohorts) and `onboarding.feedback.submitted` (the stage's feedback state).
//!
//! Each runs as a durable consumer `scenario-<purpose>` through the runtime's [`Consumer`], which
//! claims the event id in the inbox in the handler's transaction: a redelivery changes nothing.
//! The handlers are idempotent on their own as well (guarded updates, newest-wins links), so a
//! producer re-publishing the same facts under a new id changes nothing either.

use std::sync::Arc;

use async_trait::async_trait;
use butterboard_proto::events::v1 as pb;
use butterboard_runtime::bus::{ConsumerSpec, EventBus};
use butterboard_runtime::clock::Clock;
use butterboard_runtime::consumer::{Consumer, EventHandler, HandlerError};
use butterboard_runtime::envelope::CloudEvent;
use butterboard_runtime::events::OnboardingEvent;
use butterboard_runtime::service::Task;
use butterboard_runtime::shutdown::Shutdown;
use butterboard_runtime::store::Store;
use sqlx::{Any, Transaction};

use crate::app::close_instance;
use crate::domain::instance::{Attendee, MeetingOutcome, StageStatus, meeting_outcome};
use crate::store::assignments;
use crate::store::instances::{self, Feedback};
use crate::store::recordings::{self, RecordingLink};

pub const MEETINGS: &str = "scenario-meetings";
pub const RECORDINGS: &str = "scenario-recordings";
pub const FEEDBACK: &str = "scenario-feedback";

/// The three consumers as tasks of the service.
pub fn tasks(store: &Store, bus: &Arc<dyn EventBus>, clock: &Arc<dyn Clock>, shutdown: &Shutdown) -> Vec<Task> {
    let meetings = Consumer::new(
        spec(MEETINGS, "onboarding.meeting.ended"),
        store.clone(),
        bus.clone(),
        MeetingEnded { clock: clock.clone() },
    );
    let archived =
        Consumer::new(spec(RECORDINGS, "onboarding.recording.archived"), store.clone(), bus.clone(), RecordingArchived);
    let feedback = Consumer::new(
        spec(FEEDBACK, "onboarding.feedback.submitted"),
        store.clone(),
        bus.clone(),
        FeedbackSubmitted { clock: clock.clone() },
    );
    let progress = Consumer::new(
        ConsumerSpec::new(crate::meeting_progress::MEETING_PROGRESS, &crate::meeting_progress::SUBJECTS),
        store.clone(),
        bus.clone(),
        crate::meeting_progress::MeetingProgress { clock: clock.clone() },
    );
    vec![
        Task::new(crate::meeting_progress::MEETING_PROGRESS, progress.run(shutdown.clone())),
        Task::new(MEETINGS, meetings.run(shutdown.clone())),
        Task::new(RECORDINGS, archived.run(shutdown.clone())),
        Task::new(FEEDBACK, feedback.run(shutdown.clone())),
    ]
}

pub fn spec(name: &str, subject: &str) -> ConsumerSpec {
    ConsumerSpec::new(name, &[subject])
}

fn decode(event: &CloudEvent) -> Result<OnboardingEvent, HandlerError> {
    OnboardingEvent::decode(event).map_err(|e| HandlerError::Reject(e.into()))
}

fn ms(timestamp: Option<&prost_types::Timestamp>) -> Option<i64> {
    timestamp.map(|t| t.seconds.saturating_mul(1000).saturating_add(i64::from(t.nanos) / 1_000_000))
}

/// `onboarding.meeting.ended`: employees who attended complete their instance of the stage;
/// invited employees who did not are marked missed (and overdue).
pub struct MeetingEnded {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl EventHandler for MeetingEnded {
    async fn handle(
        &self,
        tx: &mut Transaction<'static, Any>,
        _subject: &str,
        event: &CloudEvent,
    ) -> Result<(), HandlerError> {
        let OnboardingEvent::MeetingEnded(ended) = decode(event)? else {
            return Err(HandlerError::Reject(anyhow::anyhow!("unexpected event type {}", event.ty)));
        };
        let now = self.clock.now_ms();
        let at = ms(ended.ended_at.as_ref()).unwrap_or(now);
        let attendance: Vec<Attendee> = ended
            .attendance
            .iter()
            .filter_map(|a| a.person.as_ref().map(|p| Attendee { email: p.email.clone(), attended: a.attended }))
            .collect();
        let targets = targets(tx, &ended, &attendance).await?;
        for mut instance in targets {
            let Some(assignment) = assignments::load(tx, &instance.assignment_id).await.map_err(HandlerError::Retry)?
            else {
                continue;
            };
            let employee = &assignment.people.employee;
            match meeting_outcome(instance.status, &employee.email, &attendance) {
                Some(MeetingOutcome::Attended) => {
                    let meeting = Some(ended.meeting_id.as_str()).filter(|m| !m.is_empty());
                    close_instance(
                        tx,
                        &mut instance,
                        employee,
                        assignment.scenario_version,
                        StageStatus::Completed,
                        meeting,
                        at,
                    )
                    .await
                    .map_err(HandlerError::Retry)?;
                }
                Some(MeetingOutcome::Missed) => {
                    instances::mark_missed(tx, &instance.id, &ended.meeting_id, now)
                        .await
                        .map_err(HandlerError::Retry)?;
                }
                None => {}
            }
        }
        Ok(())
    }
}

/// The instances a meeting was for: those it names, or else the open instances of its stage for
/// the employees who attended (a meeting started without instance ids).
async fn targets(
    tx: &mut Transaction<'static, Any>,
    ended: &pb::MeetingEnded,
    attendance: &[Attendee],
) -> Result<Vec<instances::InstanceRecord>, HandlerError> {
    if !ended.stage_instance_ids.is_empty() {
        let mut found = Vec::new();
        for id in &ended.stage_instance_ids {
            match instances::load(tx, id).await.map_err(HandlerError::Retry)? {
                Some(instance) => found.push(instance),
                None => tracing::debug!(stage_instance_id = %id, "meeting names an unknown stage instance, ignored"),
            }
        }
        return Ok(found);
    }
    if ended.scenario_id.is_empty() || ended.stage_id.is_empty() {
        return Ok(Vec::new());
    }
    let attended: Vec<String> =
        attendance.iter().filter(|a| a.attended).map(|a| a.email.trim().to_lowercase()).collect();
    let mut open = instances::open_for_employees(tx, &ended.scenario_id, &ended.stage_id, &attended)
        .await
        .map_err(HandlerError::Retry)?;
    // One instance per assignment: the earliest open occurrence.
    let mut seen = std::collections::HashSet::new();
    open.retain(|i| seen.insert(i.assignment_id.clone()));
    Ok(open)
}

/// `onboarding.recording.archived`: the stage's latest recording link.
pub struct RecordingArchived;

#[async_trait]
impl EventHandler for RecordingArchived {
    async fn handle(
        &self,
        tx: &mut Transaction<'static, Any>,
        _subject: &str,
        event: &CloudEvent,
    ) -> Result<(), HandlerError> {
        let OnboardingEvent::RecordingArchived(archived) = decode(event)? else {
            return Err(HandlerError::Reject(anyhow::anyhow!("unexpected event type {}", event.ty)));
        };
        if archived.scenario_id.is_empty() || archived.stage_id.is_empty() {
            tracing::debug!(meeting_id = %archived.meeting_id, "recording of a meeting without a stage, ignored");
            return Ok(());
        }
        let files: Vec<serde_json::Value> = archived
            .files
            .iter()
            .map(|f| serde_json::json!({ "file_type": f.file_type, "name": f.name, "web_view_link": f.web_view_link }))
            .collect();
        let link = RecordingLink {
            scenario_id: archived.scenario_id.clone(),
            stage_id: archived.stage_id.clone(),
            meeting_id: archived.meeting_id.clone(),
            folder_link: archived.drive_folder_link.clone(),
            files: serde_json::Value::Array(files).to_string(),
            archived_at: ms(archived.archived_at.as_ref()).unwrap_or_else(|| event.time.unix_timestamp() * 1000),
        };
        let kept = recordings::upsert_latest(tx, &link).await.map_err(HandlerError::Retry)?;
        tracing::info!(scenario_id = %link.scenario_id, stage_id = %link.stage_id, kept, "recording link");
        Ok(())
    }
}

/// `onboarding.feedback.submitted`: the stage instance's feedback state.
pub struct FeedbackSubmitted {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl EventHandler for FeedbackSubmitted {
    async fn handle(
        &self,
        tx: &mut Transaction<'static, Any>,
        _subject: &str,
        event: &CloudEvent,
    ) -> Result<(), HandlerError> {
        let OnboardingEvent::FeedbackSubmitted(submitted) = decode(event)? else {
            return Err(HandlerError::Reject(anyhow::anyhow!("unexpected event type {}", event.ty)));
        };
        if submitted.stage_instance_id.is_empty() {
            return Ok(());
        }
        if !(1..=5).contains(&submitted.rating) {
            return Err(HandlerError::Reject(anyhow::anyhow!("rating {} is not 1 to 5", submitted.rating)));
        }
        let feedback = Feedback {
            request_id: submitted.request_id.clone(),
            rating: submitted.rating,
            submitted_at: ms(submitted.submitted_at.as_ref()).unwrap_or_else(|| event.time.unix_timestamp() * 1000),
        };
        let recorded = instances::record_feedback(tx, &submitted.stage_instance_id, &feedback, self.clock.now_ms())
            .await
            .map_err(HandlerError::Retry)?;
        if !recorded {
            tracing::debug!(stage_instance_id = %submitted.stage_instance_id, "feedback for an unknown instance or older than the stored one");
        }
        Ok(())
    }
}
