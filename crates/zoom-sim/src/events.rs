//! Webhook bodies in Zoom's shapes, field for field as in the real deliveries of the shared
//! fixtures. Note the id types: `payload.object.id` is a **string** in `meeting.started`,
//! `participant_joined`/`left` and `ended`, and a **number** in `meeting.chat_message_sent` and in
//! `recording.*`. `event_ts` is in milliseconds.

use serde::Serialize;

use crate::recordings::view::RecordingView;

/// The envelope every event shares. `download_token` sits beside `event` and `payload` in
/// `recording.*` events only.
#[derive(Debug, Serialize)]
pub(crate) struct Envelope<P: Serialize> {
    pub event: &'static str,
    pub event_ts: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub download_token: Option<String>,
    pub payload: P,
}

#[derive(Debug, Serialize)]
pub(crate) struct MeetingPayload {
    pub account_id: String,
    pub object: MeetingObject,
}

/// `payload.object` of `meeting.started`, `meeting.participant_*` and `meeting.ended`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct MeetingObject {
    /// A string here, unlike in `recording.*`.
    pub id: String,
    pub uuid: String,
    pub host_id: String,
    pub topic: String,
    #[serde(rename = "type")]
    pub kind: u8,
    pub start_time: String,
    pub timezone: String,
    pub duration: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub participant: Option<Participant>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Participant {
    /// The participant's id in this meeting (digits, as a string).
    pub user_id: String,
    pub user_name: String,
    /// The Zoom user id when the participant is a user of the account, else empty.
    pub id: String,
    pub participant_uuid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub join_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leave_time: Option<String>,
    pub email: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leave_reason: Option<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct ChatPayload {
    pub account_id: String,
    pub operator: String,
    pub object: ChatObject,
}

#[derive(Debug, Serialize)]
pub(crate) struct ChatObject {
    /// A number here, as in Zoom's deliveries of this event.
    pub id: i64,
    pub uuid: String,
    pub chat_message: ChatMessage,
}

#[derive(Debug, Serialize)]
pub(crate) struct ChatMessage {
    pub date_time: String,
    pub sender_session_id: String,
    pub sender_name: String,
    pub sender_email: String,
    pub sender_type: String,
    pub recipient_type: String,
    pub message_id: String,
    pub message_content: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct RecordingPayload {
    pub account_id: String,
    pub object: RecordingView,
}

/// Serialises a body; these types cannot fail to serialise.
pub(crate) fn to_body<P: Serialize>(envelope: &Envelope<P>) -> String {
    serde_json::to_string(envelope).unwrap_or_default()
}
