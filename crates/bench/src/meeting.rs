//! The meeting orchestrator on PostgreSQL and NATS JetStream against a zero-latency Zoom
//! simulator (no rate limits), in one run:
//!
//! - StartMeeting latency at 50 requests/s (each a new meeting for a stage with a cohort of 20),
//!   next to the sum of its two expensive parts measured alone at the same pace — one
//!   ResolveParticipants from scenario over gRPC and one Zoom create — so the ratio says what the
//!   orchestrator adds (intent, commit with the invitation, host checks from cache);
//! - the rate at which it handles Zoom's lifecycle events (joins, leaves, chat of one meeting,
//!   already on the stream when it starts), next to a bare consume-and-ack loop over the same
//!   messages.

use std::sync::Arc;
use std::time::{Duration, Instant};

use butterboard_proto::meeting::v1 as mpb;
use butterboard_proto::meeting::v1::meeting_service_client::MeetingServiceClient;
use butterboard_proto::scenario::v1 as spb;
use butterboard_proto::scenario::v1::scenario_service_client::ScenarioServiceClient;
use butterboard_runtime::auth::{self, Role};
use butterboard_runtime::bus::{ConsumerSpec, OutgoingMessage};
use butterboard_runtime::envelope::{CONTENT_TYPE_JSON, CloudEvent};
use butterboard_runtime::service::ServiceName;
use butterboard_runtime::testing::{self, Mode, TestService};
use meeting_orchestrator::conferencing::zoom::ZoomConferencing;
use tonic::transport::Channel;
use zoom::rest::{BudgetConfig, ClientConfig, Credentials};
use zoom_sim::{RateLimits, ZoomSimConfig};

const HOST: &str = "helen@example.com";
const COHORT: usize = 20;
const RATE: f64 = 50.0;
const STARTS: usize = 1_000;
const PART_CALLS: usize = 500;
const LIFECYCLE_EVENTS: usize = 20_000;

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index].as_secs_f64() * 1000.0
}

/// Runs `call` `n` times at `RATE` per second (open loop: a slow call does not delay the next
/// start), returning the sorted latencies.
async fn paced<F, Fut>(n: usize, call: F) -> anyhow::Result<Vec<Duration>>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let period = Duration::from_secs_f64(1.0 / RATE);
    let mut ticker = tokio::time::interval(period);
    let mut calls = Vec::with_capacity(n);
    for i in 0..n {
        ticker.tick().await;
        let call = call(i);
        calls.push(tokio::spawn(async move {
            let started = Instant::now();
            call.await.map(|_| started.elapsed())
        }));
    }
    let mut latencies = Vec::with_capacity(n);
    for call in calls {
        latencies.push(call.await??);
    }
    latencies.sort();
    Ok(latencies)
}

fn with<T>(token: &str, message: T) -> anyhow::Result<tonic::Request<T>> {
    let mut request = tonic::Request::new(message);
    auth::attach_bearer(&mut request, token)?;
    Ok(request)
}

fn zoom_client(sim: &zoom_sim::ZoomSim) -> anyhow::Result<zoom::ZoomClient> {
    let credentials = Credentials {
        account_id: "sim-account".into(),
        client_id: "sim-client".into(),
        client_secret: "sim-secret".into(),
    };
    let mut config = ClientConfig::with_urls(&sim.api_base_url(), &sim.oauth_url(), credentials);
    // The bench measures latency, not the account budget a production client keeps to.
    config.budget = BudgetConfig {
        light_per_second: 0.0,
        medium_per_second: 0.0,
        heavy_per_second: 0.0,
        ..BudgetConfig::default()
    };
    Ok(zoom::ZoomClient::new(config)?)
}

async fn setup_scenario(scenario: &TestService, hr: &str) -> anyhow::Result<String> {
    let mut client = ScenarioServiceClient::new(scenario.channel.clone());
    let import = spb::ImportScenarioRequest { yaml: ::scenario::EXAMPLE_SCENARIO_YAML.into(), ..Default::default() };
    let id = client.import_scenario(with(hr, import)?).await?.into_inner().scenario.map(|s| s.id).unwrap_or_default();
    for n in 0..COHORT {
        let person = |email: String| spb::Person { email, display_name: String::new(), time_zone: String::new() };
        let request = spb::AssignEmployeeRequest {
            scenario_id: id.clone(),
            employee: Some(spb::Person {
                email: format!("new{n}@example.com"),
                display_name: format!("New {n}"),
                time_zone: "Europe/Berlin".into(),
            }),
            start_date: "2026-12-07".into(),
            manager: Some(person(format!("manager{}@example.com", n % 4))),
            team: vec![person("team1@example.com".into()), person("team2@example.com".into())],
            trainer: Some(person("trainer@example.com".into())),
            hr: Some(person("hr@example.com".into())),
            buddy: None,
        };
        client.assign_employee(with(hr, request)?).await?;
    }
    Ok(id)
}

