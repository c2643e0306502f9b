//! The `recording-archiver` service (ARCHITECTURE §2). It owns archive jobs (one per recording file: Drive file, upload session and offset, permissions) and a projection of meetings.
//!
//! [`start`] is its one entry point: it takes a [`ServiceContext`] (store, bus, auth, shutdown)
//! and returns the gRPC API and background tasks the binary runs; [`migrations`] are its store's
//! schema, one directory per backend. [`api`] serves `butterboard.recording.v1.RecordingService`.

mod api;

use butterboard_proto::recording::v1::recording_service_server::RecordingServiceServer;
use butterboard_runtime::service::{ServiceContext, ServiceParts};
use butterboard_runtime::store::Migrations;

/// The schema of this service's store.
pub fn migrations() -> Migrations {
    Migrations { postgres: sqlx::migrate!("migrations/postgres"), sqlite: sqlx::migrate!("migrations/sqlite") }
}

/// Builds the service; its parts run until the context's shutdown token fires.
pub async fn start(ctx: ServiceContext) -> anyhow::Result<ServiceParts> {
    let server = RecordingServiceServer::new(api::Api);
    Ok(ctx.parts().with_grpc(tonic::service::Routes::new(ctx.auth.protect(server))))
}
