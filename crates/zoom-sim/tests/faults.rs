//! Injected faults: the next N requests of an endpoint answer 5xx (before or after being handled),
//! or wait; and the create bodies kept as received.

mod common;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use zoom_sim::{Fault, ZoomSimConfig};

const HOST: &str = "oleg@butterboard.online";

async fn create(http: &reqwest::Client, sim: &zoom_sim::ZoomSim, token: &str, body: &Value) -> reqwest::Response {
    http.post(format!("{}/users/{HOST}/meetings", sim.api_base_url()))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn two_503s_injected_over_http_come_before_the_create_that_succeeds() {
    let sim = common::start(ZoomSimConfig::default()).await;
    let http = common::client();
    let token = common::token(&http, &sim).await;
    let added = http
        .post(format!("{}/_sim/faults", sim.base_url()))
        .json(&json!({"method": "POST", "path": "/v2/users/*/meetings", "status": 503, "times": 2}))
        .send()
        .await
        .expect("request");
    assert_eq!(added.status(), 201);
    for _ in 0..2 {
        let body =
            common::assert_zoom_error(create(&http, &sim, &token, &common::meeting_body()).await, 503, 503).await;
        assert_eq!(body["message"], "Service Unavailable");
    }
    assert!(sim.meetings().is_empty(), "a fault before handling creates nothing");
    assert_eq!(create(&http, &sim, &token, &common::meeting_body()).await.status(), 201);
    assert_eq!(sim.meetings().len(), 1);
    let faults: Value =
        http.get(format!("{}/_sim/faults", sim.base_url())).send().await.expect("request").json().await.expect("json");
    assert_eq!(faults[0]["hits"], 2);
    // Other endpoints and /_sim were never struck.
    assert_eq!(http.get(format!("{}/_sim/meetings", sim.base_url())).send().await.expect("request").status(), 200);
}

#[tokio::test]
async fn a_fault_after_handling_loses_the_answer_but_not_the_meeting() {
    let sim = common::start(ZoomSimConfig::default()).await;
    sim.inject_fault(Fault { after_processing: true, ..Fault::status("POST", "/v2/users/*/meetings", 502, 1) })
        .expect("valid");
    let http = common::client();
    let token = common::token(&http, &sim).await;
    common::assert_zoom_error(create(&http, &sim, &token, &common::meeting_body()).await, 502, 502).await;
    assert_eq!(sim.meetings().len(), 1, "Zoom created it; only the answer was lost");
    let received = sim.received_requests();
    assert_eq!((received.len(), received[0].status), (1, 201));
}

#[tokio::test]
async fn latency_delays_matching_requests_until_cleared() {
    let sim = common::start(ZoomSimConfig::default()).await;
    let http = common::client();
    let token = common::token(&http, &sim).await;
    let m = common::create_meeting(&http, &sim, &token, HOST, common::meeting_body()).await;
    sim.inject_fault(Fault::latency("GET", "/v2/meetings/*", Duration::from_millis(400))).expect("valid");
    let url = format!("{}/meetings/{}", sim.api_base_url(), m["id"]);
    let started = Instant::now();
    common::get_ok(&http, &url, &token).await;
    assert!(started.elapsed() >= Duration::from_millis(400), "{:?}", started.elapsed());
    sim.clear_faults();
    assert!(sim.faults().is_empty());
    let bad = http
        .post(format!("{}/_sim/faults", sim.base_url()))
        .json(&json!({"path": "/v2/meetings/*", "status": 200}))
        .send()
        .await
        .expect("request");
    common::assert_zoom_error(bad, 400, 300).await;
}

#[tokio::test]
async fn the_token_endpoint_can_fail_too() {
    let sim = common::start(ZoomSimConfig::default()).await;
    sim.inject_fault(Fault::status("POST", "/oauth/token", 500, 1)).expect("valid");
    let http = common::client();
    let token = |http: reqwest::Client| {
        let url = sim.oauth_url();
        async move {
            http.post(url)
                .query(&[("grant_type", "account_credentials"), ("account_id", "sim-account")])
                .basic_auth("sim-client", Some("sim-secret"))
                .send()
                .await
                .expect("request")
                .status()
        }
    };
    assert_eq!(token(http.clone()).await, 500);
    assert_eq!(token(http).await, 200);
}

#[tokio::test]
async fn create_bodies_are_kept_as_received_refused_ones_included() {
    let sim = common::start(ZoomSimConfig::default()).await;
    let http = common::client();
    let token = common::token(&http, &sim).await;
    let mut body = common::meeting_body();
    body["settings"]["alternative_hosts"] = json!("hr@butterboard.online");
    body["settings"]["join_before_host"] = json!(false);
    body["recurrence"] = json!({"type": 2, "weekly_days": "2", "end_times": 2});
    let created = common::create_meeting(&http, &sim, &token, HOST, body.clone()).await;
    let too_long = json!({"topic": "x".repeat(201)});
    common::assert_zoom_error(create(&http, &sim, &token, &too_long).await, 400, 300).await;

    let received = sim.received_requests();
    assert_eq!(received.len(), 2);
    let first = &received[0];
    assert_eq!((first.method.as_str(), first.status, first.meeting_id), ("POST", 201, created["id"].as_i64()));
    assert_eq!(first.body, body, "exactly what was sent");
    assert_eq!(first.path, "/v2/users/oleg@butterboard.online/meetings");
    assert_eq!((received[1].status, received[1].meeting_id), (400, None));
    let over_http: Value = http
        .get(format!("{}/_sim/requests?meeting_id={}", sim.base_url(), created["id"]))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(over_http.as_array().map(Vec::len), Some(1));
    assert_eq!(over_http[0]["body"]["settings"]["alternative_hosts"], "hr@butterboard.online");
}