async fn orchestrator(
    sim: &zoom_sim::ZoomSim,
    scenario: &TestService,
    store: butterboard_runtime::store::Store,
) -> anyhow::Result<TestService> {
    let client = zoom_client(sim)?;
    TestService::builder(ServiceName::MeetingOrchestrator, meeting_orchestrator::migrations())
        .mode(Mode::Distributed)
        .wall_clock()
        .store(store)
        .bus(scenario.bus.clone())
        .peer(ServiceName::Scenario, format!("http://{}", scenario.grpc_addr))
        .try_start(move |ctx| async move {
            let settings = meeting_orchestrator::OrchestratorSettings::from_config(&ctx.config)?;
            meeting_orchestrator::start_with(ctx, settings, Arc::new(ZoomConferencing::new(client))).await
        })
        .await
}

fn by_stage(scenario_id: &str, key: String) -> mpb::StartMeetingRequest {
    mpb::StartMeetingRequest {
        target: Some(mpb::start_meeting_request::Target::Stage(mpb::StageRef {
            scenario_id: scenario_id.into(),
            stage_id: "meet-the-team".into(),
        })),
        idempotency_key: key,
        ..Default::default()
    }
}

async fn start_latencies(channel: &Channel, hr: &str, scenario_id: &str) -> anyhow::Result<Vec<Duration>> {
    paced(STARTS, |i| {
        let mut client = MeetingServiceClient::new(channel.clone());
        let request = with(hr, by_stage(scenario_id, format!("bench-{i}")));
        async move {
            client.start_meeting(request?).await?;
            Ok(())
        }
    })
    .await
}

async fn part_latencies(
    scenario: &Channel,
    service: &str,
    zoom: &zoom::ZoomClient,
    scenario_id: &str,
) -> anyhow::Result<(Vec<Duration>, Vec<Duration>)> {
    let target = spb::ResolveParticipantsRequest {
        target: Some(spb::resolve_participants_request::Target::Stage(spb::StageRef {
            scenario_id: scenario_id.into(),
            stage_id: "meet-the-team".into(),
        })),
    };
    let resolve = paced(PART_CALLS, |_| {
        let mut client = ScenarioServiceClient::new(scenario.clone());
        let request = with(service, target.clone());
        async move {
            client.resolve_participants(request?).await?;
            Ok(())
        }
    })
    .await?;
    let mut body =
        zoom::rest::CreateMeeting::scheduled("Meet the team: New 0, New 1", time::OffsetDateTime::now_utc(), 45);
    body.agenda = Some("[butterboard bench]\n".to_string() + &"Introductions and how we work. ".repeat(20));
    body.settings = Some(zoom::rest::MeetingSettings {
        auto_recording: Some("cloud".into()),
        meeting_invitees: Some(
            (0..COHORT + 3).map(|n| zoom::rest::Invitee { email: format!("p{n}@example.com") }).collect(),
        ),
        ..Default::default()
    });
    let create = paced(PART_CALLS, |_| {
        let (zoom, body) = (zoom.clone(), body.clone());
        async move {
            zoom.create_meeting(HOST, &body).await?;
            Ok(())
        }
    })
    .await?;
    Ok((resolve, create))
}

/// `n` Zoom events of meeting `zoom_id`: joins and leaves of distinct participants, and chat.
fn lifecycle_messages(zoom_id: i64, uuid: &str, n: usize) -> Vec<OutgoingMessage> {
    (0..n)
        .map(|i| {
            let person = i / 2;
            let (event, object) = match i % 4 {
                3 => ("meeting.chat_message_sent", serde_json::json!({"id": zoom_id, "uuid": uuid, "chat_message": {
                    "message_id": format!("m{i}"), "sender_name": format!("P{person}"), "message_content": "hello", "date_time": "2026-12-07T10:00:00Z"}})),
                k => {
                    let (name, time) = if k == 0 { ("meeting.participant_joined", "join_time") } else { ("meeting.participant_left", "leave_time") };
                    (name, serde_json::json!({"id": zoom_id.to_string(), "uuid": uuid, "participant": {
                        "user_id": format!("{person}"), "user_name": format!("P{person}"), "email": format!("p{person}@example.com"), time: "2026-12-07T10:00:00Z"}}))
                }
            };
            let body = serde_json::json!({"event": event, "event_ts": 1_765_000_000_000i64 + i as i64, "payload": {"account_id": "a", "object": object}});
            let mut cloud = CloudEvent::new("butterboard/zoom-webhook-ingest", event, CONTENT_TYPE_JSON, body.to_string().into_bytes().into());
            cloud.id = format!("bench-{i}");
            cloud.into_message(format!("zoom.{event}"))
        })
        .collect()
}

