//! Zoom's REST API over a Server-to-Server OAuth app.
//!
//! [`ZoomClient`] (in [`client`]) makes every call: it takes a token from the account's cache
//! ([`oauth`]), spends the account's budget for the call's category ([`budget`]), sends with a
//! timeout, and retries per [`retry`]. The endpoints are in [`meetings`] and [`recordings`];
//! [`origins`] keeps download tokens to Zoom's download hosts; [`encoding`] builds paths from
//! meeting uuids; [`errors`] types what can fail.

pub mod budget;
pub mod client;
pub mod encoding;
pub mod errors;
pub mod meetings;
pub mod oauth;
pub mod origins;
pub mod recordings;
pub mod retry;

pub use budget::{BudgetConfig, Category};
pub use client::{ClientConfig, ZoomClient};
pub use errors::ZoomError;
pub use meetings::{
    CreateMeeting, Invitee, Meeting, MeetingSettings, MeetingType, Occurrence, Recurrence, RecurrenceType,
    UpdateMeeting, WeeklyDays,
};
pub use oauth::Credentials;
pub use recordings::{ByteRange, ContentRange, Download, RecordingList};
pub use retry::{RetryAfter, RetryPolicy};
