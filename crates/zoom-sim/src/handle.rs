//! The library side of inspection and control: what tests and `butterboard sim` call on a running
//! [`ZoomSim`]. Each call has an HTTP twin under `/_sim`.

use std::time::Duration;

use serde_json::{Map, Value};

use crate::control;
use crate::error::ApiError;
use crate::faults::{Fault, FaultState};
use crate::inspect::{self, RecordingInfo};
use crate::play::{self, PlayHandle};
use crate::ratelimit::RateLimitSnapshot;
use crate::received::ReceivedRequest;
use crate::script::PlayScript;
use crate::server::ZoomSim;
use crate::state::lock;
use crate::validation::{self, UrlValidation};
use crate::webhooks::Delivery;

impl ZoomSim {
    /// Where webhooks go now.
    pub fn webhook_endpoint(&self) -> Option<String> {
        lock(&self.state.endpoint).clone()
    }

    /// Sends later webhooks to `url` (`None`: record them without sending).
    pub fn set_webhook_endpoint(&self, url: Option<String>) {
        *lock(&self.state.endpoint) = url;
    }

    /// Plays `script` on meeting `meeting_id`, posting Zoom's webhooks as it goes.
    pub fn play(&self, meeting_id: i64, script: PlayScript) -> Result<PlayHandle, ApiError> {
        play::start(&self.state, meeting_id, script)
    }

    /// A plausible script for the meeting: host and invitees join, some chat, and when the meeting
    /// records to the cloud, a paused recording (two segments) with a transcript.
    pub fn typical_script(&self, meeting_id: i64) -> Option<PlayScript> {
        lock(&self.state.store).meetings.get(&meeting_id).map(play::typical::script)
    }

    /// Sends an `endpoint.url_validation` challenge to the endpoint and judges its answer.
    pub async fn validate_endpoint(&self) -> Result<UrlValidation, ApiError> {
        validation::challenge(&self.state).await
    }

    /// Every meeting in Zoom's shape, plus `sim_sessions` (uuids of played sessions).
    pub fn meetings(&self) -> Vec<Value> {
        inspect::meetings(&self.state)
    }

    /// Every webhook event with its attempts and the endpoint's answers.
    pub fn deliveries(&self) -> Vec<Delivery> {
        inspect::deliveries(&self.state)
    }

    /// Every url-validation challenge sent and how it went.
    pub fn url_validations(&self) -> Vec<UrlValidation> {
        lock(&self.state.webhooks).validations.clone()
    }

    /// Every cloud recording, trashed ones included.
    pub fn recordings(&self) -> Vec<RecordingInfo> {
        inspect::recordings(&self.state)
    }

    /// Rate-limit counters.
    pub fn rate_limits(&self) -> RateLimitSnapshot {
        inspect::rate_limits(&self.state)
    }

    /// Makes every access and download token expire now (a client must fetch a new one).
    pub fn expire_tokens(&self) {
        inspect::expire_all(&self.state);
    }

    /// Changes a user's settings (by e-mail or id): `change` in Zoom's nesting is merged in, e.g.
    /// `json!({"recording": {"cloud_recording": false}})` for a host who cannot record to the cloud.
    pub fn set_user_settings(&self, user: &str, change: Value) -> Result<(), ApiError> {
        crate::users::api::change_settings(&self.state, user, &change)
    }

    /// A user's settings as `GET /users/{userId}/settings` answers them.
    pub fn user_settings(&self, user: &str) -> Result<Map<String, Value>, ApiError> {
        control::user_settings(&self.state, user)
    }

    /// Adds a fault (see [`Fault`]); its id.
    pub fn inject_fault(&self, fault: Fault) -> Result<u64, ApiError> {
        lock(&self.state.faults).add(fault)
    }

    /// The faults with how often each struck.
    pub fn faults(&self) -> Vec<FaultState> {
        lock(&self.state.faults).list()
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        lock(&self.state.faults).clear();
    }

    /// Meeting create and update requests as received, oldest first (see [`ReceivedRequest`]).
    pub fn received_requests(&self) -> Vec<ReceivedRequest> {
        lock(&self.state.received).all()
    }

    /// Waits until no delivery is sending or waiting for a retry; false if `timeout` passed first.
    pub async fn wait_for_deliveries_settled(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self.deliveries().iter().all(Delivery::settled) {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
