//! `GET /v2/users/{userId}` (Light) and `GET /v2/users/{userId}/settings` (Medium): by e-mail or
//! user id; an unknown user, or `me` with a Server-to-Server token, is 404 code 1001.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::meetings::segment;
use crate::ratelimit::Category;
use crate::state::{AppState, lock};
use crate::users::{self, settings};

/// `GET /v2/users/{userId}`.
pub(crate) async fn get_user(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let user_ref = segment(path)?;
    state.gate(&headers, Category::Light)?;
    let user = users::resolve(&mut lock(&state.store), &user_ref, state.config.auto_provision_users)?;
    state.changed();
    let config = &state.config;
    Ok(Json(users::user_json(&user, &config.default_timezone, &config.account_id, &state.base_url)))
}

/// `GET /v2/users/{userId}/settings`.
pub(crate) async fn get_settings(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Result<Json<Map<String, Value>>, ApiError> {
    let user_ref = segment(path)?;
    state.gate(&headers, Category::Medium)?;
    let user = users::resolve(&mut lock(&state.store), &user_ref, state.config.auto_provision_users)?;
    state.changed();
    Ok(Json(settings::effective(&user.settings)))
}

/// Applies a settings change to a user (the `/_sim` control and [`crate::ZoomSim::set_user_settings`]).
pub(crate) fn change_settings(state: &AppState, user_ref: &str, change: &Value) -> Result<(), ApiError> {
    let change = settings::check_change(change)?;
    let mut store = lock(&state.store);
    let user = users::resolve(&mut store, user_ref, state.config.auto_provision_users)?;
    if let Some(stored) = store.users.get_mut(&user.id) {
        settings::merge(&mut stored.settings, change);
    }
    drop(store);
    state.changed();
    tracing::info!(user_id = %user.id, "user settings changed");
    Ok(())
}
