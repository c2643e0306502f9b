//! Webhook verification and typed events against the shared fixtures (the exact bytes Zoom signs).

use std::time::Duration;

use serde_json::Value;
use zoom::webhook::events::{EventError, ZoomEvent};
use zoom::webhook::{Envelope, SignatureError, TimestampWindow, UrlValidationResponse, Verifier, verify_and_parse};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/zoom");

struct Vector {
    file: String,
    body: Vec<u8>,
    secret: String,
    timestamp: String,
    signature: String,
    expected: Option<Value>,
}

fn vectors() -> Vec<Vector> {
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{FIXTURES}/vectors.json")).expect("vectors"))
            .expect("json");
    doc["vectors"]
        .as_array()
        .expect("array")
        .iter()
        .map(|v| {
            let file = v["file"].as_str().expect("file").to_string();
            Vector {
                body: std::fs::read(format!("{FIXTURES}/{file}")).expect("body"),
                file,
                secret: v["secret"].as_str().expect("secret").into(),
                timestamp: v["timestamp"].as_i64().expect("ts").to_string(),
                signature: v["signature"].as_str().expect("sig").into(),
                expected: v.get("expected_response").cloned(),
            }
        })
        .collect()
}

fn now_ms(v: &Vector) -> i64 {
    v.timestamp.parse::<i64>().expect("ts") * 1000
}

#[test]
fn every_fixture_vector_verifies_with_its_secret_and_no_other() {
    let all = vectors();
    assert_eq!(all.len(), 8);
    for v in &all {
        let verifier = Verifier::new([v.secret.as_str()]).expect("secret");
        assert!(verifier.verify(Some(&v.timestamp), Some(&v.signature), &v.body, now_ms(v)).is_ok(), "{}", v.file);
        assert_eq!(zoom::webhook::sign(v.secret.as_bytes(), &v.timestamp, &v.body), v.signature, "{}", v.file);
        let other = Verifier::new(["another-secret"]).expect("secret");
        assert_eq!(
            other.verify(Some(&v.timestamp), Some(&v.signature), &v.body, now_ms(v)),
            Err(SignatureError::Mismatch)
        );
        let mut tampered = v.body.clone();
        tampered.push(b' ');
        assert_eq!(
            verifier.verify(Some(&v.timestamp), Some(&v.signature), &tampered, now_ms(v)),
            Err(SignatureError::Mismatch),
            "{}",
            v.file
        );
        // Re-serialised JSON is not the signed bytes.
        let reserialised = serde_json::to_vec(&serde_json::from_slice::<Value>(&v.body).expect("json")).expect("json");
        if reserialised != v.body {
            assert!(verifier.verify(Some(&v.timestamp), Some(&v.signature), &reserialised, now_ms(v)).is_err());
        }
    }
}

#[test]
fn the_fixtures_are_outside_the_default_window_today_and_inside_a_wider_one() {
    let v = &vectors()[1];
    let verifier = Verifier::new([v.secret.as_str()]).expect("secret");
    let today = 1_800_000_000_000;
    assert!(matches!(
        verifier.verify(Some(&v.timestamp), Some(&v.signature), &v.body, today),
        Err(SignatureError::Stale { .. })
    ));
    let wide = verifier.with_window(TimestampWindow {
        past: Duration::from_secs(10 * 365 * 86_400),
        future: Duration::from_secs(300),
    });
    assert!(wide.verify(Some(&v.timestamp), Some(&v.signature), &v.body, today).is_ok());
}

#[test]
fn the_url_validation_answer_matches_the_vector_byte_for_byte() {
    let v = vectors().into_iter().find(|v| v.file == "endpoint.url_validation.json").expect("vector");
    let verifier = Verifier::new([v.secret.as_str()]).expect("secret");
    let (verified, envelope) =
        verify_and_parse(&verifier, Some(&v.timestamp), Some(&v.signature), &v.body, now_ms(&v)).expect("valid");
    let answer =
        UrlValidationResponse::answer(&verifier, &verified, envelope.plain_token.as_deref().expect("plainToken"));
    let expected = v.expected.expect("expected_response");
    let want = format!(
        r#"{{"plainToken":"{}","encryptedToken":"{}"}}"#,
        expected["plainToken"].as_str().expect("plain"),
        expected["encryptedToken"].as_str().expect("encrypted")
    );
    assert_eq!(answer.to_json(), want);
    assert!(matches!(ZoomEvent::parse(&v.body), Ok(ZoomEvent::UrlValidation(_))));
}

