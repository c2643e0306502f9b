//! How the orchestrator behaves: where `scenario` is, who hosts meetings whose starter is not a
//! Zoom user, the meeting settings it sets, and the windows of its background work. Each has a
//! variable in [`SETTINGS`], read once at start through the configuration layers.

use std::time::Duration;

use butterboard_runtime::config::{Config, ConfigError, Setting};
use butterboard_runtime::service::ServiceName;

/// Variables of [`SETTINGS`].
pub mod vars {
    pub const ZOOM_DEFAULT_HOST: &str = "ZOOM_DEFAULT_HOST";
    pub const JOIN_BEFORE_HOST: &str = "MEETING_JOIN_BEFORE_HOST";
    pub const WAITING_ROOM: &str = "MEETING_WAITING_ROOM";
    pub const CONTINUOUS_CHAT: &str = "MEETING_CONTINUOUS_CHAT";
    pub const ZOOM_DEADLINE_SECS: &str = "MEETING_ZOOM_DEADLINE_SECS";
    pub const ENDED_SETTLE_SECS: &str = "MEETING_ENDED_SETTLE_SECS";
    pub const RECONCILE_AFTER_SECS: &str = "MEETING_RECONCILE_AFTER_SECS";
    pub const LATE_TOLERANCE_SECS: &str = "MEETING_LATE_TOLERANCE_SECS";
    pub const CREATE_LEASE_SECS: &str = "MEETING_CREATE_LEASE_SECS";
    pub const SWEEP_INTERVAL_MS: &str = "MEETING_SWEEP_INTERVAL_MS";
}

/// The variables this service reads besides the shared ones.
pub const SETTINGS: &[Setting] = &[
    Setting::new(
        vars::ZOOM_DEFAULT_HOST,
        "the Zoom user who hosts meetings whose starter is not a Zoom user, and automatic ones",
    ),
    Setting::new(vars::JOIN_BEFORE_HOST, "let invitees join before the host (default false)"),
    Setting::new(vars::WAITING_ROOM, "put joiners in a waiting room (default false)"),
    Setting::new(vars::CONTINUOUS_CHAT, "keep the meeting's chat open before and after it (default true)"),
    Setting::new(vars::ZOOM_DEADLINE_SECS, "how long a call may keep retrying Zoom, in seconds (default 20)"),
    Setting::new(
        vars::ENDED_SETTLE_SECS,
        "how long after Zoom's meeting.ended late leave events are awaited before onboarding.meeting.ended, in seconds (default 30)",
    ),
    Setting::new(
        vars::RECONCILE_AFTER_SECS,
        "how long a started meeting may go without its end before it is read from Zoom's past meetings, in seconds (default 86400)",
    ),
    Setting::new(
        vars::LATE_TOLERANCE_SECS,
        "joining after the start or leaving before the end by more than this is late or early, in seconds (default 300)",
    ),
    Setting::new(
        vars::CREATE_LEASE_SECS,
        "how long a request owns a meeting being created before recovery may finish it, in seconds (default 60)",
    ),
    Setting::new(
        vars::SWEEP_INTERVAL_MS,
        "how often recovery, automatic scheduling, settling and reconciliation look for work, in ms (default 1000)",
    ),
];

/// The orchestrator's settings, parsed.
#[derive(Debug, Clone)]
pub struct OrchestratorSettings {
    pub scenario_url: String,
    pub default_host: Option<String>,
    pub join_before_host: bool,
    pub waiting_room: bool,
    pub continuous_chat: bool,
    pub zoom_deadline: Duration,
    pub ended_settle: Duration,
    pub reconcile_after: Duration,
    pub late_tolerance: Duration,
    pub create_lease: Duration,
    pub sweep_interval: Duration,
}

impl OrchestratorSettings {
    /// Reads [`SETTINGS`] from `config`; an invalid value names its variable.
    pub fn from_config(config: &Config) -> Result<Self, ConfigError> {
        let s = &config.settings;
        let scenario_url = config.grpc_url(ServiceName::Scenario);
        Ok(Self {
            scenario_url,
            default_host: s.get(vars::ZOOM_DEFAULT_HOST).map(|h| h.trim().to_lowercase()).filter(|h| !h.is_empty()),
            join_before_host: s.flag(vars::JOIN_BEFORE_HOST)?.unwrap_or(false),
            waiting_room: s.flag(vars::WAITING_ROOM)?.unwrap_or(false),
            continuous_chat: s.flag(vars::CONTINUOUS_CHAT)?.unwrap_or(true),
            zoom_deadline: s.seconds(vars::ZOOM_DEADLINE_SECS)?.unwrap_or(Duration::from_secs(20)),
            ended_settle: s.seconds(vars::ENDED_SETTLE_SECS)?.unwrap_or(Duration::from_secs(30)),
            reconcile_after: s.seconds(vars::RECONCILE_AFTER_SECS)?.unwrap_or(Duration::from_secs(24 * 3600)),
            late_tolerance: s.seconds(vars::LATE_TOLERANCE_SECS)?.unwrap_or(Duration::from_secs(300)),
            create_lease: s.seconds(vars::CREATE_LEASE_SECS)?.unwrap_or(Duration::from_secs(60)),
            sweep_interval: s.millis(vars::SWEEP_INTERVAL_MS)?.unwrap_or(Duration::from_secs(1)),
        })
    }
}

/// `http://` and the process's own gRPC address, an unspecified IP (`0.0.0.0`, `::`) replaced by
/// loopback: in one process the scenario service is served on the same port.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_default_and_name_their_variable_when_wrong() {
        let mut config = Config::embedded_defaults();
        let settings = OrchestratorSettings::from_config(&config).expect("defaults");
        assert_eq!(settings.scenario_url, "http://127.0.0.1:50051");
        assert!(settings.continuous_chat && !settings.waiting_room);
        config.settings.set(vars::WAITING_ROOM, "maybe");
        let error = OrchestratorSettings::from_config(&config).expect_err("not a flag").to_string();
        assert!(error.starts_with(vars::WAITING_ROOM), "{error}");
    }
}
