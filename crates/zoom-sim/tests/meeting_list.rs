//! `GET /users/{userId}/meetings`: Zoom's list types, paging with `next_page_token`, and the agenda
//! cut to 250 characters.

mod common;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use zoom_sim::{ManualClock, ZoomSim, ZoomSimConfig};

const HOST: &str = "oleg@butterboard.online";
/// 2026-11-01T00:00:00Z.
const NOW_MS: i64 = 1_793_491_200_000;

async fn setup() -> (ZoomSim, ManualClock, reqwest::Client, String) {
    let clock = ManualClock::at(NOW_MS);
    // Tokens outlive the clock moves below.
    let token_ttl = Duration::from_secs(90 * 86_400);
    let sim =
        common::start(ZoomSimConfig { clock: Arc::new(clock.clone()), token_ttl, ..ZoomSimConfig::default() }).await;
    let http = common::client();
    let token = common::token(&http, &sim).await;
    (sim, clock, http, token)
}

fn scheduled(topic: &str, start: &str, agenda: &str) -> Value {
    json!({"topic": topic, "type": 2, "start_time": start, "duration": 30, "agenda": agenda})
}

async fn list(sim: &ZoomSim, http: &reqwest::Client, token: &str, query: &[(&str, &str)]) -> reqwest::Response {
    http.get(format!("{}/users/{HOST}/meetings", sim.api_base_url()))
        .query(query)
        .bearer_auth(token)
        .send()
        .await
        .expect("request")
}

fn topics(page: &Value) -> Vec<String> {
    page["meetings"]
        .as_array()
        .expect("meetings")
        .iter()
        .map(|m| m["topic"].as_str().unwrap_or("").to_string())
        .collect()
}

#[tokio::test]
async fn upcoming_meetings_are_listed_in_start_order_page_by_page() {
    let (sim, _, http, token) = setup().await;
    for (topic, start) in [("c", "2026-11-03T09:00:00Z"), ("a", "2026-11-01T09:00:00Z"), ("b", "2026-11-02T09:00:00Z")]
    {
        common::create_meeting(&http, &sim, &token, HOST, scheduled(topic, start, "")).await;
    }
    common::create_meeting(
        &http,
        &sim,
        &token,
        "hr@butterboard.online",
        scheduled("other host", "2026-11-01T10:00:00Z", ""),
    )
    .await;
    let mut seen = Vec::new();
    let mut next = String::new();
    for _ in 0..5 {
        let response =
            list(&sim, &http, &token, &[("type", "upcoming"), ("page_size", "2"), ("next_page_token", &next)]).await;
        assert_eq!(response.status(), 200);
        let page: Value = response.json().await.expect("json");
        assert_eq!((page["page_size"].clone(), page["total_records"].clone()), (json!(2), json!(3)));
        seen.extend(topics(&page));
        next = page["next_page_token"].as_str().expect("token").to_string();
        if next.is_empty() {
            break;
        }
    }
    assert_eq!(seen, ["a", "b", "c"], "the other host's meeting is not listed");
}

#[tokio::test]
async fn a_listed_meeting_has_zooms_summary_fields_and_an_agenda_cut_to_250_characters() {
    let (sim, _, http, token) = setup().await;
    let agenda = format!("[bb:stage-7] {}", "x".repeat(400));
    let created =
        common::create_meeting(&http, &sim, &token, HOST, scheduled("Day one", "2026-11-05T09:00:00Z", &agenda)).await;
    let page: Value = list(&sim, &http, &token, &[("type", "upcoming")]).await.json().await.expect("json");
    let listed = &page["meetings"][0];
    for field in
        ["id", "uuid", "host_id", "topic", "type", "start_time", "duration", "timezone", "created_at", "join_url"]
    {
        assert_eq!(listed[field], created[field], "{field}");
    }
    let listed_agenda = listed["agenda"].as_str().expect("agenda");
    assert_eq!(listed_agenda.chars().count(), 250);
    assert!(agenda.starts_with(listed_agenda));
    assert!(listed.get("settings").is_none(), "a list entry is a summary");
    let full = common::get_ok(&http, &format!("{}/meetings/{}", sim.api_base_url(), created["id"]), &token).await;
    assert_eq!(full["agenda"], agenda.as_str(), "the whole agenda needs a get");
}

#[tokio::test]
async fn a_meeting_that_is_over_moves_from_upcoming_to_previous() {
    let (sim, clock, http, token) = setup().await;
    common::create_meeting(&http, &sim, &token, HOST, scheduled("early", "2026-11-01T09:00:00Z", "")).await;
    common::create_meeting(&http, &sim, &token, HOST, scheduled("late", "2026-11-20T09:00:00Z", "")).await;
    clock.set(NOW_MS + 10 * 86_400_000); // 2026-11-11
    let upcoming: Value = list(&sim, &http, &token, &[("type", "upcoming")]).await.json().await.expect("json");
    let previous: Value = list(&sim, &http, &token, &[("type", "previous_meetings")]).await.json().await.expect("json");
    let scheduled_list: Value = list(&sim, &http, &token, &[]).await.json().await.expect("json");
    assert_eq!(topics(&upcoming), ["late"]);
    assert_eq!(topics(&previous), ["early"]);
    assert_eq!(topics(&scheduled_list), ["early", "late"], "scheduled, the default, lists both");
    let live: Value = list(&sim, &http, &token, &[("type", "live")]).await.json().await.expect("json");
    assert_eq!(live["total_records"], 0);
}

#[tokio::test]
async fn a_recurring_meeting_is_listed_once_at_its_next_occurrence() {
    let (sim, clock, http, token) = setup().await;
    let series = json!({"topic": "weekly", "type": 8, "start_time": "2026-11-02T09:00:00Z", "duration": 30,
        "recurrence": {"type": 2, "weekly_days": "2", "end_times": 3}});
    common::create_meeting(&http, &sim, &token, HOST, series).await;
    clock.set(NOW_MS + 3 * 86_400_000); // 2026-11-04, after the first Monday
    let page: Value = list(&sim, &http, &token, &[("type", "upcoming")]).await.json().await.expect("json");
    assert_eq!(page["total_records"], 1);
    assert_eq!(page["meetings"][0]["start_time"], "2026-11-09T09:00:00Z");
}

#[tokio::test]
async fn a_bad_type_page_size_or_page_token_is_code_300() {
    let (sim, _, http, token) = setup().await;
    common::assert_zoom_error(list(&sim, &http, &token, &[("type", "soon")]).await, 400, 300).await;
    common::assert_zoom_error(list(&sim, &http, &token, &[("page_size", "301")]).await, 400, 300).await;
    let body =
        common::assert_zoom_error(list(&sim, &http, &token, &[("next_page_token", "forged")]).await, 400, 300).await;
    assert_eq!(body["message"], "The next page token is invalid or expired.");
}
