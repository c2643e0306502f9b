//! The REST client against the Zoom simulator: real HTTP, Zoom's contracts (see shared/FACTS.md).

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use support::{HOST, NOV_1_2026_MS, client, config, recorded_script, sim, sim_at};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use zoom::rest::{
    ByteRange, CreateMeeting, Invitee, MeetingSettings, MeetingType, Recurrence, UpdateMeeting, ZoomClient, ZoomError,
};
use zoom::webhook::events::DownloadToken;
use zoom_sim::{Fault, ManualClock, RateLimits, ZoomSimConfig};

fn meeting(topic: &str) -> CreateMeeting {
    let start = OffsetDateTime::parse("2026-12-01T09:00:00Z", &Rfc3339).expect("time");
    let mut meeting = CreateMeeting::scheduled(topic, start, 45);
    meeting.timezone = Some("Europe/Moscow".into());
    meeting.agenda = Some("Introductions".into());
    meeting.settings = Some(MeetingSettings {
        auto_recording: Some("cloud".into()),
        meeting_invitees: Some(vec![Invitee { email: "anna@butterboard.online".into() }]),
        ..MeetingSettings::default()
    });
    meeting
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_token_serves_concurrent_calls_and_is_renewed_before_it_expires() {
    let sim = sim(ZoomSimConfig { token_ttl: Duration::from_secs(3), ..ZoomSimConfig::default() }).await;
    let created = client(&sim).create_meeting(HOST, &meeting("Meet the team")).await.expect("create");
    // A fresh client: forty calls at once, and only one of them fetches the token.
    let client = client(&sim);
    let calls = (0..40).map(|_| client.get_meeting(created.id));
    for result in futures::future::join_all(calls).await {
        assert_eq!(result.expect("get").id, created.id);
    }
    assert_eq!(client.token_fetches(), 1, "one token for every call");
    // A tenth of the 3 s lifetime early, the token is renewed: no call ever meets an expired one.
    tokio::time::sleep(Duration::from_millis(2800)).await;
    client.get_meeting(created.id).await.expect("get after renewal");
    assert_eq!(client.token_fetches(), 2);
    // A token Zoom no longer accepts is replaced once, transparently.
    sim.expire_tokens();
    client.get_meeting(created.id).await.expect("get after the token was revoked");
    assert_eq!(client.token_fetches(), 3);
    // Clients of the same account share its token.
    let other = client.for_account(support::credentials());
    other.get_meeting(created.id).await.expect("get");
    assert_eq!(other.token_fetches(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_are_an_oauth_error_not_a_retry_loop() {
    let sim = sim(ZoomSimConfig::default()).await;
    let mut config = config(&sim.api_base_url(), &sim.oauth_url());
    config.credentials.client_secret = "wrong".into();
    let client = ZoomClient::new(config).expect("client");
    let error = client.get_meeting(1).await.expect_err("refused");
    assert!(matches!(error, ZoomError::OAuth { status: 401, .. }), "{error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_meeting_is_created_read_updated_and_deleted() {
    let sim = sim(ZoomSimConfig::default()).await;
    let client = client(&sim);
    let created = client.create_meeting(HOST, &meeting("Meet the team")).await.expect("create");
    assert!(created.id >= 1_000_000_000, "int64 ids of 10-11 digits");
    assert_eq!(created.kind, MeetingType::Scheduled);
    assert!(created.join_url.as_deref().is_some_and(|u| u.contains(&created.id.to_string())));
    let settings = created.settings.as_ref().expect("settings");
    assert_eq!(settings.auto_recording.as_deref(), Some("cloud"));
    assert_eq!(settings.meeting_invitees.as_deref(), Some(&[Invitee { email: "anna@butterboard.online".into() }][..]));

    let update =
        UpdateMeeting { topic: Some("Meet the whole team".into()), duration: Some(60), ..UpdateMeeting::default() };
    client.update_meeting(created.id, &update).await.expect("update");
    let read = client.get_meeting(created.id).await.expect("get");
    assert_eq!((read.topic.as_str(), read.duration), ("Meet the whole team", Some(60)));
    assert_eq!(read.start_time.as_deref(), Some("2026-12-01T09:00:00Z"));

    client.delete_meeting(created.id).await.expect("delete");
    let gone = client.get_meeting(created.id).await.expect_err("deleted");
    assert!(gone.is_not_found(), "{gone:?}");
    assert_eq!(gone.code(), Some(3001));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_weekly_recurring_meeting_lists_its_occurrences_and_one_can_be_deleted() {
    let (sim, _clock) = sim_at(NOV_1_2026_MS, ZoomSimConfig::default()).await;
    let client = client(&sim);
    let mut weekly = meeting("One-on-one");
    weekly.kind = MeetingType::RecurringFixedTime;
    weekly.recurrence = Some(Recurrence::weekly(1, &[2, 4], 6));
    let created = client.create_meeting(HOST, &weekly).await.expect("create");
    assert_eq!(created.kind, MeetingType::RecurringFixedTime);
    assert_eq!(created.recurrence.as_ref().and_then(|r| r.weekly_days.clone()).map(|d| d.0), Some(vec![2, 4]));
    assert_eq!(created.occurrences.len(), 6);
    let first = created.occurrences[0].occurrence_id.clone();
    client.delete_occurrence(created.id, &first).await.expect("delete one occurrence");
    let read = client.get_meeting(created.id).await.expect("get");
    assert_eq!(read.occurrences.len(), 5);
    assert!(read.occurrences.iter().all(|o| o.occurrence_id != first));
    let invalid = client.delete_occurrence(created.id, "123").await.expect_err("not an occurrence");
    assert_eq!((invalid.status(), invalid.code()), (Some(400), Some(3000)), "Invalid occurrence_id.");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_per_second_429_is_retried_after_its_retry_after_seconds() {
    let limits = RateLimits { medium_per_second: 2, ..RateLimits::default() };
    let sim = sim(ZoomSimConfig { rate_limits: limits, ..ZoomSimConfig::default() }).await;
    let client = client(&sim);
    let started = Instant::now();
    for n in 0..4 {
        client.create_meeting(HOST, &meeting(&format!("m{n}"))).await.expect("created after waiting");
    }
    assert!(started.elapsed() >= Duration::from_millis(900), "waited for Retry-After: {:?}", started.elapsed());
    let medium =
        sim.rate_limits().categories.into_iter().find(|c| c.category == zoom_sim::Category::Medium).expect("medium");
    assert_eq!(medium.allowed, 4);
    assert!(medium.rejected >= 1, "the simulator did refuse some");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_budget_keeps_calls_under_the_accounts_limit() {
    let limits = RateLimits { medium_per_second: 3, ..RateLimits::default() };
    let sim = sim(ZoomSimConfig { rate_limits: limits, ..ZoomSimConfig::default() }).await;
    let mut config = config(&sim.api_base_url(), &sim.oauth_url());
    // 1.5/s with a bucket of 2: at most 3 calls fall in any one-second window of the simulator,
    // with a third of a second to spare for scheduling jitter (2/s could put 4 in one window).
    config.budget.medium_per_second = 1.5;
    let client = Arc::new(ZoomClient::new(config).expect("client"));
    let creates = (0..6).map(|n| {
        let client = client.clone();
        async move { client.create_meeting(HOST, &meeting(&format!("m{n}"))).await }
    });
    for result in futures::future::join_all(creates).await {
        result.expect("created");
    }
    let medium =
        sim.rate_limits().categories.into_iter().find(|c| c.category == zoom_sim::Category::Medium).expect("medium");
    assert_eq!((medium.allowed, medium.rejected), (6, 0), "the budget spread the calls: Zoom never had to refuse one");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daily_create_limit_fails_at_once_with_its_iso_reset_time() {
    let clock = ManualClock::at(1_764_583_200_000); // 2025-12-01T10:00:00Z
    let limits = RateLimits { daily_meeting_writes_per_user: 2, ..RateLimits::default() };
    let config = ZoomSimConfig {
        rate_limits: limits,
        token_ttl: Duration::from_secs(3 * 86_400),
        clock: Arc::new(clock),
        ..ZoomSimConfig::default()
    };
    let sim = sim(config).await;
    let client = client(&sim);
    client.create_meeting(HOST, &meeting("one")).await.expect("first");
    client.create_meeting(HOST, &meeting("two")).await.expect("second");
    let started = Instant::now();
    let error = client.create_meeting(HOST, &meeting("three")).await.expect_err("over the daily limit");
    assert!(started.elapsed() < Duration::from_secs(1), "not retried");
    match error {
        ZoomError::DailyLimit { reset_at, message } => {
            assert_eq!(reset_at, OffsetDateTime::parse("2025-12-02T00:00:00Z", &Rfc3339).expect("midnight"));
            assert!(message.contains("daily"), "{message}");
        }
        other => panic!("expected the daily limit, got {other:?}"),
    }
    assert_eq!(sim.rate_limits().daily_rejected, 1, "asked once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_5xx_is_retried_with_backoff_for_reads_and_not_for_creates() {
    let sim = sim(ZoomSimConfig::default()).await;
    let client = client(&sim);
    let created = client.create_meeting(HOST, &meeting("m")).await.expect("create");
    sim.inject_fault(Fault::status("GET", "/v2/meetings/*", 503, 2)).expect("fault");
    let read = client.get_meeting(created.id).await.expect("succeeds on the third try");
    assert_eq!(read.id, created.id);
    assert_eq!(sim.faults()[0].hits, 2);
    sim.clear_faults();

    sim.inject_fault(Fault { times: None, ..Fault::status("POST", "/v2/users/*/meetings", 500, 1) }).expect("fault");
    sim.inject_fault(Fault { times: None, ..Fault::status("GET", "/v2/meetings/*", 500, 1) }).expect("fault");
    let error = client.create_meeting(HOST, &meeting("m2")).await.expect_err("a create is not repeated");
    assert_eq!(error.status(), Some(500));
    assert_eq!(sim.faults()[0].hits, 1);
    let error = client.get_meeting(created.id).await.expect_err("reads give up after max_attempts");
    assert_eq!(error.status(), Some(500));
    assert_eq!(sim.faults()[1].hits, 4);
}

/// Plays a recorded meeting and returns (meeting uuid, the MP4 file's id and url, download token).
async fn recorded(
    sim: &zoom_sim::ZoomSim,
    client: &ZoomClient,
    mp4_size: u64,
) -> (String, String, String, DownloadToken) {
    let created = client.create_meeting(HOST, &meeting("Product training")).await.expect("create");
    let report = sim.play(created.id, recorded_script(mp4_size)).expect("play").wait().await.expect("played");
    let recording = sim.recordings().into_iter().find(|r| r.recording.uuid == report.uuid).expect("recording");
    let mp4 = recording
        .recording
        .recording_files
        .iter()
        .find(|f| f.file_type == "MP4" && f.file_size == mp4_size)
        .expect("mp4");
    (
        report.uuid,
        mp4.id.clone(),
        mp4.download_url.clone(),
        DownloadToken::new(report.download_token.expect("download token")),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_downloads_as_a_stream_following_the_redirect_and_a_range_returns_206() {
    let sim = sim(ZoomSimConfig::default()).await;
    let client = client(&sim);
    let size = 3 * 1024 * 1024 + 17;
    let (_, file_id, url, token) = recorded(&sim, &client, size).await;

    let mut download = client.download(&url, Some(&token), None).await.expect("download");
    assert_eq!((download.status, download.content_length), (200, Some(size)));
    let (mut received, mut chunks, mut offset) = (0u64, 0, 0u64);
    while let Some(chunk) = download.body.next().await {
        let chunk = chunk.expect("chunk");
        let mut expected = vec![0u8; chunk.len()];
        zoom_sim::synthetic::fill(&file_id, offset, &mut expected);
        assert!(chunk[..] == expected[..], "bytes at {offset} match the file");
        offset += chunk.len() as u64;
        received += chunk.len() as u64;
        chunks += 1;
    }
    assert_eq!(received, size);
    assert!(chunks > 1, "streamed in chunks, not one buffer");

    let range = ByteRange::inclusive(1_000_000, 1_000_999);
    let mut part = client.download(&url, Some(&token), Some(range)).await.expect("range");
    assert_eq!(part.status, 206);
    let content_range = part.content_range.expect("content-range");
    assert_eq!((content_range.first, content_range.last, content_range.total), (1_000_000, 1_000_999, Some(size)));
    let mut bytes = Vec::new();
    while let Some(chunk) = part.body.next().await {
        bytes.extend_from_slice(&chunk.expect("chunk"));
    }
    let mut expected = vec![0u8; 1000];
    zoom_sim::synthetic::fill(&file_id, 1_000_000, &mut expected);
    assert_eq!(bytes, expected);

    // Resuming from an offset to the end; and the account's API token works as well.
    let mut tail = client.download(&url, None, Some(ByteRange::from(size - 10))).await.expect("tail");
    let mut bytes = Vec::new();
    while let Some(chunk) = tail.body.next().await {
        bytes.extend_from_slice(&chunk.expect("chunk"));
    }
    assert_eq!(bytes.len(), 10);
    let bad = client.download(&url, Some(&DownloadToken::new("nope")), None).await.expect_err("bad token");
    assert_eq!(bad.status(), Some(401));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meeting_uuids_with_slashes_are_double_encoded_for_recordings_and_trash() {
    // Every uuid the simulator makes then starts with '/' or contains '//'.
    let sim = sim(ZoomSimConfig { uuid_slash_every: 1, ..ZoomSimConfig::default() }).await;
    let client = client(&sim);
    for _ in 0..2 {
        let (uuid, _, _, _) = recorded(&sim, &client, 4096).await;
        assert!(zoom::rest::encoding::needs_double_encoding(&uuid), "{uuid}");
        let recording = client.get_recordings(&uuid, true).await.expect("found by its uuid");
        assert_eq!(recording.uuid, uuid);
        assert!(recording.download_access_token.is_some());
        assert!(recording.recording_files.len() >= 3, "several segments");
        client.trash_recordings(&uuid).await.expect("trashed");
        let gone = client.get_recordings(&uuid, false).await.expect_err("in the trash");
        assert_eq!(gone.code(), Some(3301));
    }
    // Encoded once, the same uuid is not found: the simulator enforces Zoom's rule.
    let (uuid, _, _, _) = recorded(&sim, &client, 4096).await;
    let token = zoom_sim_token(&sim).await;
    let once = percent_encoding::utf8_percent_encode(&uuid, percent_encoding::NON_ALPHANUMERIC).to_string();
    let status = reqwest::Client::new()
        .get(format!("{}/meetings/{once}/recordings", sim.api_base_url()))
        .bearer_auth(token)
        .send()
        .await
        .expect("get")
        .status();
    assert_eq!(status, 404);
}

async fn zoom_sim_token(sim: &zoom_sim::ZoomSim) -> String {
    let answer: serde_json::Value = reqwest::Client::new()
        .post(sim.oauth_url())
        .query(&[("grant_type", "account_credentials"), ("account_id", "sim-account")])
        .basic_auth("sim-client", Some("sim-secret"))
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    answer["access_token"].as_str().expect("token").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_users_recordings_are_listed_for_a_period() {
    let sim = sim(ZoomSimConfig::default()).await;
    let client = client(&sim);
    let (uuid, _, _, _) = recorded(&sim, &client, 4096).await;
    let today = OffsetDateTime::now_utc().date();
    let list = client
        .list_user_recordings(HOST, today - time::Duration::days(7), today + time::Duration::days(1), None)
        .await
        .expect("list");
    assert!(list.meetings.iter().any(|m| m.uuid == uuid), "{list:?}");
    assert!(list.next_page_token.is_empty());
}
