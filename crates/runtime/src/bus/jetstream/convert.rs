//! Conversions between the bus's types and async-nats's.

use async_nats::HeaderMap;
use async_nats::jetstream::message::StreamMessage;

use super::Namespace;
use crate::bus::{BusError, Headers, StoredMessage};

/// Our headers as NATS headers. `Nats-Msg-Id` is set by the publisher, never copied.
pub(crate) fn to_nats_headers(headers: &Headers) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        if !name.eq_ignore_ascii_case("nats-msg-id") {
            map.insert(name.as_str(), value.as_str());
        }
    }
    map
}

/// NATS headers as ours; `Nats-*` headers added by the server are dropped.
pub(crate) fn from_nats_headers(headers: Option<&HeaderMap>) -> Headers {
    let mut out = Headers::new();
    if let Some(headers) = headers {
        for (name, values) in headers.iter() {
            let name: &str = name.as_ref();
            if name.starts_with("Nats-") {
                continue;
            }
            if let Some(value) = values.first() {
                out.insert(name.to_string(), value.as_str().to_string());
            }
        }
    }
    out
}

pub(crate) fn stored(ns: &Namespace, raw: StreamMessage) -> Result<StoredMessage, BusError> {
    let stored_at_ms = i64::try_from(raw.time.unix_timestamp_nanos() / 1_000_000).unwrap_or_default();
    Ok(StoredMessage {
        sequence: raw.sequence,
        subject: ns.strip(raw.subject.as_str()).to_string(),
        headers: from_nats_headers(Some(&raw.headers)),
        payload: raw.payload,
        stored_at_ms,
    })
}
