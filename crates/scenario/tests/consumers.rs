//! The consumers through a real bus — the embedded bus with SQLite, JetStream with PostgreSQL —
//! as the binary runs them: meeting attendance, archived recordings and feedback change the
//! state once, even when an event is delivered again or re-published with a new id.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use butterboard_proto::events::v1 as pb;
use butterboard_runtime::bus::{EventBus, OutgoingMessage};
use butterboard_runtime::events::OnboardingEvent;
use butterboard_runtime::service::ServiceName;
use butterboard_runtime::store::Store;
use butterboard_runtime::testing::{self, Mode, TestService};
use scenario::app::{AssignmentView, ScenarioApp};
use scenario::domain::instance::StageStatus;
use scenario::store::instances::InstanceRecord;
use support::*;

/// The service as the binary runs it (its consumers, relay and API), with the app over the same
/// store and clock for the test's own reads and writes.
struct Running {
    store: Store,
    bus: Arc<dyn EventBus>,
    app: ScenarioApp,
    service: TestService,
}

impl Running {
    async fn start(mode: Mode) -> Running {
        let options = scenario::Options { run_scheduler: false, ..scenario::Options::default() };
        let service = TestService::builder(ServiceName::Scenario, scenario::migrations())
            .mode(mode)
            .start(|ctx| scenario::start_with(ctx, options))
            .await;
        let app = app(&service.store, &service.clock);
        Running { store: service.store.clone(), bus: service.bus.clone(), app, service }
    }

    /// Publishes `event` as `producer` would; returns the message so a test can send it again.
    async fn publish(&self, event: OnboardingEvent, producer: &str) -> OutgoingMessage {
        let subject = event.subject();
        let message = event.into_cloud_event(producer, "aggregate").into_message(subject);
        self.bus.publish(message.clone()).await.expect("publish");
        message
    }

    /// The same CloudEvent (same `ce-id`) delivered again, as a redelivery or a dead-letter replay
    /// does; a new bus message id keeps the bus from dropping it as a duplicate.
    async fn redeliver(&self, message: &OutgoingMessage) {
        let mut again = message.clone();
        again.id = format!("{}-again", message.id);
        self.bus.publish(again).await.expect("publish again");
    }

    async fn instance(&self, view: &AssignmentView, stage: &str) -> InstanceRecord {
        let read = self.app.get_assignment(&hr(), &view.assignment.id).await.expect("read");
        read.instances.into_iter().find(|i| i.stage_id == stage).expect("instance")
    }

    async fn wait_for(&self, view: &AssignmentView, stage: &str, check: impl Fn(&InstanceRecord) -> bool) {
        let reached =
            testing::eventually(Duration::from_secs(30), || async { check(&self.instance(view, stage).await) }).await;
        assert!(reached, "{stage} of {} never reached the expected state", view.assignment.people.employee.email);
    }

    async fn stop(self) {
        self.service.stop().await.expect("every part stops cleanly");
    }
}

fn attendance(email: &str, attended: bool) -> pb::Attendance {
    let person = pb::Person { email: email.into(), ..Default::default() };
    pb::Attendance {
        person: Some(person),
        seconds_present: if attended { 2400 } else { 0 },
        attended,
        ..Default::default()
    }
}

fn ended(meeting: &str, scenario_id: &str, instances: &[&str], people: Vec<pb::Attendance>) -> OnboardingEvent {
    OnboardingEvent::MeetingEnded(pb::MeetingEnded {
        meeting_id: meeting.into(),
        scenario_id: scenario_id.into(),
        stage_id: "meet-the-team".into(),
        stage_instance_ids: instances.iter().map(|i| i.to_string()).collect(),
        ended_at: Some(prost_types::Timestamp { seconds: (T0 + DAY) / 1000, nanos: 0 }),
        attendance: people,
        ..Default::default()
    })
}

/// The stage completions published, exactly `n` of them.
async fn completed_events(r: &Running, n: usize) -> Vec<pb::StageCompleted> {
    let mut watch = r.service.watch(&["onboarding.stage.completed"]).await;
    watch
        .events(n, Duration::from_secs(20))
        .await
        .into_iter()
        .filter_map(|e| match e {
            OnboardingEvent::StageCompleted(c) => Some(c),
            _ => None,
        })
        .collect()
}

