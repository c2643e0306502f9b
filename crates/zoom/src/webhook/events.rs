//! Zoom's webhook events as typed values.
//!
//! [`Envelope`] is the little every receiver needs (the event name, checked to be a safe subject
//! token, `event_ts`, the meeting it is about) and accepts any event type; [`ZoomEvent`] is the
//! typed model of the events this system consumes. Both accept Zoom's quirks: ids as strings in
//! `meeting.*` and numbers in `recording.*`, per-file fields missing, an empty `file_type` while a
//! file is processing, several segments per file type. Fields the models do not name are kept in
//! `extra` so nothing Zoom sent is lost when a value is passed on.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::models::{RecordingMeeting, opt_id_from_string_or_number};

/// Why a body is not a Zoom event we can accept (a receiver answers 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("body is not a json object: {0}")]
    NotJson(String),
    #[error("body has no string field \"event\"")]
    MissingEvent,
    #[error("event name {0:?} is not a safe subject token (letters, digits, '_' and '-' separated by single dots)")]
    BadEventName(String),
    #[error("{event} does not match its model: {reason}")]
    Shape { event: String, reason: String },
}

/// A Zoom event name such as `meeting.participant_joined`, checked to be usable as the tail of a
/// NATS subject: 1–128 bytes, at most 16 dot-separated tokens of ASCII letters, digits, `_`, `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct EventName(String);

impl EventName {
    pub fn parse(name: &str) -> Result<Self, EventError> {
        let bad = || EventError::BadEventName(name.chars().take(64).collect());
        if name.is_empty() || name.len() > 128 || name.split('.').count() > 16 {
            return Err(bad());
        }
        let token_ok =
            |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !name.split('.').all(token_ok) {
            return Err(bad());
        }
        Ok(Self(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The subject an event is published on: `zoom.<name>`.
    pub fn subject(&self) -> String {
        format!("zoom.{}", self.0)
    }
}

impl fmt::Display for EventName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a receiver reads from any event body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub event: EventName,
    /// Milliseconds since the epoch (the header timestamp is in seconds).
    pub event_ts: Option<i64>,
    /// `payload.object.uuid`, when there is one.
    pub meeting_uuid: Option<String>,
    /// `payload.object.id`, string or number, when it is an int64.
    pub object_id: Option<i64>,
    /// `payload.plainToken` of `endpoint.url_validation`.
    pub plain_token: Option<String>,
}

#[derive(Deserialize)]
struct Head {
    event: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    event_ts: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    payload: Option<Value>,
}

impl Envelope {
    /// Reads the envelope of any event; the whole body must be one JSON object.
    pub fn parse(body: &[u8]) -> Result<Self, EventError> {
        // serde reads a struct from a JSON array too (fields by position): only an object will do.
        if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(EventError::NotJson("expected a json object".into()));
        }
        let head: Head = serde_json::from_slice(body).map_err(|e| EventError::NotJson(e.to_string()))?;
        let event = match head.event {
            Some(Value::String(name)) => EventName::parse(&name)?,
            _ => return Err(EventError::MissingEvent),
        };
        let payload = head.payload.unwrap_or(Value::Null);
        let object = &payload["object"];
        let object_id = match &object["id"] {
            Value::Number(n) => n.as_i64(),
            Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s.parse().ok(),
            _ => None,
        };
        Ok(Self {
            event,
            event_ts: head.event_ts.as_ref().and_then(Value::as_i64),
            meeting_uuid: object["uuid"].as_str().map(str::to_string),
            object_id,
            plain_token: payload["plainToken"].as_str().map(str::to_string),
        })
    }
}

/// The `download_token` of a recording event: a bearer secret for `download_url`, valid about
/// 24 hours. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DownloadToken(String);

impl DownloadToken {
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for DownloadToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DownloadToken([redacted])")
    }
}

