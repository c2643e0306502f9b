//! The consumers through a real bus — the embedded bus with SQLite, JetStream with PostgreSQL — as
//! the binary runs them: one request per new employee and stage instance whatever the
//! redeliveries, re-publications, order of the two events of a meeting stage, or number of
//! replicas; cancellations withdraw; templates missing from the events come from scenario.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use butterboard_proto::events::v1 as pb;
use butterboard_proto::scenario::v1 as scenario_pb;
use butterboard_proto::scenario::v1::scenario_service_client::ScenarioServiceClient;
use butterboard_runtime::events::OnboardingEvent;
use butterboard_runtime::service::ServiceName;
use butterboard_runtime::store::Store;
use butterboard_runtime::testing::{self, Mode, TestService};
use feedback::store::requests;
use support::*;

const REQUESTS: &str = "SELECT COUNT(*) FROM feedback_requests";

async fn request_of(store: &Store, assignment: &str, stage: &str) -> requests::RequestRecord {
    let mut conn = store.pool().acquire().await.expect("connection");
    requests::find(&mut conn, assignment, &instance(assignment, stage, 1)).await.expect("read").expect("a request")
}

/// Requested events published, exactly `n`.
async fn requested(service: &TestService, n: usize) -> Vec<pb::FeedbackRequested> {
    let mut watch = service.watch(&["onboarding.feedback.requested"]).await;
    watch
        .events(n, Duration::from_secs(30))
        .await
        .into_iter()
        .filter_map(|e| match e {
            OnboardingEvent::FeedbackRequested(r) => Some(r),
            _ => None,
        })
        .collect()
}

async fn duplicated_and_reordered_stage_events_make_one_request_per_stage_instance(mode: Mode) {
    let service = start(mode, &[]).await;
    for (a, email) in [("a1", "a1@example.com"), ("a2", "a2@example.com")] {
        let event = assigned(a, email, "oleg@example.com", "Europe/Berlin", "2025-03-03", 1);
        publish(&service, OnboardingEvent::ScenarioAssigned(event), "scenario").await;
    }
    wait_assignments(&service.store, 2).await;
    let questions = ["Was the meeting useful?"];
    // Scenario's completion of a1's meeting stage overtakes the meeting's end.
    let done =
        publish(&service, OnboardingEvent::StageCompleted(completed("a1", "meet", "m1", &questions)), "scenario").await;
    wait_count(&service.store, REQUESTS, 1).await;
    let people = vec![attendance("a1", "meet", true, true), attendance("a2", "meet", false, false)];
    let end = OnboardingEvent::MeetingEnded(ended("m1", people, &questions));
    let first = publish(&service, end.clone(), "meeting-orchestrator").await;
    redeliver(&service, &first).await;
    redeliver(&service, &done).await;
    // The same facts published again under a new event id.
    publish(&service, end, "meeting-orchestrator").await;
    publish(&service, OnboardingEvent::StageCompleted(completed("a1", "meet", "m1", &questions)), "scenario").await;
    // A reading completed by its employee: no meeting.
    publish(&service, OnboardingEvent::StageCompleted(completed("a1", "read", "", &["Was it clear?"])), "scenario")
        .await;
    // A skipped stage did not happen: no request.
    let mut skipped = completed("a2", "read", "", &[]);
    skipped.skipped = true;
    publish(&service, OnboardingEvent::StageCompleted(skipped), "scenario").await;

    let events = requested(&service, 3).await;
    let mut keys: Vec<(String, String)> =
        events.iter().map(|r| (r.assignment_id.clone(), r.stage_instance_id.clone())).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            ("a1".into(), instance("a1", "meet", 1)),
            ("a1".into(), instance("a1", "read", 1)),
            ("a2".into(), instance("a2", "meet", 1))
        ]
    );
    assert_eq!(count(&service.store, REQUESTS).await, 3);
    let a1 = request_of(&service.store, "a1", "meet").await;
    assert_eq!(a1.attendance.as_str(), "partial", "the meeting's attendance reached the request made before it");
    assert_eq!(
        (a1.meeting_id.as_deref(), a1.questions.as_slice()),
        (Some("m1"), &["Was the meeting useful?".to_string()][..])
    );
    let a2 = request_of(&service.store, "a2", "meet").await;
    assert_eq!(
        (a2.attendance.as_str(), a2.presence.seconds_present),
        ("missed", 0),
        "the absent employee is asked too"
    );
    let read = request_of(&service.store, "a1", "read").await;
    assert_eq!((read.attendance.as_str(), read.stage_title.as_str()), ("no_meeting", "Read the handbook"));
    let event = events.iter().find(|r| r.assignment_id == "a2").expect("a2's request");
    assert_eq!(event.employee.as_ref().map(|p| p.time_zone.as_str()), Some("Europe/Berlin"));
    assert!(event.link.ends_with(&event.request_id) && event.due_at.is_some());
    service.stop().await.expect("stops cleanly");
}

