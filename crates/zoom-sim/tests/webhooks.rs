//! Playing a meeting to a local receiver: Zoom's events in order, signed as Zoom signs, shaped as
//! the real deliveries in the shared fixtures, retried on Zoom's (compressed) schedule.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{Receiver, Reply};
use serde_json::Value;
use zoom_sim::signing::verify;
use zoom_sim::{DeliveryState, PlayScript, RetryTimestamp, WebhookConfig, ZoomSim, ZoomSimConfig};

const SECRET: &str = "sim-webhook-secret";

async fn sim_with_receiver(webhook: WebhookConfig) -> (ZoomSim, Receiver, i64) {
    let receiver = Receiver::start().await;
    let webhook = WebhookConfig { endpoint: Some(receiver.url.clone()), ..webhook };
    // Retries and plays run 60 000 times faster than real time.
    let sim = common::start(compressed(ZoomSimConfig { webhook, ..ZoomSimConfig::default() })).await;
    let http = common::client();
    let token = common::token(&http, &sim).await;
    let m = common::create_meeting(&http, &sim, &token, "oleg@butterboard.online", common::meeting_body()).await;
    let id = m["id"].as_i64().expect("id");
    (sim, receiver, id)
}

/// Retries 5, 25 and 85 minutes after the first try become 5, 25 and 85 ms.
fn fast_retries() -> WebhookConfig {
    WebhookConfig {
        retry_offsets: [5, 25, 85].map(|m| Duration::from_secs(m * 60)).to_vec(),
        ..WebhookConfig::default()
    }
}

fn compressed(config: ZoomSimConfig) -> ZoomSimConfig {
    ZoomSimConfig { time_compression: 60_000.0, ..config }
}

#[tokio::test]
async fn a_played_meeting_posts_zooms_events_in_order_and_every_signature_verifies() {
    let (sim, receiver, id) = sim_with_receiver(WebhookConfig::default()).await;
    let report = sim.play(id, common::full_script(10_000)).expect("play starts").wait().await.expect("play ends");
    assert!(report.completed);
    let expected = [
        "meeting.started",
        "meeting.participant_joined",
        "meeting.participant_joined",
        "meeting.chat_message_sent",
        "meeting.participant_left",
        "meeting.participant_left",
        "meeting.ended",
        "recording.completed",
        "recording.transcript_completed",
    ];
    assert_eq!(receiver.events(), expected);
    for r in receiver.received() {
        assert!(verify(SECRET, &r.timestamp, &r.body, &r.signature), "{} is signed", r.event);
        assert!(!verify("sim-secret", &r.timestamp, &r.body, &r.signature), "not with the oauth secret");
        assert_eq!(r.timestamp.len(), 10, "x-zm-request-timestamp is in seconds");
        let event_ts = r.json()["event_ts"].as_i64().expect("event_ts");
        assert_eq!(event_ts.to_string().len(), 13, "event_ts is in milliseconds");
    }
    let ts: Vec<i64> = receiver.received().iter().map(|r| r.json()["event_ts"].as_i64().unwrap_or_default()).collect();
    assert!(ts.windows(2).all(|w| w[0] <= w[1]), "event_ts grows: {ts:?}");
    let deliveries = sim.deliveries();
    assert_eq!(deliveries.len(), expected.len());
    assert!(deliveries.iter().all(|d| d.state == DeliveryState::Delivered && d.attempts.len() == 1));
    assert!(deliveries.iter().all(|d| d.attempts[0].status == Some(200)));
}

