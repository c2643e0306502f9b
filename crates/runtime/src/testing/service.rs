//! One service started the way `butterboard run` starts it — its store migrated, its parts built
//! from a [`ServiceContext`], the outbox relay and every task running, gRPC (with health) and the
//! webhook router served on port 0 — in either mode: SQLite and the embedded bus, or a fresh
//! PostgreSQL database and a private namespace on NATS JetStream (with the dead-letter sweeper).
//! Time is a [`ManualClock`]; tokens for every role come from [`TestService::request`].
//!
//! ```ignore
//! let service = TestService::builder(ServiceName::Scenario, scenario::migrations())
//!     .mode(mode)
//!     .start(scenario::start)
//!     .await;
//! let reply = client(&service).list_scenarios(service.hr(request)).await?;
//! ```

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tonic::transport::Channel;

use crate::auth::{self, Authenticator, Role};
use crate::bus::EventBus;
use crate::bus::jetstream::JetStreamBus;
use crate::clock::{ManualClock, SystemClock};
use crate::config::Config;
use crate::grpc::GrpcServer;
use crate::secret::Secret;
use crate::service::{ServiceContext, ServiceName, ServiceParts};
use crate::shutdown::Shutdown;
use crate::store::relay::RelayConfig;
use crate::store::{Migrations, Store};

/// The HS256 key test tokens are signed with.
pub const TEST_JWT_KEY: &str = "butterboard-test-key-0123456789abcdef";
/// 2025-03-03T09:00:00Z, a Monday: where test clocks start unless told otherwise.
pub const TEST_EPOCH_MS: i64 = 1_740_992_400_000;

/// The two ways the system runs (docs/architecture.md, "Run modes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// SQLite and the embedded bus in a temporary data directory.
    Embedded,
    /// A fresh PostgreSQL database and a private namespace on the test NATS server.
    Distributed,
}

impl Mode {
    pub const BOTH: [Mode; 2] = [Mode::Embedded, Mode::Distributed];

    /// A fresh migrated store of this mode (in `dir` for SQLite).
    pub async fn store(self, dir: &std::path::Path, migrations: &Migrations) -> anyhow::Result<Store> {
        match self {
            Mode::Embedded => super::sqlite_store(dir, migrations).await,
            Mode::Distributed => super::postgres_store(migrations).await,
        }
    }
}

/// How to start a [`TestService`].
pub struct Builder {
    name: ServiceName,
    migrations: Migrations,
    mode: Mode,
    clock: ManualClock,
    wall_clock: bool,
    config: Config,
    store: Option<Store>,
    bus: Option<Arc<dyn EventBus>>,
    dir: Option<tempfile::TempDir>,
    relay: RelayConfig,
    hold_outbox: bool,
}

impl Builder {
    /// Runs everything but the outbox relay, so the events a call wrote stay in the outbox for
    /// the test to read (and "nothing was written" includes the outbox).
    pub fn hold_outbox(mut self) -> Self {
        self.hold_outbox = true;
        self
    }

    /// Paces the outbox relay (default: a quick poll and short backoff, so tests of outages
    /// recover in well under a second).
    pub fn relay(mut self, relay: RelayConfig) -> Self {
        self.relay = relay;
        self
    }

    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// The clock the service reads (default: [`TEST_EPOCH_MS`], moving only when told).
    pub fn clock(mut self, clock: ManualClock) -> Self {
        self.clock = clock;
        self
    }

    /// Reads the wall clock instead (benchmarks); [`TestService::clock`] then moves nothing.
    pub fn wall_clock(mut self) -> Self {
        self.wall_clock = true;
        self
    }

    /// Changes the configuration the service sees (its settings, Zoom or Drive URLs).
    pub fn configure(mut self, change: impl FnOnce(&mut Config)) -> Self {
        change(&mut self.config);
        self
    }

    /// Sets one of the service's own settings.
    pub fn setting(mut self, name: &str, value: impl Into<String>) -> Self {
        self.config.settings.set(name, value);
        self
    }

    /// Where this service reaches another one's gRPC API (`<SERVICE>_GRPC_URL`).
    pub fn peer(mut self, service: ServiceName, url: impl Into<String>) -> Self {
        self.config.grpc_urls.insert(service, url.into());
        self
    }

    /// Runs over an existing store (a restart, or a second replica), already migrated.
    pub fn store(mut self, store: Store) -> Self {
        self.store = Some(store);
        self
    }

