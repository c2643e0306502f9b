//! `butterboard.scenario.v1.ScenarioService`: each call reads the verified caller, converts the
//! request, calls the application layer and converts the answer. Violations are named by their
//! path in the request (`scenario.stages[0].agenda`, `yaml.stages[0].agenda`, `employee.email`).

mod convert;
mod convert_assignment;
mod errors;

use butterboard_proto::scenario::v1 as pb;
use butterboard_proto::scenario::v1::scenario_service_server::ScenarioService;
use butterboard_runtime::auth::caller;
use tonic::{Request, Response, Status};

use crate::app::access::{SCENARIO_READERS, require};
use crate::app::errors::ServiceError;
use crate::app::{ResolveTarget, SavedScenario, ScenarioApp};
use crate::domain::draft::ScenarioDraft;
use crate::yaml::{self, YamlError};
use errors::status;

pub struct Api {
    app: ScenarioApp,
}

impl Api {
    pub fn new(app: ScenarioApp) -> Self {
        Self { app }
    }
}

fn version(v: u32) -> Option<u32> {
    (v != 0).then_some(v)
}

fn saved(saved: SavedScenario, prefix: &str) -> pb::ScenarioResponse {
    pb::ScenarioResponse {
        scenario: Some(convert::scenario(&saved.scenario)),
        warnings: convert::warnings(&saved.warnings, prefix),
        new_version_created: saved.new_version_created,
    }
}

fn scenario_draft(scenario: Option<&pb::Scenario>) -> Result<ScenarioDraft, Status> {
    scenario.map(convert::scenario_draft).ok_or_else(|| status(ServiceError::invalid("scenario", "is required")))
}

