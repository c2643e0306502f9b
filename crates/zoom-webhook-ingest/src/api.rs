//! `butterboard.ingest.v1.IngestAdminService`.

use butterboard_proto::ingest::v1::{ingest_admin_service_server::IngestAdminService, WhoAmIRequest, WhoAmIResponse};
use butterboard_runtime::auth::caller;
use tonic::{Request, Response, Status};

pub struct Api;

#[tonic::async_trait]
impl IngestAdminService for Api {
    async fn who_am_i(&self, request: Request<WhoAmIRequest>) -> Result<Response<WhoAmIResponse>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(WhoAmIResponse { subject: caller.subject.clone(), roles: caller.roles.iter().map(|r| r.to_string()).collect() }))
    }
}
