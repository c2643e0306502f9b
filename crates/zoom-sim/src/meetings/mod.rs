//! Meetings: `POST /v2/users/{userId}/meetings` (201), `GET /v2/meetings/{meetingId}` (200),
//! `PATCH` (204) and `DELETE` (204). Creates and updates count against the host's daily budget.

pub(crate) mod recurrence;
pub(crate) mod render;
pub(crate) mod validate;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use bytes::Bytes;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use serde_json::Value;

use crate::error::ApiError;
use crate::ids::{self, MeetingRef};
use crate::ratelimit::{Category, check_daily, count_daily};
use crate::state::{AppState, lock};
use crate::store::{Meeting, Store};
use crate::users;
use validate::{MeetingInput, StartTime};

/// A path segment, or Zoom's 404 when it could not even be decoded.
pub(crate) fn segment(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    path.map(|Path(s)| s).map_err(|_| ApiError::NoRoute)
}

/// The numeric meeting id a `{meetingId}` segment names (a uuid there is "does not exist").
fn meeting_id(segment: &str) -> Result<i64, ApiError> {
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

fn start_ms(start: StartTime, tz: &str) -> Result<i64, ApiError> {
    match start {
        StartTime::Utc(ms) => Ok(ms),
        StartTime::Local(dt) => local_to_ms(dt, tz, "start_time"),
    }
}

/// Refuses a write when the host used today's budget, counting the refusal for inspection.
fn check_daily_budget(state: &AppState, store: &Store, host_id: &str, now: i64) -> Result<(), ApiError> {
    let result = check_daily(store, host_id, now, &state.config.rate_limits);
    if result.is_err() {
        lock(&state.limiter).note_daily_rejection();
        tracing::info!(host_id, "daily meeting create/update limit reached");
    }
    result
}

/// `POST /v2/users/{userId}/meetings`.
pub(crate) async fn create(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let user_ref = segment(path)?;
    state.gate(&headers, Category::Medium)?;
    let input = validate::parse(&validate::json_object(&body)?)?;
    let kind = input.kind.unwrap_or(2);
    if kind == 8 && input.recurrence.is_none() {
        return Err(ApiError::invalid("recurrence", "is required for a recurring meeting with a fixed time (type 8)"));
    }
    let now = state.now_ms();
    let timezone = input.timezone.clone().unwrap_or_else(|| state.config.default_timezone.clone());
    let start_time_ms = match input.start_time {
        Some(start) if kind != 1 => start_ms(start, &timezone)?,
        _ => now,
    };
    let mut settings = render::default_settings();
    settings.extend(input.settings.clone().unwrap_or_default());

    let mut store = lock(&state.store);
    let user = users::resolve(&mut store, &user_ref, state.config.auto_provision_users)?;
    check_daily_budget(&state, &store, &user.id, now)?;
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
        status: "waiting".into(),
        instances: Vec::new(),
    };
    count_daily(&mut store, &user.id, now);
    let body = render::meeting_json(&meeting, &state.base_url);
    store.meetings.insert(id, meeting);
    drop(store);
    state.changed();
    tracing::info!(meeting_id = id, kind, "meeting created");
    Ok((StatusCode::CREATED, Json(body)))
}

/// `GET /v2/meetings/{meetingId}`.
pub(crate) async fn get(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let segment = segment(path)?;
    state.gate(&headers, Category::Light)?;
    let id = meeting_id(&segment)?;
    let store = lock(&state.store);
    let meeting = store.meetings.get(&id).ok_or_else(|| ApiError::MeetingNotFound(id.to_string()))?;
    Ok(Json(render::meeting_json(meeting, &state.base_url)))
}

/// `PATCH /v2/meetings/{meetingId}`: only the fields sent change.
pub(crate) async fn update(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let segment = segment(path)?;
    state.gate(&headers, Category::Light)?;
    let id = meeting_id(&segment)?;
    let input = validate::parse(&validate::json_object(&body)?)?;
    let now = state.now_ms();
    let mut store = lock(&state.store);
    let mut meeting = store.meetings.get(&id).cloned().ok_or_else(|| ApiError::MeetingNotFound(id.to_string()))?;
    check_daily_budget(&state, &store, &meeting.host_id, now)?;
    apply(&mut meeting, input)?;
    count_daily(&mut store, &meeting.host_id, now);
    store.meetings.insert(id, meeting);
    drop(store);
    state.changed();
    tracing::info!(meeting_id = id, "meeting updated");
    Ok(StatusCode::NO_CONTENT)
}

fn apply(meeting: &mut Meeting, input: MeetingInput) -> Result<(), ApiError> {
    if let Some(tz) = input.timezone {
        meeting.timezone = tz;
    }
    if let Some(start) = input.start_time {
        meeting.start_time_ms = start_ms(start, &meeting.timezone)?;
    }
    if let Some(kind) = input.kind {
        meeting.kind = kind;
    }
    if let Some(rec) = input.recurrence {
        meeting.recurrence = Some(rec);
        meeting.deleted_occurrences.clear();
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
            let listed = meeting.recurrence.as_ref().is_some_and(|r| {
                recurrence::occurrences(
                    meeting.start_time_ms,
                    &meeting.timezone,
                    meeting.duration,
                    r,
                    &meeting.deleted_occurrences,
                )
                .iter()
                .any(|o| &o.occurrence_id == occurrence)
            });
            if !listed {
                return Err(ApiError::invalid(
                    "occurrence_id",
                    format!("{occurrence} is not an occurrence of this meeting"),
                ));
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
