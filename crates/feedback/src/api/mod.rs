//! `butterboard.feedback.v1.FeedbackService`: each call reads the verified caller, converts the
//! request, calls the application layer and converts the answer. Errors go through the runtime's
//! one table (`Status::from`): bad input is INVALID_ARGUMENT with one field violation per field.

mod convert;

use butterboard_proto::feedback::v1 as pb;
use butterboard_proto::feedback::v1::feedback_service_server::FeedbackService;
use butterboard_runtime::auth::caller;
use tonic::{Request, Response, Status};

use crate::app::FeedbackApp;

pub use convert::report as report_message;

pub struct Api {
    app: FeedbackApp,
}

impl Api {
    pub fn new(app: FeedbackApp) -> Self {
        Self { app }
    }
}

fn version(v: u32) -> Option<u32> {
    (v != 0).then_some(v)
}

#[tonic::async_trait]
impl FeedbackService for Api {
    async fn who_am_i(&self, request: Request<pb::WhoAmIRequest>) -> Result<Response<pb::WhoAmIResponse>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(pb::WhoAmIResponse {
            subject: caller.subject.clone(),
            roles: caller.roles.iter().map(|r| r.to_string()).collect(),
        }))
    }

    async fn list_my_requests(
        &self,
        request: Request<pb::ListMyRequestsRequest>,
    ) -> Result<Response<pb::ListMyRequestsResponse>, Status> {
        let caller = caller(&request)?.clone();
        let views = self.app.list_my_requests(&caller, request.get_ref().include_closed).await?;
        Ok(Response::new(pb::ListMyRequestsResponse { requests: views.iter().map(convert::request).collect() }))
    }

    async fn get_request(
        &self,
        request: Request<pb::GetRequestRequest>,
    ) -> Result<Response<pb::FeedbackRequest>, Status> {
        let caller = caller(&request)?.clone();
        let view = self.app.get_request(&caller, &request.get_ref().id).await?;
        Ok(Response::new(convert::request(&view)))
    }

    async fn submit_feedback(
        &self,
        request: Request<pb::SubmitFeedbackRequest>,
    ) -> Result<Response<pb::FeedbackRequest>, Status> {
        let caller = caller(&request)?.clone();
        let r = request.into_inner();
        let view = self.app.submit(&caller, &r.request_id, r.rating, &r.comment, &r.answers).await?;
        Ok(Response::new(convert::request(&view)))
    }

    async fn leave_manager_note(
        &self,
        request: Request<pb::LeaveManagerNoteRequest>,
    ) -> Result<Response<pb::ManagerNote>, Status> {
        let caller = caller(&request)?.clone();
        let r = request.into_inner();
        let note = self.app.leave_note(&caller, &r.assignment_id, &r.stage_instance_id, r.rating, &r.comment).await?;
        Ok(Response::new(convert::note(&note)))
    }

    async fn list_manager_notes(
        &self,
        request: Request<pb::ListManagerNotesRequest>,
    ) -> Result<Response<pb::ListManagerNotesResponse>, Status> {
        let caller = caller(&request)?.clone();
        let notes = self.app.list_notes(&caller, &request.get_ref().assignment_id).await?;
        Ok(Response::new(pb::ListManagerNotesResponse { notes: notes.iter().map(convert::note).collect() }))
    }

    async fn get_report(&self, request: Request<pb::GetReportRequest>) -> Result<Response<pb::Report>, Status> {
        let caller = caller(&request)?.clone();
        let r = request.into_inner();
        let view = self.app.report(&caller, &r.scenario_id, version(r.scenario_version)).await?;
        Ok(Response::new(convert::report(&view)))
    }

    async fn export_report_csv(
        &self,
        request: Request<pb::GetReportRequest>,
    ) -> Result<Response<pb::ExportReportCsvResponse>, Status> {
        let caller = caller(&request)?.clone();
        let r = request.into_inner();
        let view = self.app.report(&caller, &r.scenario_id, version(r.scenario_version)).await?;
        let csv = crate::render::csv(&convert::report(&view)).map_err(|e| Status::internal(format!("{e:#}")))?;
        Ok(Response::new(pb::ExportReportCsvResponse { csv }))
    }

    async fn list_stage_comments(
        &self,
        request: Request<pb::ListStageCommentsRequest>,
    ) -> Result<Response<pb::ListStageCommentsResponse>, Status> {
        let caller = caller(&request)?.clone();
        let r = request.into_inner();
        let comments =
            self.app.stage_comments(&caller, &r.scenario_id, &r.stage_id, version(r.scenario_version)).await?;
        Ok(Response::new(pb::ListStageCommentsResponse { comments: comments.iter().map(convert::comment).collect() }))
    }
}