#[tonic::async_trait]
impl ScenarioService for Api {
    async fn who_am_i(&self, request: Request<pb::WhoAmIRequest>) -> Result<Response<pb::WhoAmIResponse>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(pb::WhoAmIResponse {
            subject: caller.subject.clone(),
            roles: caller.roles.iter().map(|r| r.to_string()).collect(),
        }))
    }

    async fn create_scenario(
        &self,
        request: Request<pb::CreateScenarioRequest>,
    ) -> Result<Response<pb::ScenarioResponse>, Status> {
        let caller = caller(&request)?.clone();
        let draft = scenario_draft(request.get_ref().scenario.as_ref())?;
        let result = self.app.create_scenario(&caller, &draft).await.map_err(|e| status(e.prefixed("scenario.")))?;
        Ok(Response::new(saved(result, "scenario.")))
    }

    async fn get_scenario(&self, request: Request<pb::GetScenarioRequest>) -> Result<Response<pb::Scenario>, Status> {
        let caller = caller(&request)?.clone();
        let r = request.into_inner();
        let record = self.app.get_scenario(&caller, &r.id, version(r.version)).await.map_err(status)?;
        Ok(Response::new(convert::scenario(&record)))
    }

    async fn list_scenarios(
        &self,
        request: Request<pb::ListScenariosRequest>,
    ) -> Result<Response<pb::ListScenariosResponse>, Status> {
        let caller = caller(&request)?.clone();
        let r = request.into_inner();
        let page =
            self.app.list_scenarios(&caller, r.include_archived, r.page_size, &r.page_token).await.map_err(status)?;
        Ok(Response::new(pb::ListScenariosResponse {
            scenarios: page.scenarios.iter().map(convert::scenario).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn update_scenario(
        &self,
        request: Request<pb::UpdateScenarioRequest>,
    ) -> Result<Response<pb::ScenarioResponse>, Status> {
        let caller = caller(&request)?.clone();
        let r = request.into_inner();
        let draft = scenario_draft(r.scenario.as_ref())?;
        let id = r.scenario.as_ref().map(|s| s.id.clone()).unwrap_or_default();
        let result = self
            .app
            .update_scenario(&caller, &id, &draft, version(r.expected_version))
            .await
            .map_err(|e| status(e.prefixed("scenario.")))?;
        Ok(Response::new(saved(result, "scenario.")))
    }

    async fn archive_scenario(
        &self,
        request: Request<pb::ArchiveScenarioRequest>,
    ) -> Result<Response<pb::Scenario>, Status> {
        let caller = caller(&request)?.clone();
        let record = self.app.archive_scenario(&caller, &request.get_ref().id).await.map_err(status)?;
        Ok(Response::new(convert::scenario(&record)))
    }

    async fn validate_scenario(
        &self,
        request: Request<pb::ValidateScenarioRequest>,
    ) -> Result<Response<pb::ValidateScenarioResponse>, Status> {
        let caller = caller(&request)?.clone();
        // Who may validate is known before any work is done on the input.
        require(&caller, SCENARIO_READERS).map_err(status)?;
        let (draft, prefix) = match &request.get_ref().source {
            Some(pb::validate_scenario_request::Source::Scenario(s)) => (convert::scenario_draft(s), "scenario."),
            Some(pb::validate_scenario_request::Source::Yaml(text)) => match yaml::read(text) {
                Ok(draft) => (draft, "yaml."),
                // A document refused unread is bad input, not a scenario with violations.
                Err(YamlError::Refused(violation)) => {
                    return Err(status(ServiceError::Invalid(vec![violation]).prefixed("yaml.")));
                }
                Err(YamlError::Invalid(violation)) => {
                    let violations = vec![violation];
                    return Ok(Response::new(pb::ValidateScenarioResponse {
                        valid: false,
                        violations: convert::violations(&violations, "yaml"),
                        ..Default::default()
                    }));
                }
            },
            None => return Err(status(ServiceError::invalid("source", "is required: a scenario or its YAML"))),
        };
        let response = match self.app.validate_scenario(&caller, &draft).map_err(status)? {
            Ok(validated) => {
                let record = crate::store::scenarios::ScenarioRecord {
                    id: String::new(),
                    version: 0,
                    current_version: 0,
                    archived: false,
                    created_at: 0,
                    updated_at: 0,
                    definition: validated.definition,
                };
                pb::ValidateScenarioResponse {
                    valid: true,
                    violations: Vec::new(),
                    warnings: convert::warnings(&validated.warnings, prefix),
                    scenario: Some(convert::scenario(&record)),
                }
            }
            Err(violations) => pb::ValidateScenarioResponse {
                valid: false,
                violations: convert::violations(&violations, prefix),
                ..Default::default()
            },
        };
        Ok(Response::new(response))
    }

    async fn import_scenario(
        &self,
        request: Request<pb::ImportScenarioRequest>,
    ) -> Result<Response<pb::ScenarioResponse>, Status> {
        let caller = caller(&request)?.clone();
        let r = request.into_inner();
        let result = self
            .app
            .import_scenario(&caller, &r.yaml, &r.scenario_id, r.validate_only)
            .await
            .map_err(|e| status(e.prefixed("yaml.")))?;
        Ok(Response::new(saved(result, "yaml.")))
    }

    async fn export_scenario(
        &self,
        request: Request<pb::ExportScenarioRequest>,
    ) -> Result<Response<pb::ExportScenarioResponse>, Status> {
        let caller = caller(&request)?.clone();
        let r = request.into_inner();
        let yaml = self.app.export_scenario(&caller, &r.id, version(r.version)).await.map_err(status)?;
        Ok(Response::new(pb::ExportScenarioResponse { yaml }))
    }

    async fn assign_employee(
        &self,
        request: Request<pb::AssignEmployeeRequest>,
    ) -> Result<Response<pb::Assignment>, Status> {
        let caller = caller(&request)?.clone();
        let r = request.into_inner();
        let draft = convert_assignment::assignment_draft(&r);
        let view = self.app.assign(&caller, &r.scenario_id, &draft).await.map_err(status)?;
        Ok(Response::new(convert_assignment::assignment(&view)))
    }

    async fn get_assignment(
        &self,
        request: Request<pb::GetAssignmentRequest>,
    ) -> Result<Response<pb::Assignment>, Status> {
        let caller = caller(&request)?.clone();
        let view = self.app.get_assignment(&caller, &request.get_ref().id).await.map_err(status)?;
        Ok(Response::new(convert_assignment::assignment(&view)))
    }

    async fn list_assignments(
        &self,
        request: Request<pb::ListAssignmentsRequest>,
    ) -> Result<Response<pb::ListAssignmentsResponse>, Status> {
        let caller = caller(&request)?.clone();
        let r = request.into_inner();
        let stage_status = convert_assignment::status_filter(r.stage_status)
            .map_err(|e| status(ServiceError::invalid("stage_status", e)))?;
        let filter = convert_assignment::filter(&r, stage_status);
        let (views, next_page_token) = self.app.list_assignments(&caller, &filter).await.map_err(status)?;
        Ok(Response::new(pb::ListAssignmentsResponse {
            assignments: views.iter().map(convert_assignment::assignment).collect(),
            next_page_token,
        }))
    }

    async fn complete_stage(
        &self,
        request: Request<pb::CompleteStageRequest>,
    ) -> Result<Response<pb::StageInstance>, Status> {
        let caller = caller(&request)?.clone();
        let instance = self.app.complete_stage(&caller, &request.get_ref().stage_instance_id).await.map_err(status)?;
        Ok(Response::new(convert_assignment::instance(&instance)))
    }

    async fn skip_stage(&self, request: Request<pb::SkipStageRequest>) -> Result<Response<pb::StageInstance>, Status> {
        let caller = caller(&request)?.clone();
        let r = request.into_inner();
        let instance = self.app.skip_stage(&caller, &r.stage_instance_id, &r.reason).await.map_err(status)?;
        Ok(Response::new(convert_assignment::instance(&instance)))
    }

    async fn resolve_participants(
        &self,
        request: Request<pb::ResolveParticipantsRequest>,
    ) -> Result<Response<pb::ResolveParticipantsResponse>, Status> {
        let caller = caller(&request)?.clone();
        let target = match request.into_inner().target {
            Some(pb::resolve_participants_request::Target::Stage(s)) => {
                ResolveTarget::Stage { scenario_id: s.scenario_id, stage_id: s.stage_id }
            }
            Some(pb::resolve_participants_request::Target::StageInstanceId(id)) => ResolveTarget::Instance(id),
            None => return Err(status(ServiceError::invalid("target", "is required: a stage or a stage instance id"))),
        };
        let resolved = self.app.resolve_participants(&caller, &target).await.map_err(status)?;
        Ok(Response::new(convert_assignment::resolved(resolved)))
    }

    async fn cancel_assignment(
        &self,
        request: Request<pb::CancelAssignmentRequest>,
    ) -> Result<Response<pb::Assignment>, Status> {
        let caller = caller(&request)?.clone();
        let r = request.into_inner();
        let view = self.app.cancel_assignment(&caller, &r.id, &r.reason).await.map_err(status)?;
        Ok(Response::new(convert_assignment::assignment(&view)))
    }
}