/// Two handles on one fresh database, as two replicas hold them.
async fn replica_stores(mode: Mode, dir: &std::path::Path) -> (Store, Store) {
    match mode {
        Mode::Embedded => {
            let first = testing::sqlite_store(dir, &feedback::migrations()).await.expect("sqlite");
            let second = testing::sqlite_store(dir, &feedback::migrations()).await.expect("reopened");
            (first, second)
        }
        Mode::Distributed => {
            let url = testing::fresh_postgres_url().await.expect("database");
            let first = Store::connect(&url, 8).await.expect("connect");
            first.migrate(&feedback::migrations()).await.expect("migrate");
            let second = Store::connect(&url, 8).await.expect("connect");
            second.migrate(&feedback::migrations()).await.expect("a second replica migrates too");
            (first, second)
        }
    }
}

async fn two_replicas_make_one_request_per_stage_instance(mode: Mode) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (first_store, second_store) = replica_stores(mode, dir.path()).await;
    let first = builder(mode, &[("FEEDBACK_CONSUMER_WORKERS", "3")]).store(first_store).start(feedback::start).await;
    let second = builder(mode, &[("FEEDBACK_CONSUMER_WORKERS", "3")])
        .store(second_store)
        .bus(first.bus.clone())
        .start(feedback::start)
        .await;
    let employees = 30;
    for n in 0..employees {
        let a = format!("a{n}");
        let event = assigned(&a, &format!("{a}@example.com"), "oleg@example.com", "America/New_York", "2025-03-03", 1);
        publish(&first, OnboardingEvent::ScenarioAssigned(event), "scenario").await;
    }
    wait_assignments(&first.store, employees).await;
    // Six meetings of five employees each, every end published twice under different ids, and
    // every completion too.
    for meeting in 0..6 {
        let people: Vec<pb::Attendance> =
            (0..5).map(|k| attendance(&format!("a{}", meeting * 5 + k), "meet", k != 4, false)).collect();
        let end = OnboardingEvent::MeetingEnded(ended(&format!("m{meeting}"), people.clone(), &["Useful?"]));
        publish(&first, end.clone(), "meeting-orchestrator").await;
        for person in people.iter().filter(|p| p.attended) {
            let done = completed(&person.assignment_id, "meet", &format!("m{meeting}"), &["Useful?"]);
            publish(&first, OnboardingEvent::StageCompleted(done), "scenario").await;
        }
        publish(&first, end, "meeting-orchestrator").await;
    }
    wait_count(&first.store, REQUESTS, employees).await;
    let events = requested(&first, employees as usize).await;
    let mut ids: Vec<&str> = events.iter().map(|e| e.stage_instance_id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), employees as usize, "one request per stage instance, published once");
    assert_eq!(count(&first.store, "SELECT COUNT(*) FROM feedback_requests WHERE attendance = 'missed'").await, 6);
    second.stop().await.expect("the second replica stops cleanly");
    first.stop().await.expect("the first replica stops cleanly");
}

async fn a_cancelled_assignment_withdraws_its_open_requests_and_gets_no_new_ones(mode: Mode) {
    let service = start(mode, &[]).await;
    publish(
        &service,
        OnboardingEvent::ScenarioAssigned(assigned("a1", "a1@example.com", "oleg@example.com", "", "2025-03-03", 1)),
        "scenario",
    )
    .await;
    wait_assignments(&service.store, 1).await;
    publish(&service, OnboardingEvent::StageCompleted(completed("a1", "meet", "", &["Q?"])), "scenario").await;
    wait_count(&service.store, REQUESTS, 1).await;
    // a2 is cancelled before feedback hears of it at all.
    let cancel = |a: &str| {
        OnboardingEvent::AssignmentCancelled(pb::AssignmentCancelled {
            assignment_id: a.into(),
            scenario_id: "s1".into(),
            cancelled_at: Some(ts(T0)),
            reason: "left the company".into(),
            ..Default::default()
        })
    };
    publish(&service, cancel("a2"), "scenario").await;
    publish(&service, cancel("a1"), "scenario").await;
    wait_count(&service.store, "SELECT COUNT(*) FROM feedback_requests WHERE status = 'withdrawn'", 1).await;
    publish(
        &service,
        OnboardingEvent::ScenarioAssigned(assigned("a2", "a2@example.com", "oleg@example.com", "", "2025-03-03", 1)),
        "scenario",
    )
    .await;
    wait_assignments(&service.store, 2).await;
    publish(&service, OnboardingEvent::StageCompleted(completed("a1", "read", "", &[])), "scenario").await;
    publish(&service, OnboardingEvent::StageCompleted(completed("a2", "meet", "", &[])), "scenario").await;
    // A marker after them: once it is handled, they were too.
    publish(
        &service,
        OnboardingEvent::ScenarioAssigned(assigned("a3", "a3@example.com", "oleg@example.com", "", "2025-03-03", 1)),
        "scenario",
    )
    .await;
    publish(&service, OnboardingEvent::StageCompleted(completed("a3", "read", "", &["Q?"])), "scenario").await;
    wait_count(&service.store, REQUESTS, 2).await;
    assert_eq!(
        count(&service.store, "SELECT COUNT(*) FROM feedback_requests WHERE assignment_id IN ('a1', 'a2')").await,
        1
    );
    // The sweeper never reminds a withdrawn request.
    service.clock.advance(30 * DAY);
    wait_count(&service.store, "SELECT COUNT(*) FROM feedback_requests WHERE status = 'expired'", 1).await;
    let withdrawn = request_of(&service.store, "a1", "meet").await;
    assert_eq!((withdrawn.status.as_str(), withdrawn.reminders_sent), ("withdrawn", 0));
    service.stop().await.expect("stops cleanly");
}

