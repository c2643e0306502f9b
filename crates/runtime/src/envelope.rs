//! CloudEvents 1.0 in binary mode over bus headers (ARCHITECTURE §4).
//!
//! The event's attributes travel as `ce-*` headers, the payload as the message body, and
//! `Nats-Msg-Id` equals `ce-id` so the bus de-duplicates a re-published event. Decoding is strict:
//! a message missing an attribute, with another spec version or an unparsable time is refused with
//! an [`EnvelopeError`] naming what is wrong — consumers dead-letter it instead of crashing.

use bytes::Bytes;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use crate::bus::{Headers, Message, OutgoingMessage};

pub const SPEC_VERSION: &str = "1.0";
pub const CONTENT_TYPE_PROTOBUF: &str = "application/protobuf";
pub const CONTENT_TYPE_JSON: &str = "application/json";
pub const TRACEPARENT: &str = "traceparent";
pub const TRACESTATE: &str = "tracestate";

const H_SPECVERSION: &str = "ce-specversion";
const H_ID: &str = "ce-id";
const H_SOURCE: &str = "ce-source";
const H_TYPE: &str = "ce-type";
const H_TIME: &str = "ce-time";
const H_SUBJECT: &str = "ce-subject";
const H_CONTENT_TYPE: &str = "content-type";

/// Why a bus message is not a valid CloudEvent (or not the one expected).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EnvelopeError {
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    #[error("unsupported ce-specversion {0:?}, expected 1.0")]
    SpecVersion(String),
    #[error("ce-time {0:?} is not an RFC 3339 time")]
    Time(String),
    #[error("unexpected event type {got:?}, expected {expected:?}")]
    UnexpectedType { expected: String, got: String },
    #[error("unknown event type {0:?}")]
    UnknownType(String),
    #[error("unexpected content-type {got:?} for {ty}, expected {expected:?}")]
    ContentType { ty: String, expected: &'static str, got: String },
    #[error("payload of {ty} does not decode: {reason}")]
    Payload { ty: String, reason: String },
}

/// One event, decoded from or ready for the bus.
#[derive(Debug, Clone, PartialEq)]
pub struct CloudEvent {
    /// A UUIDv7 for the events we mint; kept as given when decoding.
    pub id: String,
    /// e.g. `butterboard/meeting-orchestrator`.
    pub source: String,
    /// e.g. `butterboard.onboarding.meeting.ended.v1`, or Zoom's event name for `zoom.*`.
    pub ty: String,
    pub time: OffsetDateTime,
    /// The aggregate the event is about.
    pub subject: Option<String>,
    pub content_type: String,
    pub data: Bytes,
    /// W3C trace context headers (`traceparent`, `tracestate`) and any other extension headers.
    pub extensions: Headers,
}

impl CloudEvent {
    /// A new event with a fresh UUIDv7 id and the current time.
    pub fn new(source: impl Into<String>, ty: impl Into<String>, content_type: &str, data: Bytes) -> Self {
        Self {
            id: Uuid::now_v7().to_string(),
            source: source.into(),
            ty: ty.into(),
            time: OffsetDateTime::now_utc(),
            subject: None,
            content_type: content_type.to_string(),
            data,
            extensions: Headers::new(),
        }
    }

    /// A protobuf event (`onboarding.*`).
    pub fn protobuf<M: prost::Message>(source: impl Into<String>, ty: impl Into<String>, payload: &M) -> Self {
        Self::new(source, ty, CONTENT_TYPE_PROTOBUF, Bytes::from(payload.encode_to_vec()))
    }

    pub fn with_subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// The bus message for this event on `subject`, with the current trace context injected.
    pub fn into_message(self, subject: impl Into<String>) -> OutgoingMessage {
        let mut headers = self.extensions;
        crate::telemetry::propagation::inject_current(&mut headers);
        headers.insert(H_SPECVERSION.into(), SPEC_VERSION.into());
        headers.insert(H_ID.into(), self.id.clone());
        headers.insert(H_SOURCE.into(), self.source);
        headers.insert(H_TYPE.into(), self.ty);
        headers.insert(H_TIME.into(), format_time(self.time));
        if let Some(subject) = self.subject {
            headers.insert(H_SUBJECT.into(), subject);
        }
        headers.insert(H_CONTENT_TYPE.into(), self.content_type);
        OutgoingMessage { subject: subject.into(), id: self.id, headers, payload: self.data }
    }

