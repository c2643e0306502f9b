//! Zoom's REST API over a Server-to-Server OAuth app.
//!
//! [`ZoomClient`] (in [`client`]) makes every call: it takes a token from the account's cache
//! ([`oauth`]), spends the account's budget for the call's category ([`budget`]), sends with a
//! timeout, and retries per [`retry`]. [`encoding`] builds paths from meeting uuids; [`origins`]
//! keeps download tokens to Zoom's download hosts; [`errors`] types what can fail. The endpoints,
//! with Zoom's rate-limit category:
//!
//! - [`users`]: `GET /users/{userId}` (Light) and its settings (Medium): chat, chat saving, cloud
//!   recording and transcripts are the host's settings, not meeting fields;
//! - [`meetings`]: create (`POST /users/{userId}/meetings`, Medium, 201), get, update (204) and
//!   delete (204), all Light; [`occurrences`]: get and update one occurrence of a series;
//! - [`meeting_list`]: `GET /users/{userId}/meetings` (Medium, paged), whose agendas Zoom cuts to
//!   250 characters, and finding a meeting by a marker in its agenda;
//! - [`past_meetings`]: `GET /past_meetings/{uuid}` (Light) and its participants (Medium, paged),
//!   for a meeting whose end never arrived;
//! - [`recordings`]: a session's recordings, a user's recordings for a period, trash, downloads.
//!
//! Errors: Zoom's `{"code", "message"}` becomes [`ZoomError::Api`] (404 with code 1001 for an
//! unknown user, 3001 for an unknown or not yet ended meeting; 400 with 300 for an invalid field,
//! 3000 for an unknown occurrence; 401 with 124 renews the token once). A 429 is either the
//! per-second limit, retried after `Retry-After` ([`ZoomError::RateLimited`] when that is too
//! long), or the per-user daily create/update limit ([`ZoomError::DailyLimit`] with its reset
//! time, never retried). 5xx and timeouts are retried with backoff for idempotent calls only.

pub mod budget;
pub mod client;
pub mod encoding;
pub mod errors;
pub mod meeting_list;
pub mod meetings;
pub mod oauth;
pub mod occurrences;
pub mod origins;
pub mod past_meetings;
pub mod recordings;
pub mod retry;
pub mod users;

pub use budget::{BudgetConfig, Category};
pub use client::{ClientConfig, ZoomClient};
pub use errors::ZoomError;
pub use meeting_list::{MeetingListPage, MeetingListType, MeetingSummary};
pub use meetings::{
    CreateMeeting, Invitee, Meeting, MeetingSettings, MeetingType, Occurrence, Recurrence, RecurrenceType,
    UpdateMeeting, WeeklyDays,
};
pub use oauth::Credentials;
pub use occurrences::UpdateOccurrence;
pub use past_meetings::{ParticipantPage, PastMeeting, PastParticipant};
pub use recordings::{ByteRange, ContentRange, Download, RecordingList};
pub use retry::{RetryAfter, RetryPolicy};
pub use users::{HostCapabilities, User, UserSettings};
