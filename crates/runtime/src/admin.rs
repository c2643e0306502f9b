//! The admin HTTP server (ARCHITECTURE §8, `:9090`): `/healthz`, `/readyz`, `/metrics`.
//!
//! - `/healthz` answers 200 while the process serves at all (liveness).
//! - `/readyz` runs every [`ReadinessCheck`] concurrently, each bounded by [`CHECK_TIMEOUT`], and
//!   answers 200 with their results when all pass, 503 naming the failures otherwise. Once
//!   shutdown has started it answers 503 without running the checks, so a load balancer stops
//!   sending work while the process drains.
//! - `/metrics` is the Prometheus text of the OpenTelemetry metrics ([`telemetry::prometheus_text`]).
//!
//! The server stops with the shutdown token (requests in flight finish).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use tokio::net::TcpListener;

use crate::shutdown::Shutdown;
use crate::telemetry;

/// How long one readiness check may take before it counts as failed; below the usual probe
/// timeout so `/readyz` itself always answers.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// Something the process needs in order to take work: the bus, a store.
#[async_trait::async_trait]
pub trait ReadinessCheck: Send + Sync + 'static {
    /// A short stable name, e.g. `store:scenario`.
    fn name(&self) -> String;
    /// Ok when usable. The error text is logged, never shown on `/readyz`: a driver's message can
    /// carry hosts, user names or SQL, and probes are answered to whoever reaches the port.
    async fn check(&self) -> Result<(), String>;
}

/// The checks behind `/readyz`.
#[derive(Clone, Default)]
pub struct Readiness {
    pub checks: Vec<Arc<dyn ReadinessCheck>>,
}

/// What `/readyz` answers, as JSON.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReadinessReport {
    /// `ready`, `not ready` or `shutting down`.
    pub status: &'static str,
    pub checks: Vec<CheckResult>,
}

/// The outcome of one check.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckResult {
    pub name: String,
    pub ok: bool,
    /// `unavailable` or `timed out`: which dependency failed is in `name`, why is in the log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'static str>,
    pub elapsed_ms: u64,
}

impl ReadinessReport {
    pub fn is_ready(&self) -> bool {
        self.status == "ready"
    }
}

impl Readiness {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a check.
    pub fn with(mut self, check: impl ReadinessCheck) -> Self {
        self.checks.push(Arc::new(check));
        self
    }

    /// Runs every check concurrently, each bounded by [`CHECK_TIMEOUT`]; not ready once
    /// `shutdown` has fired, even if it fires while the checks run.
    pub async fn evaluate(&self, shutdown: &Shutdown) -> ReadinessReport {
        if shutdown.is_triggered() {
            return ReadinessReport { status: "shutting down", checks: Vec::new() };
        }
        let checks = futures::future::join_all(self.checks.iter().map(|check| run_check(check.as_ref()))).await;
        let status = if shutdown.is_triggered() {
            "shutting down"
        } else if checks.iter().all(|check| check.ok) {
            "ready"
        } else {
            "not ready"
        };
        ReadinessReport { status, checks }
    }
}

async fn run_check(check: &dyn ReadinessCheck) -> CheckResult {
    let started = Instant::now();
    let outcome = match tokio::time::timeout(CHECK_TIMEOUT, check.check()).await {
        Ok(Ok(())) => None,
        Ok(Err(error)) => Some(("unavailable", error)),
        Err(_) => Some(("timed out", format!("no answer within {} ms", CHECK_TIMEOUT.as_millis()))),
    };
    let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let name = check.name();
    if let Some((_, error)) = &outcome {
        // Info, not warn: probes repeat every few seconds while a dependency is down.
        tracing::info!(check = %name, %error, "readiness check failed");
    }
    CheckResult { name, ok: outcome.is_none(), error: outcome.map(|(reason, _)| reason), elapsed_ms }
}

#[derive(Clone)]
struct AdminState {
    readiness: Readiness,
    shutdown: Shutdown,
}

/// The admin routes, for embedding or testing without a listener.
pub fn router(readiness: Readiness, shutdown: Shutdown) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(AdminState { readiness, shutdown })
}

/// Serves the admin routes on `listener` until `shutdown` fires.
pub async fn serve(listener: TcpListener, readiness: Readiness, shutdown: Shutdown) -> anyhow::Result<()> {
    let stop = shutdown.wait();
    serve_until(listener, readiness, shutdown, stop).await
}

/// Serves the admin routes until `stop` resolves, while `/readyz` follows `shutdown`: a process
/// keeps answering 503 (and `/metrics`) while it drains, and stops its admin server last.
pub async fn serve_until(
    listener: TcpListener,
    readiness: Readiness,
    shutdown: Shutdown,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let address = listener.local_addr().context("admin listener has no local address")?;
    tracing::info!(%address, "admin server listening");
    axum::serve(listener, router(readiness, shutdown))
        .with_graceful_shutdown(stop)
        .await
        .context("admin server failed")?;
    tracing::info!(%address, "admin server stopped");
    Ok(())
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(state): State<AdminState>) -> Response {
    let report = state.readiness.evaluate(&state.shutdown).await;
    let status = if report.is_ready() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(report)).into_response()
}

async fn metrics() -> Response {
    match telemetry::prometheus_text() {
        Ok(text) => ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response(),
        Err(error) => {
            tracing::warn!(error = format!("{error:#}"), "cannot render metrics");
            (StatusCode::INTERNAL_SERVER_ERROR, "cannot collect metrics\n").into_response()
        }
    }
}
