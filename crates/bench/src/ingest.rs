//! `zoom-webhook-ingest` under load: a load generator signs distinct, real-shaped ~400-byte
//! `meeting.participant_joined` bodies and posts them at a fixed rate (1,000 req/s) and at
//! saturation, against the ingest (PostgreSQL + NATS JetStream, and embedded: SQLite + the
//! embedded bus) and two floors measured in the same run: a verify-only handler that stores
//! nothing, and a naive handler that inserts each delivery and publishes it with an awaited
//! JetStream ack before answering.
//!
//! Latency at a fixed rate is measured twice. Open loop, from each request's scheduled send time
//! over many connections, so a stalled server cannot hide its queue (no coordinated omission).
//! Closed loop, the way a new user tries a server: [`CLOSED_CONNECTIONS`] connections, each
//! waiting for its answer before its next paced request, latency from the send; a stall shows in
//! its p99 as the requests that met it. Servers run on their own runtime.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use butterboard_runtime::bus::EventBus;
use butterboard_runtime::service::ServiceName;
use butterboard_runtime::store::Store;
use butterboard_runtime::testing::{self, Mode, TestService};
use sha2::{Digest, Sha256};
use zoom::webhook::{Verifier, sign};
use zoom_webhook_ingest::IngestSettings;

use crate::load::{self, Answer, Pacing, Signed, Target};

const SECRET: &str = "bench-webhook-secret";
const RATE: u64 = 1000;
const RATE_SECONDS: u64 = 5;
/// Requests in flight at saturation: a moderate burst, and Zoom's big bursts.
const CONCURRENCY: [usize; 2] = [64, 256];
/// Connections of the fixed-rate run: enough that a slow answer never delays the next send.
const RATE_CONNECTIONS: usize = 64;
/// PostgreSQL connections of the ingest's store, as `butterboard run` opens it.
const INGEST_POOL: u32 = 10;
/// Connections of the closed-loop paced run, sharing [`RATE`] between them.
const CLOSED_CONNECTIONS: usize = 10;

/// A distinct, real-shaped body of about 400 bytes.
fn body(run: &str, n: usize) -> Bytes {
    let body = serde_json::json!({
        "event": "meeting.participant_joined",
        "event_ts": 1_764_579_700_000_i64 + n as i64,
        "payload": {"account_id": "AcCtId_1a2b3c4d5e", "object": {
            "id": "84512390771", "uuid": "4444AAAiAAAAAiAiAiiAii==", "host_id": "hOsT_UsEr_9z8y7x",
            "topic": "Meet the team", "type": 2, "start_time": "2026-12-01T09:00:12Z", "timezone": "Europe/Moscow", "duration": 45,
            "participant": {"user_id": format!("{n}"), "user_name": format!("Participant {run}-{n}"), "id": format!("u_{n}"),
                "join_time": "2026-12-01T09:01:41Z", "email": format!("p{n}@butterboard.online")}
        }}
    });
    Bytes::from(body.to_string())
}

/// Signed requests, ready to send.
fn requests(run: &str, count: usize) -> anyhow::Result<Arc<Vec<Signed>>> {
    let ts = (butterboard_runtime::clock::now_ms() / 1000).to_string();
    let timestamp = http::HeaderValue::from_str(&ts)?;
    let signed = (0..count)
        .map(|n| {
            let body = body(run, n);
            let signature = http::HeaderValue::from_str(&sign(SECRET.as_bytes(), &ts, &body))?;
            Ok(Signed { body, timestamp: timestamp.clone(), signature })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Arc::new(signed))
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index].as_secs_f64() * 1000.0
}

struct Measured {
    ok: usize,
    total: usize,
    rate: f64,
    p50_ms: f64,
    p90_ms: f64,
    p99_ms: f64,
}

impl Measured {
    fn of(answers: Vec<Answer>, elapsed: Duration) -> Self {
        let total = answers.len();
        let ok = answers.iter().filter(|(status, _)| *status == 200).count();
        let mut latencies: Vec<Duration> = answers.into_iter().map(|(_, took)| took).collect();
        latencies.sort();
        Measured {
            ok,
            total,
            rate: ok as f64 / elapsed.as_secs_f64(),
            p50_ms: percentile(&latencies, 0.5),
            p90_ms: percentile(&latencies, 0.9),
            p99_ms: percentile(&latencies, 0.99),
        }
    }
}

/// Open loop at [`RATE`] for [`RATE_SECONDS`]: latency counts from when each request was due.
async fn fixed_rate(target: &Target, run: &str) -> anyhow::Result<Measured> {
    let requests = requests(run, (RATE * RATE_SECONDS) as usize)?;
    let (answers, elapsed) = load::send_all(target, requests, RATE_CONNECTIONS, Pacing::Open(RATE)).await;
    Ok(Measured::of(answers, elapsed))
}

