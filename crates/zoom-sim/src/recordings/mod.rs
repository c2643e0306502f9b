//! Cloud recordings: `GET /v2/meetings/{id|uuid}/recordings`, `DELETE` of the same (to the trash)
//! and `GET /v2/users/{userId}/recordings?from=&to=` for a period, with Zoom's paging fields.

pub(crate) mod view;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use jiff::civil::Date;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::ids::{self, MeetingRef};
use crate::meetings::segment;
use crate::ratelimit::Category;
use crate::state::{AppState, lock};
use crate::store::{Recording, Store, Token, TokenKind};
use view::RecordingView;

/// The recording a `{meetingId}` segment names: a uuid names one session, a numeric id the
/// meeting's latest recorded session. Trashed recordings are not found.
fn find<'a>(store: &'a Store, segment: &str) -> Result<&'a Recording, ApiError> {
    let found = match ids::meeting_ref(segment)? {
        MeetingRef::Uuid(uuid) => store.recordings.get(&uuid).filter(|r| !r.trashed),
        MeetingRef::Id(id) => {
            store.recordings.values().filter(|r| r.meeting_id == id && !r.trashed).max_by_key(|r| r.start_time_ms)
        }
    };
    found.ok_or(ApiError::RecordingNotFound)
}

/// `GET /v2/meetings/{meetingId}/recordings`; `include_fields=download_access_token` adds a token
/// that downloads this session's files.
pub(crate) async fn get(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Json<RecordingView>, ApiError> {
    let segment = segment(path)?;
    state.gate(&headers, Category::Light)?;
    let mut store = lock(&state.store);
    let rec = find(&store, &segment)?;
    let mut view = RecordingView::of(rec, &rec.files, &state.config.account_id, &state.base_url);
    let wants_token =
        query.get("include_fields").is_some_and(|f| f.split(',').any(|f| f.trim() == "download_access_token"));
    if wants_token {
        let token = ids::token("sim_dat_");
        let ttl = i64::try_from(state.config.download_access_token_ttl.as_millis()).unwrap_or(i64::MAX);
        let kind = TokenKind::Download { uuid: view.uuid.clone() };
        store.tokens.insert(token.clone(), Token { kind, expires_ms: state.now_ms().saturating_add(ttl) });
        view.download_access_token = Some(token);
        drop(store);
        state.changed();
    }
    Ok(Json(view))
}

/// `DELETE /v2/meetings/{meetingId}/recordings?action=trash|delete` (trash by default).
pub(crate) async fn delete(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let segment = segment(path)?;
    state.gate(&headers, Category::Light)?;
    let action = query.get("action").map_or("trash", String::as_str);
    if !matches!(action, "trash" | "delete") {
        return Err(ApiError::invalid("action", "must be trash or delete"));
    }
    let mut store = lock(&state.store);
    let uuid = find(&store, &segment)?.uuid.clone();
    if action == "delete" {
        store.recordings.remove(&uuid);
    } else if let Some(rec) = store.recordings.get_mut(&uuid) {
        rec.trashed = true;
    }
    drop(store);
    state.changed();
    tracing::info!(action, "recording removed");
    Ok(StatusCode::NO_CONTENT)
}

fn date_param(query: &HashMap<String, String>, key: &str, default: Date) -> Result<Date, ApiError> {
    match query.get(key).filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(text) if text.len() == 10 => text.parse().map_err(|_| ApiError::invalid(key, "must be yyyy-mm-dd")),
        Some(_) => Err(ApiError::invalid(key, "must be yyyy-mm-dd")),
    }
}

/// `GET /v2/users/{userId}/recordings?from=&to=&page_size=&next_page_token=&trash=`: the user's
/// recordings whose session started on a UTC day in `from..=to` (at most a month), newest first.
pub(crate) async fn list(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let user_ref = segment(path)?;
    state.gate(&headers, Category::Medium)?;
    let today: Date = crate::clock::utc_day(state.now_ms()).parse().unwrap_or_default();
    let from = date_param(&query, "from", today)?;
    let to = date_param(&query, "to", today)?;
    if from > to {
        return Err(ApiError::invalid("from", "must not be after to"));
    }
    if from.checked_add(jiff::Span::new().months(1)).is_ok_and(|limit| to > limit) {
        return Err(ApiError::invalid("to", "the date range can be at most one month"));
    }
    let page = crate::paging::request(&query)?;
    let trash = query.get("trash").is_some_and(|t| t == "true");

    let mut store = lock(&state.store);
    let user = crate::users::resolve(&mut store, &user_ref, state.config.auto_provision_users)?;
    let mut matching: Vec<&Recording> = store
        .recordings
        .values()
        .filter(|r| r.host_id == user.id && r.trashed == trash)
        .filter(|r| {
            let day: Option<Date> = crate::clock::utc_day(r.start_time_ms).parse().ok();
            day.is_some_and(|d| d >= from && d <= to)
        })
        .collect();
    matching.sort_by_key(|r| std::cmp::Reverse(r.start_time_ms));
    let page = page.cut(matching);
    let meetings: Vec<RecordingView> =
        page.items.iter().map(|r| RecordingView::of(r, &r.files, &state.config.account_id, &state.base_url)).collect();
    Ok(Json(json!({
        "from": from.to_string(),
        "to": to.to_string(),
        "page_count": page.page_count,
        "page_size": page.page_size,
        "total_records": page.total_records,
        "next_page_token": page.next_page_token,
        "meetings": meetings,
    })))
}
