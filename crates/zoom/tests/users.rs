//! Users and their settings against the simulator: the host's capabilities for a recorded meeting.

mod support;

use serde_json::json;
use support::{HOST, client, sim};
use zoom_sim::ZoomSimConfig;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_is_read_by_email_or_id_and_an_unknown_one_is_not_found_1001() {
    let config = ZoomSimConfig { users: vec![HOST.into()], auto_provision_users: false, ..ZoomSimConfig::default() };
    let sim = sim(config).await;
    let client = client(&sim);
    let user = client.get_user(HOST).await.expect("by e-mail");
    assert_eq!(user.email, HOST);
    assert_eq!(user.first_name.as_deref(), Some("Oleg"));
    assert_eq!((user.kind, user.status.as_deref()), (Some(2), Some("active")));
    assert_eq!(client.get_user(&user.id).await.expect("by id"), user);
    for unknown in ["stranger@example.com", "me"] {
        let error = client.get_user(unknown).await.expect_err("unknown");
        assert!(error.is_not_found(), "{error:?}");
        assert_eq!(error.code(), Some(1001));
        let error = client.get_user_settings(unknown).await.expect_err("unknown");
        assert_eq!(error.code(), Some(1001));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hosts_settings_tell_whether_chat_cloud_recording_and_transcripts_are_possible() {
    let sim = sim(ZoomSimConfig::default()).await;
    let client = client(&sim);
    let settings = client.get_user_settings(HOST).await.expect("settings");
    let caps = settings.capabilities();
    assert!(caps.chat && caps.cloud_recording && caps.save_chat_text && caps.audio_transcript, "{caps:?}");
    assert_eq!(settings.recording.auto_recording.as_deref(), Some("none"));
    assert_eq!(settings.schedule_meeting.participants_video, Some(false));

    sim.set_user_settings(HOST, json!({"recording": {"cloud_recording": false, "recording_audio_transcript": false}}))
        .expect("staged");
    let caps = client.get_user_settings(HOST).await.expect("settings").capabilities();
    assert!(caps.chat && caps.save_chat_text, "{caps:?}");
    assert!(!caps.cloud_recording && !caps.audio_transcript, "{caps:?}");
}
