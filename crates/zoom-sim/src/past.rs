//! Past meetings, derived from the sessions the simulator played: `GET /v2/past_meetings/{id}`
//! (Light) and `GET /v2/past_meetings/{id}/participants` (Medium, paged). `{id}` is a session uuid
//! (double-encoded when it starts with `/` or holds `//`) or a meeting id, which names the latest
//! ended session. A session still playing, or a meeting never held, is 404 code 3001 "Meeting ID
//! is invalid or not end."; an unknown uuid is 404 code 3001 "This meeting is not available or ID
//! is not valid.". Each join is its own participant entry: a person who rejoins appears again with
//! a new `user_id`; `id` is the account user's id, empty for guests.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};

use crate::clock::zoom_time;
use crate::error::ApiError;
use crate::ids::{self, MeetingRef};
use crate::meetings::segment;
use crate::paging;
use crate::ratelimit::Category;
use crate::state::{AppState, lock};
use crate::store::{PastMeeting, PastParticipant, Store};

/// The ended session a `{meetingId}` segment names.
fn find<'a>(store: &'a Store, segment: &str) -> Result<&'a PastMeeting, ApiError> {
    let reference = ids::meeting_ref(segment).map_err(|_| ApiError::PastMeetingNotFound(segment.to_string()))?;
    let found = match &reference {
        MeetingRef::Uuid(uuid) => {
            store.past_meetings.get(uuid).ok_or_else(|| ApiError::PastMeetingNotFound(uuid.clone()))?
        }
        MeetingRef::Id(id) => {
            let ended = store
                .past_meetings
                .values()
                .filter(|p| p.meeting_id == *id && p.end_ms.is_some())
                .max_by_key(|p| p.start_ms);
            match ended {
                Some(past) => past,
                None if store.meetings.contains_key(id)
                    || store.past_meetings.values().any(|p| p.meeting_id == *id) =>
                {
                    return Err(ApiError::MeetingNotEnded(id.to_string()));
                }
                None => return Err(ApiError::PastMeetingNotFound(id.to_string())),
            }
        }
    };
    if found.end_ms.is_none() {
        return Err(ApiError::MeetingNotEnded(found.uuid.clone()));
    }
    Ok(found)
}

fn secs(from_ms: i64, to_ms: i64) -> i64 {
    (to_ms - from_ms).max(0) / 1000
}

/// `GET /v2/past_meetings/{meetingId}`.
pub(crate) async fn get(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let segment = segment(path)?;
    state.gate(&headers, Category::Light)?;
    let store = lock(&state.store);
    let past = find(&store, &segment)?;
    let end_ms = past.end_ms.unwrap_or(past.start_ms);
    let total_secs: i64 = past.participants.iter().map(|p| secs(p.join_ms, p.leave_ms)).sum();
    Ok(Json(json!({
        "id": past.meeting_id,
        "uuid": past.uuid,
        "duration": secs(past.start_ms, end_ms).div_euclid(60),
        "start_time": zoom_time(past.start_ms),
        "end_time": zoom_time(end_ms),
        "host_id": past.host_id,
        "dept": "",
        "participants_count": past.participants.len(),
        "source": "Zoom",
        "topic": past.topic,
        "total_minutes": total_secs.div_euclid(60),
        "type": past.kind,
        "user_email": past.host_email,
        "user_name": past.host_name,
    })))
}

fn participant_json(p: &PastParticipant) -> Value {
    json!({
        "id": p.id,
        "name": p.name,
        "user_id": p.user_id,
        "user_email": p.email,
        "join_time": zoom_time(p.join_ms),
        "leave_time": zoom_time(p.leave_ms),
        "duration": secs(p.join_ms, p.leave_ms),
        "failover": false,
        "status": "in_meeting",
        "internal_user": !p.id.is_empty(),
    })
}

/// `GET /v2/past_meetings/{meetingId}/participants?page_size=&next_page_token=`.
pub(crate) async fn participants(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let segment = segment(path)?;
    state.gate(&headers, Category::Medium)?;
    let page = paging::request(&query)?;
    let store = lock(&state.store);
    let past = find(&store, &segment)?;
    let mut joins: Vec<&PastParticipant> = past.participants.iter().collect();
    joins.sort_by_key(|p| p.join_ms);
    let page = page.cut(joins.into_iter().map(participant_json).collect());
    Ok(Json(json!({
        "page_count": page.page_count,
        "page_size": page.page_size,
        "total_records": page.total_records,
        "next_page_token": page.next_page_token,
        "participants": page.items,
    })))
}
