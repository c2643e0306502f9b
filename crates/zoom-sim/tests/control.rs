//! The `/_sim` control and inspection endpoints, and state that survives a restart.

mod common;

use common::Receiver;
use serde_json::{Value, json};
use zoom_sim::ZoomSimConfig;

#[tokio::test]
async fn a_meeting_played_over_http_with_the_typical_script_shows_up_in_the_inspection_api() {
    let sim = common::start(common::fast_config()).await;
    let receiver = Receiver::start().await;
    let http = common::client();
    let set = http
        .put(format!("{}/_sim/webhooks/endpoint", sim.base_url()))
        .json(&json!({"url": receiver.url}))
        .send()
        .await
        .expect("request");
    assert_eq!(set.status(), 204);
    assert_eq!(sim.webhook_endpoint().as_deref(), Some(receiver.url.as_str()));
    let token = common::token(&http, &sim).await;
    let m = common::create_meeting(&http, &sim, &token, "oleg.ivanov@butterboard.online", common::meeting_body()).await;

    let played = http
        .post(format!("{}/_sim/meetings/{}/play?wait=true", sim.base_url(), m["id"]))
        .send()
        .await
        .expect("request");
    assert_eq!(played.status(), 200);
    let report: Value = played.json().await.expect("json");
    assert_eq!(report["completed"], true);
    assert_eq!(report["uuid"], m["uuid"]);

    // The typical script: the host and the invitee join, chat, a two-segment cloud recording, a transcript.
    let events = receiver.events();
    assert_eq!(events.iter().filter(|e| *e == "meeting.participant_joined").count(), 2);
    assert!(events.contains(&"meeting.chat_message_sent".to_string()));
    assert!(events.contains(&"recording.transcript_completed".to_string()));

    let webhooks: Value = http
        .get(format!("{}/_sim/webhooks", sim.base_url()))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let list = webhooks.as_array().expect("list");
    assert_eq!(list.len(), events.len());
    assert_eq!(list[0]["event"], "meeting.started");
    assert_eq!(list[0]["state"], "delivered");
    assert_eq!(list[0]["attempts"][0]["status"], 200);
    let one: Value = http
        .get(format!("{}/_sim/webhooks/1", sim.base_url()))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(one["id"], 1);

    let meetings: Value = http
        .get(format!("{}/_sim/meetings", sim.base_url()))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(meetings[0]["id"], m["id"]);
    let recordings: Value = http
        .get(format!("{}/_sim/recordings", sim.base_url()))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let mp4s =
        recordings[0]["recording_files"].as_array().expect("files").iter().filter(|f| f["file_type"] == "MP4").count();
    assert_eq!(mp4s, 2);
    let summary: Value =
        http.get(format!("{}/_sim", sim.base_url())).send().await.expect("request").json().await.expect("json");
    assert_eq!(summary["api_base_url"], sim.api_base_url());
    assert_eq!(summary["meetings"], 1);
}

#[tokio::test]
async fn playing_an_unknown_meeting_or_a_broken_script_is_a_clear_4xx() {
    let sim = common::start(common::fast_config()).await;
    let http = common::client();
    let unknown =
        http.post(format!("{}/_sim/meetings/12345678901/play", sim.base_url())).send().await.expect("request");
    common::assert_zoom_error(unknown, 404, 3001).await;
    let token = common::token(&http, &sim).await;
    let m = common::create_meeting(&http, &sim, &token, "oleg@butterboard.online", common::meeting_body()).await;
    let url = format!("{}/_sim/meetings/{}/play", sim.base_url(), m["id"]);
    let broken = http.post(&url).body("{\"participants\": 3}").send().await.expect("request");
    common::assert_zoom_error(broken, 400, 300).await;
    let late = json!({"duration_secs": 60, "recording": {"segments": [{"start_secs": 10, "end_secs": 120}]}});
    let body = common::assert_zoom_error(http.post(&url).json(&late).send().await.expect("request"), 400, 300).await;
    assert_eq!(body["errors"][0]["field"], "recording.segments[0]");
    let orphan = json!({"duration_secs": 60, "transcript": []});
    common::assert_zoom_error(http.post(&url).json(&orphan).send().await.expect("request"), 400, 300).await;
}

#[tokio::test]
async fn url_validation_can_be_triggered_over_http() {
    let sim = common::start(ZoomSimConfig::default()).await;
    let receiver = Receiver::start().await;
    receiver.answer_validation_with("sim-webhook-secret");
    sim.set_webhook_endpoint(Some(receiver.url.clone()));
    let http = common::client();
    let result: Value = http
        .post(format!("{}/_sim/webhooks/validate", sim.base_url()))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(result["valid"], true, "{result}");
    let listed: Value = http
        .get(format!("{}/_sim/webhooks/validations", sim.base_url()))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn an_unknown_path_is_a_json_404() {
    let sim = common::start(ZoomSimConfig::default()).await;
    let response = common::client().get(format!("{}/v2/nothing/here", sim.base_url())).send().await.expect("request");
    common::assert_zoom_error(response, 404, 404).await;
}

#[tokio::test]
async fn meetings_recordings_and_tokens_survive_a_restart_with_a_data_dir() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = || ZoomSimConfig { data_dir: Some(dir.path().to_path_buf()), ..common::fast_config() };
    let sim = common::start(config()).await;
    let http = common::client();
    let token = common::token(&http, &sim).await;
    let m = common::create_meeting(&http, &sim, &token, "oleg@butterboard.online", common::meeting_body()).await;
    sim.play(m["id"].as_i64().expect("id"), common::full_script(100)).expect("play").wait().await.expect("ends");
    sim.stop().await.expect("stops");
    assert!(dir.path().join("state.json").exists());

    let again = common::start(config()).await;
    let got = http
        .get(format!("{}/meetings/{}", again.api_base_url(), m["id"]))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(got.status(), 200, "the old token and the meeting are still known");
    let rec = http
        .get(format!("{}/meetings/{}/recordings", again.api_base_url(), m["id"]))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(rec.status(), 200);
    assert_eq!(again.recordings().len(), 1);
    again.stop().await.expect("stops");
}
