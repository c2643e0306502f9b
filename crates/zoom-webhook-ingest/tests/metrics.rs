//! The ingest's metrics on `/metrics`: deliveries by event type and outcome, signature failures,
//! duplicates, the latency histogram and the outbox lag.

mod support;

use std::time::Duration;

use bytes::Bytes;
use support::{Ingest, Mode, participant_joined};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_signature_failures_duplicates_latency_and_outbox_lag_are_measured() {
    let _telemetry = butterboard_runtime::telemetry::init("ingest-metrics-test", None).expect("telemetry");
    let clock = butterboard_runtime::clock::ManualClock::at(support::TS * 1000);
    let mut settings = support::settings();
    settings.metrics_interval = Duration::from_millis(50);
    let ingest = Ingest::start_with(Mode::Embedded, settings, clock).await;
    assert_eq!(ingest.post(participant_joined(1)).await.status(), 200);
    assert_eq!(ingest.post(participant_joined(1)).await.status(), 200);
    assert_eq!(ingest.post_raw(Bytes::from_static(b"{}"), Some("1764579612"), Some("v0=00")).await.status(), 401);
    // The outbox gauges are sampled: wait for the first sample instead of sleeping.
    let sampled = butterboard_runtime::testing::eventually(Duration::from_secs(10), || async {
        butterboard_runtime::telemetry::prometheus_text().is_ok_and(|text| {
            text.contains("butterboard_ingest_outbox_pending") && text.contains("butterboard_ingest_outbox_lag_seconds")
        })
    })
    .await;
    assert!(sampled, "the outbox gauges were sampled");
    let text = butterboard_runtime::telemetry::prometheus_text().expect("metrics");
    let has = |needle: &str| text.lines().any(|l| l.contains(needle));
    assert!(
        has(r#"butterboard_ingest_deliveries_total{event_type="meeting.participant_joined",outcome="stored"} 1"#),
        "{text}"
    );
    assert!(
        has(r#"butterboard_ingest_deliveries_total{event_type="meeting.participant_joined",outcome="duplicate"} 1"#),
        "{text}"
    );
    assert!(has(r#"butterboard_ingest_signature_failures_total{reason="malformed"} 1"#), "{text}");
    assert!(has(r#"butterboard_ingest_duplicates_total{event_type="meeting.participant_joined"} 1"#), "{text}");
    assert!(has("butterboard_ingest_latency_seconds_bucket"), "{text}");
    assert!(has("butterboard_ingest_outbox_pending"), "{text}");
    assert!(has("butterboard_ingest_outbox_lag_seconds"), "{text}");
    ingest.stop().await;
}
