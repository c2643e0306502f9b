//! The `scenario` service (ARCHITECTURE §2): onboarding scenarios with their stages and versions,
//! the assignments of new employees with one stage instance per stage occurrence, the stage
//! schedule, and links from stages to their latest archived recording.
//!
//! - [`domain`]: the rules, pure — parsed people and time zones, due dates (working days,
//!   holidays, weeks, months, weekly recurrences, in the employee's time zone), validation,
//!   assignment planning, cohorts, stage-instance decisions.
//! - [`store`]: the tables (one SQL text for PostgreSQL and SQLite), [`events`]: the events owed,
//!   written to the outbox in the same transaction.
//! - [`app`]: one method per call with its access rule (`hr`, `manager`, `employee`, `service`);
//!   [`api`] serves it as `butterboard.scenario.v1.ScenarioService`.
//! - [`scheduler`] publishes `onboarding.stage.due` once per due instance; [`consumers`] handle
//!   meetings scheduled and started ([`meeting_progress`]), meeting attendance, archived
//!   recordings and feedback; [`compaction`] keeps the cohort change
//!   rows behind ResolveParticipants' cache short.
//! - [`yaml`]: scenarios as code; [`EXAMPLE_SCENARIO_YAML`] is the shipped example
//!   (`examples/engineering-onboarding.yaml`), used by tests and `butterboard demo`.
//!
//! [`start`] is the entry point the binary calls; [`start_with`] takes scheduler settings for
//! tests (time comes from the context's clock).

pub mod api;
pub mod app;
pub mod compaction;
pub mod consumers;
pub mod domain;
pub mod events;
pub mod meeting_progress;
pub mod scheduler;
pub mod store;
pub mod yaml;

use std::sync::Arc;

use butterboard_proto::scenario::v1::scenario_service_server::ScenarioServiceServer;
use butterboard_runtime::periodic::Periodic;
use butterboard_runtime::service::{ServiceContext, ServiceParts};
use butterboard_runtime::store::Migrations;

use crate::app::ScenarioApp;
use crate::scheduler::{Scheduler, SchedulerConfig};

/// The example scenario: meet the team in week 1, product training in month 1, a weekly
/// one-on-one.
pub const EXAMPLE_SCENARIO_YAML: &str = include_str!("../examples/engineering-onboarding.yaml");

/// The schema of this service's store.
pub fn migrations() -> Migrations {
    Migrations { postgres: sqlx::migrate!("migrations/postgres"), sqlite: sqlx::migrate!("migrations/sqlite") }
}

/// What [`start_with`] can be given besides the context.
#[derive(Clone)]
pub struct Options {
    pub scheduler: SchedulerConfig,
    /// Whether to run the scheduler task (a test may drive ticks itself).
    pub run_scheduler: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self { scheduler: SchedulerConfig::default(), run_scheduler: true }
    }
}

/// Builds the service; its parts run until the context's shutdown token fires.
pub async fn start(ctx: ServiceContext) -> anyhow::Result<ServiceParts> {
    start_with(ctx, Options::default()).await
}

/// [`start`] with scheduler settings.
pub async fn start_with(ctx: ServiceContext, options: Options) -> anyhow::Result<ServiceParts> {
    let app = ScenarioApp::new(ctx.store.clone(), ctx.clock.clone());
    let server = ScenarioServiceServer::new(api::Api::new(app));
    let mut parts = ctx
        .parts()
        .with_grpc(tonic::service::Routes::new(ctx.auth.protect(server)))
        .with_tasks(consumers::tasks(&ctx.store, &ctx.bus, &ctx.clock, &ctx.shutdown));
    if options.run_scheduler {
        let scheduler = Arc::new(Scheduler::new(ctx.store.clone(), ctx.clock.clone(), options.scheduler.clone()));
        parts = parts.with_task(scheduler.task(ctx.shutdown.clone()));
    }
    let store = ctx.store.clone();
    Ok(parts.with_task(Periodic::every("cohort-compaction", compaction::INTERVAL).after_first_interval().task(
        ctx.shutdown.clone(),
        move || {
            let store = store.clone();
            async move { compaction::compact(&store, compaction::MAX_ROWS).await.map(drop) }
        },
    )))
}
