//! `butterboard.meeting.v1.MeetingService`: each call reads the verified caller, converts the
//! request, calls the application layer and converts the answer; errors go through the
//! runtime's one table (`Status::from`).

mod convert;

use butterboard_proto::meeting::v1 as pb;
use butterboard_proto::meeting::v1::meeting_service_server::MeetingService;
use butterboard_runtime::auth::caller;
use tonic::{Request, Response, Status};

use crate::app::change::Reschedule;
use crate::app::{MeetingApp, StartCommand};
use crate::domain::plan::Request as PlanRequest;
use crate::participants::Target;

pub struct Api {
    app: MeetingApp,
}

impl Api {
    pub fn new(app: MeetingApp) -> Self {
        Self { app }
    }
}

fn non_empty(text: String) -> Option<String> {
    (!text.trim().is_empty()).then(|| text.trim().to_string())
}

#[tonic::async_trait]
impl MeetingService for Api {
    async fn who_am_i(&self, request: Request<pb::WhoAmIRequest>) -> Result<Response<pb::WhoAmIResponse>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(pb::WhoAmIResponse {
            subject: caller.subject.clone(),
            roles: caller.roles.iter().map(|r| r.to_string()).collect(),
        }))
    }

    async fn start_meeting(
        &self,
        request: Request<pb::StartMeetingRequest>,
    ) -> Result<Response<pb::StartMeetingResponse>, Status> {
        let caller = caller(&request)?.clone();
        let r = request.into_inner();
        let target = r.target.map(|t| match t {
            pb::start_meeting_request::Target::Stage(s) => {
                Target::Stage { scenario_id: s.scenario_id, stage_id: s.stage_id }
            }
            pb::start_meeting_request::Target::StageInstanceId(id) => Target::Instance(id),
        });
        let command = StartCommand {
            target,
            request: PlanRequest {
                start_ms: convert::ms(r.start_time.as_ref()),
                duration_minutes: r.duration_minutes,
                assignment_ids: r.assignment_ids.into_iter().map(|a| a.trim().to_string()).collect(),
            },
            idempotency_key: r.idempotency_key.trim().to_string(),
        };
        let started = self.app.start_meeting(&caller, command).await.map_err(Status::from)?;
        Ok(Response::new(pb::StartMeetingResponse {
            meeting: Some(convert::meeting(&started.view)),
            warnings: started.warnings.iter().map(convert::warning).collect(),
            replayed: started.replayed,
        }))
    }

    async fn get_meeting(&self, request: Request<pb::GetMeetingRequest>) -> Result<Response<pb::Meeting>, Status> {
        let caller = caller(&request)?.clone();
        let view = self.app.get_meeting(&caller, &request.get_ref().id).await.map_err(Status::from)?;
        Ok(Response::new(convert::meeting(&view)))
    }

    async fn list_meetings(
        &self,
        request: Request<pb::ListMeetingsRequest>,
    ) -> Result<Response<pb::ListMeetingsResponse>, Status> {
        let caller = caller(&request)?.clone();
        let filter = convert::filter(request.into_inner());
        let (meetings, next) = self.app.list_meetings(&caller, &filter).await.map_err(Status::from)?;
        Ok(Response::new(pb::ListMeetingsResponse {
            meetings: meetings.iter().map(convert::summary).collect(),
            next_page_token: next,
        }))
    }

    async fn reschedule_meeting(
        &self,
        request: Request<pb::RescheduleMeetingRequest>,
    ) -> Result<Response<pb::Meeting>, Status> {
        let caller = caller(&request)?.clone();
        let r = request.into_inner();
        let change = Reschedule {
            occurrence_id: non_empty(r.occurrence_id),
            start_ms: convert::ms(r.start_time.as_ref()),
            duration_minutes: r.duration_minutes,
        };
        let view = self.app.reschedule(&caller, &r.id, change).await.map_err(Status::from)?;
        Ok(Response::new(convert::meeting(&view)))
    }

    async fn update_invitees(
        &self,
        request: Request<pb::UpdateInviteesRequest>,
    ) -> Result<Response<pb::Meeting>, Status> {
        let caller = caller(&request)?.clone();
        let r = request.into_inner();
        let add = r.add.iter().map(convert::person_in).collect();
        let view = self.app.update_invitees(&caller, &r.id, add, r.remove).await.map_err(Status::from)?;
        Ok(Response::new(convert::meeting(&view)))
    }

    async fn cancel_meeting(
        &self,
        request: Request<pb::CancelMeetingRequest>,
    ) -> Result<Response<pb::Meeting>, Status> {
        let caller = caller(&request)?.clone();
        let r = request.into_inner();
        let view =
            self.app.cancel(&caller, &r.id, non_empty(r.occurrence_id), r.reason.trim()).await.map_err(Status::from)?;
        Ok(Response::new(convert::meeting(&view)))
    }
}
