//! The names of the five services: what `--target` parses, what sources, consumer names, database
//! variables and gRPC health names derive from. Its own module because configuration, auth and the
//! service kit all need it, and none of them should depend on another for it.

use std::fmt;
use std::str::FromStr;

/// The five services, in start-up order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServiceName {
    Scenario,
    MeetingOrchestrator,
    ZoomWebhookIngest,
    RecordingArchiver,
    Feedback,
}

impl ServiceName {
    pub const ALL: [ServiceName; 5] = [
        ServiceName::Scenario,
        ServiceName::MeetingOrchestrator,
        ServiceName::ZoomWebhookIngest,
        ServiceName::RecordingArchiver,
        ServiceName::Feedback,
    ];

    /// The name used for targets, sources (`butterboard/<name>`) and consumer prefixes.
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceName::Scenario => "scenario",
            ServiceName::MeetingOrchestrator => "meeting-orchestrator",
            ServiceName::ZoomWebhookIngest => "zoom-webhook-ingest",
            ServiceName::RecordingArchiver => "recording-archiver",
            ServiceName::Feedback => "feedback",
        }
    }

    /// The variable holding this service's database URL in distributed mode.
    pub fn database_env(self) -> &'static str {
        match self {
            ServiceName::Scenario => "SCENARIO_DATABASE_URL",
            ServiceName::MeetingOrchestrator => "MEETING_ORCHESTRATOR_DATABASE_URL",
            ServiceName::ZoomWebhookIngest => "ZOOM_WEBHOOK_INGEST_DATABASE_URL",
            ServiceName::RecordingArchiver => "RECORDING_ARCHIVER_DATABASE_URL",
            ServiceName::Feedback => "FEEDBACK_DATABASE_URL",
        }
    }

    /// The variable naming where another service or the CLI reaches this service's gRPC API.
    pub fn grpc_url_env(self) -> &'static str {
        match self {
            ServiceName::Scenario => "SCENARIO_GRPC_URL",
            ServiceName::MeetingOrchestrator => "MEETING_ORCHESTRATOR_GRPC_URL",
            ServiceName::ZoomWebhookIngest => "ZOOM_WEBHOOK_INGEST_GRPC_URL",
            ServiceName::RecordingArchiver => "RECORDING_ARCHIVER_GRPC_URL",
            ServiceName::Feedback => "FEEDBACK_GRPC_URL",
        }
    }

    /// The full name of its gRPC service, as `grpc.health.v1` reports it.
    pub fn grpc_service(self) -> &'static str {
        match self {
            ServiceName::Scenario => "butterboard.scenario.v1.ScenarioService",
            ServiceName::MeetingOrchestrator => "butterboard.meeting.v1.MeetingService",
            ServiceName::ZoomWebhookIngest => "butterboard.ingest.v1.IngestAdminService",
            ServiceName::RecordingArchiver => "butterboard.recording.v1.RecordingService",
            ServiceName::Feedback => "butterboard.feedback.v1.FeedbackService",
        }
    }

    /// The CloudEvents source of its events.
    pub fn source(self) -> String {
        format!("butterboard/{}", self.as_str())
    }
}

impl fmt::Display for ServiceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown service name; the message lists the valid ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown target {0:?}; valid targets: all, scenario, meeting-orchestrator, zoom-webhook-ingest, recording-archiver, feedback"
)]
pub struct UnknownTarget(pub String);

impl FromStr for ServiceName {
    type Err = UnknownTarget;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|n| n.as_str() == s).ok_or_else(|| UnknownTarget(s.to_string()))
    }
}

/// Parses `all` or a comma-separated list of services, without duplicates, in start-up order.
pub fn parse_targets(text: &str) -> Result<Vec<ServiceName>, UnknownTarget> {
    let mut names = Vec::new();
    for part in text.split(',').map(str::trim) {
        if part == "all" {
            return Ok(ServiceName::ALL.to_vec());
        }
        names.push(part.parse::<ServiceName>()?);
    }
    names.sort();
    names.dedup();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_from_all_or_a_list() {
        assert_eq!(parse_targets("all").ok(), Some(ServiceName::ALL.to_vec()));
        assert_eq!(parse_targets("feedback,scenario").ok(), Some(vec![ServiceName::Scenario, ServiceName::Feedback]));
    }

    #[test]
    fn an_unknown_target_lists_the_valid_ones() {
        let error = parse_targets("scenario,zoom").expect_err("zoom is not a service");
        assert!(error.to_string().contains("valid targets: all, scenario, meeting-orchestrator"));
    }
}
