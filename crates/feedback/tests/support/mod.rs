//! Shared by the feedback service's integration tests: the service started as the binary starts
//! it (in either mode), the events other services publish, built as they build them, and readers
//! of the store.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use butterboard_proto::events::v1 as pb;
use butterboard_proto::feedback::v1::feedback_service_client::FeedbackServiceClient;
use butterboard_runtime::bus::OutgoingMessage;
use butterboard_runtime::clock::ManualClock;
use butterboard_runtime::events::OnboardingEvent;
use butterboard_runtime::service::ServiceName;
use butterboard_runtime::store::Store;
use butterboard_runtime::testing::{self, Mode, TestService};
use feedback::FeedbackSettings;
use feedback::consumers::Requests;
use feedback::scenario_client::{FetchedAssignment, ScenarioDirectory};
use tonic::transport::Channel;

/// 2025-03-03T09:00:00Z, a Monday (the harness's epoch).
pub const T0: i64 = testing::TEST_EPOCH_MS;
pub const HOUR: i64 = 3600 * 1000;
pub const DAY: i64 = 24 * HOUR;

/// The feedback service over its own store and bus; `setting` pairs override its settings. The
/// sweeper looks every 50 ms (of real time) at the manual clock.
pub async fn start(mode: Mode, settings: &[(&str, &str)]) -> TestService {
    builder(mode, settings).start(feedback::start).await
}

pub fn builder(mode: Mode, settings: &[(&str, &str)]) -> butterboard_runtime::testing::service::Builder {
    let mut builder = TestService::builder(ServiceName::Feedback, feedback::migrations())
        .mode(mode)
        .setting("FEEDBACK_SWEEP_INTERVAL_MS", "50")
        // Nothing answers here: a test that needs scenario starts one and points this at it.
        .peer(ServiceName::Scenario, "http://127.0.0.1:9");
    for (name, value) in settings {
        builder = match ServiceName::ALL.into_iter().find(|s| s.grpc_url_env() == *name) {
            Some(peer) => builder.peer(peer, *value),
            None => builder.setting(name, *value),
        };
    }
    builder
}

pub fn client(service: &TestService) -> FeedbackServiceClient<Channel> {
    FeedbackServiceClient::new(service.channel.clone())
}

/// Publishes `event` as `producer` would; returns the message so a test can send it again.
pub async fn publish(service: &TestService, event: OnboardingEvent, producer: &str) -> OutgoingMessage {
    let subject = event.subject();
    let message = event.into_cloud_event(producer, "aggregate").into_message(subject);
    service.bus.publish(message.clone()).await.expect("publish");
    message
}

/// The same CloudEvent (same `ce-id`) again, as a redelivery or a dead-letter replay does; a new
/// bus message id keeps the bus from dropping it as a duplicate.
pub async fn redeliver(service: &TestService, message: &OutgoingMessage) {
    let mut again = message.clone();
    again.id = format!("{}-again", message.id);
    service.bus.publish(again).await.expect("publish again");
}

pub fn person(email: &str, zone: &str) -> pb::Person {
    pb::Person {
        email: email.into(),
        display_name: email.split('@').next().unwrap_or_default().into(),
        time_zone: zone.into(),
    }
}

pub fn ts(ms: i64) -> prost_types::Timestamp {
    prost_types::Timestamp { seconds: ms / 1000, nanos: 0 }
}

/// An assignment of `email` (managed by `manager`) to scenario `s1` at `version`, starting
/// `start`, with two stages: the meeting `meet` and the reading `read`.
pub fn assigned(
    assignment: &str,
    email: &str,
    manager: &str,
    zone: &str,
    start: &str,
    version: u32,
) -> pb::ScenarioAssigned {
    let stage = |id: &str, title: &str, kind: &str, occurrence: u32| pb::StageInstance {
        stage_instance_id: format!("{assignment}-{id}-{occurrence}"),
        stage_id: id.into(),
        title: title.into(),
        due_at: Some(ts(T0)),
        occurrence,
        stage_kind: kind.into(),
    };
    pb::ScenarioAssigned {
        assignment_id: assignment.into(),
        scenario_id: "s1".into(),
        scenario_version: version,
        scenario_name: "Engineering onboarding".into(),
        employee: Some(person(email, zone)),
        manager: Some(person(manager, "")),
        start_date: start.into(),
        stages: vec![
            stage("meet", "Meet the team", "meeting", 1),
            stage("read", "Read the handbook", "reading", 1),
            stage("one-on-one", "One-on-one", "meeting", 1),
            stage("one-on-one", "One-on-one", "meeting", 2),
        ],
    }
}

pub fn instance(assignment: &str, stage: &str, occurrence: u32) -> String {
    format!("{assignment}-{stage}-{occurrence}")
}

/// One new employee's attendance.
pub fn attendance(assignment: &str, stage: &str, attended: bool, left_early: bool) -> pb::Attendance {
    pb::Attendance {
        person: Some(person(&format!("{assignment}@example.com"), "")),
        seconds_present: if attended { 2400 } else { 0 },
        attended,
        role: "employee".into(),
        assignment_id: assignment.into(),
        stage_instance_id: instance(assignment, stage, 1),
        left_early,
        sessions: u32::from(attended),
        ..Default::default()
    }
}