    /// Reads an event from a delivered message, refusing anything that is not a CloudEvent 1.0.
    pub fn from_message(message: &Message) -> Result<Self, EnvelopeError> {
        let header = |name: &'static str| -> Result<&String, EnvelopeError> {
            message.headers.get(name).filter(|v| !v.is_empty()).ok_or(EnvelopeError::MissingHeader(name))
        };
        let spec = header(H_SPECVERSION)?;
        if spec != SPEC_VERSION {
            return Err(EnvelopeError::SpecVersion(spec.clone()));
        }
        let time_text = header(H_TIME)?;
        let time = OffsetDateTime::parse(time_text, &Rfc3339).map_err(|_| EnvelopeError::Time(time_text.clone()))?;
        let extensions = message
            .headers
            .iter()
            .filter(|(k, _)| !is_envelope_header(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Ok(Self {
            id: header(H_ID)?.clone(),
            source: header(H_SOURCE)?.clone(),
            ty: header(H_TYPE)?.clone(),
            time,
            subject: message.headers.get(H_SUBJECT).cloned(),
            content_type: header(H_CONTENT_TYPE)?.clone(),
            data: message.payload.clone(),
            extensions,
        })
    }

    /// Decodes a protobuf payload, checking the type and content type first.
    pub fn decode_protobuf<M: prost::Message + Default>(&self, expected_type: &str) -> Result<M, EnvelopeError> {
        if self.ty != expected_type {
            return Err(EnvelopeError::UnexpectedType { expected: expected_type.into(), got: self.ty.clone() });
        }
        if self.content_type != CONTENT_TYPE_PROTOBUF {
            return Err(EnvelopeError::ContentType {
                ty: self.ty.clone(),
                expected: CONTENT_TYPE_PROTOBUF,
                got: self.content_type.clone(),
            });
        }
        M::decode(self.data.as_ref()).map_err(|e| EnvelopeError::Payload { ty: self.ty.clone(), reason: e.to_string() })
    }
}

fn is_envelope_header(name: &str) -> bool {
    matches!(name, H_SPECVERSION | H_ID | H_SOURCE | H_TYPE | H_TIME | H_SUBJECT | H_CONTENT_TYPE)
        || name.eq_ignore_ascii_case("nats-msg-id")
}

fn format_time(time: OffsetDateTime) -> String {
    // RFC 3339 formatting of a UTC time cannot fail; fall back to the epoch rather than panic.
    time.format(&Rfc3339).unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivered(out: OutgoingMessage) -> Message {
        Message { subject: out.subject, headers: out.headers, payload: out.payload, sequence: 1 }
    }

    #[test]
    fn an_event_survives_the_round_trip_through_headers() {
        let event = CloudEvent::new(
            "butterboard/test",
            "butterboard.onboarding.stage.due.v1",
            CONTENT_TYPE_PROTOBUF,
            Bytes::from_static(b"\x0a\x01x"),
        )
        .with_subject("assignment-1");
        let out = event.clone().into_message("onboarding.stage.due");
        assert_eq!(out.id, event.id);
        assert_eq!(out.headers["ce-specversion"], "1.0");
        let back = CloudEvent::from_message(&delivered(out)).expect("valid event");
        assert_eq!(back.id, event.id);
        assert_eq!(back.ty, event.ty);
        assert_eq!(back.subject.as_deref(), Some("assignment-1"));
        assert_eq!(back.data, event.data);
        assert_eq!(back.time.unix_timestamp(), event.time.unix_timestamp());
    }

    #[test]
    fn a_message_without_cloudevents_headers_is_refused_naming_the_header() {
        let message =
            Message { subject: "onboarding.x".into(), headers: Headers::new(), payload: Bytes::new(), sequence: 1 };
        assert_eq!(CloudEvent::from_message(&message), Err(EnvelopeError::MissingHeader("ce-specversion")));
    }

    #[test]
    fn a_wrong_spec_version_or_time_is_refused() {
        let out = CloudEvent::new("s", "t", CONTENT_TYPE_JSON, Bytes::new()).into_message("zoom.x");
        let mut message = delivered(out);
        message.headers.insert("ce-specversion".into(), "0.3".into());
        assert_eq!(CloudEvent::from_message(&message), Err(EnvelopeError::SpecVersion("0.3".into())));
        message.headers.insert("ce-specversion".into(), "1.0".into());
        message.headers.insert("ce-time".into(), "yesterday".into());
        assert_eq!(CloudEvent::from_message(&message), Err(EnvelopeError::Time("yesterday".into())));
    }

    #[test]
    fn a_payload_of_another_type_or_garbage_bytes_is_refused() {
        use butterboard_proto::events::v1::StageDue;
        let event = CloudEvent::new(
            "s",
            "butterboard.onboarding.stage.due.v1",
            CONTENT_TYPE_PROTOBUF,
            Bytes::from_static(b"\xff\xff\xff"),
        );
        assert!(matches!(
            event.decode_protobuf::<StageDue>("butterboard.onboarding.stage.due.v1"),
            Err(EnvelopeError::Payload { .. })
        ));
        assert!(matches!(
            event.decode_protobuf::<StageDue>("butterboard.onboarding.stage.completed.v1"),
            Err(EnvelopeError::UnexpectedType { .. })
        ));
    }
}
