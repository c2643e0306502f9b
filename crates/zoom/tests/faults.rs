//! How the client meets Zoom's failures, injected in the simulator: 5xx before a create was
//! handled, latency beyond the call's timeout, and the daily limit answered without its headers.

mod support;

use std::time::Duration;

use support::{HOST, NOV_1_2026_MS, client, scheduled, sim_at};
use time::OffsetDateTime;
use zoom::rest::retry::next_utc_midnight;
use zoom::rest::{RetryPolicy, ZoomClient, ZoomError};
use zoom_sim::{Fault, ZoomSimConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_5xx_before_zoom_handled_a_create_is_retried_when_asked_and_makes_one_meeting() {
    let (sim, _clock) = sim_at(NOV_1_2026_MS, ZoomSimConfig::default()).await;
    sim.inject_fault(Fault::status("POST", "/v2/users/*/meetings", 503, 2)).expect("fault");
    let mut config = support::config(&sim.api_base_url(), &sim.oauth_url());
    config.retry = RetryPolicy { retry_non_idempotent: true, ..config.retry };
    let client = ZoomClient::new(config).expect("client");
    let created = client
        .create_meeting(HOST, &scheduled("Day one", "2026-11-02T09:00:00Z", ""))
        .await
        .expect("created on the third try");
    assert_eq!(sim.faults()[0].hits, 2);
    assert_eq!(sim.meetings().len(), 1);
    assert_eq!(sim.meetings()[0]["id"], created.id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daily_limit_answered_without_its_headers_is_still_the_typed_daily_limit() {
    let limits = zoom_sim::RateLimits {
        daily_meeting_writes_per_user: 1,
        daily_limit_headers: false,
        ..zoom_sim::RateLimits::default()
    };
    let (sim, _clock) = sim_at(NOV_1_2026_MS, ZoomSimConfig { rate_limits: limits, ..ZoomSimConfig::default() }).await;
    let client = client(&sim);
    client.create_meeting(HOST, &scheduled("one", "2026-11-02T09:00:00Z", "")).await.expect("first");
    let before = next_utc_midnight(OffsetDateTime::now_utc());
    let error = client.create_meeting(HOST, &scheduled("two", "2026-11-02T10:00:00Z", "")).await.expect_err("limited");
    let after = next_utc_midnight(OffsetDateTime::now_utc());
    match error {
        ZoomError::DailyLimit { reset_at, .. } => {
            assert!(reset_at == before || reset_at == after, "without Retry-After, the next 00:00 UTC: {reset_at}");
        }
        other => panic!("expected the daily limit, got {other:?}"),
    }
    assert_eq!(sim.rate_limits().daily_rejected, 1, "not retried");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_slower_than_the_timeout_is_retried_and_a_slow_create_is_a_timeout() {
    let (sim, _clock) = sim_at(NOV_1_2026_MS, ZoomSimConfig::default()).await;
    let mut config = support::config(&sim.api_base_url(), &sim.oauth_url());
    config.request_timeout = Duration::from_millis(300);
    let client = ZoomClient::new(config).expect("client");
    let created = client.create_meeting(HOST, &scheduled("Day one", "2026-11-02T09:00:00Z", "")).await.expect("create");
    sim.inject_fault(Fault { times: Some(1), ..Fault::latency("GET", "/v2/meetings/*", Duration::from_secs(2)) })
        .expect("fault");
    let read = client.get_meeting(created.id).await.expect("the second try is quick");
    assert_eq!((read.id, sim.faults()[0].hits), (created.id, 1));

    sim.inject_fault(Fault {
        times: Some(1),
        ..Fault::latency("POST", "/v2/users/*/meetings", Duration::from_secs(2))
    })
    .expect("fault");
    let error = client.create_meeting(HOST, &scheduled("Day two", "2026-11-03T09:00:00Z", "")).await.expect_err("slow");
    assert!(matches!(error, ZoomError::Timeout(_)), "{error:?}");
}
