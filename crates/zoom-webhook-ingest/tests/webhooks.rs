//! `POST /zoom/webhooks` end to end: request → store → outbox → relay → bus → a consumer of
//! `zoom.>`, in both run modes (SQLite + embedded bus, PostgreSQL + NATS JetStream).

mod support;

use std::collections::HashSet;
use std::time::Duration;

use butterboard_runtime::clock::ManualClock;
use bytes::Bytes;
use support::{Ingest, Mode, SECRET, TS, expect_messages, participant_joined, sign, vectors};
use zoom_webhook_ingest::IngestSettings;

const LIMIT: Duration = Duration::from_secs(20);
const QUIET: Duration = Duration::from_millis(1500);

fn header<'a>(message: &'a butterboard_runtime::bus::Message, name: &str) -> Option<&'a str> {
    message.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

pub async fn every_fixture_vector_verifies_and_publishes_one_event_with_its_subject_and_cloudevents_headers(
    mode: Mode,
) {
    let ingest = Ingest::start(mode).await;
    let mut events = ingest.subscribe().await;
    let vectors: Vec<_> = vectors().into_iter().filter(|v| v.event() != "endpoint.url_validation").collect();
    assert_eq!(vectors.len(), 7, "the fixture set changed");
    for v in &vectors {
        let response = ingest.post_raw(v.body.clone(), Some(&v.timestamp), Some(&v.signature)).await;
        assert_eq!(response.status(), 200, "{}", v.file);
    }
    let messages = expect_messages(&mut events, vectors.len(), LIMIT, QUIET).await;
    for v in &vectors {
        let event = v.event();
        let message = messages
            .iter()
            .find(|m| m.payload == v.body)
            .unwrap_or_else(|| panic!("{} was not published byte for byte", v.file));
        assert_eq!(message.subject, format!("zoom.{event}"));
        assert_eq!(header(message, "ce-specversion"), Some("1.0"));
        assert_eq!(header(message, "ce-type"), Some(event.as_str()));
        assert_eq!(header(message, "ce-source"), Some("butterboard/zoom-webhook-ingest"));
        assert_eq!(header(message, "content-type"), Some("application/json"));
        assert_eq!(header(message, "ce-subject"), Some("4444AAAiAAAAAiAiAiiAii=="));
        let id = header(message, "ce-id").expect("ce-id");
        let uuid = uuid::Uuid::parse_str(id).expect("ce-id is a uuid");
        assert_eq!(uuid.get_version_num(), 7, "ce-id is a UUIDv7");
        if let Some(msg_id) = header(message, "nats-msg-id") {
            assert_eq!(msg_id, id);
        }
        let time = header(message, "ce-time").expect("ce-time");
        let body: serde_json::Value = serde_json::from_slice(&v.body).expect("json");
        let event_ts = body["event_ts"].as_i64().expect("event_ts");
        let parsed =
            time::OffsetDateTime::parse(time, &time::format_description::well_known::Rfc3339).expect("rfc 3339");
        assert_eq!((parsed.unix_timestamp_nanos() / 1_000_000) as i64, event_ts, "ce-time is the event's time");
    }
    assert_eq!(ingest.count("deliveries").await, 7);
    ingest.stop().await;
}

