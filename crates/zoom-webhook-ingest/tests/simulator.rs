//! The built-in Zoom simulator playing a meeting against the ingest, as in the embedded default
//! run: the simulator's secrets are generated for the run, and the ingest verifies with the
//! simulator's webhook secret token, handed to it like any configured one.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use butterboard_runtime::clock::ManualClock;
use support::{Ingest, Mode, expect_messages};
use zoom_sim::{DeliveryState, SimSecrets, ZoomSimConfig};
use zoom_webhook_ingest::IngestSettings;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_meeting_played_by_the_simulator_is_stored_and_published_event_by_event() {
    let now = ManualClock::at(butterboard_runtime::clock::now_ms());
    let secrets = SimSecrets::generate();
    let settings =
        IngestSettings { secrets: Some(vec![secrets.webhook_secret_token.clone()]), ..IngestSettings::default() };
    let ingest = Ingest::start_with(Mode::Embedded, settings, now).await;
    let mut events = ingest.subscribe().await;
    let config =
        ZoomSimConfig { time_compression: 100_000.0, ..ZoomSimConfig::default() }.with_secrets(secrets.clone());
    let sim = zoom_sim::start(config, None).await.expect("simulator");
    sim.set_webhook_endpoint(Some(ingest.url.clone()));

    let challenge = sim.validate_endpoint().await.expect("challenge sent");
    assert!(challenge.valid, "the simulator accepts the url validation answer: {:?}", challenge.reason);

    let http = support::http();
    let token: serde_json::Value = http
        .post(sim.oauth_url())
        .query(&[("grant_type", "account_credentials"), ("account_id", "sim-account")])
        .basic_auth("sim-client", Some(&secrets.client_secret))
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    let body = serde_json::json!({"topic": "Meet the team", "type": 2, "start_time": "2026-12-01T09:00:00Z", "duration": 45, "settings": {"auto_recording": "cloud"}});
    let meeting: serde_json::Value = http
        .post(format!("{}/users/oleg@butterboard.online/meetings", sim.api_base_url()))
        .bearer_auth(token["access_token"].as_str().expect("access token"))
        .json(&body)
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    let id = meeting["id"].as_i64().expect("meeting id");
    let script = sim.typical_script(id).expect("a script");
    sim.play(id, script).expect("play").wait().await.expect("played");
    assert!(sim.wait_for_deliveries_settled(Duration::from_secs(20)).await);
    let deliveries = sim.deliveries();
    assert!(deliveries.len() >= 5, "a typical meeting sends several events");
    for delivery in &deliveries {
        assert_eq!(
            delivery.state,
            DeliveryState::Delivered,
            "{} was not accepted: {:?}",
            delivery.event,
            delivery.attempts
        );
        assert_eq!(delivery.attempts.len(), 1, "{} needed a retry", delivery.event);
    }
    let messages =
        expect_messages(&mut events, deliveries.len(), Duration::from_secs(20), Duration::from_secs(1)).await;
    let sent: BTreeSet<String> = deliveries.iter().map(|d| format!("zoom.{}", d.event)).collect();
    let published: BTreeSet<String> = messages.iter().map(|m| m.subject.clone()).collect();
    assert_eq!(published, sent);
    for delivery in &deliveries {
        assert!(
            messages.iter().any(|m| m.payload == delivery.body.as_bytes()),
            "{} published byte for byte",
            delivery.event
        );
    }
    sim.stop().await.expect("simulator stops");
    ingest.stop().await;
}
