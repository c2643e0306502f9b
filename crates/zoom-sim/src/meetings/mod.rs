//! Meetings: `POST /v2/users/{userId}/meetings` (201), `GET /v2/meetings/{meetingId}` (200),
//! `PATCH` (204, in [`update`]) and `DELETE` (204), each of the last three for one occurrence too
//! with `?occurrence_id=`; a user's list in [`list`]. Creates and updates count against the host's
//! daily budget.

pub(crate) mod list;
pub(crate) mod recurrence;
pub(crate) mod render;
pub(crate) mod update;
pub(crate) mod validate;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use bytes::Bytes;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use serde_json::Value;

use crate::error::ApiError;
use crate::ids::{self, MeetingRef};
use crate::ratelimit::{Category, check_daily, count_daily};
use crate::received::{self, Received};
use crate::state::{AppState, lock};
use crate::store::{Meeting, Store};
use crate::users::{self, settings as user_settings};
use validate::StartTime;

/// A path segment, or Zoom's 404 when it could not even be decoded.
pub(crate) fn segment(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    path.map(|Path(s)| s).map_err(|_| ApiError::NoRoute)
}

/// The numeric meeting id a `{meetingId}` segment names (a uuid there is "does not exist").
pub(crate) fn meeting_id(segment: &str) -> Result<i64, ApiError> {
    match ids::meeting_ref(segment)? {
        MeetingRef::Id(id) => Ok(id),
        MeetingRef::Uuid(uuid) => Err(ApiError::MeetingNotFound(uuid)),
    }
}

fn local_to_ms(dt: DateTime, tz: &str, field: &str) -> Result<i64, ApiError> {
    let tz = TimeZone::get(tz).map_err(|_| ApiError::invalid("timezone", format!("unknown time zone {tz}")))?;
    let zoned = dt.to_zoned(tz).map_err(|_| ApiError::invalid(field, "is not a time in the meeting's time zone"))?;
    Ok(zoned.timestamp().as_millisecond())
}

pub(crate) fn start_ms(start: StartTime, tz: &str) -> Result<i64, ApiError> {
    match start {
        StartTime::Utc(ms) => Ok(ms),
        StartTime::Local(dt) => local_to_ms(dt, tz, "start_time"),
    }
}

/// Refuses a write when the host used today's budget, counting the refusal for inspection.
pub(crate) fn check_daily_budget(state: &AppState, store: &Store, host_id: &str, now: i64) -> Result<(), ApiError> {
    let result = check_daily(store, host_id, now, &state.config.rate_limits);
    if result.is_err() {
        lock(&state.limiter).note_daily_rejection();
        tracing::info!(host_id, "daily meeting create/update limit reached");
    }
    result
}

/// `POST /v2/users/{userId}/meetings`. The body is recorded as received (see [`crate::received`]).
pub(crate) async fn create(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let result = segment(path).and_then(|user_ref| create_meeting(&state, &user_ref, &headers, &body));
    let (status, meeting_id) = match &result {
        Ok(created) => (201, created.get("id").and_then(Value::as_i64)),
        Err(e) => (e.status().as_u16(), None),
    };
    let occurrence_id = None;
    received::record(
        &state,
        Received { method: "POST", path: uri.path(), meeting_id, occurrence_id, status, raw: &body },
    );
    result.map(|created| (StatusCode::CREATED, Json(created)))
}