#[tokio::test]
async fn meeting_ids_are_strings_in_meeting_events_and_numbers_in_recording_and_chat_events() {
    let (sim, receiver, id) = sim_with_receiver(WebhookConfig::default()).await;
    let report = sim.play(id, common::full_script(10_000)).expect("play").wait().await.expect("ends");
    for r in receiver.received() {
        let body = r.json();
        let object = &body["payload"]["object"];
        assert_eq!(object["uuid"], report.uuid.as_str());
        match r.event.as_str() {
            "meeting.chat_message_sent" | "recording.completed" | "recording.transcript_completed" => {
                assert_eq!(object["id"].as_i64(), Some(id), "{}", r.event)
            }
            _ => assert_eq!(object["id"].as_str(), Some(id.to_string().as_str()), "{}", r.event),
        }
    }
    let completed =
        receiver.received().into_iter().find(|r| r.event == "recording.completed").expect("completed").json();
    assert!(
        completed["download_token"].as_str().is_some_and(|t| !t.is_empty()),
        "download_token beside event and payload"
    );
    assert!(completed["payload"].get("download_token").is_none());
    let files = completed["payload"]["object"]["recording_files"].as_array().expect("files").clone();
    let types: Vec<&str> = files.iter().filter_map(|f| f["file_type"].as_str()).collect();
    assert_eq!(types, ["MP4", "MP4", "M4A", "M4A", "CHAT", "TIMELINE"], "a paused recording gives two segments");
    for f in &files {
        assert_eq!(f["meeting_id"], report.uuid.as_str(), "meeting_id is the uuid");
        assert!(f["download_url"].as_str().is_some_and(|u| u.contains("/rec/download/")));
        assert_eq!(f["status"], "completed");
        assert_eq!(f.get("play_url").is_some(), f["file_type"] != "TIMELINE", "TIMELINE has no play_url");
    }
    assert_eq!(files[0]["file_size"], 10_000);
    assert_ne!(files[0]["recording_start"], files[1]["recording_start"]);
    let transcript =
        receiver.received().into_iter().find(|r| r.event == "recording.transcript_completed").expect("t").json();
    let t_files = transcript["payload"]["object"]["recording_files"].as_array().expect("files").clone();
    assert_eq!(t_files.len(), 1);
    assert_eq!(t_files[0]["file_type"], "TRANSCRIPT");
    assert_eq!(t_files[0]["file_extension"], "VTT");
}

/// Every JSON path of a value with the type found there (array elements merged under `[]`).
fn shape(value: &Value, path: String, out: &mut BTreeSet<String>) {
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    out.insert(format!("{path}: {kind}"));
    match value {
        Value::Array(items) => items.iter().for_each(|v| shape(v, format!("{path}[]"), out)),
        Value::Object(map) => map.iter().for_each(|(k, v)| shape(v, format!("{path}.{k}"), out)),
        _ => {}
    }
}

fn shape_of(value: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    shape(value, String::new(), &mut out);
    out
}

#[tokio::test]
async fn every_event_has_exactly_the_shape_of_the_real_delivery_in_the_fixtures() {
    let (sim, receiver, id) = sim_with_receiver(WebhookConfig::default()).await;
    sim.play(id, common::full_script(10_000)).expect("play").wait().await.expect("ends");
    let received = receiver.received();
    for file in [
        "meeting.started",
        "meeting.participant_joined",
        "meeting.participant_left",
        "meeting.chat_message_sent",
        "meeting.ended",
        "recording.completed",
        "recording.transcript_completed",
    ] {
        let text = std::fs::read_to_string(format!("{}/{file}.json", common::FIXTURES)).expect("fixture");
        let fixture: Value = serde_json::from_str(&text).expect("fixture json");
        let ours = received.iter().find(|r| r.event == file).unwrap_or_else(|| panic!("{file} was sent")).json();
        assert_eq!(shape_of(&ours), shape_of(&fixture), "{file}");
    }
}

#[tokio::test]
async fn a_failing_endpoint_is_retried_on_the_compressed_schedule_until_it_answers_200() {
    let (sim, receiver, id) = sim_with_receiver(fast_retries()).await;
    receiver.reply("meeting.started", vec![Reply::status(500), Reply::status(503)]);
    let script = PlayScript { duration_secs: Some(60), time_compression: Some(60_000.0), ..PlayScript::default() };
    sim.play(id, script).expect("play").wait().await.expect("ends");
    assert!(sim.wait_for_deliveries_settled(Duration::from_secs(5)).await);
    let started = sim.deliveries().into_iter().find(|d| d.event == "meeting.started").expect("started");
    let statuses: Vec<_> = started.attempts.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [Some(500), Some(503), Some(200)]);
    assert_eq!(started.state, DeliveryState::Delivered);
    assert!(!started.attempts[0].success && started.attempts[2].success);
    // Each attempt is signed with the timestamp it carries.
    let posts: Vec<_> = receiver.received().into_iter().filter(|r| r.event == "meeting.started").collect();
    assert_eq!(posts.len(), 3);
    assert!(posts.iter().all(|p| verify(SECRET, &p.timestamp, &p.body, &p.signature)));
    assert!(posts.windows(2).all(|w| w[0].body == w[1].body), "a retry repeats the same body");
    // 5 and 25 "minutes" after the first try, compressed 60 000 times: 5 ms and 25 ms.
    let gap1 = posts[1].at - posts[0].at;
    let gap2 = posts[2].at - posts[0].at;
    assert!(gap1 >= Duration::from_millis(4) && gap2 >= Duration::from_millis(24), "{gap1:?} {gap2:?}");
}

