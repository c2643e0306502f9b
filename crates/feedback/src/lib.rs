//! The `feedback` service (ARCHITECTURE §2). It owns feedback requests, responses, reminders and aggregates.
//!
//! [`start`] is its one entry point: it takes a [`ServiceContext`] (store, bus, auth, shutdown)
//! and returns the gRPC API and background tasks the binary runs; [`migrations`] are its store's
//! schema, one directory per backend. [`api`] serves `butterboard.feedback.v1.FeedbackService`.

mod api;

use butterboard_proto::feedback::v1::feedback_service_server::FeedbackServiceServer;
use butterboard_runtime::service::{ServiceContext, ServiceParts};
use butterboard_runtime::store::Migrations;

/// The schema of this service's store.
pub fn migrations() -> Migrations {
    Migrations { postgres: sqlx::migrate!("migrations/postgres"), sqlite: sqlx::migrate!("migrations/sqlite") }
}

/// Builds the service; its parts run until the context's shutdown token fires.
pub async fn start(ctx: ServiceContext) -> anyhow::Result<ServiceParts> {
    let server = FeedbackServiceServer::new(api::Api);
    Ok(ctx.parts().with_grpc(tonic::service::Routes::new(ctx.auth.protect(server))))
}