    /// Runs over an existing bus (another service's, or a second replica's).
    pub fn bus(mut self, bus: Arc<dyn EventBus>) -> Self {
        self.bus = Some(bus);
        self
    }

    /// Keeps the data directory of an earlier run (an embedded restart).
    pub fn data_dir(mut self, dir: tempfile::TempDir) -> Self {
        self.dir = Some(dir);
        self
    }

    /// Starts the service with `start` (its crate's entry point), serving on loopback.
    pub async fn start<F, Fut>(self, start: F) -> TestService
    where
        F: FnOnce(ServiceContext) -> Fut,
        Fut: Future<Output = anyhow::Result<ServiceParts>>,
    {
        self.try_start(start).await.expect("the service starts")
    }

    /// [`start`](Self::start), returning the error instead of panicking (for tests of bad
    /// configuration).
    pub async fn try_start<F, Fut>(self, start: F) -> anyhow::Result<TestService>
    where
        F: FnOnce(ServiceContext) -> Fut,
        Fut: Future<Output = anyhow::Result<ServiceParts>>,
    {
        let Builder { name, migrations, mode, clock, wall_clock, mut config, store, bus, dir, relay, hold_outbox } =
            self;
        let dir = match dir {
            Some(dir) => dir,
            None => tempfile::tempdir()?,
        };
        config.data_dir = dir.path().to_path_buf();
        let store = match store {
            Some(store) => store,
            None => mode.store(dir.path(), &migrations).await?,
        };
        let shutdown = Shutdown::new();
        let mut handles = Vec::new();
        let bus = match (bus, mode) {
            (Some(bus), _) => bus,
            (None, Mode::Embedded) => super::embedded_bus(dir.path()).await?,
            (None, Mode::Distributed) => {
                let namespace = super::unique_name("t");
                let jetstream = JetStreamBus::connect(&super::nats_url(), Some(&namespace)).await?;
                let sweeper = jetstream.spawn_dead_letter_sweeper(shutdown.clone());
                handles.push(tokio::spawn(async move { sweeper.await.map_err(anyhow::Error::from) }));
                config.bus_namespace = Some(namespace);
                Arc::new(jetstream)
            }
        };
        if mode == Mode::Distributed {
            config.nats_url = Some(super::nats_url());
        }
        config.auth.hs256_secret = Some(Secret::new(TEST_JWT_KEY.to_string()));
        // Bound first, as the binary does, so the configuration names the real address.
        let grpc_listener = TcpListener::bind("127.0.0.1:0").await?;
        let grpc_addr = grpc_listener.local_addr()?;
        config.listen.grpc = grpc_addr;
        let auth = Authenticator::hs256(TEST_JWT_KEY.as_bytes(), &config.auth.issuer, &config.auth.audience);
        let config = Arc::new(config);
        let ctx = ServiceContext::new(name, config.clone(), store.clone(), bus.clone(), auth.clone(), shutdown.clone())
            .with_clock(if wall_clock { Arc::new(SystemClock) } else { Arc::new(clock.clone()) })
            .with_relay(relay);
        let parts = start(ctx).await?;
        let mut webhook_url = None;
        if let Some(router) = parts.webhook {
            let listener = TcpListener::bind("127.0.0.1:0").await?;
            webhook_url = Some(format!("http://{}", listener.local_addr()?));
            handles.push(tokio::spawn(crate::webhook::serve(listener, router, shutdown.clone())));
        }
        let server = GrpcServer::new(parts.grpc.unwrap_or_default())
            .with_reflection(config.grpc_reflection)
            .with_services(&[name.grpc_service()]);
        server.health_reporter().set_service_status(name.grpc_service(), tonic_health::ServingStatus::Serving).await;
        handles.push(tokio::spawn(server.serve(grpc_listener, shutdown.clone())));
        for task in parts.tasks {
            if hold_outbox && task.name == crate::service::RELAY_TASK {
                continue;
            }
            handles.push(tokio::spawn(task.future));
        }
        let channel = Channel::from_shared(format!("http://{grpc_addr}"))?.connect().await?;
        Ok(TestService {
            name,
            mode,
            store,
            bus,
            auth,
            clock,
            config,
            channel,
            grpc_addr,
            webhook_url,
            shutdown,
            handles,
            dir: Some(dir),
        })
    }
}

