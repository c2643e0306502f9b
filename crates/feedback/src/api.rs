//! `butterboard.feedback.v1.FeedbackService`.

use butterboard_proto::feedback::v1::{WhoAmIRequest, WhoAmIResponse, feedback_service_server::FeedbackService};
use butterboard_runtime::auth::caller;
use tonic::{Request, Response, Status};

pub struct Api;

#[tonic::async_trait]
impl FeedbackService for Api {
    async fn who_am_i(&self, request: Request<WhoAmIRequest>) -> Result<Response<WhoAmIResponse>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(WhoAmIResponse {
            subject: caller.subject.clone(),
            roles: caller.roles.iter().map(|r| r.to_string()).collect(),
        }))
    }
}