async fn meeting_ended_completes_attendees_and_marks_absentees_once(mode: Mode) {
    let r = Running::start(mode).await;
    let scenario = create_example(&r.app).await;
    let anna = assign(&r.app, &scenario.id, "anna@example.com").await;
    let boris = assign(&r.app, &scenario.id, "boris@example.com").await;
    let carl = assign(&r.app, &scenario.id, "carl@example.com").await;
    let meet =
        |v: &AssignmentView| v.instances.iter().find(|i| i.stage_id == "meet-the-team").expect("meet").id.clone();
    let (anna_meet, boris_meet) = (meet(&anna), meet(&boris));

    let event = ended(
        "m1",
        &scenario.id,
        &[&anna_meet, &boris_meet],
        vec![attendance("Anna@example.com", true), attendance("boris@example.com", false)],
    );
    let first = r.publish(event.clone(), "meeting-orchestrator").await;
    r.wait_for(&anna, "meet-the-team", |i| i.status == StageStatus::Completed).await;
    let done = r.instance(&anna, "meet-the-team").await;
    assert_eq!((done.meeting_id.as_deref(), done.completed_at), (Some("m1"), Some(T0 + DAY)));
    let missed = r.instance(&boris, "meet-the-team").await;
    assert_eq!((missed.status, missed.missed, missed.meeting_id.as_deref()), (StageStatus::Overdue, true, Some("m1")));

    r.redeliver(&first).await;
    r.publish(event, "meeting-orchestrator").await;
    // A later meeting without instance ids: the attendee's open instance of the stage is found.
    let marker = ended("m2", &scenario.id, &[], vec![attendance("carl@example.com", true)]);
    r.publish(marker, "meeting-orchestrator").await;
    r.wait_for(&carl, "meet-the-team", |i| i.status == StageStatus::Completed).await;

    let completed = completed_events(&r, 2).await;
    let ids: Vec<&str> = completed.iter().map(|c| c.stage_instance_id.as_str()).collect();
    assert_eq!(ids, [anna_meet.as_str(), meet(&carl).as_str()], "anna's stage completed once, boris's not at all");
    assert_eq!(completed[0].meeting_id, "m1");
    assert_eq!(r.instance(&boris, "meet-the-team").await.status, StageStatus::Overdue);
    r.stop().await;
}

async fn a_recording_archived_becomes_the_stage_link_once_and_an_older_one_never_replaces_it(mode: Mode) {
    let r = Running::start(mode).await;
    let scenario = create_example(&r.app).await;
    let archived = |meeting: &str, stage: &str, at: i64| {
        OnboardingEvent::RecordingArchived(pb::RecordingArchived {
            meeting_id: meeting.into(),
            scenario_id: scenario.id.clone(),
            stage_id: stage.into(),
            drive_folder_link: format!("https://drive.example.com/{meeting}"),
            archived_at: Some(prost_types::Timestamp { seconds: at / 1000, nanos: 0 }),
            ..Default::default()
        })
    };
    let newest = r.publish(archived("m2", "product-training", T0 + DAY), "recording-archiver").await;
    r.redeliver(&newest).await;
    r.publish(archived("m1", "product-training", T0), "recording-archiver").await;
    r.publish(archived("m3", "meet-the-team", T0), "recording-archiver").await;
    let material = |s: &scenario::store::scenarios::ScenarioRecord, stage: usize| {
        s.definition.stages[stage]
            .materials
            .iter()
            .find(|m| m.kind == scenario::domain::scenario::MaterialKind::PreviousRecording)
            .map(|m| m.url.clone())
    };
    let linked =
        testing::eventually(Duration::from_secs(30), || async { count(&r.store, "recording_links").await == 2 }).await;
    assert!(linked, "both stages linked");
    let read = r.app.get_scenario(&hr(), &scenario.id, None).await.expect("read");
    assert_eq!(
        material(&read, 1),
        Some("https://drive.example.com/m2".into()),
        "the older archive arriving later is ignored"
    );
    r.stop().await;
}

