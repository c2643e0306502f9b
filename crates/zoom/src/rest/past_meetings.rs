//! Past meetings, for a meeting whose `meeting.ended` never arrived: `GET /past_meetings/{uuid}`
//! (Light) and `GET /past_meetings/{uuid}/participants` (Medium, paged with `next_page_token`).
//!
//! `meeting` is a session uuid — double-encoded in the path when it starts with `/` or holds `//`
//! ([`encode_path_segment`] does it) — or a meeting id, which names the latest ended session. A
//! session that has not ended yet is 404 code 3001 ("Meeting ID is invalid or not end."), the same
//! code as an unknown one: retry later rather than giving up at once.
//!
//! Each join is its own participant entry: a person who rejoins appears again with another
//! `user_id`. `user_email` is empty for guests and people outside the account (Zoom's e-mail
//! display rules); `id` is the account user id, empty for guests.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::budget::Category;
use super::client::{ApiCall, ZoomClient};
use super::encoding::encode_path_segment;
use super::errors::ZoomError;
use crate::models::id_from_string_or_number;

/// The most participant pages one listing follows (300 entries each).
const MAX_PAGES: usize = 100;

/// A meeting session that ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PastMeeting {
    #[serde(deserialize_with = "id_from_string_or_number")]
    pub id: i64,
    pub uuid: String,
    #[serde(default)]
    pub topic: Option<String>,
    /// 0 prescheduled, 1 instant, 2 scheduled, 3 and 8 recurring, 4 personal room, 7 PAC.
    #[serde(rename = "type", default)]
    pub kind: Option<i64>,
    #[serde(default)]
    pub start_time: Option<String>,
    #[serde(default)]
    pub end_time: Option<String>,
    /// Minutes.
    #[serde(default)]
    pub duration: Option<u64>,
    #[serde(default)]
    pub host_id: Option<String>,
    /// The host's e-mail and display name.
    #[serde(default)]
    pub user_email: Option<String>,
    #[serde(default)]
    pub user_name: Option<String>,
    #[serde(default)]
    pub participants_count: Option<u64>,
    /// Minutes attended by everyone together.
    #[serde(default)]
    pub total_minutes: Option<u64>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One join of one participant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PastParticipant {
    /// The account user id; empty (or absent) for guests.
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub name: String,
    /// The id of this join, valid in this meeting only.
    #[serde(default)]
    pub user_id: Option<String>,
    /// Empty for guests and people outside the account.
    #[serde(default)]
    pub user_email: Option<String>,
    #[serde(default)]
    pub join_time: Option<String>,
    #[serde(default)]
    pub leave_time: Option<String>,
    /// Seconds of this join.
    #[serde(default)]
    pub duration: Option<u64>,
    /// `in_meeting` or `in_waiting_room`.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl PastParticipant {
    /// The e-mail, when Zoom showed one.
    pub fn email(&self) -> Option<&str> {
        self.user_email.as_deref().map(str::trim).filter(|e| !e.is_empty())
    }
}

/// One page of participants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParticipantPage {
    #[serde(default)]
    pub page_count: Option<u64>,
    #[serde(default)]
    pub page_size: Option<u32>,
    #[serde(default)]
    pub total_records: Option<u64>,
    /// Empty on the last page.
    #[serde(default)]
    pub next_page_token: String,
    #[serde(default)]
    pub participants: Vec<PastParticipant>,
}

impl ZoomClient {
    /// `GET /past_meetings/{meeting}`: a session uuid or a meeting id (its latest ended session).
    pub async fn get_past_meeting(&self, meeting: &str) -> Result<PastMeeting, ZoomError> {
        let path = format!("/past_meetings/{}", encode_path_segment(meeting));
        self.send_json(ApiCall::new(Method::GET, path, Category::Light)).await
    }

    /// One page (`page_size` 1–300) of a past session's participants.
    pub async fn list_past_participants(
        &self,
        meeting: &str,
        page_size: u32,
        page_token: Option<&str>,
    ) -> Result<ParticipantPage, ZoomError> {
        let path = format!("/past_meetings/{}/participants", encode_path_segment(meeting));
        let mut call =
            ApiCall::new(Method::GET, path, Category::Medium).query("page_size", page_size.clamp(1, 300).to_string());
        if let Some(token) = page_token.filter(|t| !t.is_empty()) {
            call = call.query("next_page_token", token);
        }
        self.send_json(call).await
    }

    /// Every participant entry of a past session, page after page.
    pub async fn all_past_participants(&self, meeting: &str) -> Result<Vec<PastParticipant>, ZoomError> {
        let mut all = Vec::new();
        let mut token = String::new();
        for _ in 0..MAX_PAGES {
            let page = self.list_past_participants(meeting, 300, Some(&token)).await?;
            all.extend(page.participants);
            if page.next_page_token.is_empty() || page.next_page_token == token {
                return Ok(all);
            }
            token = page.next_page_token;
        }
        Err(ZoomError::Decode(format!("the participants of {meeting} did not end after {MAX_PAGES} pages")))
    }
}
