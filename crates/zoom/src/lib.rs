//! Zoom for Rust services: verifying and reading webhooks, and calling Zoom's REST API with a
//! Server-to-Server OAuth app.
//!
//! - [`webhook`]: [`signature`](webhook::signature) checks `x-zm-signature` over the raw body with
//!   a timestamp window and several secrets (rotation); [`url_validation`](webhook::url_validation)
//!   answers Zoom's endpoint challenge; [`events`](webhook::events) holds typed models of the
//!   events we consume, tolerant of Zoom's quirks and keeping unknown fields.
//! - [`rest`]: [`ZoomClient`](rest::ZoomClient) with one cached token per account, meetings,
//!   recordings and streaming downloads, retries honouring `Retry-After`, a per-account rate
//!   budget per category, and typed errors ([`ZoomError`](rest::ZoomError)).
//! - [`models`]: ids and recording shapes shared by webhooks and the REST API.
//!
//! Nothing here knows Butterboard: the crate is usable by any service talking to Zoom.

pub mod models;
pub mod rest;
pub mod webhook;

pub use models::{MeetingUuid, RecordingFile, RecordingMeeting};
pub use rest::{ClientConfig, Credentials, ZoomClient, ZoomError};
pub use webhook::events::{EventError, ZoomEvent};
pub use webhook::signature::{SignatureError, TimestampWindow, Verifier};