/// Closed loop at [`RATE`] in total over [`CLOSED_CONNECTIONS`] for [`RATE_SECONDS`].
async fn closed_loop(target: &Target, run: &str) -> anyhow::Result<Measured> {
    let requests = requests(run, (RATE * RATE_SECONDS) as usize)?;
    let (answers, elapsed) = load::send_all(target, requests, CLOSED_CONNECTIONS, Pacing::Closed(RATE)).await;
    Ok(Measured::of(answers, elapsed))
}

/// Closed loop with `concurrency` requests in flight: the most the server can answer.
async fn saturation(target: &Target, run: &str, count: usize, concurrency: usize) -> anyhow::Result<Measured> {
    let requests = requests(run, count)?;
    let (answers, elapsed) = load::send_all(target, requests, concurrency, Pacing::Flat).await;
    Ok(Measured::of(answers, elapsed))
}

/// A 2-thread runtime for a server, apart from the load generator's.
fn server_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?)
}

/// Serves `router` on its own runtime; returns the URL and the runtime (shut it down to stop).
async fn serve(router: axum::Router, path: &str) -> anyhow::Result<(String, tokio::runtime::Runtime)> {
    let runtime = server_runtime()?;
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let url = format!("http://{}{path}", listener.local_addr()?);
    runtime.spawn(async move {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        axum::serve(listener, router).await
    });
    Ok((url, runtime))
}

/// The ingest over `store` and `bus`, started as the binary starts it, on its own runtime.
async fn ingest_server(
    store: Store,
    bus: Arc<dyn EventBus>,
    mode: Mode,
) -> anyhow::Result<(String, TestService, tokio::runtime::Runtime)> {
    let runtime = server_runtime()?;
    let started = runtime.spawn(async move {
        let settings = IngestSettings { secrets: Some(vec![SECRET.to_string()]), ..IngestSettings::default() };
        let service = TestService::builder(ServiceName::ZoomWebhookIngest, zoom_webhook_ingest::migrations())
            .mode(mode)
            .store(store)
            .bus(bus)
            .wall_clock()
            .try_start(|ctx| zoom_webhook_ingest::start_with(ctx, settings))
            .await?;
        let base = service.webhook_url.clone().context("the ingest has a webhook router")?;
        anyhow::Ok((format!("{base}{}", zoom_webhook_ingest::receive::PATH), service))
    });
    let (url, service) = started.await??;
    Ok((url, service, runtime))
}

struct Floor {
    verifier: Verifier,
    naive: Option<(Store, Arc<dyn EventBus>)>,
}

