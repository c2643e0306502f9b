//! Past meetings from played sessions: `GET /past_meetings/{uuid}` and its paged participants, the
//! double-encoding rule, and Zoom's 3001 for a session that has not ended.

mod common;

use std::sync::Arc;

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};
use zoom_sim::{ManualClock, PlayScript, ZoomSim, ZoomSimConfig};

const HOST: &str = "oleg@butterboard.online";
const NOW_MS: i64 = 1_764_579_600_000; // 2025-12-01T09:00:00Z

fn once(s: &str) -> String {
    utf8_percent_encode(s, NON_ALPHANUMERIC).to_string()
}

fn twice(s: &str) -> String {
    once(&once(s))
}

/// The host, a guest who gives no e-mail, and Anna, who leaves and comes back.
fn script(duration_secs: u64, time_compression: f64) -> PlayScript {
    serde_json::from_value(json!({
        "duration_secs": duration_secs,
        "time_compression": time_compression,
        "participants": [
            {"name": "Oleg Ivanov", "email": HOST, "join_secs": 0},
            {"name": "iPhone", "join_secs": 60, "leave_secs": 600},
            {"name": "Anna Smirnova", "email": "anna@example.com", "join_secs": 90, "leave_secs": 1200},
            {"name": "Anna Smirnova", "email": "anna@example.com", "join_secs": 1300}
        ]
    }))
    .expect("script")
}

struct Setup {
    sim: ZoomSim,
    http: reqwest::Client,
    token: String,
    meeting: Value,
}

async fn setup(config: ZoomSimConfig) -> Setup {
    let clock = ManualClock::at(NOW_MS);
    let sim = common::start(ZoomSimConfig { clock: Arc::new(clock), ..config }).await;
    let http = common::client();
    let token = common::token(&http, &sim).await;
    let meeting = common::create_meeting(&http, &sim, &token, HOST, common::meeting_body()).await;
    Setup { sim, http, token, meeting }
}

impl Setup {
    fn id(&self) -> i64 {
        self.meeting["id"].as_i64().expect("id")
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        common::get(&self.http, &format!("{}{path}", self.sim.api_base_url()), &self.token).await
    }
}

#[tokio::test]
async fn an_ended_session_is_a_past_meeting_with_one_entry_per_join() {
    // Every uuid starts with '/' or holds '//': they must be double-encoded.
    let s = setup(ZoomSimConfig { uuid_slash_every: 1, ..ZoomSimConfig::default() }).await;
    let report = s.sim.play(s.id(), script(1800, 100_000.0)).expect("play").wait().await.expect("played");
    let uuid = report.uuid.clone();
    let past: Value = s.get(&format!("/past_meetings/{}", twice(&uuid))).await.json().await.expect("json");
    assert_eq!(past["uuid"], uuid.as_str());
    assert_eq!(past["id"], s.id());
    assert_eq!(
        (past["start_time"].as_str(), past["end_time"].as_str()),
        (Some("2025-12-01T09:00:00Z"), Some("2025-12-01T09:30:00Z"))
    );
    assert_eq!(past["duration"], 30);
    assert_eq!(past["participants_count"], 4);
    assert_eq!(past["user_email"], HOST);
    let by_id: Value = s.get(&format!("/past_meetings/{}", s.id())).await.json().await.expect("json");
    assert_eq!(by_id["uuid"], uuid.as_str(), "a meeting id names its latest ended session");
    let single = s.get(&format!("/past_meetings/{}", once(&uuid))).await;
    common::assert_zoom_error(single, 404, 3001).await;

    let page: Value =
        s.get(&format!("/past_meetings/{}/participants?page_size=3", twice(&uuid))).await.json().await.expect("json");
    assert_eq!((page["total_records"].clone(), page["page_count"].clone()), (json!(4), json!(2)));
    let next = page["next_page_token"].as_str().expect("token").to_string();
    assert!(!next.is_empty());
    let rest: Value = s
        .get(&format!("/past_meetings/{}/participants?page_size=3&next_page_token={next}", twice(&uuid)))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(rest["next_page_token"], "");
    let all: Vec<Value> =
        page["participants"].as_array().into_iter().chain(rest["participants"].as_array()).flatten().cloned().collect();
    let host = &all[0];
    assert_eq!((host["name"].as_str(), host["user_email"].as_str()), (Some("Oleg Ivanov"), Some(HOST)));
    assert!(host["id"].as_str().is_some_and(|id| !id.is_empty()), "the host is a user of the account");
    assert_eq!((host["join_time"].as_str(), host["duration"].as_i64()), (Some("2025-12-01T09:00:00Z"), Some(1800)));
    let guest = &all[1];
    assert_eq!(
        (guest["user_email"].as_str(), guest["id"].as_str()),
        (Some(""), Some("")),
        "a guest has no e-mail or user id"
    );
    assert_eq!(guest["leave_time"], "2025-12-01T09:10:00Z");
    let anna: Vec<&Value> = all.iter().filter(|p| p["name"] == "Anna Smirnova").collect();
    assert_eq!(anna.len(), 2, "a rejoin is a second entry");
    assert_ne!(anna[0]["user_id"], anna[1]["user_id"], "each join has its own user_id");
    assert_eq!(anna[0]["duration"], 1110);
    for p in &all {
        assert_eq!(p["status"], "in_meeting");
    }
}

#[tokio::test]
async fn a_session_that_has_not_ended_or_a_meeting_never_held_is_3001_not_ended() {
    let s = setup(ZoomSimConfig::default()).await;
    let held_never = common::assert_zoom_error(s.get(&format!("/past_meetings/{}", s.id())).await, 404, 3001).await;
    assert_eq!(held_never["message"], "Meeting ID is invalid or not end.");
    // An hour of meeting played 1,000 times faster: still going for 3.6 s.
    let playing = s.sim.play(s.id(), script(3600, 1000.0)).expect("play");
    for path in [format!("/past_meetings/{}", twice(&playing.uuid)), format!("/past_meetings/{}/participants", s.id())]
    {
        let body = common::assert_zoom_error(s.get(&path).await, 404, 3001).await;
        assert_eq!(body["message"], "Meeting ID is invalid or not end.", "{path}");
    }
    let unknown = common::assert_zoom_error(s.get("/past_meetings/aGVsbG8gd29ybGQhIQ%3D%3D").await, 404, 3001).await;
    assert_eq!(unknown["message"], "This meeting is not available or ID is not valid.");
}

#[tokio::test]
async fn past_meetings_survive_the_meeting_being_deleted() {
    let s = setup(common::fast_config()).await;
    let report = s.sim.play(s.id(), script(1800, 100_000.0)).expect("play").wait().await.expect("played");
    let deleted = s
        .http
        .delete(format!("{}/meetings/{}", s.sim.api_base_url(), s.id()))
        .bearer_auth(&s.token)
        .send()
        .await
        .expect("request");
    assert_eq!(deleted.status(), 204);
    let past = s.get(&format!("/past_meetings/{}", twice(&report.uuid))).await;
    assert_eq!(past.status(), 200);
}
