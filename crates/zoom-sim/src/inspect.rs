//! The simulator's own control and inspection endpoints under `/_sim` (no auth: loopback tools and
//! tests only). They mirror the library calls on [`crate::ZoomSim`].

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::meetings::render::meeting_json;
use crate::meetings::segment;
use crate::play;
use crate::ratelimit::RateLimitSnapshot;
use crate::recordings::view::RecordingView;
use crate::script::PlayScript;
use crate::state::{AppState, lock};
use crate::webhooks::Delivery;

/// A recording as the simulator holds it, trashed ones included.
#[derive(Debug, Clone, Serialize)]
pub struct RecordingInfo {
    pub trashed: bool,
    #[serde(flatten)]
    pub recording: RecordingView,
}

/// Every meeting, in Zoom's shape (every occurrence, over or not) plus the uuids of its played
/// sessions.
pub(crate) fn meetings(state: &AppState) -> Vec<Value> {
    let store = lock(&state.store);
    store
        .meetings
        .values()
        .map(|m| {
            let mut v = meeting_json(m, &state.base_url, None);
            if let Value::Object(map) = &mut v {
                map.insert("sim_sessions".into(), json!(m.instances));
            }
            v
        })
        .collect()
}

pub(crate) fn recordings(state: &AppState) -> Vec<RecordingInfo> {
    let store = lock(&state.store);
    store
        .recordings
        .values()
        .map(|r| RecordingInfo {
            trashed: r.trashed,
            recording: RecordingView::of(r, &r.files, &state.config.account_id, &state.base_url),
        })
        .collect()
}

pub(crate) fn rate_limits(state: &AppState) -> RateLimitSnapshot {
    let daily = lock(&state.store).daily_writes.clone();
    lock(&state.limiter).snapshot(&state.config.rate_limits, &daily)
}

pub(crate) fn deliveries(state: &AppState) -> Vec<Delivery> {
    lock(&state.webhooks).deliveries.clone()
}

/// `GET /_sim`: where things are and how much there is.
pub(crate) async fn summary(State(state): State<Arc<AppState>>) -> Json<Value> {
    let (users, meetings, recordings) = {
        let store = lock(&state.store);
        (store.users.len(), store.meetings.len(), store.recordings.len())
    };
    Json(json!({
        "base_url": state.base_url,
        "api_base_url": format!("{}/v2", state.base_url),
        "oauth_url": format!("{}/oauth/token", state.base_url),
        "account_id": state.config.account_id,
        "client_id": state.config.client_id,
        "webhook_endpoint": *lock(&state.endpoint),
        "users": users,
        "meetings": meetings,
        "recordings": recordings,
        "deliveries": lock(&state.webhooks).deliveries.len(),
    }))
}

pub(crate) async fn list_meetings(State(state): State<Arc<AppState>>) -> Json<Vec<Value>> {
    Json(meetings(&state))
}

pub(crate) async fn list_users(State(state): State<Arc<AppState>>) -> Json<Value> {
    let store = lock(&state.store);
    let users: Vec<_> = store.users.values().map(|u| json!({"id": u.id, "email": u.email})).collect();
    Json(json!(users))
}

fn meeting_id(segment: &str) -> Result<i64, ApiError> {
    segment.parse().map_err(|_| ApiError::MeetingNotFound(segment.to_string()))
}

/// `POST /_sim/meetings/{id}/play[?wait=true]`: plays the JSON script in the body, or the typical
/// script of the meeting when the body is empty. 202 with the session, or 200 with the report.
pub(crate) async fn play_meeting(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = meeting_id(&segment(path)?)?;
    let script = if body.iter().all(u8::is_ascii_whitespace) {
        let store = lock(&state.store);
        let meeting = store.meetings.get(&id).ok_or_else(|| ApiError::MeetingNotFound(id.to_string()))?;
        play::typical::script(meeting)
    } else {
        serde_json::from_slice::<PlayScript>(&body).map_err(|e| ApiError::invalid("script", e.to_string()))?
    };
    let handle = play::start(&state, id, script)?;
    if query.get("wait").is_some_and(|w| w == "true") {
        let report = handle.wait().await.map_err(|_| ApiError::Conflict("the simulator is stopping".into()))?;
        return Ok(Json(report).into_response());
    }
    Ok((StatusCode::ACCEPTED, Json(json!({"meeting_id": handle.meeting_id, "uuid": handle.uuid}))).into_response())
}

pub(crate) async fn list_deliveries(State(state): State<Arc<AppState>>) -> Json<Vec<Delivery>> {
    Json(deliveries(&state))
}

pub(crate) async fn get_delivery(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Delivery>, ApiError> {
    let id: u64 = segment(path)?.parse().map_err(|_| ApiError::NoRoute)?;
    let log = lock(&state.webhooks);
    log.deliveries.iter().find(|d| d.id == id).cloned().map(Json).ok_or(ApiError::NoRoute)
}

#[derive(Deserialize)]
pub(crate) struct EndpointBody {
    url: Option<String>,
}

/// `PUT /_sim/webhooks/endpoint` with `{"url": "…"}` (or `null` to stop sending).
pub(crate) async fn set_endpoint(State(state): State<Arc<AppState>>, body: Bytes) -> Result<StatusCode, ApiError> {
    let body: EndpointBody =
        serde_json::from_slice(&body).map_err(|_| ApiError::invalid("url", "must be a string or null"))?;
    if let Some(url) = &body.url
        && reqwest::Url::parse(url).is_err()
    {
        return Err(ApiError::invalid("url", "is not a url"));
    }
    *lock(&state.endpoint) = body.url;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /_sim/webhooks/validate`: sends an `endpoint.url_validation` challenge now.
pub(crate) async fn validate(State(state): State<Arc<AppState>>) -> Result<Response, ApiError> {
    Ok(Json(crate::validation::challenge(&state).await?).into_response())
}

pub(crate) async fn list_validations(State(state): State<Arc<AppState>>) -> Response {
    Json(lock(&state.webhooks).validations.clone()).into_response()
}

pub(crate) async fn list_recordings(State(state): State<Arc<AppState>>) -> Json<Vec<RecordingInfo>> {
    Json(recordings(&state))
}

pub(crate) async fn get_rate_limits(State(state): State<Arc<AppState>>) -> Json<RateLimitSnapshot> {
    Json(rate_limits(&state))
}

/// `POST /_sim/tokens/expire`: every access and download token expires now.
pub(crate) async fn expire_tokens(State(state): State<Arc<AppState>>) -> StatusCode {
    expire_all(&state);
    StatusCode::NO_CONTENT
}

pub(crate) fn expire_all(state: &AppState) {
    let now = state.now_ms();
    for token in lock(&state.store).tokens.values_mut() {
        token.expires_ms = token.expires_ms.min(now);
    }
    state.changed();
}