/// The floors: verify (and read the envelope); the naive one then inserts and publishes.
async fn floor(State(floor): State<Arc<Floor>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let now = butterboard_runtime::clock::now_ms();
    let Ok((_, envelope)) = zoom::webhook::verify_and_parse(
        &floor.verifier,
        header("x-zm-request-timestamp"),
        header("x-zm-signature"),
        &body,
        now,
    ) else {
        return StatusCode::UNAUTHORIZED;
    };
    let Some((store, bus)) = &floor.naive else { return StatusCode::OK };
    let event_id = uuid::Uuid::now_v7().to_string();
    let event_type = envelope.event.as_str();
    let inserted = sqlx::query(
        "INSERT INTO deliveries (dedupe_key, event_id, event_type, meeting_uuid, event_ts, received_at, headers, body) VALUES ($1, $2, $3, $4, $5, $6, '{}', $7)",
    )
    .bind(hex::encode(Sha256::digest(&body)))
    .bind(&event_id)
    .bind(event_type)
    .bind(envelope.meeting_uuid.as_deref())
    .bind(envelope.event_ts)
    .bind(now)
    .bind(body.to_vec())
    .execute(store.pool())
    .await;
    if inserted.is_err() {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let message = zoom_webhook_ingest::store::zoom_message(
        event_id,
        event_type,
        envelope.event_ts,
        envelope.meeting_uuid.as_deref(),
        body,
    );
    match bus.publish(message).await {
        Ok(_) => StatusCode::OK,
        Err(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

async fn floor_server(naive: Option<(Store, Arc<dyn EventBus>)>) -> anyhow::Result<(String, tokio::runtime::Runtime)> {
    let state = Arc::new(Floor { verifier: Verifier::new([SECRET])?, naive });
    serve(axum::Router::new().route("/zoom/webhooks", axum::routing::post(floor)).with_state(state), "/zoom/webhooks")
        .await
}

/// What one server measured: open loop, closed loop, then saturation.
struct Figures {
    open: Measured,
    closed: Measured,
    saturated: Vec<(usize, Measured)>,
}

fn report(label: &str, figures: &Figures, throughput_target: &str) {
    let Figures { open, closed, saturated } = figures;
    for (concurrency, measured) in saturated {
        let name = format!("{label}: throughput, {concurrency} in flight");
        crate::report(&name, measured.rate, "req/s", throughput_target);
    }
    let latency_target = if throughput_target == "-" { "-" } else { "≤ 10" };
    crate::report(&format!("{label}: p50 at 1,000 req/s"), open.p50_ms, "ms", "-");
    crate::report(&format!("{label}: p99 at 1,000 req/s"), open.p99_ms, "ms", latency_target);
    let closed_name = |p: &str| format!("{label}: {p}, closed loop, {CLOSED_CONNECTIONS} conn, 1,000 req/s");
    crate::report(&closed_name("p50"), closed.p50_ms, "ms", "-");
    crate::report(&closed_name("p90"), closed.p90_ms, "ms", "-");
    crate::report(&closed_name("p99"), closed.p99_ms, "ms", latency_target);
    for (concurrency, measured) in saturated.iter().filter(|(_, m)| m.ok != m.total) {
        println!("  {label}: {} of {} answered 200 with {concurrency} in flight", measured.ok, measured.total);
    }
    for (name, measured) in [("open", open), ("closed", closed)] {
        if measured.ok != measured.total {
            println!("  {label}: {} of {} answered 200 at 1,000 req/s ({name} loop)", measured.ok, measured.total);
        }
    }
}

async fn measure(url: &str, label: &str, count: usize) -> anyhow::Result<Figures> {
    let target = Target::parse(url)?;
    // Warm the connections and the server.
    saturation(&target, &format!("{label}-warm"), 2000.min(count), CONCURRENCY[0]).await?;
    let open = fixed_rate(&target, &format!("{label}-rate")).await?;
    let closed = closed_loop(&target, &format!("{label}-closed")).await?;
    let mut saturated = Vec::new();
    for concurrency in CONCURRENCY {
        let run = format!("{label}-sat{concurrency}");
        saturated.push((concurrency, saturation(&target, &run, count, concurrency).await?));
    }
    Ok(Figures { open, closed, saturated })
}

async fn wait_for_empty_outbox(store: &Store, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if butterboard_runtime::store::outbox::pending(store.pool()).await.ok()? == 0 {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

/// The servers to measure: `BENCH_INGEST` (comma-separated from `verify`, `naive`, `pg`,
/// `embedded`), or all of them. Naming one shortens a run while looking into it.
fn wanted(server: &str) -> bool {
    std::env::var("BENCH_INGEST").map_or(true, |list| list.split(',').any(|s| s.trim() == server))
}

pub async fn run(count: usize) -> anyhow::Result<()> {
    println!(
        "== zoom-webhook-ingest, ~400-byte signed distinct bodies: {RATE} req/s for {RATE_SECONDS} s, then {count} requests at saturation"
    );
    println!("  body size: {} bytes", body("x", 12345).len());

    if wanted("verify") {
        let (url, runtime) = floor_server(None).await?;
        report("floor: verify only (no persistence)", &measure(&url, "verify", count).await?, "-");
        runtime.shutdown_background();
    }
    if wanted("naive") {
        // One connection per request in flight at the moderate burst: the naive floor waits on
        // PostgreSQL's own group commit, never on the pool.
        let store = Store::connect(&testing::fresh_postgres_url().await?, CONCURRENCY[0] as u32).await?;
        store.migrate(&zoom_webhook_ingest::migrations()).await?;
        let (bus, _) = testing::jetstream_bus().await?;
        let (url, runtime) = floor_server(Some((store, bus))).await?;
        report("floor: naive (insert + awaited JetStream ack)", &measure(&url, "naive", count).await?, "-");
        runtime.shutdown_background();
    }
    if wanted("pg") {
        // The pool the binary gives each service.
        let store = Store::connect(&testing::fresh_postgres_url().await?, INGEST_POOL).await?;
        store.migrate(&zoom_webhook_ingest::migrations()).await?;
        let (bus, _) = testing::jetstream_bus().await?;
        let (url, service, runtime) = ingest_server(store.clone(), bus, Mode::Distributed).await?;
        report("ingest, PostgreSQL + NATS JetStream", &measure(&url, "pg", count).await?, "≥ 10000");
        if let Some(took) = wait_for_empty_outbox(&store, Duration::from_secs(60)).await {
            println!("  outbox empty {:.1} s after the last answer", took.as_secs_f64());
        }
        service.stop().await?;
        runtime.shutdown_background();
    }
    if wanted("embedded") {
        let dir = tempfile::tempdir()?;
        let store = testing::sqlite_store(dir.path(), &zoom_webhook_ingest::migrations()).await?;
        let bus = testing::embedded_bus(dir.path()).await?;
        let (url, service, runtime) = ingest_server(store.clone(), bus, Mode::Embedded).await?;
        report("ingest, embedded (SQLite + embedded bus)", &measure(&url, "embedded", count).await?, "-");
        if let Some(took) = wait_for_empty_outbox(&store, Duration::from_secs(60)).await {
            println!("  outbox empty {:.1} s after the last answer", took.as_secs_f64());
        }
        service.stop().await?;
        runtime.shutdown_background();
    }
    Ok(())
}
