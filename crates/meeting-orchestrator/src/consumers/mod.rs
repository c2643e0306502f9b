//! What this service consumes, each as a durable consumer whose event ids are claimed in the
//! inbox in the handler's transaction, so a redelivery changes nothing:
//!
//! - `meeting-orchestrator-zoom`: `zoom.meeting.*`, Zoom's webhook bodies as the ingest
//!   publishes them (see `app::lifecycle`), applied in batches ([`batch`]). The handling is
//!   idempotent by itself too — participant events and chat are sets, the start and end are
//!   published once per session — since Zoom resends a webhook under a new delivery.
//! - `meeting-orchestrator-stage-due`: `onboarding.stage.due`; a stage that schedules itself is
//!   recorded for `app::auto`, once per stage instance.

pub mod batch;

use async_trait::async_trait;
use butterboard_runtime::bus::ConsumerSpec;
use butterboard_runtime::consumer::{EventHandler, HandlerError};
use butterboard_runtime::envelope::CloudEvent;
use butterboard_runtime::events::OnboardingEvent;
use butterboard_runtime::service::{ServiceContext, Task};
use sqlx::{Any, Transaction};

use crate::app::MeetingApp;
use crate::store::auto::{self, AutoSchedule};

pub const ZOOM: &str = "meeting-orchestrator-zoom";
pub const STAGE_DUE: &str = "meeting-orchestrator-stage-due";

/// The Zoom events this service reads.
pub const ZOOM_SUBJECTS: [&str; 5] = [
    "zoom.meeting.started",
    "zoom.meeting.ended",
    "zoom.meeting.participant_joined",
    "zoom.meeting.participant_left",
    "zoom.meeting.chat_message_sent",
];

pub fn tasks(ctx: &ServiceContext, app: &MeetingApp) -> Vec<Task> {
    let zoom = batch::ZoomBatches {
        app: app.clone(),
        store: ctx.store.clone(),
        bus: ctx.bus.clone(),
        spec: ConsumerSpec::new(ZOOM, &ZOOM_SUBJECTS),
    };
    vec![
        Task::new(ZOOM, zoom.run(ctx.shutdown.clone())),
        ctx.consumer(ConsumerSpec::new(STAGE_DUE, &["onboarding.stage.due"]), StageDue { app: app.clone() }),
    ]
}

/// `onboarding.stage.due`.
pub struct StageDue {
    pub app: MeetingApp,
}

#[async_trait]
impl EventHandler for StageDue {
    async fn handle(
        &self,
        tx: &mut Transaction<'static, Any>,
        _subject: &str,
        event: &CloudEvent,
    ) -> Result<(), HandlerError> {
        let OnboardingEvent::StageDue(due) =
            OnboardingEvent::decode(event).map_err(|e| HandlerError::Reject(e.into()))?
        else {
            return Err(HandlerError::Reject(anyhow::anyhow!("unexpected event type {}", event.ty)));
        };
        if !due.schedule_meeting || due.stage_kind != "meeting" || due.stage_instance_id.is_empty() {
            return Ok(());
        }
        let row = AutoSchedule {
            stage_instance_id: due.stage_instance_id,
            scenario_id: due.scenario_id,
            stage_id: due.stage_id,
            assignment_id: due.assignment_id,
            due_at: due.due_at.map_or(0, |t| t.seconds.saturating_mul(1000)),
            attempts: 0,
        };
        auto::insert(tx, &row, self.app.now()).await.map_err(HandlerError::Retry)?;
        Ok(())
    }
}