pub async fn run() -> anyhow::Result<()> {
    println!("== meeting orchestrator (PostgreSQL, NATS JetStream, zero-latency Zoom simulator)");
    let limits = RateLimits {
        light_per_second: 0,
        medium_per_second: 0,
        heavy_per_second: 0,
        daily_meeting_writes_per_user: 0,
        ..RateLimits::default()
    };
    let sim = zoom_sim::start(
        ZoomSimConfig {
            rate_limits: limits,
            users: vec![HOST.into()],
            auto_provision_users: false,
            ..ZoomSimConfig::default()
        },
        None,
    )
    .await?;
    let options = ::scenario::Options { run_scheduler: false, ..::scenario::Options::default() };
    let scenario = TestService::builder(ServiceName::Scenario, ::scenario::migrations())
        .mode(Mode::Distributed)
        .wall_clock()
        .try_start(|ctx| ::scenario::start_with(ctx, options))
        .await?;
    let store = testing::postgres_store(&meeting_orchestrator::migrations()).await?;
    let first = orchestrator(&sim, &scenario, store.clone()).await?;
    let ttl = Duration::from_secs(3600);
    let hr = first.auth.mint(HOST, &[Role::Hr], ttl)?;
    let service = first.auth.mint("meeting-orchestrator", &[Role::Service], ttl)?;
    let scenario_id = setup_scenario(&scenario, &hr).await?;
    let zoom = zoom_client(&sim)?;
    // Warm-up: connections, tokens, the host's cached settings, statement caches.
    for i in 0..50 {
        MeetingServiceClient::new(first.channel.clone())
            .start_meeting(with(&hr, by_stage(&scenario_id, format!("warm-{i}")))?)
            .await?;
    }
    let (resolve, create) = part_latencies(&scenario.channel, &service, &zoom, &scenario_id).await?;
    let start = start_latencies(&first.channel, &hr, &scenario_id).await?;
    let parts = percentile(&resolve, 0.99) + percentile(&create, 0.99);
    crate::report("ResolveParticipants alone, 50/s: p99", percentile(&resolve, 0.99), "ms", "-");
    crate::report("Zoom create alone, 50/s: p99", percentile(&create, 0.99), "ms", "-");
    crate::report("StartMeeting, 50/s, cohort of 20: p50", percentile(&start, 0.50), "ms", "-");
    crate::report("StartMeeting, 50/s, cohort of 20: p99", percentile(&start, 0.99), "ms", "≤ 50");
    crate::report("  … p99 / (resolve p99 + create p99)", percentile(&start, 0.99) / parts, "ratio", "≤ 1.5");

    // Lifecycle: one meeting's events on the stream before a fresh orchestrator starts.
    let meeting = MeetingServiceClient::new(first.channel.clone())
        .start_meeting(with(&hr, by_stage(&scenario_id, "lifecycle".into()))?)
        .await?
        .into_inner()
        .meeting
        .ok_or_else(|| anyhow::anyhow!("no meeting"))?;
    first.stop().await?;
    let messages = lifecycle_messages(meeting.zoom_meeting_id, "bench-session==", LIFECYCLE_EVENTS);
    for chunk in messages.chunks(1000) {
        scenario.bus.publish_all(chunk.to_vec()).await?;
    }
    let started = Instant::now();
    let mut bare = scenario
        .bus
        .subscribe(ConsumerSpec::new("bench-bare", &meeting_orchestrator::consumers::ZOOM_SUBJECTS))
        .await?;
    let mut acked = 0;
    while acked < LIFECYCLE_EVENTS {
        match bare.next().await {
            Ok(Some(delivery)) => {
                delivery.ack().await?;
                acked += 1;
            }
            Ok(None) => anyhow::bail!("the bare consumer closed"),
            // A missed heartbeat on a loaded machine: pull again, as the service's consumers do.
            Err(error) => eprintln!("bare consumer: {error}, pulling again"),
        }
    }
    let bare_rate = LIFECYCLE_EVENTS as f64 / started.elapsed().as_secs_f64();
    drop(bare);
    let started = Instant::now();
    let second = orchestrator(&sim, &scenario, store.clone()).await?;
    let handled = testing::eventually(Duration::from_secs(600), || async {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM inbox WHERE consumer = 'meeting-orchestrator-zoom'")
            .fetch_one(store.pool())
            .await
            .unwrap_or(0);
        n >= LIFECYCLE_EVENTS as i64
    })
    .await;
    anyhow::ensure!(handled, "the orchestrator did not handle every lifecycle event");
    let rate = LIFECYCLE_EVENTS as f64 / started.elapsed().as_secs_f64();
    crate::report("Zoom lifecycle events handled (joins, leaves, chat)", rate, "events/s", "≥ 5000");
    crate::report("bare consume-and-ack loop, same stream", bare_rate, "events/s", "-");
    crate::report("  … orchestrator / bare loop", rate / bare_rate, "ratio", "≥ 0.3");
    second.stop().await?;
    scenario.stop().await?;
    sim.stop().await
}
