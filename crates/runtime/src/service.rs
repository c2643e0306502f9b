//! What a service crate gets from the binary and hands back: the service kit.
//!
//! A service does not own a listener: `butterboard run --target all` serves every service's gRPC
//! API on one port, the way Loki's modules share one server. Each service's `start` takes a
//! [`ServiceContext`] (name, configuration with its own settings, store, bus, authenticator,
//! clock, shutdown) and returns its [`ServiceParts`]: gRPC services to mount, an optional HTTP
//! router for the webhook listener, and background tasks that end when the shutdown token fires.
//! [`ServiceContext::parts`] starts the parts with the service's outbox relay already in them, so
//! no service can forget to publish what it wrote, and the binary and tests run the same set.

use std::sync::Arc;

use futures::future::BoxFuture;

use crate::auth::Authenticator;
use crate::bus::{ConsumerSpec, EventBus};
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::consumer::{Consumer, EventHandler};
use crate::shutdown::Shutdown;
use crate::store::Store;
use crate::store::relay::{OutboxRelay, RelayConfig};

pub use crate::service_name::{ServiceName, UnknownTarget, parse_targets};

/// The name of the outbox relay among a service's tasks.
pub const RELAY_TASK: &str = "outbox-relay";

/// Everything a service gets from the binary.
#[derive(Clone)]
pub struct ServiceContext {
    pub name: ServiceName,
    pub config: Arc<Config>,
    pub store: Store,
    pub bus: Arc<dyn EventBus>,
    pub auth: Authenticator,
    /// Every reading of "now" goes through it, so tests move time instead of sleeping.
    pub clock: Arc<dyn Clock>,
    /// How the service's outbox relay paces itself.
    pub relay: RelayConfig,
    pub shutdown: Shutdown,
}

impl ServiceContext {
    /// A context on the wall clock.
    pub fn new(
        name: ServiceName,
        config: Arc<Config>,
        store: Store,
        bus: Arc<dyn EventBus>,
        auth: Authenticator,
        shutdown: Shutdown,
    ) -> Self {
        Self { name, config, store, bus, auth, clock: Arc::new(SystemClock), relay: RelayConfig::default(), shutdown }
    }

    /// The same context with its relay paced by `relay`.
    pub fn with_relay(mut self, relay: RelayConfig) -> Self {
        self.relay = relay;
        self
    }

    /// The same context reading time from `clock`.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// A durable consumer over this service's store and bus, as a task: `spec.name` is
    /// `<service>-<purpose>`, `handler` applies each event inside the inbox transaction.
    pub fn consumer<H: EventHandler>(&self, spec: ConsumerSpec, handler: H) -> Task {
        let name = spec.name.clone();
        Task::new(name, Consumer::new(spec, self.store.clone(), self.bus.clone(), handler).run(self.shutdown.clone()))
    }

    /// Parts holding this service's outbox relay, its inbox retention and its backlog gauges;
    /// the service adds its API and its own tasks.
    pub fn parts(&self) -> ServiceParts {
        let relay = OutboxRelay::new(self.name.as_str(), self.store.clone(), self.bus.clone(), self.relay.clone());
        let mut parts = ServiceParts::default();
        parts.tasks.push(Task::new(RELAY_TASK, relay.run(self.shutdown.clone())));
        parts.tasks.push(crate::store::inbox::retention_task(
            self.store.clone(),
            self.clock.clone(),
            self.shutdown.clone(),
        ));
        parts.tasks.push(crate::service_metrics::task(
            self.name,
            self.store.clone(),
            self.bus.clone(),
            self.clock.clone(),
            self.shutdown.clone(),
        ));
        parts
    }
}

/// A named background task of a service; it returns when shutdown fires, or with the error that
/// stopped it (which stops the process).
pub struct Task {
    pub name: String,
    pub future: BoxFuture<'static, anyhow::Result<()>>,
}

impl Task {
    pub fn new(
        name: impl Into<String>,
        future: impl std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
    ) -> Self {
        Self { name: name.into(), future: Box::pin(future) }
    }
}

/// What a started service contributes to the process. Built from [`ServiceContext::parts`].
#[derive(Default)]
pub struct ServiceParts {
    /// gRPC services to mount on the shared gRPC server.
    pub grpc: Option<tonic::service::Routes>,
    /// Routes for the webhook HTTP listener (only `zoom-webhook-ingest` has any).
    pub webhook: Option<axum::Router>,
    /// Consumers, relays, schedulers.
    pub tasks: Vec<Task>,
}

impl ServiceParts {
    /// Mounts `routes` (already wrapped in [`Authenticator::protect`]) on the gRPC server.
    pub fn with_grpc(mut self, routes: tonic::service::Routes) -> Self {
        self.grpc = Some(routes);
        self
    }

    /// Serves `router` on the webhook listener.
    pub fn with_webhook(mut self, router: axum::Router) -> Self {
        self.webhook = Some(router);
        self
    }

    /// Adds a background task.
    pub fn with_task(mut self, task: Task) -> Self {
        self.tasks.push(task);
        self
    }

    /// Adds background tasks.
    pub fn with_tasks(mut self, tasks: impl IntoIterator<Item = Task>) -> Self {
        self.tasks.extend(tasks);
        self
    }
}
