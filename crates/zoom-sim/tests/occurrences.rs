//! One occurrence of a recurring meeting: `GET` and `PATCH /meetings/{id}?occurrence_id=`, Zoom's
//! 3000 for an occurrence that is not one, and occurrences that are over.

mod common;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use zoom_sim::{ManualClock, ZoomSim, ZoomSimConfig};

/// 2026-11-01T00:00:00Z.
const NOW_MS: i64 = 1_793_491_200_000;

struct Setup {
    sim: ZoomSim,
    clock: ManualClock,
    http: reqwest::Client,
    token: String,
    id: i64,
    occurrences: Vec<String>,
}

/// Mondays and Wednesdays at 09:00 Moscow (06:00Z) from Monday 2026-12-07, four times.
async fn setup() -> Setup {
    let clock = ManualClock::at(NOW_MS);
    // Tokens outlive the clock moves below.
    let token_ttl = Duration::from_secs(90 * 86_400);
    let sim =
        common::start(ZoomSimConfig { clock: Arc::new(clock.clone()), token_ttl, ..ZoomSimConfig::default() }).await;
    let http = common::client();
    let token = common::token(&http, &sim).await;
    let body = json!({
        "topic": "Weekly one-on-one", "type": 8, "start_time": "2026-12-07T09:00:00", "timezone": "Europe/Moscow",
        "duration": 30, "recurrence": {"type": 2, "weekly_days": "2,4", "end_times": 4}
    });
    let m = common::create_meeting(&http, &sim, &token, "oleg@butterboard.online", body).await;
    let occurrences = m["occurrences"]
        .as_array()
        .expect("list")
        .iter()
        .map(|o| o["occurrence_id"].as_str().expect("id").to_string())
        .collect();
    Setup { sim, clock, http, token, id: m["id"].as_i64().expect("id"), occurrences }
}

impl Setup {
    fn url(&self, occurrence: Option<&str>) -> String {
        match occurrence {
            Some(o) => format!("{}/meetings/{}?occurrence_id={o}", self.sim.api_base_url(), self.id),
            None => format!("{}/meetings/{}", self.sim.api_base_url(), self.id),
        }
    }

    async fn patch(&self, occurrence: &str, body: Value) -> reqwest::Response {
        self.http.patch(self.url(Some(occurrence))).bearer_auth(&self.token).json(&body).send().await.expect("request")
    }

    async fn meeting(&self) -> Value {
        common::get_ok(&self.http, &self.url(None), &self.token).await
    }
}

fn starts(meeting: &Value) -> Vec<(String, String, i64)> {
    meeting["occurrences"]
        .as_array()
        .expect("occurrences")
        .iter()
        .map(|o| {
            let id = o["occurrence_id"].as_str().unwrap_or("").to_string();
            (id, o["start_time"].as_str().unwrap_or("").to_string(), o["duration"].as_i64().unwrap_or(0))
        })
        .collect()
}

#[tokio::test]
async fn one_occurrence_is_read_and_moved_without_touching_the_others() {
    let s = setup().await;
    let second = s.occurrences[1].clone();
    let read = common::get_ok(&s.http, &s.url(Some(&second)), &s.token).await;
    assert_eq!((read["start_time"].as_str(), read["duration"].as_i64()), (Some("2026-12-09T06:00:00Z"), Some(30)));

    // 10:00 Moscow, read in the meeting's time zone, for 45 minutes.
    let moved = s.patch(&second, json!({"start_time": "2026-12-09T10:00:00", "duration": 45})).await;
    assert_eq!(moved.status(), 204);
    let after = s.meeting().await;
    assert_eq!(
        starts(&after),
        [
            (s.occurrences[0].clone(), "2026-12-07T06:00:00Z".into(), 30),
            (second.clone(), "2026-12-09T07:00:00Z".into(), 45),
            (s.occurrences[2].clone(), "2026-12-14T06:00:00Z".into(), 30),
            (s.occurrences[3].clone(), "2026-12-16T06:00:00Z".into(), 30),
        ],
        "the moved occurrence keeps its id"
    );
    assert_eq!(after["start_time"], "2026-12-07T06:00:00Z", "the series start stays");
    assert_eq!(after["duration"], 30);
    let read = common::get_ok(&s.http, &s.url(Some(&second)), &s.token).await;
    assert_eq!((read["start_time"].as_str(), read["duration"].as_i64()), (Some("2026-12-09T07:00:00Z"), Some(45)));

    let received = s.sim.received_requests();
    let last = received.last().expect("recorded");
    assert_eq!(
        (last.method.as_str(), last.occurrence_id.as_deref(), last.status),
        ("PATCH", Some(second.as_str()), 204)
    );
    assert_eq!(last.body, json!({"start_time": "2026-12-09T10:00:00", "duration": 45}));
}

#[tokio::test]
async fn an_occurrence_that_is_not_one_is_400_code_3000_and_series_fields_are_refused() {
    let s = setup().await;
    common::assert_zoom_error(s.patch("123", json!({"duration": 40})).await, 400, 3000).await;
    common::assert_zoom_error(common::get(&s.http, &s.url(Some("123")), &s.token).await, 400, 3000).await;
    let deleted = s.http.delete(s.url(Some("123"))).bearer_auth(&s.token).send().await.expect("request");
    let body = common::assert_zoom_error(deleted, 400, 3000).await;
    assert_eq!(body["message"], "Invalid occurrence_id.");
    let topic = common::assert_zoom_error(s.patch(&s.occurrences[0], json!({"topic": "x"})).await, 400, 300).await;
    assert_eq!(topic["errors"][0]["field"], "topic");
    assert_eq!(starts(&s.meeting().await).len(), 4, "nothing changed");
}

#[tokio::test]
async fn occurrences_that_are_over_are_hidden_unless_previous_ones_are_asked_for() {
    let s = setup().await;
    s.clock.set(1_796_630_400_000); // 2026-12-07T08:00:00Z, after the first occurrence
    let current = s.meeting().await;
    assert_eq!(starts(&current).first().map(|o| o.0.clone()), Some(s.occurrences[1].clone()));
    assert_eq!(starts(&current).len(), 3);
    let url = format!("{}?show_previous_occurrences=true", s.url(None));
    let all = common::get_ok(&s.http, &url, &s.token).await;
    assert_eq!(starts(&all).len(), 4);
}