fn create_meeting(state: &AppState, user_ref: &str, headers: &HeaderMap, body: &[u8]) -> Result<Value, ApiError> {
    state.gate(headers, Category::Medium)?;
    let input = validate::parse(&validate::json_object(body)?)?;
    let kind = input.kind.unwrap_or(2);
    if kind == 8 && input.recurrence.is_none() {
        return Err(ApiError::invalid("recurrence", "is required for a recurring meeting with a fixed time (type 8)"));
    }
    let now = state.now_ms();
    let mut store = lock(&state.store);
    let user = users::resolve(&mut store, user_ref, state.config.auto_provision_users)?;
    check_daily_budget(state, &store, &user.id, now)?;
    // Without `timezone` Zoom reads a local start time in the host's time zone.
    let timezone = input.timezone.clone().unwrap_or_else(|| match user.timezone.as_str() {
        "" => state.config.default_timezone.clone(),
        tz => tz.to_string(),
    });
    let start_time_ms = match input.start_time {
        Some(start) if kind != 1 => start_ms(start, &timezone)?,
        _ => now,
    };
    // Settings the body leaves out come from the host's scheduling defaults, then Zoom's.
    let mut settings = render::default_settings();
    settings.extend(user_settings::meeting_defaults(&user_settings::effective(&user.settings)));
    settings.extend(input.settings.clone().unwrap_or_default());
    store.uuids_made += 1;
    let uuid = ids::meeting_uuid(store.uuids_made, state.config.uuid_slash_every);
    let mut id = ids::meeting_id();
    while store.meetings.contains_key(&id) {
        id = ids::meeting_id();
    }
    let meeting = Meeting {
        id,
        uuid,
        host_id: user.id.clone(),
        host_email: user.email.clone(),
        topic: input.topic.clone().unwrap_or_else(|| "Zoom meeting".into()),
        kind,
        start_time_ms,
        duration: input.duration.unwrap_or(60),
        timezone,
        agenda: input.agenda.clone().unwrap_or_default(),
        password: input.password.clone().unwrap_or_else(ids::passcode),
        created_at_ms: now,
        settings,
        // Zoom keeps a recurrence only on recurring types.
        recurrence: if matches!(kind, 3 | 8) { input.recurrence.clone() } else { None },
        deleted_occurrences: Vec::new(),
        occurrence_changes: Default::default(),
        status: "waiting".into(),
        instances: Vec::new(),
    };
    count_daily(&mut store, &user.id, now);
    let body = render::meeting_json(&meeting, &state.base_url, None);
    store.meetings.insert(id, meeting);
    drop(store);
    state.changed();
    tracing::info!(meeting_id = id, kind, "meeting created");
    Ok(body)
}

/// `GET /v2/meetings/{meetingId}[?occurrence_id=][&show_previous_occurrences=true]`: occurrences
/// that are over are left out unless asked for; with `occurrence_id` the start and duration are
/// that occurrence's.
pub(crate) async fn get(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let segment = segment(path)?;
    state.gate(&headers, Category::Light)?;
    let id = meeting_id(&segment)?;
    let show_previous = query.get("show_previous_occurrences").is_some_and(|v| v == "true");
    let now = (!show_previous).then(|| state.now_ms());
    let store = lock(&state.store);
    let meeting = store.meetings.get(&id).ok_or_else(|| ApiError::MeetingNotFound(id.to_string()))?;
    let mut body = render::meeting_json(meeting, &state.base_url, now);
    if let Some(occurrence_id) = query.get("occurrence_id").filter(|o| !o.is_empty()) {
        let occurrence = recurrence::of_meeting(meeting)
            .into_iter()
            .find(|o| &o.occurrence_id == occurrence_id)
            .ok_or(ApiError::InvalidOccurrence)?;
        let agenda = meeting.occurrence_changes.get(occurrence_id).and_then(|c| c.agenda.clone());
        if let Value::Object(map) = &mut body {
            map.insert("start_time".into(), Value::from(occurrence.start_time));
            map.insert("duration".into(), Value::from(occurrence.duration));
            if let Some(agenda) = agenda {
                map.insert("agenda".into(), Value::from(agenda));
            }
        }
    }
    Ok(Json(body))
}

/// `DELETE /v2/meetings/{meetingId}` (or one occurrence with `?occurrence_id=`). Cloud recordings
/// of the meeting stay, as on Zoom.
pub(crate) async fn delete(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let segment = segment(path)?;
    state.gate(&headers, Category::Light)?;
    let id = meeting_id(&segment)?;
    let mut store = lock(&state.store);
    let meeting = store.meetings.get_mut(&id).ok_or_else(|| ApiError::MeetingNotFound(id.to_string()))?;
    match query.get("occurrence_id") {
        Some(occurrence) => {
            if !recurrence::of_meeting(meeting).iter().any(|o| &o.occurrence_id == occurrence) {
                return Err(ApiError::InvalidOccurrence);
            }
            meeting.deleted_occurrences.push(occurrence.clone());
        }
        None => {
            store.meetings.remove(&id);
        }
    }
    drop(store);
    state.changed();
    tracing::info!(meeting_id = id, "meeting deleted");
    Ok(StatusCode::NO_CONTENT)
}
