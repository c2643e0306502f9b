//! `butterboard.meeting.v1.MeetingService`.

use butterboard_proto::meeting::v1::{WhoAmIRequest, WhoAmIResponse, meeting_service_server::MeetingService};
use butterboard_runtime::auth::caller;
use tonic::{Request, Response, Status};

pub struct Api;

#[tonic::async_trait]
impl MeetingService for Api {
    async fn who_am_i(&self, request: Request<WhoAmIRequest>) -> Result<Response<WhoAmIResponse>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(WhoAmIResponse {
            subject: caller.subject.clone(),
            roles: caller.roles.iter().map(|r| r.to_string()).collect(),
        }))
    }
}