async fn a_template_missing_from_the_events_comes_from_scenario(mode: Mode) {
    let scenario = TestService::builder(ServiceName::Scenario, scenario::migrations())
        .mode(mode)
        .start(|ctx| scenario::start_with(ctx, scenario::Options { run_scheduler: false, ..Default::default() }))
        .await;
    let mut grpc = ScenarioServiceClient::new(scenario.channel.clone());
    let import =
        scenario_pb::ImportScenarioRequest { yaml: scenario::EXAMPLE_SCENARIO_YAML.into(), ..Default::default() };
    let created =
        grpc.import_scenario(scenario.hr(import)).await.expect("import").into_inner().scenario.expect("scenario");
    let assign = scenario_pb::AssignEmployeeRequest {
        scenario_id: created.id.clone(),
        employee: Some(scenario_pb::Person {
            email: "anna@example.com".into(),
            display_name: "Anna".into(),
            time_zone: "Asia/Tokyo".into(),
        }),
        start_date: "2025-03-03".into(),
        manager: Some(scenario_pb::Person { email: "oleg@example.com".into(), ..Default::default() }),
        team: vec![scenario_pb::Person { email: "ivan@example.com".into(), ..Default::default() }],
        trainer: Some(scenario_pb::Person { email: "tanya@example.com".into(), ..Default::default() }),
        ..Default::default()
    };
    let anna = grpc.assign_employee(scenario.hr(assign)).await.expect("assign").into_inner();
    let one_on_one = anna.stage_instances.iter().find(|i| i.stage_id == "one-on-one").expect("a one-on-one");

    // feedback has not seen the assignment (its bus is another), and the completion carries no
    // template: both come from scenario's GetAssignment.
    let url = format!("http://{}", scenario.grpc_addr);
    let service = start(mode, &[("SCENARIO_GRPC_URL", url.as_str())]).await;
    let done = pb::StageCompleted {
        assignment_id: anna.id.clone(),
        scenario_id: created.id.clone(),
        stage_id: "one-on-one".into(),
        stage_instance_id: one_on_one.id.clone(),
        title: "One-on-one".into(),
        occurrence: one_on_one.occurrence,
        ..Default::default()
    };
    publish(&service, OnboardingEvent::StageCompleted(done), "scenario").await;
    let events = requested(&service, 1).await;
    assert_eq!(
        events[0].questions,
        ["What went well this week?", "What is blocking you?", "What do you need from me?"]
    );
    assert_eq!(
        events[0].employee.as_ref().map(|p| (p.email.as_str(), p.time_zone.as_str())),
        Some(("anna@example.com", "Asia/Tokyo"))
    );
    let stored = count(&service.store, "SELECT COUNT(*) FROM stage_templates").await;
    assert_eq!(stored, 3, "the version's templates are kept, so scenario is asked once per version");
    service.stop().await.expect("stops cleanly");
    scenario.stop().await.expect("scenario stops cleanly");
}

butterboard_runtime::in_both_modes!(
    duplicated_and_reordered_stage_events_make_one_request_per_stage_instance,
    two_replicas_make_one_request_per_stage_instance,
    a_cancelled_assignment_withdraws_its_open_requests_and_gets_no_new_ones,
    a_template_missing_from_the_events_comes_from_scenario,
);