#[tokio::test]
async fn an_event_is_dropped_after_the_third_failed_retry() {
    let (sim, receiver, id) = sim_with_receiver(fast_retries()).await;
    receiver.reply("meeting.started", vec![Reply::status(500); 4]);
    let script = PlayScript { duration_secs: Some(60), time_compression: Some(60_000.0), ..PlayScript::default() };
    sim.play(id, script).expect("play").wait().await.expect("ends");
    assert!(sim.wait_for_deliveries_settled(Duration::from_secs(5)).await);
    let started = sim.deliveries().into_iter().find(|d| d.event == "meeting.started").expect("started");
    assert_eq!(started.attempts.len(), 4, "the first try and three retries");
    assert_eq!(started.state, DeliveryState::Dropped);
}

#[tokio::test]
async fn an_endpoint_slower_than_the_timeout_counts_as_failed_and_is_retried() {
    let webhook = WebhookConfig { timeout: Duration::from_millis(300), ..fast_retries() };
    let (sim, receiver, id) = sim_with_receiver(webhook).await;
    receiver.reply("meeting.started", vec![Reply::slow(Duration::from_millis(1200))]);
    let script = PlayScript { duration_secs: Some(60), time_compression: Some(60_000.0), ..PlayScript::default() };
    sim.play(id, script).expect("play").wait().await.expect("ends");
    assert!(sim.wait_for_deliveries_settled(Duration::from_secs(5)).await);
    let started = sim.deliveries().into_iter().find(|d| d.event == "meeting.started").expect("started");
    let first = &started.attempts[0];
    assert_eq!(first.error.as_deref(), Some("timeout"));
    assert_eq!(first.status, None);
    assert!(!first.success);
    assert!(first.latency_ms >= 300);
    assert_eq!(started.attempts.len(), 2);
    assert_eq!(started.state, DeliveryState::Delivered);
}