pub async fn a_tampered_body_header_secret_or_timestamp_is_rejected_with_401_and_no_detail(mode: Mode) {
    let ingest = Ingest::start(mode).await;
    let v = vectors().into_iter().find(|v| v.file == "meeting.started.json").expect("vector");
    let mut tampered_body = v.body.to_vec();
    let at = tampered_body.iter().position(|b| *b == b'9').expect("a digit");
    tampered_body[at] = b'8';
    let wrong_secret = zoom::webhook::sign(b"another-secret", &v.timestamp, &v.body);
    let mut flipped = v.signature.clone();
    flipped.replace_range(10..11, if &flipped[10..11] == "a" { "b" } else { "a" });
    let stale = (TS - 2 * 3600 - 1).to_string();
    let future = (TS + 5 * 60 + 1).to_string();
    let cases: Vec<(&str, Bytes, Option<String>, Option<String>)> = vec![
        ("tampered body", Bytes::from(tampered_body), Some(v.timestamp.clone()), Some(v.signature.clone())),
        ("tampered signature header", v.body.clone(), Some(v.timestamp.clone()), Some(flipped)),
        ("tampered timestamp header", v.body.clone(), Some((TS + 1).to_string()), Some(v.signature.clone())),
        ("wrong secret", v.body.clone(), Some(v.timestamp.clone()), Some(wrong_secret)),
        (
            "stale timestamp, correctly signed",
            v.body.clone(),
            Some(stale.clone()),
            Some(zoom::webhook::sign(SECRET.as_bytes(), &stale, &v.body)),
        ),
        (
            "future timestamp, correctly signed",
            v.body.clone(),
            Some(future.clone()),
            Some(zoom::webhook::sign(SECRET.as_bytes(), &future, &v.body)),
        ),
        ("no signature", v.body.clone(), Some(v.timestamp.clone()), None),
        ("no timestamp", v.body.clone(), None, Some(v.signature.clone())),
        ("garbage signature", v.body.clone(), Some(v.timestamp.clone()), Some("v0=not-hex".into())),
    ];
    for (case, body, ts, sig) in cases {
        let response = ingest.post_raw(body, ts.as_deref(), sig.as_deref()).await;
        assert_eq!(response.status(), 401, "{case}");
        assert!(response.bytes().await.expect("body").is_empty(), "{case}: a 401 says nothing");
    }
    assert_eq!(ingest.count("deliveries").await, 0);
    assert_eq!(ingest.count("outbox").await, 0);
    // The untampered request still passes.
    assert_eq!(ingest.post_raw(v.body.clone(), Some(&v.timestamp), Some(&v.signature)).await.status(), 200);
    ingest.stop().await;
}

