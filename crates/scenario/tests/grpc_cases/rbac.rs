//! ARCHITECTURE §5 over real gRPC: hr everything; manager the assignments they manage; employee
//! their own; service reads and resolves.

use butterboard_proto::scenario::v1 as pb;
use butterboard_runtime::auth::Role;
use tonic::{Code, Response, Status};

use crate::{Server, assign_request};

/// Requests as one caller.
struct As<'a>(&'a Server, &'static str, &'static [Role]);

impl As<'_> {
    fn r<T>(&self, message: T) -> tonic::Request<T> {
        self.0.as_(self.1, self.2, message)
    }
}

fn code<T: std::fmt::Debug>(result: Result<Response<T>, Status>) -> Code {
    match result {
        Ok(_) => Code::Ok,
        Err(status) => status.code(),
    }
}

fn instance<'a>(assignment: &'a pb::Assignment, stage: &str) -> &'a pb::StageInstance {
    assignment.stage_instances.iter().find(|i| i.stage_id == stage).expect("instance")
}

fn resolve_stage(scenario_id: &str, stage_id: &str) -> pb::ResolveParticipantsRequest {
    let target = pb::StageRef { scenario_id: scenario_id.into(), stage_id: stage_id.into() };
    pb::ResolveParticipantsRequest { target: Some(pb::resolve_participants_request::Target::Stage(target)) }
}

fn resolve_instance(id: &str) -> pb::ResolveParticipantsRequest {
    pb::ResolveParticipantsRequest {
        target: Some(pb::resolve_participants_request::Target::StageInstanceId(id.into())),
    }
}

pub async fn hr_builds_assigns_completes_and_resolves(s: &Server) {
    let scenario = s.create_example().await;
    let anna = s.assign(&scenario.id, "anna@example.com", "oleg@example.com").await;
    let mut c = s.client();
    let read =
        c.get_assignment(s.hr(pb::GetAssignmentRequest { id: anna.id.clone() })).await.expect("get").into_inner();
    assert_eq!(read.stages.len(), 4, "a single read carries the stages of its version");
    let listed = c.list_assignments(s.hr(pb::ListAssignmentsRequest::default())).await.expect("list").into_inner();
    assert_eq!(listed.assignments.len(), 1);
    let meet = instance(&anna, "meet-the-team");
    let resolved =
        c.resolve_participants(s.hr(resolve_stage(&scenario.id, "meet-the-team"))).await.expect("resolve").into_inner();
    let cohort: Vec<_> = resolved
        .cohort
        .iter()
        .filter_map(|m| m.employee.as_ref())
        .map(|p| (p.email.as_str(), p.time_zone.as_str()))
        .collect();
    assert_eq!(cohort, [("anna@example.com", "Europe/Berlin")]);
    let people: Vec<_> =
        resolved.participants.iter().filter_map(|p| p.person.as_ref()).map(|p| p.email.as_str()).collect();
    assert_eq!(people, ["oleg@example.com", "ivan@example.com", "maria@example.com"]);
    assert!(resolved.participants.iter().all(|p| p.person.as_ref().is_some_and(|p| !p.time_zone.is_empty())));
    let stage = resolved.stage.expect("stage");
    assert!(!stage.agenda.is_empty() && !stage.goals.is_empty() && stage.duration_minutes == 45);
    let done = c
        .complete_stage(s.hr(pb::CompleteStageRequest { stage_instance_id: meet.id.clone() }))
        .await
        .expect("complete");
    assert_eq!(done.into_inner().status(), pb::StageStatus::Completed);
    let exported = c
        .export_scenario(s.hr(pb::ExportScenarioRequest { id: scenario.id.clone(), version: 0 }))
        .await
        .expect("export");
    assert!(exported.into_inner().yaml.contains("Meet the team"));
    let archived =
        c.archive_scenario(s.hr(pb::ArchiveScenarioRequest { id: scenario.id.clone() })).await.expect("archive");
    assert!(archived.into_inner().archived);
}

