//! Users and their settings: `GET /users/{userId}`, `GET /users/{userId}/settings`, staging a host's
//! settings through `/_sim`, and what the settings change in new meetings and played sessions.

mod common;

use serde_json::{Value, json};
use zoom_sim::ZoomSimConfig;

const HOST: &str = "oleg.ivanov@butterboard.online";

#[tokio::test]
async fn a_user_is_found_by_email_or_id_with_zooms_fields() {
    let sim = common::start(ZoomSimConfig { users: vec![HOST.into()], ..ZoomSimConfig::default() }).await;
    let http = common::client();
    let token = common::token(&http, &sim).await;
    let by_email = common::get_ok(&http, &format!("{}/users/{HOST}", sim.api_base_url()), &token).await;
    assert_eq!(by_email["email"], HOST);
    assert_eq!((by_email["first_name"].as_str(), by_email["last_name"].as_str()), (Some("Oleg"), Some("Ivanov")));
    assert_eq!(by_email["type"], 2, "licensed");
    assert_eq!(by_email["status"], "active");
    assert_eq!(by_email["timezone"], "UTC");
    let id = by_email["id"].as_str().expect("id");
    let by_id = common::get_ok(&http, &format!("{}/users/{id}", sim.api_base_url()), &token).await;
    assert_eq!(by_id, by_email);
}

#[tokio::test]
async fn an_unknown_user_or_me_is_404_code_1001() {
    let config = ZoomSimConfig { users: vec![HOST.into()], auto_provision_users: false, ..ZoomSimConfig::default() };
    let sim = common::start(config).await;
    let http = common::client();
    let token = common::token(&http, &sim).await;
    for user in ["stranger@example.com", "me", "NoSuchId"] {
        for suffix in ["", "/settings"] {
            let response = common::get(&http, &format!("{}/users/{user}{suffix}", sim.api_base_url()), &token).await;
            let body = common::assert_zoom_error(response, 404, 1001).await;
            assert_eq!(body["message"], format!("User does not exist: {user}."));
        }
    }
    let unauthorised = common::get(&http, &format!("{}/users/{HOST}", sim.api_base_url()), "nope").await;
    common::assert_zoom_error(unauthorised, 401, 124).await;
}

#[tokio::test]
async fn settings_have_zooms_sections_and_a_host_without_cloud_recording_can_be_staged() {
    let sim = common::start(ZoomSimConfig::default()).await;
    let http = common::client();
    let token = common::token(&http, &sim).await;
    let url = format!("{}/users/{HOST}/settings", sim.api_base_url());
    let settings = common::get_ok(&http, &url, &token).await;
    assert_eq!(settings["in_meeting"]["chat"], true);
    assert_eq!(settings["recording"]["cloud_recording"], true);
    assert_eq!(settings["recording"]["save_chat_text"], true);
    assert_eq!(settings["recording"]["recording_audio_transcript"], true);
    assert_eq!(settings["recording"]["auto_recording"], "none");
    assert_eq!(settings["schedule_meeting"]["participants_video"], false, "plural, as in Zoom's user settings");

    let staged = http
        .patch(format!("{}/_sim/users/{HOST}/settings", sim.base_url()))
        .json(&json!({"recording": {"cloud_recording": false, "save_chat_text": false}}))
        .send()
        .await
        .expect("request");
    assert_eq!(staged.status(), 204);
    sim.set_user_settings(HOST, json!({"recording": {"recording_audio_transcript": false}})).expect("library call");
    let after = common::get_ok(&http, &url, &token).await;
    assert_eq!(after["recording"]["cloud_recording"], false);
    assert_eq!(after["recording"]["save_chat_text"], false);
    assert_eq!(after["recording"]["recording_audio_transcript"], false);
    assert_eq!(after["recording"]["local_recording"], true, "the rest of the section stays");
    assert_eq!(after["in_meeting"], settings["in_meeting"]);

    let wrong = http
        .patch(format!("{}/_sim/users/{HOST}/settings", sim.base_url()))
        .json(&json!({"recording": {"cloud_recording": "off"}}))
        .send()
        .await
        .expect("request");
    let body = common::assert_zoom_error(wrong, 400, 300).await;
    assert_eq!(body["errors"][0]["field"], "recording.cloud_recording");
}

