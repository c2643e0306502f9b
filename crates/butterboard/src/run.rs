//! `butterboard run`: one process running a set of services.
//!
//! Order matters: configuration and every database URL are checked before anything starts; the
//! bus and stores are opened and migrated; each service builds its parts; only then are the
//! listeners bound, so `/readyz` never answers for a half-built process. Every long-running piece
//! is a named [`Component`](crate::run::Components); if one fails the whole process shuts down and
//! exits non-zero naming it.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use butterboard_runtime::admin::{self, Readiness, ReadinessCheck};
use butterboard_runtime::auth::Authenticator;
use butterboard_runtime::bus::EventBus;
use butterboard_runtime::config::{Config, Mode};
use butterboard_runtime::grpc::GrpcServer;
use butterboard_runtime::service::{ServiceContext, ServiceName};
use butterboard_runtime::shutdown::Shutdown;
use butterboard_runtime::store::Store;
use futures::future::BoxFuture;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use crate::ready::Banner;
use crate::{infra, services};

/// How long in-flight work may take to finish after SIGTERM before the process gives up on it.
const DRAIN_LIMIT: Duration = Duration::from_secs(25);

pub async fn run(mut config: Config, targets: Vec<ServiceName>) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    if config.mode() == Mode::Distributed {
        for name in &targets {
            config.database_url(*name)?;
        }
    }
    let shutdown = Shutdown::new();
    shutdown.listen_for_signals();
    if Simulators::zoom_needed(&config) {
        keep_local(&mut config);
    }
    // Bound early so the Zoom simulator knows where to post; nothing is served before the end.
    let webhook_listener = match targets.contains(&ServiceName::ZoomWebhookIngest) {
        true => Some(bind(config.listen.webhook, "BUTTERBOARD_WEBHOOK_ADDR").await?),
        false => None,
    };
    let simulators = Simulators::start_if_needed(&mut config, webhook_listener.as_ref()).await?;
    // Bound before the services start, and its real address put in the configuration: services
    // of this process call each other there (`<SERVICE>_GRPC_URL` defaults to it), even when it
    // was configured as port 0. Nothing answers until the server starts at the end.
    let grpc_listener = bind(config.listen.grpc, "BUTTERBOARD_GRPC_ADDR").await?;
    config.listen.grpc = grpc_listener.local_addr()?;
    let config = Arc::new(config);
    let opened = infra::open_bus(&config).await?;
    let bus = opened.bus;
    let auth = Authenticator::from_config(&config)?;
    let mut components = Components::new(shutdown.clone());
    let mut readiness = Readiness::default();
    readiness.checks.push(Arc::new(BusCheck(bus.clone())));

    // tonic's default routes answer unknown methods with UNIMPLEMENTED; each service's own
    // routes carry the same fallback, which axum refuses to merge twice.
    let mut grpc_router = tonic::service::Routes::default().into_axum_router();
    let mut webhook_router: Option<axum::Router> = None;
    for name in targets.iter().copied() {
        let store = infra::open_store(&config, name).await?;
        readiness.checks.push(Arc::new(StoreCheck(name, store.clone())));
        let ctx = ServiceContext::new(name, config.clone(), store, bus.clone(), auth.clone(), shutdown.clone());
        let parts = services::start(ctx).await.with_context(|| format!("{name}: cannot start"))?;
        if let Some(routes) = parts.grpc {
            grpc_router = grpc_router.merge(routes.into_axum_router().reset_fallback());
        }
        if let Some(router) = parts.webhook {
            webhook_router = Some(webhook_router.take().unwrap_or_default().merge(router));
        }
        for task in parts.tasks {
            components.spawn(format!("{name}/{}", task.name), task.future);
        }
    }
    if let Some(jetstream) = opened.jetstream {
        let handle = jetstream.spawn_dead_letter_sweeper(shutdown.clone());
        components.spawn("dlq-sweeper".into(), async move { handle.await.context("dead-letter sweeper panicked") });
    }

    let admin_listener = bind(config.listen.admin, "BUTTERBOARD_ADMIN_ADDR").await?;
    tracing::info!(
        mode = ?config.mode(),
        targets = %targets.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(","),
        bus = bus.kind(),
        admin = %admin_listener.local_addr()?,
        grpc = %grpc_listener.local_addr()?,
        "butterboard starting"
    );
    // The admin server outlives the drain: probes keep getting 503 (not a refused connection)
    // until the last component has stopped.
    let banner = Banner {
        started,
        mode: config.mode(),
        targets: targets.clone(),
        webhook: webhook_listener.as_ref().map(TcpListener::local_addr).transpose()?,
        grpc: grpc_listener.local_addr()?,
        admin: admin_listener.local_addr()?,
        data_dir: config.data_dir.clone(),
        zoom_simulator: simulators.zoom.as_ref().map(|zoom| zoom.base_url().to_string()),
        drive_folder: simulators.drive.as_ref().map(|drive| drive.drive_dir()),
        zoom_account: config.zoom.account_id.clone(),
    };
    tokio::spawn(banner.print_when_ready(readiness.clone(), auth.clone(), shutdown.clone()));
    let admin_stop = Shutdown::new();
    let admin_server = tokio::spawn(admin::serve_until(admin_listener, readiness, shutdown.clone(), admin_stop.wait()));
    let mounted: Vec<&'static str> = targets.iter().map(|name| name.grpc_service()).collect();
    let grpc_server = GrpcServer::new(tonic::service::Routes::from(grpc_router))
        .with_reflection(config.grpc_reflection)
        .with_services(&mounted);
    let health = grpc_server.health_reporter();
    for name in &targets {
        health.set_service_status(name.grpc_service(), tonic_health::ServingStatus::Serving).await;
    }
    components.spawn("grpc".into(), grpc_server.serve(grpc_listener, shutdown.clone()));
    if let (Some(router), Some(listener)) = (webhook_router, webhook_listener) {
        tracing::info!(webhook = %listener.local_addr()?, "webhook listener bound");
        components.spawn("webhook".into(), butterboard_runtime::webhook::serve(listener, router, shutdown.clone()));
    }
    let result = components.wait().await;
    simulators.stop().await;
    admin_stop.trigger();
    match tokio::time::timeout(Duration::from_secs(5), admin_server).await {
        Ok(Ok(Err(error))) => tracing::warn!(error = format!("{error:#}"), "admin server failed while stopping"),
        Ok(Err(error)) => tracing::warn!(%error, "admin server panicked"),
        _ => {}
    }
    result
}

