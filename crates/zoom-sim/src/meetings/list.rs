//! `GET /v2/users/{userId}/meetings?type=&page_size=&next_page_token=` (Medium): a host's meetings,
//! paged. `type` is `scheduled` (default: every meeting not deleted), `live` (started and not
//! ended), `upcoming` and `upcoming_meetings` (not over yet, live ones included) or
//! `previous_meetings` (over). Entries carry what Zoom's list carries — no settings, no occurrences
//! — and an `agenda` cut to 250 characters, as Zoom cuts it: the full agenda needs
//! `GET /meetings/{id}`.
//!
//! A recurring meeting with a fixed time is listed once, with the start and duration of its next
//! occurrence that is not over (the last one when all are); whether Zoom lists such a meeting once
//! or once per occurrence is not documented, so clients should not count on either.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};

use crate::clock::zoom_time;
use crate::error::ApiError;
use crate::meetings::{recurrence, render, segment};
use crate::paging;
use crate::ratelimit::Category;
use crate::state::{AppState, lock};
use crate::store::Meeting;
use crate::users;

/// How much of the agenda a list entry carries.
const LISTED_AGENDA_CHARS: usize = 250;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Filter {
    Scheduled,
    Live,
    Upcoming,
    Previous,
}

fn filter(query: &HashMap<String, String>) -> Result<Filter, ApiError> {
    match query.get("type").map(String::as_str).filter(|t| !t.is_empty()) {
        None | Some("scheduled") => Ok(Filter::Scheduled),
        Some("live") => Ok(Filter::Live),
        Some("upcoming" | "upcoming_meetings") => Ok(Filter::Upcoming),
        Some("previous_meetings") => Ok(Filter::Previous),
        Some(_) => {
            Err(ApiError::invalid("type", "must be scheduled, live, upcoming, upcoming_meetings or previous_meetings"))
        }
    }
}

/// `GET /v2/users/{userId}/meetings`.
pub(crate) async fn list(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let user_ref = segment(path)?;
    state.gate(&headers, Category::Medium)?;
    let filter = filter(&query)?;
    let page = paging::request(&query)?;
    let now = state.now_ms();
    let mut store = lock(&state.store);
    let user = users::resolve(&mut store, &user_ref, state.config.auto_provision_users)?;
    let mut listed: Vec<(Option<i64>, i64, Value)> = store
        .meetings
        .values()
        .filter(|m| m.host_id == user.id)
        .filter_map(|m| entry(m, filter, now, &state.base_url))
        .collect();
    // By start time; meetings without one (type 3) last, in creation order.
    listed.sort_by_key(|(start, created, _)| (start.is_none(), start.unwrap_or(*created), *created));
    let page = page.cut(listed.into_iter().map(|(_, _, entry)| entry).collect());
    Ok(Json(json!({
        "page_count": page.page_count,
        "page_size": page.page_size,
        "total_records": page.total_records,
        "next_page_token": page.next_page_token,
        "meetings": page.items,
    })))
}

/// The list entry of `m` when `filter` keeps it: (sort start, creation time, entry).
fn entry(m: &Meeting, filter: Filter, now: i64, base_url: &str) -> Option<(Option<i64>, i64, Value)> {
    let (start, duration, over) = schedule(m, now);
    let live = m.status == "started";
    let keep = match filter {
        Filter::Scheduled => true,
        Filter::Live => live,
        Filter::Upcoming => live || !over,
        Filter::Previous => over && !live,
    };
    if !keep {
        return None;
    }
    let mut entry = json!({
        "uuid": m.uuid,
        "id": m.id,
        "host_id": m.host_id,
        "topic": m.topic,
        "type": m.kind,
        "duration": duration,
        "timezone": m.timezone,
        "agenda": m.agenda.chars().take(LISTED_AGENDA_CHARS).collect::<String>(),
        "created_at": zoom_time(m.created_at_ms),
        "join_url": render::join_url(m, base_url),
    });
    if let (Some(start), Value::Object(map)) = (start, &mut entry) {
        map.insert("start_time".into(), json!(zoom_time(start)));
    }
    Some((start, m.created_at_ms, entry))
}

/// The start and duration a list shows for `m`, and whether it is over at `now`.
fn schedule(m: &Meeting, now: i64) -> (Option<i64>, u32, bool) {
    let ends = |start: i64, minutes: u32| start + i64::from(minutes) * 60_000;
    match m.kind {
        // No fixed time: never over until deleted.
        3 => (None, m.duration, false),
        8 => {
            let occurrences = recurrence::of_meeting(m);
            let next = occurrences.iter().find(|o| ends(recurrence::start_ms(o), o.duration) > now);
            match next.or(occurrences.last()) {
                Some(o) => (Some(recurrence::start_ms(o)), o.duration, next.is_none()),
                None => (Some(m.start_time_ms), m.duration, true),
            }
        }
        _ => (Some(m.start_time_ms), m.duration, ends(m.start_time_ms, m.duration) <= now),
    }
}