/// Fails the first `meeting.started`, moves the clock 7 s once it arrived, and returns the
/// timestamps and signatures of the two attempts.
async fn first_and_retry(mode: RetryTimestamp) -> Vec<(String, String)> {
    let receiver = Receiver::start().await;
    let webhook = WebhookConfig {
        endpoint: Some(receiver.url.clone()),
        retry_timestamp: mode,
        // One retry an hour later: 60 ms at this compression, time to move the clock.
        retry_offsets: vec![Duration::from_secs(3600)],
        ..WebhookConfig::default()
    };
    let clock = zoom_sim::ManualClock::at(1_764_579_600_000);
    let config =
        ZoomSimConfig { webhook, clock: std::sync::Arc::new(clock.clone()), ..compressed(ZoomSimConfig::default()) };
    let sim = common::start(config).await;
    let http = common::client();
    let token = common::token(&http, &sim).await;
    let body = common::meeting_body();
    let id =
        common::create_meeting(&http, &sim, &token, "oleg@butterboard.online", body).await["id"].as_i64().expect("id");
    receiver.reply("meeting.started", vec![Reply::status(500)]);
    let handle = sim.play(id, PlayScript { duration_secs: Some(60), ..PlayScript::default() }).expect("play");
    while receiver.received().is_empty() {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    clock.advance(7_000);
    handle.wait().await.expect("ends");
    assert!(sim.wait_for_deliveries_settled(Duration::from_secs(5)).await);
    let started: Vec<_> = receiver.received().into_iter().filter(|r| r.event == "meeting.started").collect();
    assert_eq!(started.len(), 2);
    assert!(started.iter().all(|r| verify(SECRET, &r.timestamp, &r.body, &r.signature)));
    started.into_iter().map(|r| (r.timestamp, r.signature)).collect()
}

#[tokio::test]
async fn a_retry_is_signed_anew_with_the_time_it_is_sent_by_default() {
    let attempts = first_and_retry(RetryTimestamp::Fresh).await;
    assert_eq!(attempts[0].0, "1764579600");
    assert_eq!(attempts[1].0, "1764579607");
    assert_ne!(attempts[0].1, attempts[1].1);
}

#[tokio::test]
async fn retries_carry_the_first_timestamp_when_configured_so() {
    let attempts = first_and_retry(RetryTimestamp::Original).await;
    assert_eq!(attempts[0], attempts[1]);
}

#[tokio::test]
async fn the_transcript_can_arrive_before_the_recording() {
    let (sim, receiver, id) = sim_with_receiver(WebhookConfig::default()).await;
    let script = PlayScript { transcript_first: true, ..common::full_script(1000) };
    sim.play(id, script).expect("play").wait().await.expect("ends");
    let events = receiver.events();
    let t = events.iter().position(|e| e == "recording.transcript_completed").expect("transcript");
    let r = events.iter().position(|e| e == "recording.completed").expect("recording");
    assert!(t < r, "{events:?}");
}

#[tokio::test]
async fn a_meeting_without_a_transcript_sends_no_transcript_event() {
    let (sim, receiver, id) = sim_with_receiver(WebhookConfig::default()).await;
    let script = PlayScript { transcript: None, ..common::full_script(1000) };
    sim.play(id, script).expect("play").wait().await.expect("ends");
    assert!(receiver.events().contains(&"recording.completed".to_string()));
    assert!(!receiver.events().contains(&"recording.transcript_completed".to_string()));
}

#[tokio::test]
async fn without_an_endpoint_events_are_recorded_but_not_sent() {
    let sim = common::start(common::fast_config()).await;
    let http = common::client();
    let token = common::token(&http, &sim).await;
    let id = common::create_meeting(&http, &sim, &token, "oleg@butterboard.online", common::meeting_body()).await["id"]
        .as_i64()
        .expect("id");
    sim.play(id, common::full_script(100)).expect("play").wait().await.expect("ends");
    let deliveries = sim.deliveries();
    assert_eq!(deliveries.len(), 9);
    assert!(deliveries.iter().all(|d| d.state == DeliveryState::NoEndpoint && d.attempts.is_empty()));
}

#[tokio::test]
async fn url_validation_is_signed_and_accepts_only_the_right_encrypted_token() {
    let (sim, receiver, _) = sim_with_receiver(WebhookConfig::default()).await;
    receiver.answer_validation_with(SECRET);
    let ok = sim.validate_endpoint().await.expect("challenge sent");
    assert!(ok.valid, "{ok:?}");
    assert_eq!(ok.status, Some(200));
    let challenge = receiver.received().pop().expect("challenge received");
    assert!(verify(SECRET, &challenge.timestamp, &challenge.body, &challenge.signature));
    let body = challenge.json();
    assert_eq!(body["event"], "endpoint.url_validation");
    assert_eq!(body["payload"]["plainToken"], ok.plain_token.as_str());
    assert!(body["event_ts"].is_i64());

    receiver.answer_validation_with("the-oauth-secret-by-mistake");
    let wrong = sim.validate_endpoint().await.expect("challenge sent");
    assert!(!wrong.valid);
    assert!(wrong.reason.as_deref().is_some_and(|r| r.contains("encryptedToken")));
    assert_eq!(sim.url_validations().len(), 2);
}

#[tokio::test]
async fn url_validation_without_an_endpoint_is_refused() {
    let sim = common::start(ZoomSimConfig::default()).await;
    assert!(sim.validate_endpoint().await.is_err());
}

#[tokio::test]
async fn a_meeting_cannot_be_played_twice_at_once_and_a_second_session_gets_a_new_uuid() {
    let (sim, _receiver, id) = sim_with_receiver(WebhookConfig::default()).await;
    let slow = PlayScript { duration_secs: Some(60), time_compression: Some(100.0), ..PlayScript::default() };
    let first = sim.play(id, slow).expect("first play");
    assert!(sim.play(id, PlayScript::default()).is_err(), "already playing");
    let first = first.wait().await.expect("ends");
    let second = sim
        .play(id, PlayScript { duration_secs: Some(60), ..PlayScript::default() })
        .expect("again")
        .wait()
        .await
        .expect("ends");
    let meeting = sim.meetings().into_iter().find(|m| m["id"] == id).expect("meeting");
    assert_eq!(first.uuid, meeting["uuid"].as_str().expect("uuid"), "the first session has the meeting's uuid");
    assert_ne!(second.uuid, first.uuid);
    assert_eq!(meeting["sim_sessions"].as_array().map(Vec::len), Some(2));
}
