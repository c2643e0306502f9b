//! A local Zoom: real HTTP on loopback that follows the contracts of Zoom's Server-to-Server OAuth,
//! meetings, cloud recordings, rate limits and webhooks closely enough that code passing against it
//! works against Zoom. Tests, the embedded default run and `butterboard sim` start it with
//! [`start`].
//!
//! Where things live: [`config`] (what it accepts, limits, retry schedule), [`secrets`] (the
//! client secret and webhook secret token generated per data directory), [`server`] (start,
//! routes, stop) and `handle` (library inspection and control on [`ZoomSim`]); the API in `oauth`,
//! `users` (a user and their settings, which new meetings and played sessions obey), `meetings`
//! (create/get/update/delete, one occurrence of a series too, a user's list, validation,
//! recurrence), `past` (past meetings and their participants, from played sessions),
//! `recordings` (get, list, trash), `files` (download redirect, signed file URLs, `Range`) and
//! [`synthetic`] (deterministic file bytes generated while streaming); `paging` for
//! `page_size`/`next_page_token`; [`ratelimit`] for per-second and daily limits; [`faults`] for
//! injected 5xx and latency; [`received`] for the create/update bodies as they arrived; playing a
//! meeting in [`script`] and [`play`], whose webhooks are shaped in `events`, signed with
//! [`signing`] and delivered with retries by [`webhooks`]; [`validation`] for
//! `endpoint.url_validation`; [`inspect`] and `control` for the `/_sim` endpoints; `store` for the
//! state that survives a restart (`state.json` in the data dir); [`ids`] for Zoom-shaped ids and
//! the uuid double-encoding rule; [`clock`] for injected time.
//!
//! HTTP endpoints, with Zoom's rate-limit category:
//! - `POST /oauth/token`;
//! - `GET /v2/users/{userId}` (Light), `GET /v2/users/{userId}/settings` (Medium);
//! - `POST /v2/users/{userId}/meetings` (Medium, 201), `GET /v2/users/{userId}/meetings?type=`
//!   (Medium, paged);
//! - `GET|PATCH|DELETE /v2/meetings/{meetingId}[?occurrence_id=]` (Light; `GET` also
//!   `show_previous_occurrences`);
//! - `GET /v2/past_meetings/{meetingId|uuid}` (Light), `GET …/participants` (Medium, paged);
//! - `GET|DELETE /v2/meetings/{meetingId|uuid}/recordings` (Light),
//!   `GET /v2/users/{userId}/recordings` (Medium, paged);
//! - `GET /rec/download/{fileId}` (302), `GET /rec/file/{fileId}` (signed, `Range`),
//!   `GET /rec/play/{fileId}`;
//! - `/_sim/…`: inspection in [`inspect`] (meetings, users, webhooks, recordings, rate limits,
//!   token expiry, plays) and controls in `control` (`/_sim/users/{userId}/settings`,
//!   `/_sim/faults`, `/_sim/requests`).
//!
//! Errors are Zoom's `{"code": n, "message": "…"}` with Zoom's status: 124 (401) for tokens, 300
//! (400) for invalid fields and page tokens, 1001 (404) for unknown users, 3000 (400) for an
//! unknown occurrence, 3001 (404) for unknown or not yet ended meetings, 3301 (404) for missing
//! recordings, 429 for the per-second and daily limits.

pub mod clock;
pub mod config;
mod content;
mod control;
pub mod error;
mod events;
pub mod faults;
mod files;
mod handle;
pub mod ids;
pub mod inspect;
mod meetings;
mod oauth;
mod paging;
mod past;
pub mod play;
pub mod ratelimit;
pub mod received;
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
pub use faults::{Fault, FaultState};
pub use inspect::RecordingInfo;
pub use meetings::recurrence::Occurrence;
pub use play::{PlayHandle, PlayReport};
pub use ratelimit::{Category, RateLimitSnapshot};
pub use received::ReceivedRequest;
pub use recordings::view::{RecordingFileView, RecordingView};
pub use script::{PlayScript, ScriptChat, ScriptCue, ScriptFile, ScriptParticipant, ScriptRecording, ScriptSegment};
pub use secrets::SimSecrets;
pub use server::{ZoomSim, start, start_with_shutdown};
pub use validation::UrlValidation;
pub use webhooks::{Attempt, Delivery, DeliveryState};
