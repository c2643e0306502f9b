//! Every meeting create and update body as it arrived, with what the simulator answered, so a test
//! can check field by field what Zoom was sent (the meeting's echo alone would hide a field Zoom
//! defaulted). Kept in memory, the latest [`KEPT`] only; not saved with the state.

use std::collections::VecDeque;

use serde::Serialize;
use serde_json::Value;

use crate::clock::zoom_time;
use crate::state::{AppState, lock};

/// How many requests are kept.
pub const KEPT: usize = 10_000;

/// One create (`POST /v2/users/{userId}/meetings`) or update (`PATCH /v2/meetings/{meetingId}`).
#[derive(Debug, Clone, Serialize)]
pub struct ReceivedRequest {
    /// 1, 2, … in arrival order.
    pub seq: u64,
    pub method: String,
    /// The request path as sent, e.g. `/v2/users/oleg%40butterboard.online/meetings`.
    pub path: String,
    /// The meeting created or updated (none when the request was refused before there was one).
    pub meeting_id: Option<i64>,
    /// The `occurrence_id` of an occurrence update.
    pub occurrence_id: Option<String>,
    /// What the simulator answered.
    pub status: u16,
    /// The body parsed as JSON (`null` when it was not JSON).
    pub body: Value,
    /// The body as received (lossy UTF-8).
    pub raw: String,
    pub received_at: String,
}

#[derive(Debug, Default)]
pub(crate) struct ReceivedLog {
    next_seq: u64,
    entries: VecDeque<ReceivedRequest>,
}

impl ReceivedLog {
    pub fn all(&self) -> Vec<ReceivedRequest> {
        self.entries.iter().cloned().collect()
    }
}

/// What to record about one request.
pub(crate) struct Received<'a> {
    pub method: &'static str,
    pub path: &'a str,
    pub meeting_id: Option<i64>,
    pub occurrence_id: Option<String>,
    pub status: u16,
    pub raw: &'a [u8],
}

pub(crate) fn record(state: &AppState, r: Received<'_>) {
    let entry = ReceivedRequest {
        seq: 0,
        method: r.method.to_string(),
        path: r.path.to_string(),
        meeting_id: r.meeting_id,
        occurrence_id: r.occurrence_id,
        status: r.status,
        body: serde_json::from_slice(r.raw).unwrap_or(Value::Null),
        raw: String::from_utf8_lossy(r.raw).into_owned(),
        received_at: zoom_time(state.now_ms()),
    };
    let mut log = lock(&state.received);
    log.next_seq += 1;
    let seq = log.next_seq;
    log.entries.push_back(ReceivedRequest { seq, ..entry });
    while log.entries.len() > KEPT {
        log.entries.pop_front();
    }
}
