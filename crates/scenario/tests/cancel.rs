//! CancelAssignment over gRPC, in both modes: HR only; open stage instances closed as cancelled,
//! closed ones kept; onboarding.assignment.cancelled published once; the scheduler never
//! publishes a cancelled instance due.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use butterboard_proto::scenario::v1 as pb;
use butterboard_proto::scenario::v1::scenario_service_client::ScenarioServiceClient;
use butterboard_runtime::events::OnboardingEvent;
use butterboard_runtime::service::ServiceName;
use butterboard_runtime::testing::{Mode, TestService};
use tonic::Code;
use tonic_types::StatusExt as _;

fn person(email: &str, zone: &str) -> pb::Person {
    pb::Person { email: email.into(), display_name: String::new(), time_zone: zone.into() }
}

async fn an_hr_cancellation_closes_open_instances_and_is_published_once(mode: Mode) {
    let service =
        TestService::builder(ServiceName::Scenario, scenario::migrations()).mode(mode).start(scenario::start).await;
    let mut grpc = ScenarioServiceClient::new(service.channel.clone());
    let import = pb::ImportScenarioRequest { yaml: scenario::EXAMPLE_SCENARIO_YAML.into(), ..Default::default() };
    let created =
        grpc.import_scenario(service.hr(import)).await.expect("import").into_inner().scenario.expect("scenario");
    let assign = pb::AssignEmployeeRequest {
        scenario_id: created.id.clone(),
        employee: Some(person("anna@example.com", "Europe/Berlin")),
        start_date: "2025-03-03".into(),
        manager: Some(person("oleg@example.com", "")),
        team: vec![person("ivan@example.com", "")],
        trainer: Some(person("tanya@example.com", "")),
        ..Default::default()
    };
    let anna = grpc.assign_employee(service.hr(assign)).await.expect("assign").into_inner();
    let first = anna.stage_instances[0].id.clone();
    grpc.complete_stage(service.hr(pb::CompleteStageRequest { stage_instance_id: first.clone() }))
        .await
        .expect("completed");

    let cancel = |id: &str| pb::CancelAssignmentRequest { id: id.into(), reason: "left the company".into() };
    for request in [service.manager(cancel(&anna.id)), service.employee("anna@example.com", cancel(&anna.id))] {
        assert_eq!(grpc.cancel_assignment(request).await.expect_err("hr only").code(), Code::PermissionDenied);
    }
    let missing = grpc
        .cancel_assignment(service.hr(pb::CancelAssignmentRequest { id: " ".into(), reason: "x".repeat(501) }))
        .await;
    let status = missing.expect_err("bad input");
    let fields: Vec<String> = status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default();
    assert_eq!((status.code(), fields), (Code::InvalidArgument, vec!["id".to_string(), "reason".to_string()]));
    let unknown = grpc.cancel_assignment(service.hr(cancel("no-such-assignment"))).await.expect_err("unknown");
    assert_eq!(unknown.code(), Code::NotFound);

    let cancelled = grpc.cancel_assignment(service.hr(cancel(&anna.id))).await.expect("cancelled").into_inner();
    let statuses: Vec<(String, i32)> = cancelled.stage_instances.iter().map(|i| (i.id.clone(), i.status)).collect();
    for (id, status) in &statuses {
        let expected = if *id == first { pb::StageStatus::Completed } else { pb::StageStatus::Cancelled };
        assert_eq!(*status, expected as i32, "instance {id}");
    }
    let again = grpc.cancel_assignment(service.hr(cancel(&anna.id))).await.expect_err("cancelled already");
    assert_eq!(again.code(), Code::FailedPrecondition);

    let mut watch = service.watch(&["onboarding.assignment.cancelled"]).await;
    let events = watch.events(1, Duration::from_secs(30)).await;
    let OnboardingEvent::AssignmentCancelled(event) = &events[0] else { panic!("a cancellation") };
    assert_eq!((event.assignment_id.as_str(), event.reason.as_str()), (anna.id.as_str(), "left the company"));
    assert_eq!(event.employee.as_ref().map(|p| p.email.as_str()), Some("anna@example.com"));

    // Weeks later nothing of the assignment becomes due.
    let mut due = service.watch(&["onboarding.stage.due"]).await;
    service.clock.advance(60 * 24 * 3600 * 1000);
    assert!(due.next(Duration::from_secs(2)).await.is_none(), "a cancelled instance is never due");
    service.stop().await.expect("stops cleanly");
}

butterboard_runtime::in_both_modes!(an_hr_cancellation_closes_open_instances_and_is_published_once);
