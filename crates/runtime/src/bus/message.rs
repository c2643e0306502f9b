//! The messages that travel on the bus, independent of the implementation.

use std::collections::BTreeMap;

use bytes::Bytes;

/// Message headers. Names are kept as given; CloudEvents and NATS names are lowercase or fixed.
pub type Headers = BTreeMap<String, String>;

/// A message to publish. `id` becomes `Nats-Msg-Id`: the bus drops a second message with the same
/// id inside the duplicate window and acknowledges it as a duplicate.
#[derive(Debug, Clone, PartialEq)]
pub struct OutgoingMessage {
    pub subject: String,
    pub id: String,
    pub headers: Headers,
    pub payload: Bytes,
}

/// What the bus answered for a publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublishAck {
    /// Position in the stream (of the original message for a duplicate).
    pub sequence: u64,
    /// True when the id had been seen inside the duplicate window and nothing new was stored.
    pub duplicate: bool,
}

/// A delivered message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub subject: String,
    pub headers: Headers,
    pub payload: Bytes,
    /// Position in its stream.
    pub sequence: u64,
}

/// A message read back from a stream (dead letters, tails).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredMessage {
    pub sequence: u64,
    pub subject: String,
    pub headers: Headers,
    pub payload: Bytes,
    /// When the bus stored it, in milliseconds since the epoch.
    pub stored_at_ms: i64,
}

impl From<StoredMessage> for Message {
    fn from(m: StoredMessage) -> Self {
        Message { subject: m.subject, headers: m.headers, payload: m.payload, sequence: m.sequence }
    }
}
