//! The `zoom-webhook-ingest` service (ARCHITECTURE §2): it owns every verified Zoom delivery, raw,
//! with its dedupe key, and its outbox, and publishes each on `zoom.<event name>`.
//!
//! [`start`] is its one entry point: it takes a [`ServiceContext`] and returns the webhook router
//! (`POST /zoom/webhooks`, [`receive`]), the admin gRPC API ([`api`], `butterboard.ingest.v1`) and
//! its background tasks: the group-commit writers ([`commit`]), the retention purge
//! ([`retention`]) and outbox-lag sampling ([`metrics`]). [`store`] holds the SQL, [`replay`]
//! re-publishes stored deliveries, [`settings`] the tunables and the secret tokens,
//! [`admin_client`] what `butterboard ingest` calls. [`migrations`] are its store's schema.

pub mod admin_client;
pub mod api;
pub mod commit;
pub mod metrics;
pub mod receive;
pub mod replay;
pub mod retention;
pub mod settings;
pub mod store;

use std::sync::Arc;

use anyhow::Context as _;
use butterboard_proto::ingest::v1::ingest_admin_service_server::IngestAdminServiceServer;
use butterboard_runtime::service::{ServiceContext, ServiceParts, Task};
use butterboard_runtime::store::{Backend, Migrations};
use tokio::sync::Semaphore;
use zoom::webhook::Verifier;

pub use settings::IngestSettings;

/// The schema of this service's store.
pub fn migrations() -> Migrations {
    Migrations { postgres: sqlx::migrate!("migrations/postgres"), sqlite: sqlx::migrate!("migrations/sqlite") }
}

/// Builds the service with the settings of its configuration; its parts run until the context's
/// shutdown token fires.
pub async fn start(ctx: ServiceContext) -> anyhow::Result<ServiceParts> {
    let settings = IngestSettings::from_config(&ctx.config)?;
    start_with(ctx, settings).await
}

/// Builds the service with explicit settings (tests, benchmarks).
pub async fn start_with(ctx: ServiceContext, settings: IngestSettings) -> anyhow::Result<ServiceParts> {
    let secrets = settings.resolve_secrets(&ctx.config)?;
    let verifier = Verifier::new(&secrets).context("no usable webhook secret token")?.with_window(settings.window);
    let metrics = metrics::Metrics::new();
    let writers = settings.writers.unwrap_or(match ctx.store.backend() {
        Backend::Postgres => 4,
        Backend::Sqlite => 1,
    });
    let (committer, writers) =
        commit::group_commit(ctx.store.clone(), metrics.clone(), settings.max_queued, writers, settings.max_batch);
    let body_limit = settings::body_limit(settings.max_body_bytes, ctx.bus.max_payload());
    let receiver = receive::Receiver {
        verifier,
        committer,
        in_flight: Arc::new(Semaphore::new(settings.max_in_flight.max(1))),
        metrics: metrics.clone(),
        settings: settings.clone(),
        clock: ctx.clock.clone(),
        body_limit,
    };
    let api = api::Api { store: ctx.store.clone() };
    Ok(ctx
        .parts()
        .with_grpc(tonic::service::Routes::new(ctx.auth.protect(IngestAdminServiceServer::new(api))))
        .with_webhook(receive::router(Arc::new(receiver)))
        .with_task(Task::new("group-commit", writers.run(ctx.shutdown.clone())))
        .with_task(retention::task(&ctx, settings.retention, settings.purge_interval))
        .with_task(metrics.outbox_task(ctx.store.clone(), settings.metrics_interval, ctx.shutdown.clone())))
}
