//! The gRPC server every service's API is mounted on (ARCHITECTURE §5).
//!
//! Besides the services' own routes (already wrapped in [`Authenticator::protect`] by their
//! crates) it serves `grpc.health.v1` and reflection, both without authentication so probes and
//! `grpcurl` work. Each call gets a span whose parent is the caller's W3C `traceparent`. Shutdown
//! marks health NOT_SERVING, stops accepting, and lets open calls finish for a grace period.

use std::time::Duration;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tonic::service::Routes;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tonic_health::ServingStatus;
use tonic_health::pb::health_server::HealthServer;
use tonic_health::server::{HealthReporter, HealthService};
use tower_http::classify::GrpcFailureClass;
use tower_http::trace::TraceLayer;
use tracing::Span;

use crate::auth::Authenticator;
use crate::grpc_metrics::MetricsLayer;
use crate::shutdown::Shutdown;
use crate::telemetry::propagation;

/// How long open calls (streams, watches) may run on after shutdown before they are cut.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// A gRPC server over already-protected routes, with health and reflection added.
pub struct GrpcServer {
    routes: Routes,
    health: HealthReporter,
    grace: Duration,
    reflection: bool,
    services: Vec<&'static str>,
}

impl GrpcServer {
    pub fn new(routes: Routes) -> Self {
        Self {
            routes,
            health: HealthReporter::new(),
            grace: DEFAULT_SHUTDOWN_GRACE,
            reflection: true,
            services: Vec::new(),
        }
    }

    /// Names the services mounted (e.g. `butterboard.scenario.v1.ScenarioService`), so their
    /// methods appear in the request metrics at zero from the start.
    pub fn with_services(mut self, services: &[&'static str]) -> Self {
        self.services = services.to_vec();
        self
    }

    /// Whether to serve reflection (`BUTTERBOARD_GRPC_REFLECTION`); on by default, since
    /// `grpcurl` and `grpcui` need it, and some platforms prefer not to publish their schema.
    pub fn with_reflection(mut self, enabled: bool) -> Self {
        self.reflection = enabled;
        self
    }

    /// Sets per-service health (`reporter.set_serving::<ScenarioServiceServer<_>>()`); the
    /// overall status `""` is SERVING until shutdown.
    pub fn health_reporter(&self) -> HealthReporter {
        self.health.clone()
    }

    pub fn with_shutdown_grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// Serves on `listener` until `shutdown` fires and open calls finish (or the grace runs out).
    pub async fn serve(self, listener: TcpListener, shutdown: Shutdown) -> anyhow::Result<()> {
        let address = listener.local_addr().context("grpc listener has no local address")?;
        let mut routes =
            self.routes.add_service(HealthServer::new(HealthService::from_health_reporter(self.health.clone())));
        if self.reflection {
            routes = routes
                .add_service(reflection().build_v1().context("cannot build grpc reflection v1")?)
                .add_service(reflection().build_v1alpha().context("cannot build grpc reflection v1alpha")?);
        }

        let health = self.health.clone();
        let stop = shutdown.clone();
        let signal = async move {
            stop.wait().await;
            // Watchers on open connections learn before the connection goes away.
            health.set_service_status("", ServingStatus::NotServing).await;
            tracing::info!("grpc server stopping");
        };
        let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
        let server = Server::builder()
            .http2_keepalive_interval(Some(Duration::from_secs(30)))
            .http2_keepalive_timeout(Some(Duration::from_secs(10)))
            .layer(TraceLayer::new_for_grpc().make_span_with(request_span).on_failure(on_failure))
            .layer(MetricsLayer::new(&self.services))
            .add_routes(routes)
            .serve_with_incoming_shutdown(incoming, signal);

        tracing::info!(%address, "grpc server listening");
        let grace = self.grace;
        tokio::select! {
            result = server => result.context("grpc server failed")?,
            () = async { shutdown.wait().await; tokio::time::sleep(grace).await } => {
                tracing::warn!(
                    grace_ms = grace.as_millis(),
                    "grpc calls still open after the grace period, closing them"
                );
            }
        }
        tracing::info!(%address, "grpc server stopped");
        Ok(())
    }
}

/// Serves `routes` (already protected) plus health and reflection on `listener` until `shutdown`.
/// Use [`GrpcServer`] to set per-service health.
pub async fn serve(
    listener: TcpListener,
    routes: Routes,
    auth: Authenticator,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    tracing::debug!(issuer = auth.issuer(), audience = auth.audience(), "grpc calls need a bearer token");
    GrpcServer::new(routes).serve(listener, shutdown).await
}

/// Writes the current span's trace context into an outgoing call, so the callee's span joins the
/// caller's trace.
pub fn inject_trace<T>(request: &mut tonic::Request<T>) {
    propagation::inject_current_metadata(request.metadata_mut());
}

/// Reflection over our services and health; served as v1 and, for older `grpcurl`/`grpcui`,
/// v1alpha.
fn reflection() -> tonic_reflection::server::Builder<'static> {
    tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(butterboard_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
}

/// One span per call, a child of the caller's `traceparent`. Health and reflection get debug spans
/// so probes every few seconds do not fill traces.
fn request_span<B>(request: &http::Request<B>) -> Span {
    let path = request.uri().path().trim_start_matches('/');
    let (service, method) = path.split_once('/').unwrap_or((path, ""));
    let span = if service.starts_with("grpc.") {
        tracing::debug_span!(
            "grpc",
            otel.name = %path,
            otel.kind = "server",
            rpc.system = "grpc",
            rpc.service = %service,
            rpc.method = %method,
        )
    } else {
        tracing::info_span!(
            "grpc",
            otel.name = %path,
            otel.kind = "server",
            otel.status_code = tracing::field::Empty,
            rpc.system = "grpc",
            rpc.service = %service,
            rpc.method = %method,
            rpc.grpc.status_code = tracing::field::Empty,
        )
    };
    propagation::set_parent_from_http(&span, request.headers());
    span
}

/// Server faults are warnings; a refused or invalid request is the caller's business (debug).
fn on_failure(failure: GrpcFailureClass, latency: Duration, span: &Span) {
    let latency_ms = latency.as_millis();
    match failure {
        GrpcFailureClass::Code(code) => {
            span.record("rpc.grpc.status_code", code.get());
            let code = tonic::Code::from_i32(code.get());
            if matches!(
                code,
                tonic::Code::Unknown
                    | tonic::Code::Internal
                    | tonic::Code::Unimplemented
                    | tonic::Code::Unavailable
                    | tonic::Code::DataLoss
            ) {
                span.record("otel.status_code", "ERROR");
                tracing::warn!(?code, latency_ms, "grpc call failed");
            } else {
                tracing::debug!(?code, latency_ms, "grpc call refused");
            }
        }
        GrpcFailureClass::Error(error) => {
            span.record("otel.status_code", "ERROR");
            tracing::warn!(%error, latency_ms, "grpc call failed");
        }
    }
}