pub async fn a_manager_sees_and_acts_only_on_the_assignments_they_manage(s: &Server) {
    let scenario = s.create_example().await;
    let anna = s.assign(&scenario.id, "anna@example.com", "oleg@example.com").await;
    let boris = s.assign(&scenario.id, "boris@example.com", "pavel@example.com").await;
    let oleg = As(s, "oleg@example.com", &[Role::Manager]);
    let mut c = s.client();
    let listed = c.list_assignments(oleg.r(pb::ListAssignmentsRequest::default())).await.expect("list").into_inner();
    assert_eq!(listed.assignments.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), [anna.id.as_str()]);
    // Asking for someone else's reports narrows to nothing rather than widening the view.
    let other = pb::ListAssignmentsRequest { manager_email: "pavel@example.com".into(), ..Default::default() };
    assert!(c.list_assignments(oleg.r(other)).await.expect("list").into_inner().assignments.is_empty());
    assert_eq!(code(c.get_assignment(oleg.r(pb::GetAssignmentRequest { id: anna.id.clone() })).await), Code::Ok);
    assert_eq!(
        code(c.get_assignment(oleg.r(pb::GetAssignmentRequest { id: boris.id.clone() })).await),
        Code::PermissionDenied
    );
    let boris_meet = instance(&boris, "meet-the-team").id.clone();
    assert_eq!(
        code(c.complete_stage(oleg.r(pb::CompleteStageRequest { stage_instance_id: boris_meet.clone() })).await),
        Code::PermissionDenied
    );
    assert_eq!(code(c.resolve_participants(oleg.r(resolve_instance(&boris_meet))).await), Code::PermissionDenied);
    let anna_meet = instance(&anna, "meet-the-team").id.clone();
    assert_eq!(code(c.resolve_participants(oleg.r(resolve_instance(&anna_meet))).await), Code::Ok);
    assert_eq!(
        code(c.skip_stage(oleg.r(pb::SkipStageRequest { stage_instance_id: anna_meet, reason: String::new() })).await),
        Code::Ok
    );
    assert_eq!(
        code(c.resolve_participants(oleg.r(resolve_stage(&scenario.id, "meet-the-team"))).await),
        Code::PermissionDenied
    );
    assert_eq!(
        code(c.get_scenario(oleg.r(pb::GetScenarioRequest { id: scenario.id.clone(), version: 0 })).await),
        Code::Ok
    );
    let create = pb::CreateScenarioRequest { scenario: Some(scenario.clone()) };
    assert_eq!(code(c.create_scenario(oleg.r(create)).await), Code::PermissionDenied);
    let assign = assign_request(&scenario.id, "carl@example.com", "oleg@example.com");
    assert_eq!(code(c.assign_employee(oleg.r(assign)).await), Code::PermissionDenied);
}

