//! The Zoom simulator on port 0 and a client pointed at it. Faults (5xx, latency) are injected in
//! the simulator itself (`ZoomSim::inject_fault`).

#![allow(dead_code)]

use std::time::Duration;

use serde_json::json;
use zoom::rest::{BudgetConfig, ClientConfig, Credentials, RetryPolicy, ZoomClient};
use zoom_sim::{ZoomSim, ZoomSimConfig};

pub const HOST: &str = "oleg@butterboard.online";

pub fn fast(config: ZoomSimConfig) -> ZoomSimConfig {
    ZoomSimConfig { time_compression: 100_000.0, ..config }
}

pub async fn sim(config: ZoomSimConfig) -> ZoomSim {
    zoom_sim::start(fast(config), None).await.expect("simulator starts")
}

pub fn credentials() -> Credentials {
    Credentials { account_id: "sim-account".into(), client_id: "sim-client".into(), client_secret: "sim-secret".into() }
}

/// Client settings for tests: quick retries, no local budget (so the simulator's limits are hit).
pub fn config(api: &str, oauth: &str) -> ClientConfig {
    let mut config = ClientConfig::with_urls(api, oauth, credentials());
    config.retry = RetryPolicy {
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
        ..RetryPolicy::default()
    };
    config.budget = BudgetConfig {
        light_per_second: 0.0,
        medium_per_second: 0.0,
        heavy_per_second: 0.0,
        ..BudgetConfig::default()
    };
    config.request_timeout = Duration::from_secs(10);
    config
}

/// A client for the simulator, whose origin serves its download URLs.
pub fn client(sim: &ZoomSim) -> ZoomClient {
    let config = config(&sim.api_base_url(), &sim.oauth_url()).allow_download_origin(sim.base_url());
    ZoomClient::new(config).expect("client")
}

/// A script recording two segments (MP4 of `mp4_size` bytes and M4A each) and a transcript.
pub fn recorded_script(mp4_size: u64) -> zoom_sim::PlayScript {
    serde_json::from_value(json!({
        "duration_secs": 2700,
        "participants": [{"name": "Oleg Ivanov", "email": HOST, "join_secs": 0}],
        "recording": {"segments": [
            {"start_secs": 3, "end_secs": 1200, "files": [{"file_type": "MP4", "size": mp4_size}, {"file_type": "M4A", "size": 5000}]},
            {"start_secs": 1500, "end_secs": 2690, "files": [{"file_type": "MP4", "size": 4096}]}
        ]},
        "transcript": [{"start_secs": 10.0, "end_secs": 14.0, "speaker": "Oleg Ivanov", "text": "Welcome"}]
    }))
    .expect("script parses")
}

/// 2026-11-01T00:00:00Z: before every meeting the tests schedule, so no occurrence is over.
pub const NOV_1_2026_MS: i64 = 1_793_491_200_000;

/// A simulator whose clock stands still at `ms` until moved; its tokens outlive the moves.
pub async fn sim_at(ms: i64, config: ZoomSimConfig) -> (ZoomSim, zoom_sim::ManualClock) {
    let clock = zoom_sim::ManualClock::at(ms);
    let config = ZoomSimConfig {
        clock: std::sync::Arc::new(clock.clone()),
        token_ttl: Duration::from_secs(90 * 86_400),
        ..config
    };
    (sim(config).await, clock)
}

/// A scheduled meeting at `start` (`yyyy-MM-ddTHH:mm:ssZ`) for 30 minutes with `agenda`.
pub fn scheduled(topic: &str, start: &str, agenda: &str) -> zoom::rest::CreateMeeting {
    let start = time::OffsetDateTime::parse(start, &time::format_description::well_known::Rfc3339).expect("time");
    let mut meeting = zoom::rest::CreateMeeting::scheduled(topic, start, 30);
    meeting.agenda = Some(agenda.to_string());
    meeting
}
