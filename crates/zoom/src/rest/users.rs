//! Users: `GET /users/{userId}` (Light) and `GET /users/{userId}/settings` (Medium), by e-mail or
//! user id. An unknown user is 404 code 1001 ([`ZoomError::is_not_found`]).
//!
//! Chat, chat saving and audio transcripts are user (or account) settings, not meeting fields: a
//! host whose settings turn them off gets meetings without them whatever the create body says.
//! [`UserSettings::capabilities`] reads the ones that matter for recording a meeting.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::budget::Category;
use super::client::{ApiCall, ZoomClient};
use super::encoding::encode_path_segment;
use super::errors::ZoomError;

/// A user as `GET /users/{userId}` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub email: String,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    /// 1 basic, 2 licensed, 4 unassigned without meetings basic, 99 none.
    #[serde(rename = "type", default)]
    pub kind: Option<i64>,
    #[serde(default)]
    pub timezone: Option<String>,
    /// `active`, `inactive` or `pending`.
    #[serde(default)]
    pub status: Option<String>,
    /// Fields this model does not name, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `schedule_meeting`: the host's defaults for new meetings. Note `participants_video` (plural),
/// unlike the meeting setting `participant_video`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScheduleMeetingSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_video: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participants_video: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join_before_host: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mute_upon_entry: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_type: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `in_meeting`: what can happen during a meeting.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InMeetingSettings {
    /// In-meeting chat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_chat: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_saving_chat: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting_room: Option<bool>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `recording`: local and cloud recording.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RecordingSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_recording: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_recording: Option<bool>,
    /// The chat is saved with the cloud recording (a `CHAT` file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub save_chat_text: Option<bool>,
    /// An audio transcript (a `TRANSCRIPT` file) is made of cloud recordings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_audio_transcript: Option<bool>,
    /// The default for new meetings: `cloud`, `local` or `none`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_recording: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A user's settings as `GET /users/{userId}/settings` returns them; sections this model does not
/// name (`email_notification`, `telephony`, `feature`, …) are in `extra`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserSettings {
    #[serde(default)]
    pub schedule_meeting: ScheduleMeetingSettings,
    #[serde(default)]
    pub in_meeting: InMeetingSettings,
    #[serde(default)]
    pub recording: RecordingSettings,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What a host's settings allow for a recorded meeting. A setting Zoom did not return counts as
/// off: nothing is promised that Zoom did not confirm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostCapabilities {
    pub chat: bool,
    pub cloud_recording: bool,
    pub save_chat_text: bool,
    pub audio_transcript: bool,
}

impl UserSettings {
    pub fn capabilities(&self) -> HostCapabilities {
        let on = |v: Option<bool>| v.unwrap_or(false);
        HostCapabilities {
            chat: on(self.in_meeting.chat),
            cloud_recording: on(self.recording.cloud_recording),
            save_chat_text: on(self.recording.save_chat_text),
            audio_transcript: on(self.recording.recording_audio_transcript),
        }
    }
}

impl ZoomClient {
    /// `GET /users/{userId}`: `user_id` is an e-mail or a user id (never `me` with a
    /// Server-to-Server token).
    pub async fn get_user(&self, user_id: &str) -> Result<User, ZoomError> {
        let path = format!("/users/{}", encode_path_segment(user_id));
        self.send_json(ApiCall::new(Method::GET, path, Category::Light)).await
    }

    /// `GET /users/{userId}/settings`.
    pub async fn get_user_settings(&self, user_id: &str) -> Result<UserSettings, ZoomError> {
        let path = format!("/users/{}/settings", encode_path_segment(user_id));
        self.send_json(ApiCall::new(Method::GET, path, Category::Medium)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_setting_zoom_did_not_return_counts_as_off() {
        let settings: UserSettings = serde_json::from_value(serde_json::json!({
            "in_meeting": {"chat": true},
            "recording": {"cloud_recording": true, "save_chat_text": false, "new_thing": 1},
            "telephony": {}
        }))
        .expect("parses");
        let caps = settings.capabilities();
        assert_eq!(
            (caps.chat, caps.cloud_recording, caps.save_chat_text, caps.audio_transcript),
            (true, true, false, false)
        );
        assert_eq!(settings.recording.extra.get("new_thing"), Some(&Value::from(1)));
        assert!(settings.extra.contains_key("telephony"));
    }
}
