//! Zoom's rate limits: per-second per category (429, Retry-After in seconds) and 100 meeting
//! creates/updates per user per day (429, Retry-After the next 00:00 UTC as an ISO date-time).

mod common;

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use zoom_sim::{Category, ManualClock, RateLimits, ZoomSimConfig};

fn limits(medium: u32, light: u32, daily: u32) -> RateLimits {
    RateLimits {
        medium_per_second: medium,
        light_per_second: light,
        heavy_per_second: 10,
        daily_meeting_writes_per_user: daily,
        daily_limit_headers: true,
    }
}

async fn create(http: &reqwest::Client, sim: &zoom_sim::ZoomSim, token: &str, host: &str) -> reqwest::Response {
    http.post(format!("{}/users/{host}/meetings", sim.api_base_url()))
        .bearer_auth(token)
        .json(&common::meeting_body())
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn creating_faster_than_the_medium_limit_gets_429_with_retry_after_seconds() {
    let sim = common::start(ZoomSimConfig { rate_limits: limits(2, 30, 100), ..ZoomSimConfig::default() }).await;
    let http = common::client();
    let token = common::token(&http, &sim).await;
    assert_eq!(create(&http, &sim, &token, "oleg@butterboard.online").await.status(), 201);
    assert_eq!(create(&http, &sim, &token, "oleg@butterboard.online").await.status(), 201);
    let limited = create(&http, &sim, &token, "oleg@butterboard.online").await;
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "1");
    assert_eq!(limited.headers()["x-ratelimit-category"], "Medium");
    let body: serde_json::Value = limited.json().await.expect("json");
    assert_eq!(
        body,
        json!({"code": 429, "message": "You have reached the maximum per-second rate limit for this API. Try again later."})
    );
    // Light calls have their own budget.
    let get = http
        .get(format!("{}/meetings/1234567890", sim.api_base_url()))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(get.status(), 404);
    let snapshot = sim.rate_limits();
    let medium = snapshot.categories.iter().find(|c| c.category == Category::Medium).expect("medium");
    assert_eq!((medium.allowed, medium.rejected, medium.limit), (2, 1, 2));
    // After the second is over the budget is back.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(create(&http, &sim, &token, "oleg@butterboard.online").await.status(), 201);
}

#[tokio::test]
async fn the_daily_create_and_update_limit_answers_429_until_midnight_utc() {
    let clock = ManualClock::at(1_764_583_200_000); // 2025-12-01T10:00:00Z
    let config = ZoomSimConfig {
        rate_limits: limits(100, 100, 3),
        token_ttl: Duration::from_secs(86_400 * 2),
        clock: Arc::new(clock.clone()),
        ..ZoomSimConfig::default()
    };
    let sim = common::start(config).await;
    let http = common::client();
    let token = common::token(&http, &sim).await;
    let first =
        create(&http, &sim, &token, "oleg@butterboard.online").await.json::<serde_json::Value>().await.expect("json");
    assert_eq!(create(&http, &sim, &token, "oleg@butterboard.online").await.status(), 201);
    let patched = http
        .patch(format!("{}/meetings/{}", sim.api_base_url(), first["id"]))
        .bearer_auth(&token)
        .json(&json!({"topic": "renamed"}))
        .send()
        .await
        .expect("request");
    assert_eq!(patched.status(), 204, "an update counts too");

    let limited = create(&http, &sim, &token, "oleg@butterboard.online").await;
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "2025-12-02T00:00:00Z");
    assert_eq!(limited.headers()["x-ratelimit-type"], "Daily-limit");
    let body: serde_json::Value = limited.json().await.expect("json");
    assert_eq!(body["code"], 429);
    assert_eq!(
        body["message"],
        "You have exceeded the daily rate limit (3) of Meeting Create/Update API requests permitted for this \
         particular user. You may resume these requests at GMT 00:00:00."
    );
    let patch_limited = http
        .patch(format!("{}/meetings/{}", sim.api_base_url(), first["id"]))
        .bearer_auth(&token)
        .json(&json!({"topic": "again"}))
        .send()
        .await
        .expect("request");
    assert_eq!(patch_limited.status(), 429);

    // The limit is per user: another host still may.
    assert_eq!(create(&http, &sim, &token, "hr@butterboard.online").await.status(), 201);
    assert_eq!(sim.rate_limits().daily_rejected, 2);

    clock.set(1_764_633_600_000); // 2025-12-02T00:00:00Z
    assert_eq!(create(&http, &sim, &token, "oleg@butterboard.online").await.status(), 201);
}

#[tokio::test]
async fn the_rate_limit_counters_are_visible_over_http() {
    let sim = common::start(ZoomSimConfig { rate_limits: limits(1, 30, 100), ..ZoomSimConfig::default() }).await;
    let http = common::client();
    let token = common::token(&http, &sim).await;
    create(&http, &sim, &token, "oleg@butterboard.online").await;
    create(&http, &sim, &token, "oleg@butterboard.online").await;
    let snapshot: serde_json::Value = http
        .get(format!("{}/_sim/rate-limits", sim.base_url()))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let medium = snapshot["categories"]
        .as_array()
        .expect("list")
        .iter()
        .find(|c| c["category"] == "Medium")
        .cloned()
        .expect("medium");
    assert_eq!(medium["rejected"], 1);
    assert_eq!(snapshot["daily"][0]["count"], 1);
    assert_eq!(snapshot["daily_limit"], 100);
}

#[tokio::test]
async fn the_daily_limit_can_answer_with_its_body_alone_as_zoom_has_been_seen_to() {
    let clock = ManualClock::at(1_764_583_200_000); // 2025-12-01T10:00:00Z
    let config = ZoomSimConfig {
        rate_limits: RateLimits { daily_limit_headers: false, ..limits(100, 100, 1) },
        clock: Arc::new(clock),
        ..ZoomSimConfig::default()
    };
    let sim = common::start(config).await;
    let http = common::client();
    let token = common::token(&http, &sim).await;
    assert_eq!(create(&http, &sim, &token, "oleg@butterboard.online").await.status(), 201);
    let limited = create(&http, &sim, &token, "oleg@butterboard.online").await;
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().get("retry-after").is_none());
    assert!(limited.headers().get("x-ratelimit-type").is_none());
    let body: serde_json::Value = limited.json().await.expect("json");
    assert!(body["message"].as_str().is_some_and(|m| m.contains("daily rate limit (1)")), "{body}");
}