/// Reads an optional text field that Zoom sometimes sends as a number.
fn opt_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(deserializer)? {
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

/// A `meeting.*` event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeetingEvent {
    pub event: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_ts: Option<i64>,
    pub payload: MeetingPayload,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeetingPayload {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Who did it (an e-mail), on some events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    pub object: MeetingObject,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `payload.object` of a `meeting.*` event. `participant` is set on joined/left events,
/// `chat_message` on `meeting.chat_message_sent`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeetingObject {
    /// The meeting id: a string in `meeting.*` events, read as an int64.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "opt_id_from_string_or_number")]
    pub id: Option<i64>,
    pub uuid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participant: Option<Participant>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_message: Option<ChatMessage>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A participant of `meeting.participant_joined` / `meeting.participant_left`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Participant {
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "opt_text")]
    pub user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "opt_text")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participant_uuid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leave_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leave_reason: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The message of `meeting.chat_message_sent`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "opt_text")]
    pub sender_session_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_content: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `recording.completed` and `recording.transcript_completed`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordingEvent {
    pub event: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_ts: Option<i64>,
    /// Top level, beside `event` and `payload`; bearer for the files' `download_url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download_token: Option<DownloadToken>,
    pub payload: RecordingPayload,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordingPayload {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    pub object: RecordingMeeting,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `endpoint.url_validation`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UrlValidationEvent {
    pub event: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_ts: Option<i64>,
    pub payload: UrlValidationPayload,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UrlValidationPayload {
    #[serde(rename = "plainToken")]
    pub plain_token: String,
}

/// Any other event: kept whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OtherEvent {
    pub event: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_ts: Option<i64>,
    #[serde(default)]
    pub payload: Value,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A typed Zoom event.
#[derive(Debug, Clone, PartialEq)]
pub enum ZoomEvent {
    MeetingStarted(MeetingEvent),
    MeetingEnded(MeetingEvent),
    ParticipantJoined(MeetingEvent),
    ParticipantLeft(MeetingEvent),
    ChatMessageSent(MeetingEvent),
    RecordingCompleted(RecordingEvent),
    TranscriptCompleted(RecordingEvent),
    UrlValidation(UrlValidationEvent),
    /// An event type without a model here; still a valid event.
    Other(OtherEvent),
}

impl ZoomEvent {
    /// Parses a raw body by its `event` name.
    pub fn parse(body: &[u8]) -> Result<Self, EventError> {
        let envelope = Envelope::parse(body)?;
        let name = envelope.event.as_str();
        let shape = |e: serde_json::Error| EventError::Shape { event: name.to_string(), reason: e.to_string() };
        Ok(match name {
            "meeting.started" => Self::MeetingStarted(serde_json::from_slice(body).map_err(shape)?),
            "meeting.ended" => Self::MeetingEnded(serde_json::from_slice(body).map_err(shape)?),
            "meeting.participant_joined" => Self::ParticipantJoined(serde_json::from_slice(body).map_err(shape)?),
            "meeting.participant_left" => Self::ParticipantLeft(serde_json::from_slice(body).map_err(shape)?),
            "meeting.chat_message_sent" => Self::ChatMessageSent(serde_json::from_slice(body).map_err(shape)?),
            "recording.completed" => Self::RecordingCompleted(serde_json::from_slice(body).map_err(shape)?),
            "recording.transcript_completed" => Self::TranscriptCompleted(serde_json::from_slice(body).map_err(shape)?),
            super::url_validation::EVENT => Self::UrlValidation(serde_json::from_slice(body).map_err(shape)?),
            _ => Self::Other(serde_json::from_slice(body).map_err(shape)?),
        })
    }

    /// Zoom's event name.
    pub fn name(&self) -> &str {
        match self {
            Self::MeetingStarted(e)
            | Self::MeetingEnded(e)
            | Self::ParticipantJoined(e)
            | Self::ParticipantLeft(e)
            | Self::ChatMessageSent(e) => &e.event,
            Self::RecordingCompleted(e) | Self::TranscriptCompleted(e) => &e.event,
            Self::UrlValidation(e) => &e.event,
            Self::Other(e) => &e.event,
        }
    }

    /// The meeting session's uuid, when the event is about one.
    pub fn meeting_uuid(&self) -> Option<&str> {
        match self {
            Self::MeetingStarted(e)
            | Self::MeetingEnded(e)
            | Self::ParticipantJoined(e)
            | Self::ParticipantLeft(e)
            | Self::ChatMessageSent(e) => Some(&e.payload.object.uuid),
            Self::RecordingCompleted(e) | Self::TranscriptCompleted(e) => Some(&e.payload.object.uuid),
            Self::UrlValidation(_) | Self::Other(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_names_must_be_safe_subject_tokens() {
        assert!(EventName::parse("meeting.participant_joined").is_ok());
        assert!(EventName::parse("phone.callee-ringing").is_ok());
        for bad in ["", "meeting..started", ".x", "x.", "a.*", "a.>", "a b", "a\n", "ü.x", "a/b"] {
            assert!(EventName::parse(bad).is_err(), "{bad:?}");
        }
        assert!(EventName::parse(&"a".repeat(129)).is_err());
        assert_eq!(
            EventName::parse("recording.completed").map(|n| n.subject()).ok(),
            Some("zoom.recording.completed".into())
        );
    }

    #[test]
    fn an_envelope_needs_a_json_object_with_an_event_name() {
        assert!(matches!(Envelope::parse(b"not json"), Err(EventError::NotJson(_))));
        assert!(matches!(Envelope::parse(b"[1,2]"), Err(EventError::NotJson(_))));
        assert!(matches!(Envelope::parse(b"{\"event\":1}"), Err(EventError::MissingEvent)));
        assert!(matches!(Envelope::parse(b"{\"event\":\"a\"} trailing"), Err(EventError::NotJson(_))));
        let env = Envelope::parse(br#"{"event":"x.y","event_ts":5,"payload":{"object":{"id":"42","uuid":"u=="}}}"#)
            .expect("envelope");
        assert_eq!(
            (env.event.as_str(), env.event_ts, env.object_id, env.meeting_uuid.as_deref()),
            ("x.y", Some(5), Some(42), Some("u=="))
        );
    }

    #[test]
    fn a_download_token_never_shows_in_debug() {
        let body = br#"{"event":"recording.completed","download_token":"abc.def","payload":{"object":{"id":1,"uuid":"u","recording_files":[]}}}"#;
        let event = ZoomEvent::parse(body).expect("parses");
        assert!(!format!("{event:?}").contains("abc.def"));
    }
}
