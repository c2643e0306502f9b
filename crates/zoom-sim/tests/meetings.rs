//! Meetings: create, get, update, delete; Zoom's validation errors; recurring occurrences; users.

mod common;

use std::sync::Arc;

use serde_json::{Value, json};
use zoom_sim::{ManualClock, ZoomSim, ZoomSimConfig};

struct Api {
    sim: ZoomSim,
    http: reqwest::Client,
    token: String,
}

impl Api {
    /// A simulator whose clock stands at 2026-11-01T00:00:00Z, before every meeting these tests
    /// schedule, so no occurrence is over (Zoom hides those).
    async fn start() -> Self {
        let clock = ManualClock::at(1_793_491_200_000);
        let sim = common::start(ZoomSimConfig { clock: Arc::new(clock), ..ZoomSimConfig::default() }).await;
        let http = common::client();
        let token = common::token(&http, &sim).await;
        Self { sim, http, token }
    }

    async fn create_raw(&self, host: &str, body: Value) -> reqwest::Response {
        self.http
            .post(format!("{}/users/{host}/meetings", self.sim.api_base_url()))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    async fn create(&self, body: Value) -> Value {
        common::create_meeting(&self.http, &self.sim, &self.token, "oleg@butterboard.online", body).await
    }

    async fn get(&self, id: &Value) -> reqwest::Response {
        self.http
            .get(format!("{}/meetings/{id}", self.sim.api_base_url()))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("request")
    }

    async fn patch(&self, id: &Value, body: Value) -> reqwest::Response {
        self.http
            .patch(format!("{}/meetings/{id}", self.sim.api_base_url()))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    /// Asserts a 400 with code 300 whose message and `errors[].field` name `field`.
    async fn assert_invalid(&self, body: Value, field: &str) {
        let response = self.create_raw("oleg@butterboard.online", body).await;
        let error = common::assert_zoom_error(response, 400, 300).await;
        assert!(error["message"].as_str().is_some_and(|m| m.contains(field)), "{field}: {error}");
        assert_eq!(error["errors"][0]["field"], field, "{error}");
    }
}

#[tokio::test]
async fn a_scheduled_meeting_is_created_with_zooms_fields_and_echoed_settings() {
    let api = Api::start().await;
    let mut body = common::meeting_body();
    body["settings"]["join_before_host"] = json!(true);
    body["settings"]["waiting_room"] = json!(true);
    body["settings"]["alternative_hosts"] = json!("hr@butterboard.online");
    body["settings"]["approval_type"] = json!(2);
    let m = api.create(body).await;
    let id = m["id"].as_i64().expect("id is an int64");
    assert!((1_000_000_000..=99_999_999_999).contains(&id), "10–11 digits: {id}");
    let uuid = m["uuid"].as_str().expect("uuid");
    assert_eq!(uuid.len(), 24);
    assert!(uuid.ends_with("=="));
    assert_eq!(m["topic"], "Meet the team");
    assert_eq!(m["type"], 2);
    assert_eq!(m["start_time"], "2026-12-01T09:00:00Z");
    assert_eq!(m["duration"], 45);
    assert_eq!(m["timezone"], "Europe/Moscow");
    assert_eq!(m["agenda"], "Introductions");
    assert_eq!(m["host_email"], "oleg@butterboard.online");
    assert!(m["join_url"].as_str().is_some_and(|u| u.contains(&id.to_string())));
    assert!(m["start_url"].is_string());
    assert!(m["password"].as_str().is_some_and(|p| !p.is_empty()));
    let s = &m["settings"];
    assert_eq!(s["auto_recording"], "cloud");
    assert_eq!(s["meeting_invitees"], json!([{"email": "anna@butterboard.online"}]));
    assert_eq!(s["join_before_host"], true);
    assert_eq!(s["waiting_room"], true);
    assert_eq!(s["alternative_hosts"], "hr@butterboard.online");
    assert_eq!(s["mute_upon_entry"], false, "defaults fill the rest");
    assert!(m.get("occurrences").is_none());
}

#[tokio::test]
async fn a_local_start_time_is_read_in_the_meetings_time_zone() {
    let api = Api::start().await;
    let m = api.create(json!({"topic": "t", "type": 2, "start_time": "2026-12-01T12:00:00", "timezone": "Europe/Moscow", "duration": 30})).await;
    assert_eq!(m["start_time"], "2026-12-01T09:00:00Z", "12:00 in Moscow is 09:00 UTC");
}

#[tokio::test]
async fn get_update_and_delete_follow_zooms_statuses() {
    let api = Api::start().await;
    let m = api.create(common::meeting_body()).await;
    let got = api.get(&m["id"]).await;
    assert_eq!(got.status(), 200);
    let got: Value = got.json().await.expect("json");
    assert_eq!(got["uuid"], m["uuid"]);
    assert_eq!(got["settings"], m["settings"]);

    let patched = api
        .patch(&m["id"], json!({"topic": "Meet the whole team", "duration": 60, "settings": {"waiting_room": true}}))
        .await;
    assert_eq!(patched.status(), 204);
    assert!(patched.bytes().await.expect("body").is_empty());
    let after: Value = api.get(&m["id"]).await.json().await.expect("json");
    assert_eq!(after["topic"], "Meet the whole team");
    assert_eq!(after["duration"], 60);
    assert_eq!(after["settings"]["waiting_room"], true);
    assert_eq!(after["settings"]["auto_recording"], "cloud", "settings not sent stay");
    assert_eq!(after["start_time"], m["start_time"]);

    let deleted = api
        .http
        .delete(format!("{}/meetings/{}", api.sim.api_base_url(), m["id"]))
        .bearer_auth(&api.token)
        .send()
        .await
        .expect("request");
    assert_eq!(deleted.status(), 204);
    let gone = common::assert_zoom_error(api.get(&m["id"]).await, 404, 3001).await;
    assert_eq!(gone["message"], format!("Meeting does not exist: {}.", m["id"]));
}

#[tokio::test]
async fn an_unknown_meeting_is_404_code_3001_for_get_patch_and_delete() {
    let api = Api::start().await;
    let id = json!(84512390771i64);
    common::assert_zoom_error(api.get(&id).await, 404, 3001).await;
    common::assert_zoom_error(api.patch(&id, json!({"topic": "x"})).await, 404, 3001).await;
    let deleted = api
        .http
        .delete(format!("{}/meetings/{id}", api.sim.api_base_url()))
        .bearer_auth(&api.token)
        .send()
        .await
        .expect("request");
    common::assert_zoom_error(deleted, 404, 3001).await;
}

#[tokio::test]
async fn me_and_unknown_user_ids_are_refused_with_code_1001() {
    let api = Api::start().await;
    let me = common::assert_zoom_error(api.create_raw("me", common::meeting_body()).await, 404, 1001).await;
    assert!(me["message"].as_str().is_some_and(|m| m.starts_with("User does not exist: me")));
    common::assert_zoom_error(api.create_raw("NoSuchUserId", common::meeting_body()).await, 404, 1001).await;
    // The host's user id works as well as the e-mail.
    let m = api.create(common::meeting_body()).await;
    let by_id = api.create_raw(m["host_id"].as_str().expect("host_id"), common::meeting_body()).await;
    assert_eq!(by_id.status(), 201);
}

#[tokio::test]
async fn users_outside_the_account_are_unknown_when_provisioning_is_off() {
    let config = ZoomSimConfig {
        auto_provision_users: false,
        users: vec!["oleg@butterboard.online".into()],
        ..ZoomSimConfig::default()
    };
    let sim = common::start(config).await;
    let http = common::client();
    let token = common::token(&http, &sim).await;
    common::create_meeting(&http, &sim, &token, "oleg@butterboard.online", common::meeting_body()).await;
    let stranger = http
        .post(format!("{}/users/stranger@example.com/meetings", sim.api_base_url()))
        .bearer_auth(&token)
        .json(&common::meeting_body())
        .send()
        .await
        .expect("request");
    common::assert_zoom_error(stranger, 404, 1001).await;
}

#[tokio::test]
async fn invalid_fields_are_400_code_300_naming_the_field() {
    let api = Api::start().await;
    let weekly = |rec: Value| json!({"topic": "t", "type": 8, "start_time": "2026-12-07T09:00:00Z", "recurrence": rec});
    api.assert_invalid(json!({"type": 5}), "type").await;
    api.assert_invalid(json!({"type": 2, "start_time": "2026-12-01 09:00"}), "start_time").await;
    api.assert_invalid(json!({"type": 2, "start_time": "2026-12-01T09:00:00+03:00"}), "start_time").await;
    api.assert_invalid(json!({"type": 2, "duration": "45"}), "duration").await;
    api.assert_invalid(json!({"type": 2, "timezone": "Mars/Olympus"}), "timezone").await;
    api.assert_invalid(json!({"type": 2, "topic": "x".repeat(201)}), "topic").await;
    api.assert_invalid(json!({"type": 2, "agenda": "x".repeat(2001)}), "agenda").await;
    api.assert_invalid(json!({"type": 8, "start_time": "2026-12-07T09:00:00Z"}), "recurrence").await;
    api.assert_invalid(weekly(json!({"type": 2, "weekly_days": 2})), "recurrence.weekly_days").await;
    api.assert_invalid(weekly(json!({"type": 2, "weekly_days": [2, 4]})), "recurrence.weekly_days").await;
    api.assert_invalid(weekly(json!({"type": 2, "weekly_days": "2,8"})), "recurrence.weekly_days").await;
    api.assert_invalid(weekly(json!({"type": 2, "weekly_days": "2", "end_times": 51})), "recurrence.end_times").await;
    api.assert_invalid(weekly(json!({"type": 2, "weekly_days": "2", "end_times": 0})), "recurrence.end_times").await;
    api.assert_invalid(weekly(json!({"type": 9})), "recurrence.type").await;
    api.assert_invalid(
        weekly(json!({"type": 2, "end_times": 3, "end_date_time": "2027-01-01T00:00:00Z"})),
        "recurrence.end_date_time",
    )
    .await;
    api.assert_invalid(json!({"type": 2, "settings": {"auto_recording": "yes"}}), "settings.auto_recording").await;
    api.assert_invalid(json!({"type": 2, "settings": {"join_before_host": "true"}}), "settings.join_before_host").await;
    api.assert_invalid(
        json!({"type": 2, "settings": {"meeting_invitees": [{"email": "anna"}]}}),
        "settings.meeting_invitees[0].email",
    )
    .await;
    api.assert_invalid(
        json!({"type": 2, "settings": {"alternative_hosts": "not-an-email"}}),
        "settings.alternative_hosts",
    )
    .await;
    api.assert_invalid(json!({"type": 2, "settings": {"approval_type": 7}}), "settings.approval_type").await;
    // Nothing invalid was created.
    assert!(api.sim.meetings().is_empty());
}

#[tokio::test]
async fn a_body_that_is_not_a_json_object_is_code_300() {
    let api = Api::start().await;
    let response = api
        .http
        .post(format!("{}/users/oleg@butterboard.online/meetings", api.sim.api_base_url()))
        .bearer_auth(&api.token)
        .header("content-type", "application/json")
        .body("[1, 2")
        .send()
        .await
        .expect("request");
    common::assert_zoom_error(response, 400, 300).await;
}

#[tokio::test]
async fn a_weekly_series_lists_its_occurrences_on_the_chosen_days_with_epoch_ms_ids() {
    let api = Api::start().await;
    // Monday 2026-12-07 09:00 Moscow; "2,4" = Monday and Wednesday (1 = Sunday).
    let m = api
        .create(json!({
            "topic": "Weekly one-on-one", "type": 8, "start_time": "2026-12-07T09:00:00", "timezone": "Europe/Moscow",
            "duration": 30, "recurrence": {"type": 2, "repeat_interval": 1, "weekly_days": "2,4", "end_times": 4}
        }))
        .await;
    assert_eq!(m["recurrence"], json!({"type": 2, "repeat_interval": 1, "weekly_days": "2,4", "end_times": 4}));
    let occurrences = m["occurrences"].as_array().expect("occurrences");
    let starts: Vec<&str> = occurrences.iter().filter_map(|o| o["start_time"].as_str()).collect();
    assert_eq!(
        starts,
        ["2026-12-07T06:00:00Z", "2026-12-09T06:00:00Z", "2026-12-14T06:00:00Z", "2026-12-16T06:00:00Z"]
    );
    for o in occurrences {
        assert_eq!(o["duration"], 30);
        assert_eq!(o["status"], "available");
        let id: i64 = o["occurrence_id"].as_str().expect("string id").parse().expect("digits");
        let start = o["start_time"].as_str().expect("start");
        assert_eq!(jiff::Timestamp::from_millisecond(id).expect("ms").to_string(), start);
    }

    // Deleting one occurrence removes it and leaves the series' end where it was.
    let first = occurrences[1]["occurrence_id"].as_str().expect("id").to_string();
    let deleted = api
        .http
        .delete(format!("{}/meetings/{}", api.sim.api_base_url(), m["id"]))
        .query(&[("occurrence_id", &first)])
        .bearer_auth(&api.token)
        .send()
        .await
        .expect("request");
    assert_eq!(deleted.status(), 204);
    let after: Value = api.get(&m["id"]).await.json().await.expect("json");
    assert_eq!(after["occurrences"].as_array().map(Vec::len), Some(3));
    assert!(after["occurrences"].as_array().expect("list").iter().all(|o| o["occurrence_id"] != first.as_str()));
}

#[tokio::test]
async fn a_series_with_an_end_date_stops_there_and_a_daily_series_steps_by_its_interval() {
    let api = Api::start().await;
    let weekly = api
        .create(json!({
            "type": 8, "start_time": "2026-12-01T10:00:00Z", "duration": 15,
            "recurrence": {"type": 2, "weekly_days": "3", "end_date_time": "2026-12-22T23:59:00Z"}
        }))
        .await;
    assert_eq!(weekly["occurrences"].as_array().map(Vec::len), Some(4), "Tuesdays 1, 8, 15 and 22 December");
    let daily = api
        .create(json!({"type": 8, "start_time": "2026-12-01T10:00:00Z", "recurrence": {"type": 1, "repeat_interval": 2, "end_times": 3}}))
        .await;
    let starts: Vec<&str> =
        daily["occurrences"].as_array().expect("list").iter().filter_map(|o| o["start_time"].as_str()).collect();
    assert_eq!(starts, ["2026-12-01T10:00:00Z", "2026-12-03T10:00:00Z", "2026-12-05T10:00:00Z"]);
}

#[tokio::test]
async fn patching_a_meeting_into_a_recurring_one_needs_a_recurrence() {
    let api = Api::start().await;
    let m = api.create(common::meeting_body()).await;
    common::assert_zoom_error(api.patch(&m["id"], json!({"type": 8})).await, 400, 300).await;
    let ok =
        api.patch(&m["id"], json!({"type": 8, "recurrence": {"type": 2, "weekly_days": "2", "end_times": 2}})).await;
    assert_eq!(ok.status(), 204);
    let after: Value = api.get(&m["id"]).await.json().await.expect("json");
    assert_eq!(after["occurrences"].as_array().map(Vec::len), Some(2));
}
