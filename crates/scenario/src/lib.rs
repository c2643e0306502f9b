//! The `scenario` service (ARCHITECTURE §2). It owns onboarding scenarios, their stages and versions; assignments and their stage instances; links from stages to archived recordings.
//!
//! [`start`] is its one entry point: it takes a [`ServiceContext`] (store, bus, auth, shutdown)
//! and returns the gRPC API and background tasks the binary runs; [`migrations`] are its store's
//! schema, one directory per backend. [`api`] serves `butterboard.scenario.v1.ScenarioService`.

mod api;

use butterboard_runtime::service::{ServiceContext, ServiceParts};
use butterboard_runtime::store::Migrations;
use butterboard_proto::scenario::v1::scenario_service_server::ScenarioServiceServer;

/// The schema of this service's store.
pub fn migrations() -> Migrations {
    Migrations { postgres: sqlx::migrate!("migrations/postgres"), sqlite: sqlx::migrate!("migrations/sqlite") }
}

/// Builds the service; its parts run until the context's shutdown token fires.
pub async fn start(ctx: ServiceContext) -> anyhow::Result<ServiceParts> {
    let server = ScenarioServiceServer::new(api::Api);
    Ok(ServiceParts { grpc: Some(tonic::service::Routes::new(ctx.auth.protect(server))), ..ServiceParts::default() })
}
