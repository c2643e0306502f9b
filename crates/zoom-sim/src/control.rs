//! `/_sim` controls for staging what a test needs (no auth: loopback tools and tests only):
//!
//! - `GET|PATCH /_sim/users/{userId}/settings`: a user's settings; a PATCH body in Zoom's nesting
//!   (`{"recording": {"cloud_recording": false}}`) is merged in — a host without cloud recording,
//!   chat saving or transcripts.
//! - `GET|POST|DELETE /_sim/faults`: list, add (a [`Fault`] as JSON; 201 with its `id`) or clear
//!   injected faults.
//! - `GET /_sim/requests[?meeting_id=]`: meeting create and update bodies as received.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use bytes::Bytes;
use serde_json::{Map, Value, json};

use crate::error::ApiError;
use crate::faults::{Fault, FaultState};
use crate::meetings::segment;
use crate::received::ReceivedRequest;
use crate::state::{AppState, lock};
use crate::users::{self, api::change_settings, settings};

fn json_body<T: serde::de::DeserializeOwned>(body: &[u8], what: &str) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::invalid(what, e.to_string()))
}

/// The settings `GET /users/{userId}/settings` would answer.
pub(crate) fn user_settings(state: &AppState, user_ref: &str) -> Result<Map<String, Value>, ApiError> {
    let user = users::resolve(&mut lock(&state.store), user_ref, state.config.auto_provision_users)?;
    Ok(settings::effective(&user.settings))
}

pub(crate) async fn get_user_settings(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Map<String, Value>>, ApiError> {
    Ok(Json(user_settings(&state, &segment(path)?)?))
}

pub(crate) async fn change_user_settings(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let user_ref = segment(path)?;
    change_settings(&state, &user_ref, &json_body::<Value>(&body, "settings")?)?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn list_faults(State(state): State<Arc<AppState>>) -> Json<Vec<FaultState>> {
    Json(lock(&state.faults).list())
}

pub(crate) async fn add_fault(
    State(state): State<Arc<AppState>>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let fault: Fault = json_body(&body, "fault")?;
    let id = lock(&state.faults).add(fault)?;
    Ok((StatusCode::CREATED, Json(json!({"id": id}))))
}

pub(crate) async fn clear_faults(State(state): State<Arc<AppState>>) -> StatusCode {
    lock(&state.faults).clear();
    StatusCode::NO_CONTENT
}

pub(crate) async fn list_requests(
    State(state): State<Arc<AppState>>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Vec<ReceivedRequest>>, ApiError> {
    let meeting_id = match query.get("meeting_id") {
        None => None,
        Some(id) => Some(id.parse::<i64>().map_err(|_| ApiError::invalid("meeting_id", "must be a meeting id"))?),
    };
    let all = lock(&state.received).all();
    Ok(Json(all.into_iter().filter(|r| meeting_id.is_none() || r.meeting_id == meeting_id).collect()))
}
