//! Each service's entry point and migrations, by name: the binary's module map.

use butterboard_runtime::config::{Config, Setting};
use butterboard_runtime::service::{ServiceContext, ServiceName, ServiceParts};
use butterboard_runtime::store::Migrations;

pub fn migrations(name: ServiceName) -> Migrations {
    match name {
        ServiceName::Scenario => scenario::migrations(),
        ServiceName::MeetingOrchestrator => meeting_orchestrator::migrations(),
        ServiceName::ZoomWebhookIngest => zoom_webhook_ingest::migrations(),
        ServiceName::RecordingArchiver => recording_archiver::migrations(),
        ServiceName::Feedback => feedback::migrations(),
    }
}

pub async fn start(ctx: ServiceContext) -> anyhow::Result<ServiceParts> {
    match ctx.name {
        ServiceName::Scenario => scenario::start(ctx).await,
        ServiceName::MeetingOrchestrator => meeting_orchestrator::start(ctx).await,
        ServiceName::ZoomWebhookIngest => zoom_webhook_ingest::start(ctx).await,
        ServiceName::RecordingArchiver => recording_archiver::start(ctx).await,
        ServiceName::Feedback => feedback::start(ctx).await,
    }
}

/// Every service's own settings, so the configuration accepts them whichever targets run.
pub fn settings() -> Vec<Setting> {
    [zoom_webhook_ingest::settings::SETTINGS, meeting_orchestrator::SETTINGS, feedback::SETTINGS].concat()
}

/// The checks of its own settings a service makes in `start` before it touches anything, for
/// `butterboard config check`.
pub fn check_settings(name: ServiceName, config: &Config) -> anyhow::Result<()> {
    match name {
        ServiceName::ZoomWebhookIngest => {
            zoom_webhook_ingest::IngestSettings::from_config(config)?.resolve_secrets(config)?;
        }
        ServiceName::MeetingOrchestrator => {
            meeting_orchestrator::OrchestratorSettings::from_config(config)?;
        }
        ServiceName::Feedback => {
            feedback::FeedbackSettings::from_config(config)?;
        }
        ServiceName::Scenario | ServiceName::RecordingArchiver => {}
    }
    Ok(())
}