#[tokio::test]
async fn a_meeting_inherits_the_hosts_defaults_for_settings_its_body_leaves_out() {
    let sim = common::start(ZoomSimConfig::default()).await;
    sim.set_user_settings(
        HOST,
        json!({"recording": {"auto_recording": "cloud"}, "in_meeting": {"waiting_room": true}}),
    )
    .expect("staged");
    let http = common::client();
    let token = common::token(&http, &sim).await;
    let bare = json!({"topic": "t", "type": 2, "start_time": "2027-01-10T09:00:00Z", "duration": 30});
    let inherited = common::create_meeting(&http, &sim, &token, HOST, bare).await;
    assert_eq!(inherited["settings"]["auto_recording"], "cloud");
    assert_eq!(inherited["settings"]["waiting_room"], true);
    let explicit = json!({"topic": "t", "type": 2, "start_time": "2027-01-10T09:00:00Z",
        "settings": {"auto_recording": "none", "waiting_room": false}});
    let chosen = common::create_meeting(&http, &sim, &token, HOST, explicit).await;
    assert_eq!(
        (chosen["settings"]["auto_recording"].clone(), chosen["settings"]["waiting_room"].clone()),
        (json!("none"), json!(false))
    );
}

/// The events of a finished play, by name, and the file types of its recording.
async fn play(sim: &zoom_sim::ZoomSim, meeting: &Value) -> (Vec<String>, Vec<String>) {
    let id = meeting["id"].as_i64().expect("id");
    let report = sim.play(id, common::full_script(4096)).expect("play").wait().await.expect("played");
    let deliveries = sim.deliveries();
    let events = report
        .deliveries
        .iter()
        .filter_map(|d| deliveries.iter().find(|x| x.id == *d).map(|x| x.event.clone()))
        .collect();
    let files = sim
        .recordings()
        .into_iter()
        .filter(|r| r.recording.uuid == report.uuid)
        .flat_map(|r| r.recording.recording_files.into_iter().map(|f| f.file_type))
        .collect();
    (events, files)
}

#[tokio::test]
async fn a_host_without_chat_cloud_recording_or_transcripts_gets_none_of_them_in_a_played_meeting() {
    let sim = common::start(common::fast_config()).await;
    let http = common::client();
    let token = common::token(&http, &sim).await;
    let meeting = common::create_meeting(&http, &sim, &token, HOST, common::meeting_body()).await;
    let (everything, files) = play(&sim, &meeting).await;
    assert!(everything.contains(&"meeting.chat_message_sent".to_string()));
    assert!(everything.contains(&"recording.transcript_completed".to_string()));
    assert!(files.contains(&"CHAT".to_string()) && files.contains(&"TRANSCRIPT".to_string()), "{files:?}");

    sim.set_user_settings(HOST, json!({"recording": {"save_chat_text": false, "recording_audio_transcript": false}}))
        .expect("staged");
    let (events, files) = play(&sim, &meeting).await;
    assert!(events.contains(&"recording.completed".to_string()));
    assert!(!events.contains(&"recording.transcript_completed".to_string()), "{events:?}");
    assert!(files.contains(&"MP4".to_string()), "{files:?}");
    assert!(files.iter().all(|f| f != "CHAT" && f != "TRANSCRIPT"), "{files:?}");

    sim.set_user_settings(HOST, json!({"in_meeting": {"chat": false}, "recording": {"cloud_recording": false}}))
        .expect("staged");
    let (events, files) = play(&sim, &meeting).await;
    assert!(files.is_empty(), "{files:?}");
    assert!(events.iter().all(|e| !e.starts_with("recording.") && e != "meeting.chat_message_sent"), "{events:?}");
    assert!(events.contains(&"meeting.ended".to_string()));
}
