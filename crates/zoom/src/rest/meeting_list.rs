//! A host's meetings: `GET /users/{userId}/meetings?type=&page_size=&next_page_token=` (Medium),
//! and finding meetings by a marker in their agenda (how a service finds the meeting it created
//! before a crash lost the answer).
//!
//! Zoom's list entries are summaries (no settings, no occurrences) and **cut the agenda to 250
//! characters**. [`ZoomClient::find_meetings_by_agenda_marker`] therefore pages the list and
//! fetches a meeting only when its listed agenda holds the marker or was cut before the marker
//! could show; a marker at the start of the agenda never costs an extra call.

use std::collections::HashSet;

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::budget::Category;
use super::client::{ApiCall, ZoomClient};
use super::encoding::encode_path_segment;
use super::errors::ZoomError;
use super::meetings::{Meeting, MeetingType};
use crate::models::id_from_string_or_number;

/// How many characters of the agenda a list entry carries.
pub const LISTED_AGENDA_CHARS: usize = 250;
/// The most pages one listing follows (300 meetings each), so a misbehaving token cannot loop.
const MAX_PAGES: usize = 100;

/// Which meetings a list returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeetingListType {
    /// Zoom's default: previous (unexpired), live and upcoming meetings.
    Scheduled,
    /// Meetings in progress.
    Live,
    /// Upcoming meetings, live ones included.
    Upcoming,
    /// Meetings whose scheduled end has passed.
    Previous,
}

impl MeetingListType {
    fn as_query(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Live => "live",
            Self::Upcoming => "upcoming",
            Self::Previous => "previous_meetings",
        }
    }
}

/// One entry of the list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeetingSummary {
    #[serde(deserialize_with = "id_from_string_or_number")]
    pub id: i64,
    pub uuid: String,
    #[serde(default)]
    pub host_id: Option<String>,
    #[serde(default)]
    pub topic: String,
    #[serde(rename = "type")]
    pub kind: MeetingType,
    /// Absent for recurring meetings without a fixed time.
    #[serde(default)]
    pub start_time: Option<String>,
    #[serde(default)]
    pub duration: Option<u32>,
    #[serde(default)]
    pub timezone: Option<String>,
    /// At most [`LISTED_AGENDA_CHARS`] characters: the full agenda needs `get_meeting`.
    #[serde(default)]
    pub agenda: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub join_url: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl MeetingSummary {
    /// Whether the listed agenda may have been cut by Zoom.
    pub fn agenda_may_be_cut(&self) -> bool {
        self.agenda.as_deref().is_some_and(|a| a.chars().count() >= LISTED_AGENDA_CHARS)
    }
}

/// One page of the list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeetingListPage {
    #[serde(default)]
    pub page_size: Option<u32>,
    #[serde(default)]
    pub total_records: Option<u64>,
    /// Empty on the last page.
    #[serde(default)]
    pub next_page_token: String,
    #[serde(default)]
    pub meetings: Vec<MeetingSummary>,
}

impl ZoomClient {
    /// One page (`page_size` 1–300) of `user_id`'s meetings; pass the previous page's
    /// `next_page_token` to continue.
    pub async fn list_meetings(
        &self,
        user_id: &str,
        kind: MeetingListType,
        page_size: u32,
        page_token: Option<&str>,
    ) -> Result<MeetingListPage, ZoomError> {
        let path = format!("/users/{}/meetings", encode_path_segment(user_id));
        let mut call = ApiCall::new(Method::GET, path, Category::Medium)
            .query("type", kind.as_query())
            .query("page_size", page_size.clamp(1, 300).to_string());
        if let Some(token) = page_token.filter(|t| !t.is_empty()) {
            call = call.query("next_page_token", token);
        }
        self.send_json(call).await
    }

    /// Every listed meeting of `user_id`, page after page, each meeting once.
    pub async fn list_all_meetings(
        &self,
        user_id: &str,
        kind: MeetingListType,
    ) -> Result<Vec<MeetingSummary>, ZoomError> {
        let mut seen = HashSet::new();
        let mut all = Vec::new();
        let mut token = String::new();
        for _ in 0..MAX_PAGES {
            let page = self.list_meetings(user_id, kind, 300, Some(&token)).await?;
            // Whether Zoom lists a recurring meeting once or per occurrence is not documented.
            all.extend(page.meetings.into_iter().filter(|m| seen.insert(m.id)));
            if page.next_page_token.is_empty() || page.next_page_token == token {
                return Ok(all);
            }
            token = page.next_page_token;
        }
        Err(ZoomError::Decode(format!("the meeting list of {user_id} did not end after {MAX_PAGES} pages")))
    }

    /// The meetings of `user_id` (of list type `kind`) whose full agenda contains `marker`, fetched
    /// with `get_meeting`. Listed agendas are cut to 250 characters, so a meeting whose listed
    /// agenda was cut is fetched to look at the rest.
    pub async fn find_meetings_by_agenda_marker(
        &self,
        user_id: &str,
        kind: MeetingListType,
        marker: &str,
    ) -> Result<Vec<Meeting>, ZoomError> {
        if marker.is_empty() {
            return Err(ZoomError::InvalidRequest("an empty agenda marker matches every meeting".into()));
        }
        let mut found = Vec::new();
        for summary in self.list_all_meetings(user_id, kind).await? {
            let listed = summary.agenda.as_deref().unwrap_or_default();
            if !listed.contains(marker) && !summary.agenda_may_be_cut() {
                continue;
            }
            let meeting = match self.get_meeting(summary.id).await {
                Ok(meeting) => meeting,
                // Deleted between the list and the get.
                Err(error) if error.is_not_found() => continue,
                Err(error) => return Err(error),
            };
            if meeting.agenda.as_deref().is_some_and(|a| a.contains(marker)) {
                found.push(meeting);
            }
        }
        Ok(found)
    }
}