/// The end of meeting `meeting` of stage `meet` for `people`, with the template.
pub fn ended(meeting: &str, people: Vec<pb::Attendance>, questions: &[&str]) -> pb::MeetingEnded {
    pb::MeetingEnded {
        meeting_id: meeting.into(),
        scenario_id: "s1".into(),
        stage_id: "meet".into(),
        stage_instance_ids: people.iter().map(|a| a.stage_instance_id.clone()).collect(),
        ended_at: Some(ts(T0)),
        attendance: people,
        scenario_version: 1,
        stage_title: "Meet the team".into(),
        feedback_questions: questions.iter().map(|q| q.to_string()).collect(),
        ..Default::default()
    }
}

/// Scenario's completion of `stage` for `assignment`.
pub fn completed(assignment: &str, stage: &str, meeting: &str, questions: &[&str]) -> pb::StageCompleted {
    pb::StageCompleted {
        assignment_id: assignment.into(),
        scenario_id: "s1".into(),
        stage_id: stage.into(),
        stage_instance_id: instance(assignment, stage, 1),
        employee: Some(person(&format!("{assignment}@example.com"), "")),
        completed_at: Some(ts(T0)),
        meeting_id: meeting.into(),
        title: stage.into(),
        stage_kind: "meeting".into(),
        questions: questions.iter().map(|q| q.to_string()).collect(),
        occurrence: 1,
        ..Default::default()
    }
}

pub async fn count(store: &Store, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string())).fetch_one(store.pool()).await.expect("count")
}

/// Waits until `sql` counts `n`.
pub async fn wait_count(store: &Store, sql: &str, n: i64) {
    let reached = testing::eventually(Duration::from_secs(30), || async { count(store, sql).await == n }).await;
    assert!(reached, "{sql} never reached {n} (is {})", count(store, sql).await);
}

/// Waits until the assignments are projected.
pub async fn wait_assignments(store: &Store, n: i64) {
    wait_count(store, "SELECT COUNT(*) FROM assignments WHERE known = 1", n).await;
}

/// A directory that knows nobody: for tests that drive the consumer handler directly and give it
/// every assignment through events.
pub struct NoScenario;

#[async_trait::async_trait]
impl ScenarioDirectory for NoScenario {
    async fn assignment(&self, _id: &str) -> anyhow::Result<Option<FetchedAssignment>> {
        anyhow::bail!("no scenario service in this test")
    }
}

/// The request handler over `store` and `clock`, as the consumer runs it.
pub fn handler(clock: &ManualClock, settings: FeedbackSettings) -> Requests {
    Requests { clock: Arc::new(clock.clone()), settings: Arc::new(settings), scenario: Arc::new(NoScenario) }
}

/// One new employee to set up: assignment id (the e-mail is `<id>@example.com`), manager,
/// start date, scenario version.
pub struct Newcomer<'a> {
    pub id: &'a str,
    pub manager: &'a str,
    pub start: &'a str,
    pub version: u32,
}

/// Projects the newcomers' assignments and asks each of them about `meet` (a meeting they
/// attended, with the template `Useful?`); returns each one's request id, in order.
pub async fn asked_about_meet(service: &TestService, people: &[Newcomer<'_>]) -> Vec<String> {
    let before = count(&service.store, "SELECT COUNT(*) FROM assignments WHERE known = 1").await;
    for p in people {
        let event = assigned(p.id, &format!("{}@example.com", p.id), p.manager, "Europe/Berlin", p.start, p.version);
        publish(service, OnboardingEvent::ScenarioAssigned(event), "scenario").await;
    }
    wait_assignments(&service.store, before + people.len() as i64).await;
    let attendees: Vec<pb::Attendance> = people.iter().map(|p| attendance(p.id, "meet", true, false)).collect();
    let before = count(&service.store, "SELECT COUNT(*) FROM feedback_requests").await;
    publish(service, OnboardingEvent::MeetingEnded(ended("m-setup", attendees, &["Useful?"])), "meeting-orchestrator")
        .await;
    wait_count(&service.store, "SELECT COUNT(*) FROM feedback_requests", before + people.len() as i64).await;
    let mut ids = Vec::new();
    for p in people {
        let mut conn = service.store.pool().acquire().await.expect("connection");
        let request = feedback::store::requests::find(&mut conn, p.id, &instance(p.id, "meet", 1)).await.expect("read");
        ids.push(request.expect("a request").id);
    }
    ids
}

/// The fields named by an INVALID_ARGUMENT's BadRequest detail.
pub fn violated_fields(status: &tonic::Status) -> Vec<String> {
    use tonic_types::StatusExt as _;
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    let details = status.get_details_bad_request().expect("a google.rpc.BadRequest detail");
    details.field_violations.into_iter().map(|v| v.field).collect()
}
