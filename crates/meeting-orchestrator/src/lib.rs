//! The `meeting-orchestrator` service (docs/architecture.md): the Zoom meeting behind a stage of
//! an onboarding scenario — its invitees, host, settings, status, attendance and chat.
//!
//! - [`domain`]: the rules, pure — a request and a stage's resolution as a meeting plan (topic,
//!   agenda with its marker, invitees, a weekly series), access, attendance from joins and
//!   leaves.
//! - [`conferencing`]: the provider behind a small port; [`conferencing::zoom`] is Zoom's.
//!   [`participants`]: `scenario` over gRPC with this service's own `service` token.
//! - [`store`]: the tables (one SQL text for PostgreSQL and SQLite); [`events`]: the events
//!   owed, written to the outbox in the same transaction.
//! - [`app`]: one method per call and per background round; [`api`] serves it as
//!   `butterboard.meeting.v1.MeetingService`; [`consumers`] feed it Zoom's webhooks and due
//!   stages.
//!
//! [`start`] is the entry point the binary calls; [`start_with`] takes a provider (tests and the
//! bench). Background rounds ([`Periodic`]): recovery of meetings whose request died half-way,
//! automatic scheduling, publishing ended meetings once settled, reconciling ends that never
//! came. [`SETTINGS`] are the variables it reads.

pub mod api;
pub mod app;
pub mod conferencing;
pub mod consumers;
pub mod domain;
pub mod events;
pub mod metrics;
pub mod participants;
pub mod settings;
pub mod store;

use std::future::Future;
use std::sync::Arc;

use butterboard_proto::meeting::v1::meeting_service_server::MeetingServiceServer;
use butterboard_runtime::periodic::{Pace, Periodic};
use butterboard_runtime::service::{ServiceContext, ServiceParts, Task};
use butterboard_runtime::store::Migrations;

use crate::app::MeetingApp;
use crate::conferencing::Conferencing;
use crate::conferencing::zoom::ZoomConferencing;
use crate::participants::ScenarioClient;
pub use crate::settings::{OrchestratorSettings, SETTINGS};

/// The schema of this service's store.
pub fn migrations() -> Migrations {
    Migrations { postgres: sqlx::migrate!("migrations/postgres"), sqlite: sqlx::migrate!("migrations/sqlite") }
}

/// Builds the service on Zoom as configured; its parts run until the context's shutdown fires.
pub async fn start(ctx: ServiceContext) -> anyhow::Result<ServiceParts> {
    let settings = OrchestratorSettings::from_config(&ctx.config)?;
    let zoom = ZoomConferencing::from_config(&ctx.config.zoom, settings.zoom_deadline)?;
    start_with(ctx, settings, Arc::new(zoom)).await
}

/// [`start`] with its settings and conferencing provider given.
pub async fn start_with(
    ctx: ServiceContext,
    settings: OrchestratorSettings,
    zoom: Arc<dyn Conferencing>,
) -> anyhow::Result<ServiceParts> {
    let scenario = ScenarioClient::new(&settings.scenario_url, ctx.auth.clone())?;
    let interval = settings.sweep_interval;
    let app = MeetingApp::new(ctx.store.clone(), ctx.clock.clone(), zoom, scenario, settings);
    let server = MeetingServiceServer::new(api::Api::new(app.clone()));
    let parts = ctx
        .parts()
        .with_grpc(tonic::service::Routes::new(ctx.auth.protect(server)))
        .with_tasks(consumers::tasks(&ctx, &app));
    let round = |name: &str, run: fn(MeetingApp) -> futures_round::Round| -> Task {
        let app = app.clone();
        Periodic::every(name, interval).task(ctx.shutdown.clone(), move || run(app.clone()))
    };
    Ok(parts.with_tasks([
        round("meeting-recovery", |app| Box::pin(async move { app.recover().await.map(|_| Pace::Idle) })),
        round("meeting-auto-schedule", |app| Box::pin(async move { app.schedule_due().await })),
        round("meeting-settle", |app| Box::pin(async move { app.settle().await })),
        round("meeting-reconcile", |app| Box::pin(async move { app.reconcile().await.map(|_| Pace::Idle) })),
    ]))
}

mod futures_round {
    /// One background round, boxed so the four share a type.
    pub type Round = std::pin::Pin<
        Box<dyn std::future::Future<Output = anyhow::Result<butterboard_runtime::periodic::Pace>> + Send>,
    >;
}

#[allow(dead_code)]
fn assert_send<F: Future + Send>(_: F) {}
