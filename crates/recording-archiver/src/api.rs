//! `butterboard.recording.v1.RecordingService`.

use butterboard_proto::recording::v1::{WhoAmIRequest, WhoAmIResponse, recording_service_server::RecordingService};
use butterboard_runtime::auth::caller;
use tonic::{Request, Response, Status};

pub struct Api;

#[tonic::async_trait]
impl RecordingService for Api {
    async fn who_am_i(&self, request: Request<WhoAmIRequest>) -> Result<Response<WhoAmIResponse>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(WhoAmIResponse {
            subject: caller.subject.clone(),
            roles: caller.roles.iter().map(|r| r.to_string()).collect(),
        }))
    }
}