/// On the built-in Zoom simulator the process serves this machine only unless an address is
/// configured: the simulator's secrets are in the data directory, and whoever reaches the
/// listeners of a process meant for evaluation should be someone on the machine.
fn keep_local(config: &mut Config) {
    for (variable, addr) in config.listen.loopback_unless_configured() {
        tracing::warn!(
            variable,
            %addr,
            "listening beyond loopback while the built-in zoom simulator stands in for zoom"
        );
    }
}

async fn bind(addr: std::net::SocketAddr, variable: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr).await.with_context(|| format!("{variable}: cannot listen on {addr}"))
}

/// The named long-running parts of the process.
pub struct Components {
    set: JoinSet<(String, anyhow::Result<()>)>,
    shutdown: Shutdown,
}

impl Components {
    fn new(shutdown: Shutdown) -> Self {
        Self { set: JoinSet::new(), shutdown }
    }

    fn spawn(&mut self, name: String, future: impl std::future::Future<Output = anyhow::Result<()>> + Send + 'static) {
        let future: BoxFuture<'static, anyhow::Result<()>> = Box::pin(future);
        self.set.spawn(async move { (name, future.await) });
    }

    /// Waits for shutdown (a signal, or the first component to stop on its own), then for every
    /// component to finish, bounded by [`DRAIN_LIMIT`].
    async fn wait(mut self) -> anyhow::Result<ExitCode> {
        let mut failed: Option<String> = None;
        let stopped = self.shutdown.wait();
        tokio::pin!(stopped);
        // Phase 1: running, until shutdown or the first component returns. A component returning
        // before shutdown is a failure of the process.
        tokio::select! {
            _ = &mut stopped => {}
            joined = self.set.join_next() => match joined {
                None => {}
                // Components return as soon as the token fires; one may win the race against this
                // select's own view of the token, which is a normal stop, not a failure.
                Some(Ok((_, Ok(())))) if self.shutdown.is_triggered() => {}
                Some(joined) => {
                    let (name, reason) = describe(joined);
                    tracing::error!(component = %name, reason = %reason, "component stopped, shutting down");
                    failed = Some(format!("{name}: {reason}"));
                    self.shutdown.trigger();
                }
            },
        }
        // Phase 2: draining.
        let drained = tokio::time::timeout(DRAIN_LIMIT, async {
            while let Some(joined) = self.set.join_next().await {
                let (name, result) = match joined {
                    Ok((name, result)) => (name, result),
                    Err(error) => ("a component".to_string(), Err(anyhow::anyhow!("panicked: {error}"))),
                };
                if let Err(error) = result {
                    tracing::error!(component = %name, error = format!("{error:#}"), "component failed while stopping");
                    failed.get_or_insert(format!("{name}: {error:#}"));
                }
            }
        })
        .await;
        if drained.is_err() {
            tracing::warn!(limit_s = DRAIN_LIMIT.as_secs(), "components still running after the drain limit, exiting");
            self.set.abort_all();
        }
        match failed {
            Some(reason) => Err(anyhow::anyhow!("stopped because {reason}")),
            None => {
                tracing::info!("butterboard stopped");
                Ok(ExitCode::SUCCESS)
            }
        }
    }
}

