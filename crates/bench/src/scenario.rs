//! The scenario service on PostgreSQL, called over gRPC on loopback as meeting-orchestrator and
//! Butterboard's UI call it: assignment creation rate (concurrent HR calls, each writing an
//! assignment, its 14 stage instances and its event) and ResolveParticipants latency with 1,000
//! open assignments in one scenario — repeated calls, which the service answers from the cohort
//! it keeps, and calls right after a change to the scenario, which read the cohort again.

use std::sync::Arc;
use std::time::{Duration, Instant};

use butterboard_proto::scenario::v1 as pb;
use butterboard_proto::scenario::v1::scenario_service_client::ScenarioServiceClient;
use butterboard_runtime::auth::{self, Role};
use butterboard_runtime::service::ServiceName;
use butterboard_runtime::store::Store;
use butterboard_runtime::testing::{self, TestService};
use tonic::Request;
use tonic::transport::Channel;

/// Assignments created for the rate, and open in the scenario the resolution reads.
const RATE_ASSIGNMENTS: usize = 2_000;
const OPEN_ASSIGNMENTS: usize = 1_000;
const CONCURRENCY: usize = 32;
const RESOLVES: usize = 2_000;
/// Resolutions each right after a change to the scenario.
const RESOLVES_AFTER_CHANGE: usize = 300;

struct Client {
    channel: Channel,
    hr: String,
    service: String,
}

impl Client {
    fn grpc(&self) -> ScenarioServiceClient<Channel> {
        ScenarioServiceClient::new(self.channel.clone())
    }

    fn with<T>(token: &str, message: T) -> anyhow::Result<Request<T>> {
        let mut request = Request::new(message);
        auth::attach_bearer(&mut request, token)?;
        Ok(request)
    }

    async fn import_example(&self) -> anyhow::Result<String> {
        let request =
            pb::ImportScenarioRequest { yaml: ::scenario::EXAMPLE_SCENARIO_YAML.into(), ..Default::default() };
        let response = self.grpc().import_scenario(Self::with(&self.hr, request)?).await?.into_inner();
        Ok(response.scenario.map(|s| s.id).unwrap_or_default())
    }

    async fn assign(&self, scenario_id: &str, n: usize) -> anyhow::Result<pb::Assignment> {
        let person = |email: String| pb::Person { email, display_name: String::new(), time_zone: String::new() };
        let request = pb::AssignEmployeeRequest {
            scenario_id: scenario_id.into(),
            employee: Some(pb::Person {
                email: format!("new{n}@example.com"),
                display_name: format!("New Employee {n}"),
                time_zone: "Europe/Berlin".into(),
            }),
            start_date: "2025-03-03".into(),
            manager: Some(person(format!("manager{}@example.com", n % 50))),
            team: vec![
                person(format!("team{}@example.com", n % 20)),
                person(format!("team{}@example.com", (n + 1) % 20)),
            ],
            trainer: Some(person("trainer@example.com".into())),
            hr: Some(person("hr@example.com".into())),
            buddy: None,
        };
        Ok(self.grpc().assign_employee(Self::with(&self.hr, request)?).await?.into_inner())
    }

    async fn complete(&self, stage_instance_id: String) -> anyhow::Result<()> {
        let request = pb::CompleteStageRequest { stage_instance_id };
        self.grpc().complete_stage(Self::with(&self.hr, request)?).await?;
        Ok(())
    }
}

/// Creates `count` assignments with `CONCURRENCY` calls in flight; returns the first one.
async fn assign_many(
    client: &Arc<Client>,
    scenario_id: &str,
    offset: usize,
    count: usize,
) -> anyhow::Result<pb::Assignment> {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..CONCURRENCY {
        let (client, next, scenario_id) = (client.clone(), next.clone(), scenario_id.to_string());
        workers.push(tokio::spawn(async move {
            let mut first = None;
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n >= count {
                    return anyhow::Ok(first);
                }
                let assignment = client.assign(&scenario_id, offset + n).await?;
                if n == 0 {
                    first = Some(assignment);
                }
            }
        }));
    }
    let mut first = None;
    for worker in workers {
        if let Some(assignment) = worker.await?? {
            first = Some(assignment);
        }
    }
    first.ok_or_else(|| anyhow::anyhow!("no assignment created"))
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index].as_secs_f64() * 1000.0
}

/// Calls `ResolveParticipants` `RESOLVES` times, one at a time, after a warm-up; returns the
/// sorted latencies and the cohort size.
async fn resolve_latencies(
    client: &Client,
    request: pb::ResolveParticipantsRequest,
) -> anyhow::Result<(Vec<Duration>, usize)> {
    let mut grpc = client.grpc();
    let mut cohort = 0;
    for _ in 0..100 {
        cohort =
            grpc.resolve_participants(Client::with(&client.service, request.clone())?).await?.into_inner().cohort.len();
    }
    let mut latencies = Vec::with_capacity(RESOLVES);
    for _ in 0..RESOLVES {
        let call = Client::with(&client.service, request.clone())?;
        let started = Instant::now();
        grpc.resolve_participants(call).await?;
        latencies.push(started.elapsed());
    }
    latencies.sort();
    Ok((latencies, cohort))
}