pub async fn the_url_validation_answer_matches_the_vector_byte_for_byte_and_is_not_published(mode: Mode) {
    let ingest = Ingest::start(mode).await;
    let v = vectors().into_iter().find(|v| v.event() == "endpoint.url_validation").expect("vector");
    let response = ingest.post_raw(v.body.clone(), Some(&v.timestamp), Some(&v.signature)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let expected = v.expected_response.expect("expected_response");
    let want = format!(
        r#"{{"plainToken":"{}","encryptedToken":"{}"}}"#,
        expected["plainToken"].as_str().expect("plainToken"),
        expected["encryptedToken"].as_str().expect("encryptedToken")
    );
    assert_eq!(response.text().await.expect("text"), want);
    assert_eq!(ingest.count("deliveries").await, 0, "a challenge is not a delivery");
    assert_eq!(ingest.count("outbox").await, 0);
    ingest.stop().await;
}

pub async fn a_repeated_body_is_answered_200_and_published_once(mode: Mode) {
    let ingest = Ingest::start(mode).await;
    let mut events = ingest.subscribe().await;
    let body = participant_joined(1);
    assert_eq!(ingest.post(body.clone()).await.status(), 200);
    // Zoom's retry, later and with a new timestamp: same body, new signature.
    let later = TS + 25 * 60;
    ingest.clock.advance(25 * 60 * 1000);
    assert_eq!(ingest.post_raw(body.clone(), Some(&later.to_string()), Some(&sign(&body, later))).await.status(), 200);
    // And a burst of the same body at once, which lands in one group commit.
    let other = participant_joined(2);
    let (later_text, other_signature) = (later.to_string(), sign(&other, later));
    let burst = (0..20).map(|_| ingest.post_raw(other.clone(), Some(&later_text), Some(&other_signature)));
    for response in futures::future::join_all(burst).await {
        assert_eq!(response.status(), 200);
    }
    let messages = expect_messages(&mut events, 2, LIMIT, QUIET).await;
    let payloads: HashSet<Bytes> = messages.into_iter().map(|m| m.payload).collect();
    assert_eq!(payloads, HashSet::from([body, other]));
    assert_eq!(ingest.count("deliveries").await, 2);
    ingest.stop().await;
}

pub async fn an_unknown_event_type_is_stored_and_published_on_its_own_subject(mode: Mode) {
    let ingest = Ingest::start(mode).await;
    let mut events = ingest.subscribe().await;
    let body = Bytes::from_static(br#"{"event":"webinar.sharing_started","event_ts":1764579612000,"payload":{"account_id":"a","object":{"id":123,"uuid":"w=="},"new_thing":[1,2]}}"#);
    assert_eq!(ingest.post(body.clone()).await.status(), 200);
    let messages = expect_messages(&mut events, 1, LIMIT, QUIET).await;
    assert_eq!(messages[0].subject, "zoom.webinar.sharing_started");
    assert_eq!(messages[0].payload, body);
    assert_eq!(header(&messages[0], "ce-type"), Some("webinar.sharing_started"));
    ingest.stop().await;
}

pub async fn a_body_over_the_limit_gets_413_and_a_verified_body_that_is_not_a_json_event_gets_400(mode: Mode) {
    let ingest = Ingest::start(mode).await;
    let big = Bytes::from(format!(r#"{{"event":"meeting.started","pad":"{}"}}"#, "x".repeat(1024 * 1024)));
    assert_eq!(ingest.post(big).await.status(), 413);
    for (case, body) in [
        ("not json", &b"event=meeting.started"[..]),
        ("a json array", &b"[1,2,3]"[..]),
        ("no event name", &br#"{"payload":{}}"#[..]),
        ("an event name that is not a subject token", &br#"{"event":"meeting.*","payload":{}}"#[..]),
        ("an event name with a space", &br#"{"event":"meeting started","payload":{}}"#[..]),
    ] {
        let response = ingest.post(Bytes::from_static(body)).await;
        assert_eq!(response.status(), 400, "{case}");
    }
    // The same garbage without a valid signature is a 401: nothing is read before verification.
    assert_eq!(
        ingest.post_raw(Bytes::from_static(b"not json"), Some(&TS.to_string()), Some("v0=00")).await.status(),
        401
    );
    assert_eq!(ingest.count("deliveries").await, 0);
    ingest.stop().await;
}

/// A signed-able `meeting.started` body of exactly `size` bytes.
fn body_of(size: usize) -> Bytes {
    let frame = r#"{"event":"meeting.started","event_ts":1764579612000,"payload":{"pad":""}}"#;
    let pad = "x".repeat(size - frame.len());
    Bytes::from(format!(r#"{{"event":"meeting.started","event_ts":1764579612000,"payload":{{"pad":"{pad}"}}}}"#))
}

pub async fn a_body_the_bus_could_not_carry_gets_413_even_under_a_larger_configured_limit(mode: Mode) {
    let settings = IngestSettings { max_body_bytes: 4 * 1024 * 1024, ..support::settings() };
    let ingest = Ingest::start_with(mode, settings, ManualClock::at(TS * 1000)).await;
    let mut events = ingest.subscribe().await;
    // As the running bus answers it: 1 MiB on both, NATS's default.
    let largest = ingest.bus.max_payload() - butterboard_runtime::bus::HEADER_RESERVE;
    assert_eq!(body_of(largest).len(), largest);
    assert_eq!(ingest.post(body_of(largest + 1)).await.status(), 413, "one byte more than the bus carries");
    assert_eq!(ingest.post(body_of(largest)).await.status(), 200);
    // What was answered 200 is published: the bus took it.
    let published = expect_messages(&mut events, 1, Duration::from_secs(20), Duration::from_millis(500)).await;
    assert_eq!(published[0].payload.len(), largest);
    assert_eq!(ingest.count("deliveries").await, 1);
    ingest.stop().await;
}

butterboard_runtime::in_both_modes!(
    a_body_the_bus_could_not_carry_gets_413_even_under_a_larger_configured_limit,
    every_fixture_vector_verifies_and_publishes_one_event_with_its_subject_and_cloudevents_headers,
    a_tampered_body_header_secret_or_timestamp_is_rejected_with_401_and_no_detail,
    the_url_validation_answer_matches_the_vector_byte_for_byte_and_is_not_published,
    a_repeated_body_is_answered_200_and_published_once,
    an_unknown_event_type_is_stored_and_published_on_its_own_subject,
    a_body_over_the_limit_gets_413_and_a_verified_body_that_is_not_a_json_event_gets_400,
);