#[test]
fn every_fixture_parses_into_its_typed_event_keeping_every_field() {
    for v in vectors() {
        let event = ZoomEvent::parse(&v.body).unwrap_or_else(|e| panic!("{}: {e}", v.file));
        let envelope = Envelope::parse(&v.body).expect("envelope");
        assert_eq!(event.name(), envelope.event.as_str());
        let round_trip = match &event {
            ZoomEvent::MeetingStarted(e)
            | ZoomEvent::MeetingEnded(e)
            | ZoomEvent::ParticipantJoined(e)
            | ZoomEvent::ParticipantLeft(e)
            | ZoomEvent::ChatMessageSent(e) => {
                assert_eq!(e.payload.object.id, Some(84_512_390_771), "{}: string or number id", v.file);
                serde_json::to_value(e).expect("serialise")
            }
            ZoomEvent::RecordingCompleted(e) | ZoomEvent::TranscriptCompleted(e) => {
                assert_eq!(e.payload.object.id, 84_512_390_771, "{}: numeric id", v.file);
                assert!(e.download_token.is_some());
                serde_json::to_value(e).expect("serialise")
            }
            ZoomEvent::UrlValidation(e) => serde_json::to_value(e).expect("serialise"),
            ZoomEvent::Other(e) => panic!("{}: untyped {}", v.file, e.event),
        };
        let mut original: Value = serde_json::from_slice(&v.body).expect("json");
        // The one normalisation: a string id is read as the int64 it is.
        if let Some(id) = original["payload"]["object"]["id"].as_str().and_then(|s| s.parse::<i64>().ok()) {
            original["payload"]["object"]["id"] = id.into();
        }
        assert_eq!(round_trip, original, "{}: nothing lost", v.file);
    }
}

#[test]
fn a_recording_with_segments_and_a_file_still_processing_is_read() {
    let v = vectors().into_iter().find(|v| v.file == "recording.completed.json").expect("vector");
    let Ok(ZoomEvent::RecordingCompleted(event)) = ZoomEvent::parse(&v.body) else { panic!("not a recording") };
    let files = &event.payload.object.recording_files;
    assert_eq!(files.iter().filter(|f| f.file_type == "MP4").count(), 2, "two segments");
    let timeline = files.iter().find(|f| f.file_type == "TIMELINE").expect("timeline");
    assert_eq!(timeline.play_url, None);
    assert!(format!("{event:?}").contains("redacted") && !format!("{event:?}").contains("download.token"));

    let mut body: Value = serde_json::from_slice(&v.body).expect("json");
    body["payload"]["object"]["recording_files"][0] =
        serde_json::json!({"download_url": "https://x/y", "file_type": ""});
    body["payload"]["object"]["brand_new"] = serde_json::json!({"a": 1});
    let Ok(ZoomEvent::RecordingCompleted(event)) = ZoomEvent::parse(body.to_string().as_bytes()) else {
        panic!("not a recording")
    };
    let first = &event.payload.object.recording_files[0];
    assert!(!first.is_ready() && first.id.is_none() && first.file_size.is_none());
    assert_eq!(event.payload.object.extra["brand_new"], serde_json::json!({"a": 1}));
}

#[test]
fn a_known_event_with_a_broken_shape_is_an_error_not_a_panic() {
    let body = br#"{"event":"meeting.started","payload":{"object":{"id":"not-a-number","uuid":"u"}}}"#;
    assert!(matches!(ZoomEvent::parse(body), Err(EventError::Shape { .. })));
    assert!(Envelope::parse(body).is_ok(), "the envelope still reads: ingest stores and publishes it");
}