pub async fn an_employee_sees_only_their_own_assignment_and_completes_only_their_own_reading(s: &Server) {
    let scenario = s.create_example().await;
    let anna = s.assign(&scenario.id, "anna@example.com", "oleg@example.com").await;
    let boris = s.assign(&scenario.id, "boris@example.com", "oleg@example.com").await;
    let as_anna = As(s, "anna@example.com", &[Role::Employee]);
    let mut c = s.client();
    let own =
        c.get_assignment(as_anna.r(pb::GetAssignmentRequest { id: anna.id.clone() })).await.expect("own").into_inner();
    assert!(!own.stages.is_empty(), "her stages' agenda and materials come with her assignment");
    assert_eq!(
        code(c.get_assignment(as_anna.r(pb::GetAssignmentRequest { id: boris.id.clone() })).await),
        Code::PermissionDenied
    );
    let listed = c.list_assignments(as_anna.r(pb::ListAssignmentsRequest::default())).await.expect("list").into_inner();
    assert_eq!(listed.assignments.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), [anna.id.as_str()]);
    let reading = instance(&anna, "read-the-handbook").id.clone();
    assert_eq!(
        code(c.complete_stage(as_anna.r(pb::CompleteStageRequest { stage_instance_id: reading })).await),
        Code::Ok
    );
    let meet = instance(&anna, "meet-the-team").id.clone();
    assert_eq!(
        code(c.complete_stage(as_anna.r(pb::CompleteStageRequest { stage_instance_id: meet.clone() })).await),
        Code::PermissionDenied
    );
    let skip = pb::SkipStageRequest { stage_instance_id: meet.clone(), reason: String::new() };
    assert_eq!(code(c.skip_stage(as_anna.r(skip)).await), Code::PermissionDenied);
    let boris_reading = instance(&boris, "read-the-handbook").id.clone();
    assert_eq!(
        code(c.complete_stage(as_anna.r(pb::CompleteStageRequest { stage_instance_id: boris_reading })).await),
        Code::PermissionDenied
    );
    assert_eq!(code(c.resolve_participants(as_anna.r(resolve_instance(&meet))).await), Code::PermissionDenied);
    assert_eq!(
        code(c.get_scenario(as_anna.r(pb::GetScenarioRequest { id: scenario.id.clone(), version: 0 })).await),
        Code::PermissionDenied
    );
}

pub async fn a_service_reads_and_resolves_but_changes_nothing(s: &Server) {
    let scenario = s.create_example().await;
    let anna = s.assign(&scenario.id, "anna@example.com", "oleg@example.com").await;
    let svc = As(s, "meeting-orchestrator", &[Role::Service]);
    let mut c = s.client();
    assert_eq!(
        code(c.get_scenario(svc.r(pb::GetScenarioRequest { id: scenario.id.clone(), version: 0 })).await),
        Code::Ok
    );
    assert_eq!(code(c.list_scenarios(svc.r(pb::ListScenariosRequest::default())).await), Code::Ok);
    assert_eq!(code(c.get_assignment(svc.r(pb::GetAssignmentRequest { id: anna.id.clone() })).await), Code::Ok);
    assert_eq!(code(c.list_assignments(svc.r(pb::ListAssignmentsRequest::default())).await), Code::Ok);
    let meet = instance(&anna, "meet-the-team").id.clone();
    assert_eq!(code(c.resolve_participants(svc.r(resolve_instance(&meet))).await), Code::Ok);
    assert_eq!(code(c.resolve_participants(svc.r(resolve_stage(&scenario.id, "product-training"))).await), Code::Ok);
    let before = crate::support::footprint(&s.store).await;
    assert_eq!(
        code(c.complete_stage(svc.r(pb::CompleteStageRequest { stage_instance_id: meet })).await),
        Code::PermissionDenied
    );
    assert_eq!(
        code(c.create_scenario(svc.r(pb::CreateScenarioRequest { scenario: Some(scenario.clone()) })).await),
        Code::PermissionDenied
    );
    let update = pb::UpdateScenarioRequest { scenario: Some(scenario.clone()), expected_version: 0 };
    assert_eq!(code(c.update_scenario(svc.r(update)).await), Code::PermissionDenied);
    let assign = assign_request(&scenario.id, "carl@example.com", "oleg@example.com");
    assert_eq!(code(c.assign_employee(svc.r(assign)).await), Code::PermissionDenied);
    assert_eq!(
        code(c.archive_scenario(svc.r(pb::ArchiveScenarioRequest { id: scenario.id.clone() })).await),
        Code::PermissionDenied
    );
    assert_eq!(crate::support::footprint(&s.store).await, before);
}

pub async fn a_call_without_a_token_is_unauthenticated(s: &Server) {
    let status = s.client().list_scenarios(pb::ListScenariosRequest::default()).await.expect_err("no token");
    assert_eq!(status.code(), Code::Unauthenticated);
    let nobody = s.as_("mallory@example.com", &[], pb::ListAssignmentsRequest::default());
    assert_eq!(code(s.client().list_assignments(nobody).await), Code::PermissionDenied, "a token without a role");
}
