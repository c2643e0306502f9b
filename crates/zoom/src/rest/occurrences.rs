//! One occurrence of a recurring meeting: `GET /meetings/{id}?occurrence_id=` (the meeting with
//! that occurrence's start and duration) and `PATCH /meetings/{id}?occurrence_id=` (204), which
//! moves or resizes that occurrence only; it keeps its `occurrence_id`. An id that is not one of
//! the meeting's occurrences is 400 code 3000 "Invalid occurrence_id.".
//!
//! `GET /meetings/{id}` lists only occurrences that are not over; ask with
//! [`ZoomClient::get_meeting_with_previous_occurrences`] for all of them.

use reqwest::Method;
use serde::Serialize;

use super::budget::Category;
use super::client::{ApiCall, ZoomClient};
use super::errors::ZoomError;
use super::meetings::Meeting;

/// What an occurrence update may change (Zoom takes these per occurrence; the rest belongs to the
/// series and is changed with `update_meeting`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UpdateOccurrence {
    /// `yyyy-MM-ddTHH:mm:ssZ` in UTC, or a local time read in the meeting's time zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    /// Minutes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agenda: Option<String>,
}

impl ZoomClient {
    /// The meeting as seen from one occurrence: `start_time` and `duration` are the occurrence's.
    pub async fn get_meeting_occurrence(&self, meeting_id: i64, occurrence_id: &str) -> Result<Meeting, ZoomError> {
        let call = ApiCall::new(Method::GET, format!("/meetings/{meeting_id}"), Category::Light)
            .query("occurrence_id", occurrence_id);
        self.send_json(call).await
    }

    /// The meeting with every occurrence, those that are over included.
    pub async fn get_meeting_with_previous_occurrences(&self, meeting_id: i64) -> Result<Meeting, ZoomError> {
        let call = ApiCall::new(Method::GET, format!("/meetings/{meeting_id}"), Category::Light)
            .query("show_previous_occurrences", "true");
        self.send_json(call).await
    }

    /// Changes one occurrence. Counts against the host's daily create/update limit.
    pub async fn update_occurrence(
        &self,
        meeting_id: i64,
        occurrence_id: &str,
        update: &UpdateOccurrence,
    ) -> Result<(), ZoomError> {
        let call = ApiCall::new(Method::PATCH, format!("/meetings/{meeting_id}"), Category::Light)
            .query("occurrence_id", occurrence_id)
            .json(update)?;
        self.send(call).await.map(drop)
    }
}
