//! `PATCH /v2/meetings/{meetingId}` (204): only the fields sent change. With `?occurrence_id=` one
//! occurrence of a recurring meeting moves or changes length (its id stays), as Zoom allows for
//! `start_time`, `duration` and `agenda`; series fields (topic, type, recurrence…) are refused
//! there. Either counts against the host's daily create/update budget.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use bytes::Bytes;

use crate::error::ApiError;
use crate::meetings::validate::{self, MeetingInput};
use crate::meetings::{check_daily_budget, meeting_id, recurrence, segment, start_ms};
use crate::ratelimit::{Category, count_daily};
use crate::received::{self, Received};
use crate::state::{AppState, lock};
use crate::store::Meeting;

/// `PATCH /v2/meetings/{meetingId}[?occurrence_id=]`. The body is recorded as received.
pub(crate) async fn update(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
    Query(query): Query<HashMap<String, String>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let occurrence_id = query.get("occurrence_id").filter(|o| !o.is_empty()).cloned();
    let segment = segment(path);
    let meeting_id = segment.as_deref().ok().and_then(|s| meeting_id(s).ok());
    let result = segment.and_then(|s| update_meeting(&state, &s, occurrence_id.as_deref(), &headers, &body));
    let status = result.as_ref().map_or_else(|e| e.status().as_u16(), |()| 204);
    received::record(
        &state,
        Received { method: "PATCH", path: uri.path(), meeting_id, occurrence_id, status, raw: &body },
    );
    result.map(|()| StatusCode::NO_CONTENT)
}

fn update_meeting(
    state: &AppState,
    segment: &str,
    occurrence_id: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), ApiError> {
    state.gate(headers, Category::Light)?;
    let id = meeting_id(segment)?;
    let input = validate::parse(&validate::json_object(body)?)?;
    let now = state.now_ms();
    let mut store = lock(&state.store);
    let mut meeting = store.meetings.get(&id).cloned().ok_or_else(|| ApiError::MeetingNotFound(id.to_string()))?;
    check_daily_budget(state, &store, &meeting.host_id, now)?;
    match occurrence_id {
        Some(occurrence_id) => apply_to_occurrence(&mut meeting, occurrence_id, input)?,
        None => apply(&mut meeting, input)?,
    }
    count_daily(&mut store, &meeting.host_id, now);
    store.meetings.insert(id, meeting);
    drop(store);
    state.changed();
    tracing::info!(meeting_id = id, occurrence_id, "meeting updated");
    Ok(())
}

fn apply(meeting: &mut Meeting, input: MeetingInput) -> Result<(), ApiError> {
    if let Some(tz) = input.timezone {
        meeting.timezone = tz;
    }
    if let Some(start) = input.start_time {
        meeting.start_time_ms = start_ms(start, &meeting.timezone)?;
        // Occurrence ids are their starts: a moved series has new ones.
        meeting.occurrence_changes.clear();
    }
    if let Some(kind) = input.kind {
        meeting.kind = kind;
    }
    if let Some(rec) = input.recurrence {
        meeting.recurrence = Some(rec);
        meeting.deleted_occurrences.clear();
        meeting.occurrence_changes.clear();
    }
    if meeting.kind == 8 && meeting.recurrence.is_none() {
        return Err(ApiError::invalid("recurrence", "is required for a recurring meeting with a fixed time (type 8)"));
    }
    if !matches!(meeting.kind, 3 | 8) {
        meeting.recurrence = None;
    }
    if let Some(topic) = input.topic {
        meeting.topic = topic;
    }
    if let Some(duration) = input.duration {
        meeting.duration = duration;
    }
    if let Some(agenda) = input.agenda {
        meeting.agenda = agenda;
    }
    if let Some(password) = input.password {
        meeting.password = password;
    }
    if let Some(settings) = input.settings {
        meeting.settings.extend(settings);
    }
    Ok(())
}

/// Moves or resizes one occurrence. A local `start_time` is read in the meeting's time zone.
fn apply_to_occurrence(meeting: &mut Meeting, occurrence_id: &str, input: MeetingInput) -> Result<(), ApiError> {
    let series_fields = [
        ("topic", input.topic.is_some()),
        ("type", input.kind.is_some()),
        ("timezone", input.timezone.is_some()),
        ("password", input.password.is_some()),
        ("recurrence", input.recurrence.is_some()),
        // Zoom takes a few settings per occurrence; the simulator keeps settings per series only.
        ("settings", input.settings.is_some()),
    ];
    if let Some((field, _)) = series_fields.iter().find(|(_, sent)| *sent) {
        return Err(ApiError::invalid(
            *field,
            "cannot be changed for one occurrence; update the meeting without occurrence_id",
        ));
    }
    if !recurrence::of_meeting(meeting).iter().any(|o| o.occurrence_id == occurrence_id) {
        return Err(ApiError::InvalidOccurrence);
    }
    let start = input.start_time.map(|s| start_ms(s, &meeting.timezone)).transpose()?;
    let change = meeting.occurrence_changes.entry(occurrence_id.to_string()).or_default();
    if let Some(ms) = start {
        change.start_time_ms = Some(ms);
    }
    if let Some(duration) = input.duration {
        change.duration = Some(duration);
    }
    if let Some(agenda) = input.agenda {
        change.agenda = Some(agenda);
    }
    Ok(())
}