/// Completes one of `changes` (an instance of another stage of the scenario) before each call,
/// untimed, so every call finds the scenario changed and reads the cohort again.
async fn resolve_after_changes(
    client: &Client,
    request: pb::ResolveParticipantsRequest,
    changes: Vec<String>,
) -> anyhow::Result<Vec<Duration>> {
    let mut grpc = client.grpc();
    let mut latencies = Vec::with_capacity(changes.len());
    for change in changes {
        client.complete(change).await?;
        let call = Client::with(&client.service, request.clone())?;
        let started = Instant::now();
        grpc.resolve_participants(call).await?;
        latencies.push(started.elapsed());
    }
    latencies.sort();
    Ok(latencies)
}

pub async fn run() -> anyhow::Result<()> {
    println!("== scenario service (PostgreSQL, gRPC on loopback)");
    let store = Store::connect(&testing::fresh_postgres_url().await?, 10).await?;
    let pool = store.pool().clone();
    store.migrate(&::scenario::migrations()).await?;
    let options = ::scenario::Options { run_scheduler: false, ..::scenario::Options::default() };
    let service = TestService::builder(ServiceName::Scenario, ::scenario::migrations())
        .store(store)
        .wall_clock()
        .try_start(|ctx| ::scenario::start_with(ctx, options))
        .await?;
    let ttl = Duration::from_secs(3600);
    let client = Arc::new(Client {
        channel: service.channel.clone(),
        hr: service.auth.mint("hr@example.com", &[Role::Hr], ttl)?,
        service: service.auth.mint("meeting-orchestrator", &[Role::Service], ttl)?,
    });

    let rate_scenario = client.import_example().await?;
    let started = Instant::now();
    assign_many(&client, &rate_scenario, 0, RATE_ASSIGNMENTS).await?;
    let rate = RATE_ASSIGNMENTS as f64 / started.elapsed().as_secs_f64();
    let label = format!("AssignEmployee, {CONCURRENCY} in flight (14 instances each)");
    crate::report(&label, rate, "assign/s", "≥ 1000");

    let scenario_id = client.import_example().await?;
    let first = assign_many(&client, &scenario_id, RATE_ASSIGNMENTS, OPEN_ASSIGNMENTS).await?;
    // Steady state: autovacuum analyzes and vacuums a table within a minute of a load like this
    // one (planner statistics, the visibility map index-only scans need); the bench does not wait.
    sqlx::query("VACUUM ANALYZE").execute(&pool).await?;
    let by_stage = pb::ResolveParticipantsRequest {
        target: Some(pb::resolve_participants_request::Target::Stage(pb::StageRef {
            scenario_id: scenario_id.clone(),
            stage_id: "meet-the-team".into(),
        })),
    };
    let (latencies, cohort) = resolve_latencies(&client, by_stage.clone()).await?;
    anyhow::ensure!(cohort == OPEN_ASSIGNMENTS, "the cohort has {cohort} members, expected {OPEN_ASSIGNMENTS}");
    crate::report("ResolveParticipants by stage, 1,000 open: p50", percentile(&latencies, 0.50), "ms", "-");
    crate::report("ResolveParticipants by stage, 1,000 open: p99", percentile(&latencies, 0.99), "ms", "≤ 5");

    let changes: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM stage_instances WHERE scenario_id = $1 AND stage_id = 'product-training' LIMIT $2",
    )
    .bind(&scenario_id)
    .bind(RESOLVES_AFTER_CHANGE as i64)
    .fetch_all(&pool)
    .await?;
    let latencies = resolve_after_changes(&client, by_stage, changes).await?;
    crate::report("  … each right after a change (cohort re-read): p50", percentile(&latencies, 0.50), "ms", "-");
    crate::report("  … each right after a change (cohort re-read): p99", percentile(&latencies, 0.99), "ms", "-");

    let instance =
        first.stage_instances.iter().find(|i| i.stage_id == "meet-the-team").map(|i| i.id.clone()).unwrap_or_default();
    let by_instance = pb::ResolveParticipantsRequest {
        target: Some(pb::resolve_participants_request::Target::StageInstanceId(instance)),
    };
    let (latencies, _) = resolve_latencies(&client, by_instance).await?;
    crate::report("ResolveParticipants by stage instance: p50", percentile(&latencies, 0.50), "ms", "-");
    crate::report("ResolveParticipants by stage instance: p99", percentile(&latencies, 0.99), "ms", "≤ 5");

    service.stop().await
}