/// A running service; [`stop`](Self::stop) it to see its tasks' results.
pub struct TestService {
    pub name: ServiceName,
    pub mode: Mode,
    pub store: Store,
    pub bus: Arc<dyn EventBus>,
    pub auth: Authenticator,
    pub clock: ManualClock,
    pub config: Arc<Config>,
    /// A channel to its gRPC server.
    pub channel: Channel,
    pub grpc_addr: SocketAddr,
    /// `http://127.0.0.1:<port>` of the webhook listener, when the service has routes there.
    pub webhook_url: Option<String>,
    shutdown: Shutdown,
    handles: Vec<JoinHandle<anyhow::Result<()>>>,
    dir: Option<tempfile::TempDir>,
}

impl TestService {
    /// Starts describing a service to run; default embedded, clock at [`TEST_EPOCH_MS`].
    pub fn builder(name: ServiceName, migrations: Migrations) -> Builder {
        Builder {
            name,
            migrations,
            mode: Mode::Embedded,
            clock: ManualClock::at(TEST_EPOCH_MS),
            wall_clock: false,
            config: Config::embedded_defaults(),
            store: None,
            bus: None,
            dir: None,
            relay: RelayConfig {
                poll_interval: Duration::from_millis(100),
                max_backoff: Duration::from_millis(500),
                ..RelayConfig::default()
            },
            hold_outbox: false,
        }
    }

    /// A bearer token for `subject` holding `roles`, valid for five minutes.
    pub fn token(&self, subject: &str, roles: &[Role]) -> String {
        self.auth.mint(subject, roles, Duration::from_secs(300)).expect("mint a test token")
    }

    /// `message` as a request carrying a token for `subject` with `roles`.
    pub fn request<T>(&self, subject: &str, roles: &[Role], message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        auth::attach_bearer(&mut request, &self.token(subject, roles)).expect("a bearer header");
        request
    }

    /// As Helen, an HR manager.
    pub fn hr<T>(&self, message: T) -> tonic::Request<T> {
        self.request("helen@example.com", &[Role::Hr], message)
    }

    /// As Oleg, a manager.
    pub fn manager<T>(&self, message: T) -> tonic::Request<T> {
        self.request("oleg@example.com", &[Role::Manager], message)
    }

    /// As the new employee `email`.
    pub fn employee<T>(&self, email: &str, message: T) -> tonic::Request<T> {
        self.request(email, &[Role::Employee], message)
    }

    /// As another service of the system.
    pub fn service<T>(&self, message: T) -> tonic::Request<T> {
        self.request("meeting-orchestrator", &[Role::Service], message)
    }

    /// A consumer of its own on `filters`, from the start of the stream: what the service
    /// published, as other services read it.
    pub async fn watch(&self, filters: &[&str]) -> super::Watch {
        super::Watch::new(&self.bus, filters).await
    }

    /// The shutdown token its parts run under.
    pub fn shutdown(&self) -> &Shutdown {
        &self.shutdown
    }

    /// Stops it and waits for every part; the first error of a part, if any.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.shutdown.trigger();
        let mut first_error = None;
        for handle in self.handles.drain(..) {
            let result = match tokio::time::timeout(Duration::from_secs(20), handle).await {
                Ok(Ok(result)) => result,
                Ok(Err(joined)) => Err(anyhow::anyhow!("a part panicked: {joined}")),
                Err(_) => Err(anyhow::anyhow!("a part did not stop within 20 s")),
            };
            if let Err(error) = result {
                first_error.get_or_insert(error);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Stops it and hands back its data directory and store, for a restart on the same data.
    pub async fn stop_keeping_data(mut self) -> (tempfile::TempDir, Store) {
        let dir = self.dir.take().expect("the data directory");
        let store = self.store.clone();
        if let Err(error) = self.stop().await {
            tracing::warn!(error = format!("{error:#}"), "a part failed while stopping");
        }
        (dir, store)
    }
}

impl Drop for TestService {
    fn drop(&mut self) {
        self.shutdown.trigger();
    }
}

/// One `#[tokio::test]` per case and mode: `in_both_modes!(case_a, case_b)` makes `embedded::case_a`
/// and `distributed::case_a`, each calling `super::case_a(Mode::…)`. Cases are async functions
/// in the enclosing module taking a [`Mode`].
#[macro_export]
macro_rules! in_both_modes {
    ($($case:ident),+ $(,)?) => {
        mod embedded {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case($crate::testing::Mode::Embedded).await;
                }
            )+
        }
        mod distributed {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case($crate::testing::Mode::Distributed).await;
                }
            )+
        }
    };
}
