//! Fault injection through the library and through `POST /_sim/faults`.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use drive_sim::{DEFAULT_SHARED_DRIVE_ID as DRIVE, FaultAction, FaultRule, RateLimitReason};
use serde_json::{Value, json};

#[tokio::test]
async fn injected_5xx_answers_the_next_n_matching_requests_then_recovers() {
    let t = start().await;
    let token = t.token().await;
    t.sim.add_fault(
        FaultRule::new(FaultAction::ServerError { status: 503 }).on_method("GET").on_path("/drive/v3/files").times(2),
    );
    let about = t.get(&token, "drive/v3/about?fields=user").await;
    assert_eq!(about.status(), 200, "other routes are untouched");
    for _ in 0..2 {
        let body: Value = t.get(&token, "drive/v3/files").await.json().await.unwrap();
        assert_eq!(body["error"]["code"], 503);
        assert_eq!(body["error"]["errors"][0]["reason"], "backendError");
    }
    assert_eq!(t.get(&token, "drive/v3/files").await.status(), 200);
    assert!(t.sim.faults().is_empty(), "a used-up rule is removed");
    let log = t.sim.requests();
    assert_eq!(log.iter().filter(|r| r.fault.as_deref() == Some("server_error 503")).count(), 2);
}

#[tokio::test]
async fn an_injected_rate_limit_carries_retry_after() {
    let t = start().await;
    let token = t.token().await;
    let rule = FaultRule::new(FaultAction::RateLimit {
        status: 429,
        reason: RateLimitReason::UserRateLimitExceeded,
        retry_after_secs: 7,
    })
    .times(1);
    t.sim.add_fault(rule);
    let limited = t.get(&token, "drive/v3/files").await;
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "7");
    let body: Value = limited.json().await.unwrap();
    assert_eq!(body["error"]["errors"][0]["reason"], "userRateLimitExceeded");
    assert_eq!(body["error"]["errors"][0]["domain"], "usageLimits");
}

#[tokio::test]
async fn the_control_endpoint_adds_latency_and_5xx_on_uploads() {
    let t = start().await;
    let token = t.token().await;
    let rules = json!([
        {"kind": "latency", "millis": 300, "path_prefix": "/drive/v3/about", "times": 1},
        {"kind": "server_error", "status": 500, "method": "PUT", "path_prefix": "/upload/", "times": 1}
    ]);
    let added = t.http.post(t.url("_sim/faults")).json(&rules).send().await.unwrap();
    assert_eq!(added.status(), 200);
    assert_eq!(t.sim.faults().len(), 2);

    let started = Instant::now();
    assert_eq!(t.get(&token, "drive/v3/about?fields=user").await.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(300));

    let bytes = data(256 * KIB + 10);
    let session = t
        .open_session(&token, "supportsAllDrives=true&fields=size", json!({"name": "a.bin", "parents": [DRIVE]}), None)
        .await;
    let failed = t.put_chunk(&session, &bytes, 0, 256 * KIB).await;
    assert_eq!(error_reason(failed).await, (500, "backendError".to_owned()));
    // After a 5xx the client asks what is stored, then resumes.
    let status = t.status_query(&session, bytes.len()).await;
    assert_eq!(next_offset(&status), 0);
    let done = t.put_chunk(&session, &bytes, 0, bytes.len()).await;
    assert_eq!(done.status(), 200);

    let cleared = t.http.delete(t.url("_sim/faults")).send().await.unwrap();
    assert_eq!(cleared.status(), 200);
    assert!(t.sim.faults().is_empty());
}

#[tokio::test]
async fn the_token_endpoint_can_fail_too() {
    let t = start().await;
    t.sim.add_fault(FaultRule::new(FaultAction::ServerError { status: 500 }).on_path("/token").times(1));
    let response = t.exchange(&t.assertion(&t.claims())).await;
    assert_eq!(response.status(), 500);
    assert_eq!(t.exchange(&t.assertion(&t.claims())).await.status(), 200);
}
