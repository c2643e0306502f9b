//! The shared fixtures are real-shaped deliveries with known signatures: the simulator's signing
//! code must give the same bytes the same signature, and answer url validation the same way.

mod common;

use serde_json::Value;
use zoom_sim::signing::{encrypted_token, sign, verify};

fn vectors() -> Vec<Value> {
    let text = std::fs::read_to_string(format!("{}/vectors.json", common::FIXTURES)).expect("vectors.json is readable");
    let parsed: Value = serde_json::from_str(&text).expect("vectors.json is json");
    parsed["vectors"].as_array().expect("vectors array").clone()
}

fn body(file: &str) -> Vec<u8> {
    std::fs::read(format!("{}/{file}", common::FIXTURES)).expect("fixture body is readable")
}

#[test]
fn every_fixture_signs_to_exactly_the_vectors_signature() {
    let vectors = vectors();
    assert_eq!(vectors.len(), 8, "all eight fixtures are covered");
    for v in vectors {
        let file = v["file"].as_str().expect("file");
        let secret = v["secret"].as_str().expect("secret");
        let timestamp = v["timestamp"].as_i64().expect("timestamp");
        let expected = v["signature"].as_str().expect("signature");
        let bytes = body(file);
        assert_eq!(sign(secret, timestamp, &bytes), expected, "{file}");
        assert!(verify(secret, &timestamp.to_string(), &bytes, expected), "{file}");
    }
}

#[test]
fn a_changed_byte_or_timestamp_or_secret_no_longer_verifies() {
    let v = &vectors()[1];
    let secret = v["secret"].as_str().expect("secret");
    let ts = v["timestamp"].as_i64().expect("timestamp").to_string();
    let sig = v["signature"].as_str().expect("signature");
    let mut bytes = body(v["file"].as_str().expect("file"));
    assert!(verify(secret, &ts, &bytes, sig));
    assert!(!verify(secret, "1764579613", &bytes, sig));
    assert!(!verify("sim-webhook-secret", &ts, &bytes, sig));
    bytes[10] ^= 1;
    assert!(!verify(secret, &ts, &bytes, sig));
}

#[test]
fn the_url_validation_fixture_is_answered_with_the_expected_encrypted_token() {
    let v = vectors().into_iter().find(|v| v["file"] == "endpoint.url_validation.json").expect("validation vector");
    let challenge: Value = serde_json::from_slice(&body("endpoint.url_validation.json")).expect("json");
    let plain = challenge["payload"]["plainToken"].as_str().expect("plainToken");
    assert_eq!(plain, v["expected_response"]["plainToken"]);
    let secret = v["secret"].as_str().expect("secret");
    assert_eq!(encrypted_token(secret, plain), v["expected_response"]["encryptedToken"].as_str().expect("expected"));
}