fn describe(joined: Result<(String, anyhow::Result<()>), tokio::task::JoinError>) -> (String, String) {
    match joined {
        Ok((name, Ok(()))) => (name, "returned before shutdown".into()),
        Ok((name, Err(error))) => (name, format!("{error:#}")),
        Err(error) => ("a component".into(), format!("panicked: {error}")),
    }
}

/// The simulators a process started for itself (embedded mode without credentials). They stop
/// after the services, which may still be talking to them while draining.
struct Simulators {
    stop: Shutdown,
    zoom: Option<zoom_sim::ZoomSim>,
    drive: Option<drive_sim::DriveSim>,
}

impl Simulators {
    /// Embedded mode without Zoom credentials runs on the Zoom simulator.
    fn zoom_needed(config: &Config) -> bool {
        config.mode() == Mode::Embedded && !config.zoom.has_credentials()
    }

    async fn start_if_needed(config: &mut Config, webhook: Option<&TcpListener>) -> anyhow::Result<Simulators> {
        let mut simulators = Simulators { stop: Shutdown::new(), zoom: None, drive: None };
        if config.mode() != Mode::Embedded {
            return Ok(simulators);
        }
        let loopback: std::net::SocketAddr = ([127, 0, 0, 1], 0).into();
        if Self::zoom_needed(config) {
            let webhook_url = match webhook {
                Some(listener) => Some(format!("http://127.0.0.1:{}/zoom/webhooks", listener.local_addr()?.port())),
                None => None,
            };
            let zoom = crate::sims::start_zoom(config, loopback, webhook_url, simulators.stop.token().clone()).await?;
            crate::sims::use_zoom(config, &zoom);
            tracing::info!(url = zoom.base_url(), "no zoom credentials configured, using the zoom simulator");
            simulators.zoom = Some(zoom);
        }
        if !config.drive.has_credentials() {
            let drive = crate::sims::start_drive(&config.data_dir, loopback, simulators.stop.token().clone()).await?;
            crate::sims::use_drive(config, &drive).await?;
            tracing::info!(url = drive.base_url(), "no drive credentials configured, using the drive simulator");
            simulators.drive = Some(drive);
        }
        Ok(simulators)
    }

    async fn stop(self) {
        self.stop.trigger();
        if let Some(zoom) = self.zoom
            && let Err(error) = zoom.stop().await
        {
            tracing::warn!(error = format!("{error:#}"), "zoom simulator failed while stopping");
        }
        if let Some(drive) = self.drive
            && let Err(error) = drive.stop().await
        {
            tracing::warn!(error = format!("{error:#}"), "drive simulator failed while stopping");
        }
    }
}

struct BusCheck(Arc<dyn EventBus>);

#[async_trait::async_trait]
impl ReadinessCheck for BusCheck {
    fn name(&self) -> String {
        format!("bus:{}", self.0.kind())
    }
    async fn check(&self) -> Result<(), String> {
        self.0.ping().await.map_err(|e| e.to_string())
    }
}

struct StoreCheck(ServiceName, Store);

#[async_trait::async_trait]
impl ReadinessCheck for StoreCheck {
    fn name(&self) -> String {
        format!("store:{}", self.0)
    }
    async fn check(&self) -> Result<(), String> {
        self.1.ping().await.map_err(|e| e.to_string())
    }
}
