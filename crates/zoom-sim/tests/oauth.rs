//! Server-to-Server OAuth: the token flow, wrong credentials, expiry and Zoom's 401 body.

mod common;

use std::time::Duration;

use serde_json::{Value, json};
use zoom_sim::{ManualClock, ZoomSimConfig};

#[tokio::test]
async fn account_credentials_with_basic_auth_get_a_bearer_token_that_opens_the_api() {
    let sim = common::start(ZoomSimConfig::default()).await;
    let http = common::client();
    let response = http
        .post(sim.oauth_url())
        .query(&[("grant_type", "account_credentials"), ("account_id", "sim-account")])
        .basic_auth("sim-client", Some("sim-secret"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 3600);
    assert!(body["scope"].as_str().is_some_and(|s| s.contains("meeting:write")));
    let token = body["access_token"].as_str().expect("token");
    let created = common::create_meeting(&http, &sim, token, "oleg@butterboard.online", common::meeting_body()).await;
    assert!(created["id"].is_i64());
    sim.stop().await.expect("stops");
}

#[tokio::test]
async fn the_parameters_may_also_come_as_a_form_body() {
    let sim = common::start(ZoomSimConfig::default()).await;
    let response = common::client()
        .post(sim.oauth_url())
        .form(&[("grant_type", "account_credentials"), ("account_id", "sim-account")])
        .basic_auth("sim-client", Some("sim-secret"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_wrong_client_secret_is_refused_with_zooms_invalid_client_body() {
    let sim = common::start(ZoomSimConfig::default()).await;
    let http = common::client();
    for auth in [Some(("sim-client", "wrong")), Some(("other", "sim-secret")), None] {
        let mut request =
            http.post(sim.oauth_url()).query(&[("grant_type", "account_credentials"), ("account_id", "sim-account")]);
        if let Some((id, secret)) = auth {
            request = request.basic_auth(id, Some(secret));
        }
        let response = request.send().await.expect("request");
        assert_eq!(response.status(), 401);
        let body: Value = response.json().await.expect("json");
        assert_eq!(body, json!({"reason": "Invalid client_id or client_secret", "error": "invalid_client"}));
    }
}

#[tokio::test]
async fn a_wrong_grant_type_or_account_is_a_400() {
    let sim = common::start(ZoomSimConfig::default()).await;
    let http = common::client();
    let cases = [
        (vec![("grant_type", "client_credentials"), ("account_id", "sim-account")], "unsupported_grant_type"),
        (vec![("grant_type", "account_credentials"), ("account_id", "someone-else")], "invalid_request"),
        (vec![("grant_type", "account_credentials")], "invalid_request"),
    ];
    for (query, error) in cases {
        let response = http
            .post(sim.oauth_url())
            .query(&query)
            .basic_auth("sim-client", Some("sim-secret"))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 400);
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["error"], error, "{body}");
        assert!(body["reason"].is_string());
    }
}

#[tokio::test]
async fn an_api_call_without_or_with_an_unknown_token_gets_401_code_124() {
    let sim = common::start(ZoomSimConfig::default()).await;
    let http = common::client();
    let url = format!("{}/meetings/84512390771", sim.api_base_url());
    let none = http.get(&url).send().await.expect("request");
    let body = common::assert_zoom_error(none, 401, 124).await;
    assert_eq!(body, json!({"code": 124, "message": "Invalid access token."}));
    let unknown = http.get(&url).bearer_auth("not-a-token").send().await.expect("request");
    let body = common::assert_zoom_error(unknown, 401, 124).await;
    assert_eq!(body["message"], "Invalid access token.");
}

#[tokio::test]
async fn a_token_stops_working_when_its_lifetime_is_over() {
    let clock = ManualClock::at(1_764_579_600_000);
    let config = ZoomSimConfig {
        token_ttl: Duration::from_secs(60),
        clock: std::sync::Arc::new(clock.clone()),
        ..ZoomSimConfig::default()
    };
    let sim = common::start(config).await;
    let http = common::client();
    let token = common::token(&http, &sim).await;
    let created = common::create_meeting(&http, &sim, &token, "oleg@butterboard.online", common::meeting_body()).await;
    let url = format!("{}/meetings/{}", sim.api_base_url(), created["id"]);
    assert_eq!(http.get(&url).bearer_auth(&token).send().await.expect("request").status(), 200);
    clock.advance(59_000);
    assert_eq!(http.get(&url).bearer_auth(&token).send().await.expect("request").status(), 200);
    clock.advance(1_000);
    let expired = http.get(&url).bearer_auth(&token).send().await.expect("request");
    let body = common::assert_zoom_error(expired, 401, 124).await;
    assert_eq!(body["message"], "Access token is expired.");
    // A new token works again: there is no refresh token, the client simply asks anew.
    let fresh = common::token(&http, &sim).await;
    assert_eq!(http.get(&url).bearer_auth(&fresh).send().await.expect("request").status(), 200);
}

#[tokio::test]
async fn a_short_real_ttl_expires_on_the_wall_clock_too() {
    let config = ZoomSimConfig { token_ttl: Duration::from_secs(1), ..ZoomSimConfig::default() };
    let sim = common::start(config).await;
    let http = common::client();
    let token = common::token(&http, &sim).await;
    let url = format!("{}/meetings/84512390771", sim.api_base_url());
    // Unknown meeting but a valid token: 404, not 401.
    assert_eq!(http.get(&url).bearer_auth(&token).send().await.expect("request").status(), 404);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    common::assert_zoom_error(http.get(&url).bearer_auth(&token).send().await.expect("request"), 401, 124).await;
}

#[tokio::test]
async fn expiring_all_tokens_from_the_inspection_api_forces_a_new_token() {
    let sim = common::start(ZoomSimConfig::default()).await;
    let http = common::client();
    let token = common::token(&http, &sim).await;
    let url = format!("{}/meetings/84512390771", sim.api_base_url());
    let expire = http.post(format!("{}/_sim/tokens/expire", sim.base_url())).send().await.expect("request");
    assert_eq!(expire.status(), 204);
    common::assert_zoom_error(http.get(&url).bearer_auth(&token).send().await.expect("request"), 401, 124).await;
}
