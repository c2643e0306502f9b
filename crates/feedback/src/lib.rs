//! The `feedback` service (docs/architecture.md, "The five services"): after each onboarding stage
//! it asks the new employee for feedback, reminds them on business days in their own time zone,
//! keeps their answers and managers' notes, and reports per scenario, stage and version — with
//! attendance beside the ratings.
//!
//! - [`domain`]: the rules, pure — business days and reminder schedule, one request per stage
//!   instance, answer validation, report math and anonymity.
//! - [`store`]: the tables (one SQL text for PostgreSQL and SQLite); [`events`]: the events owed,
//!   written to the outbox in the same transaction.
//! - [`consumers`]: assignments and cancellations; meeting ends and stage completions → requests,
//!   asking `scenario` over gRPC ([`scenario_client`]) for what an event did not carry.
//! - [`scheduler`]: the sweeper publishing reminders and expiries once each.
//! - [`app`]: one method per call with its access rule; [`api`] serves it as
//!   `butterboard.feedback.v1.FeedbackService`; [`render`]: the report as a table, CSV or HTML.
//! - [`settings`]: what can be configured ([`SETTINGS`]).
//!
//! [`start`] is the entry point the binary calls; [`start_with`] lets tests put another scenario
//! directory in.

pub mod api;
pub mod app;
pub mod consumers;
pub mod domain;
pub mod events;
pub mod render;
pub mod scenario_client;
pub mod scheduler;
pub mod settings;
pub mod store;

use std::sync::Arc;

use butterboard_proto::feedback::v1::feedback_service_server::FeedbackServiceServer;
use butterboard_runtime::service::{ServiceContext, ServiceParts};
use butterboard_runtime::store::Migrations;

pub use settings::{FeedbackSettings, SETTINGS};

use crate::app::FeedbackApp;
use crate::consumers::Requests;
use crate::scenario_client::{GrpcScenario, ScenarioDirectory};
use crate::scheduler::Sweeper;

/// The schema of this service's store.
pub fn migrations() -> Migrations {
    Migrations { postgres: sqlx::migrate!("migrations/postgres"), sqlite: sqlx::migrate!("migrations/sqlite") }
}

/// Builds the service; its parts run until the context's shutdown token fires.
pub async fn start(ctx: ServiceContext) -> anyhow::Result<ServiceParts> {
    let settings = FeedbackSettings::from_config(&ctx.config)?;
    let scenario = GrpcScenario::new(&settings.scenario_url, ctx.auth.clone())?;
    start_with(ctx, settings, Arc::new(scenario)).await
}

/// [`start`] with settings and a scenario directory given.
pub async fn start_with(
    ctx: ServiceContext,
    settings: FeedbackSettings,
    scenario: Arc<dyn ScenarioDirectory>,
) -> anyhow::Result<ServiceParts> {
    let settings = Arc::new(settings);
    let app = FeedbackApp::new(ctx.store.clone(), ctx.clock.clone(), settings.clone());
    let server = FeedbackServiceServer::new(api::Api::new(app));
    let requests = Requests { clock: ctx.clock.clone(), settings: settings.clone(), scenario };
    let workers = settings.workers(ctx.store.backend());
    let sweeper = Arc::new(Sweeper::new(ctx.store.clone(), ctx.clock.clone(), settings));
    Ok(ctx
        .parts()
        .with_grpc(tonic::service::Routes::new(ctx.auth.protect(server)))
        .with_tasks(consumers::tasks(&ctx, requests, workers))
        .with_task(sweeper.task(ctx.shutdown.clone())))
}