async fn submitted_feedback_is_recorded_once_and_the_latest_submission_wins(mode: Mode) {
    let r = Running::start(mode).await;
    let scenario = create_example(&r.app).await;
    let anna = assign(&r.app, &scenario.id, "anna@example.com").await;
    let boris = assign(&r.app, &scenario.id, "boris@example.com").await;
    let meet =
        |v: &AssignmentView| v.instances.iter().find(|i| i.stage_id == "meet-the-team").expect("meet").id.clone();
    let feedback = |request: &str, instance: &str, rating: u32, at: i64| {
        OnboardingEvent::FeedbackSubmitted(pb::FeedbackSubmitted {
            request_id: request.into(),
            assignment_id: String::new(),
            stage_instance_id: instance.into(),
            rating,
            submitted_at: Some(prost_types::Timestamp { seconds: at / 1000, nanos: 0 }),
            ..Default::default()
        })
    };
    let first = r.publish(feedback("f1", &meet(&anna), 4, T0 + DAY), "feedback").await;
    r.wait_for(&anna, "meet-the-team", |i| i.feedback.is_some()).await;
    r.redeliver(&first).await;
    r.publish(feedback("f0", &meet(&anna), 1, T0), "feedback").await;
    r.publish(feedback("f2", &meet(&boris), 5, T0 + DAY), "feedback").await;
    r.wait_for(&boris, "meet-the-team", |i| i.feedback.is_some()).await;
    let recorded = r.instance(&anna, "meet-the-team").await.feedback.expect("feedback");
    assert_eq!((recorded.request_id.as_str(), recorded.rating, recorded.submitted_at), ("f1", 4, T0 + DAY));
    r.stop().await;
}

async fn a_meeting_scheduled_then_started_moves_its_instances_forward_and_never_back(mode: Mode) {
    let r = Running::start(mode).await;
    let scenario = create_example(&r.app).await;
    let anna = assign(&r.app, &scenario.id, "anna@example.com").await;
    let meet = anna.instances.iter().find(|i| i.stage_id == "meet-the-team").expect("meet").id.clone();
    let scheduled = |meeting: &str| {
        OnboardingEvent::MeetingScheduled(pb::MeetingScheduled {
            meeting_id: meeting.into(),
            scenario_id: scenario.id.clone(),
            stage_id: "meet-the-team".into(),
            stage_instance_ids: vec![meet.clone()],
            ..Default::default()
        })
    };
    let first = r.publish(scheduled("m1"), "meeting-orchestrator").await;
    r.wait_for(&anna, "meet-the-team", |i| i.status == StageStatus::Scheduled).await;
    assert_eq!(r.instance(&anna, "meet-the-team").await.meeting_id.as_deref(), Some("m1"));
    let started = OnboardingEvent::MeetingStarted(pb::MeetingStarted {
        meeting_id: "m1".into(),
        stage_instance_ids: vec![meet.clone()],
        ..Default::default()
    });
    r.publish(started, "meeting-orchestrator").await;
    r.wait_for(&anna, "meet-the-team", |i| i.status == StageStatus::InProgress).await;
    // A late redelivery of the invitation does not take the started stage back.
    r.redeliver(&first).await;
    let ended = ended("m1", &scenario.id, &[&meet], vec![attendance("anna@example.com", true)]);
    r.publish(ended, "meeting-orchestrator").await;
    r.wait_for(&anna, "meet-the-team", |i| i.status == StageStatus::Completed).await;
    r.publish(scheduled("m2"), "meeting-orchestrator").await;
    let completed = completed_events(&r, 1).await;
    assert_eq!(completed[0].meeting_id, "m1");
    let done = r.instance(&anna, "meet-the-team").await;
    assert_eq!((done.status, done.meeting_id.as_deref()), (StageStatus::Completed, Some("m1")));
    r.stop().await;
}

butterboard_runtime::in_both_modes!(
    meeting_ended_completes_attendees_and_marks_absentees_once,
    a_recording_archived_becomes_the_stage_link_once_and_an_older_one_never_replaces_it,
    submitted_feedback_is_recorded_once_and_the_latest_submission_wins,
    a_meeting_scheduled_then_started_moves_its_instances_forward_and_never_back,
);
