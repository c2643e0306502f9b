//! The conferencing provider behind a small port: create, update and cancel a meeting, read a
//! host and their settings, find a meeting by its marker, read a past session. Everything above
//! speaks of meetings in the orchestrator's terms; [`zoom::ZoomConferencing`] is the first
//! implementation, so a second provider is an addition.

pub mod zoom;

use std::time::Duration;

use async_trait::async_trait;

use crate::domain::plan::MeetingPlan;

/// A user of the provider's account who can host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostAccount {
    pub email: String,
    pub name: String,
    pub time_zone: String,
}

/// What a host's settings allow for a recorded meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostCapabilities {
    pub chat: bool,
    pub cloud_recording: bool,
    pub save_chat_text: bool,
    pub audio_transcript: bool,
}

/// One occurrence of a recurring meeting as the provider laid it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderOccurrence {
    pub occurrence_id: String,
    pub start_ms: i64,
    pub duration_minutes: u32,
}

/// A meeting that exists at the provider. `Debug` leaves the start URL out.
#[derive(Clone, PartialEq, Eq)]
pub struct ProviderMeeting {
    pub id: i64,
    pub uuid: String,
    pub join_url: String,
    /// Starts the meeting as its host: a secret, handed to the host only, never stored.
    pub start_url: Option<String>,
    pub occurrences: Vec<ProviderOccurrence>,
}

impl std::fmt::Debug for ProviderMeeting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderMeeting")
            .field("id", &self.id)
            .field("uuid", &self.uuid)
            .field("join_url", &self.join_url)
            .field("start_url", &self.start_url.as_ref().map(|_| "[redacted]"))
            .field("occurrences", &self.occurrences)
            .finish()
    }
}

/// A change to a meeting (or one occurrence); fields left `None` stay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MeetingChange {
    pub start_ms: Option<i64>,
    pub duration_minutes: Option<u32>,
    pub time_zone: Option<String>,
    pub invitees: Option<Vec<String>>,
}

/// One join of one person in a past session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastJoin {
    pub join_key: String,
    pub email: String,
    pub name: String,
    pub join_ms: Option<i64>,
    pub leave_ms: Option<i64>,
}

/// A session that ended, as the provider reports it afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastSession {
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub joins: Vec<PastJoin>,
}

/// What a provider call can end with, in terms the application decides on.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ProviderError {
    /// The provider refused a field of the meeting.
    #[error("the provider refused {field}: {message}")]
    Invalid { field: String, message: String },
    #[error("not found at the provider")]
    NotFound,
    /// The host's daily create/update limit; it resets at `reset_at_ms`.
    #[error("daily meeting limit reached")]
    DailyLimit { reset_at_ms: i64 },
    /// A per-second limit that did not clear in time.
    #[error("rate limited")]
    RateLimited { retry_after: Duration },
    /// Down or unreachable: nothing happened.
    #[error("provider unavailable: {0}")]
    Unavailable(String),
    /// A create that may or may not have happened (an error answer or a lost connection after
    /// the request was sent): look for the meeting before creating another.
    #[error("provider outcome unknown: {0}")]
    Uncertain(String),
    #[error("provider error: {0}")]
    Other(String),
}

impl ProviderError {
    /// Worth trying again within the call's deadline.
    pub fn is_transient(&self) -> bool {
        matches!(self, ProviderError::Unavailable(_) | ProviderError::Uncertain(_) | ProviderError::RateLimited { .. })
    }
}

pub type ProviderResult<T> = Result<T, ProviderError>;

/// The conferencing provider.
#[async_trait]
pub trait Conferencing: Send + Sync + 'static {
    /// The account's user with this e-mail, if there is one.
    async fn host(&self, email: &str) -> ProviderResult<Option<HostAccount>>;
    async fn host_capabilities(&self, email: &str) -> ProviderResult<HostCapabilities>;
    /// Creates the meeting of `plan`, hosted by `plan.host`, with `plan.marker` in it.
    async fn create(&self, plan: &MeetingPlan) -> ProviderResult<ProviderMeeting>;
    /// The host's meeting carrying `marker`, if one exists.
    async fn find_by_marker(&self, host: &str, marker: &str) -> ProviderResult<Option<ProviderMeeting>>;
    /// A meeting as it is now (for the host's fresh start URL).
    async fn get(&self, id: i64) -> ProviderResult<Option<ProviderMeeting>>;
    /// Changes a meeting, or one occurrence of a series.
    async fn update(&self, id: i64, occurrence_id: Option<&str>, change: &MeetingChange) -> ProviderResult<()>;
    /// Cancels a meeting, or one occurrence of a series; one already gone counts as cancelled.
    async fn cancel(&self, id: i64, occurrence_id: Option<&str>) -> ProviderResult<()>;
    /// A session that ended, with its joins; `None` while it has not ended (or is unknown).
    async fn past_session(&self, uuid: &str) -> ProviderResult<Option<PastSession>>;
}
