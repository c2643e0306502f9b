//! A local Zoom: real HTTP on loopback that follows the contracts of Zoom's Server-to-Server OAuth,
//! meetings, cloud recordings, rate limits and webhooks closely enough that code passing against it
//! works against Zoom (see `shared/FACTS.md`). Tests, the embedded default run and `butterboard sim`
//! start it with [`start`].
//!
//! Where things live: [`config`] (what it accepts, limits, retry schedule), [`secrets`] (the
//! client secret and webhook secret token generated per data directory), [`server`] (start,
//! routes, stop) and `handle` (library inspection and control on [`ZoomSim`]); the API in `oauth`,
//! `meetings` (create/get/update/delete, validation, recurrence), `recordings` (get, list, trash),
//! `files` (download redirect, signed file URLs, `Range`) and [`synthetic`] (deterministic file bytes
//! generated while streaming); [`ratelimit`] for per-second and daily limits; playing a meeting in
//! [`script`] and [`play`], whose webhooks are shaped in `events`, signed with [`signing`] and
//! delivered with retries by [`webhooks`]; [`validation`] for `endpoint.url_validation`; [`inspect`]
//! for the `/_sim` endpoints; `store` for the state that survives a restart (`state.json` in the
//! data dir); [`ids`] for Zoom-shaped ids and the uuid double-encoding rule; [`clock`] for injected
//! time.
//!
//! HTTP endpoints: `POST /oauth/token`; `POST /v2/users/{userId}/meetings`;
//! `GET|PATCH|DELETE /v2/meetings/{meetingId}`; `GET|DELETE /v2/meetings/{meetingId}/recordings`;
//! `GET /v2/users/{userId}/recordings`; `GET /rec/download/{fileId}` (302), `GET /rec/file/{fileId}`
//! (signed, `Range`), `GET /rec/play/{fileId}`; and `/_sim/…` (see [`inspect`]).

pub mod clock;
pub mod config;
mod content;
pub mod error;
mod events;
mod files;
mod handle;
pub mod ids;
pub mod inspect;
mod meetings;
mod oauth;
pub mod play;
pub mod ratelimit;
mod recordings;
pub mod script;
pub mod secrets;
pub mod server;
pub mod signing;
mod state;
mod store;
pub mod synthetic;
mod users;
pub mod validation;
pub mod webhooks;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{RateLimits, RetryTimestamp, WebhookConfig, ZoomSimConfig};
pub use error::ApiError;
pub use inspect::RecordingInfo;
pub use meetings::recurrence::Occurrence;
pub use play::{PlayHandle, PlayReport};
pub use ratelimit::{Category, RateLimitSnapshot};
pub use recordings::view::{RecordingFileView, RecordingView};
pub use script::{PlayScript, ScriptChat, ScriptCue, ScriptFile, ScriptParticipant, ScriptRecording, ScriptSegment};
pub use secrets::SimSecrets;
pub use server::{ZoomSim, start, start_with_shutdown};
pub use validation::UrlValidation;
pub use webhooks::{Attempt, Delivery, DeliveryState};
