//! The API's rules over gRPC, in both modes: who may start and see which meetings, bad input
//! answered with the field named and nothing created in Zoom, and rescheduling, invitees and
//! cancelling with their events and Zoom following.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use butterboard_proto::meeting::v1 as mpb;
use butterboard_runtime::events::OnboardingEvent;
use butterboard_runtime::testing::{Mode, TEST_EPOCH_MS};
use serde_json::json;
use support::*;
use tonic::Code;

const OTHER_MANAGER: &str = "ivan.manager@example.com";

async fn a_manager_starts_meetings_only_for_the_assignments_they_manage(mode: Mode) {
    let w = World::start(mode).await;
    let scenario_id = w.import_example().await;
    let anna = w.assign(&scenario_id, "anna@example.com", MANAGER).await;
    w.assign(&scenario_id, "carl@example.com", OTHER_MANAGER).await;
    let all = by_stage(&scenario_id, "meet-the-team", "all");
    let denied = w.meetings().start_meeting(w.orchestrator.manager(all)).await.expect_err("carl is not oleg's");
    assert_eq!(denied.code(), Code::PermissionDenied, "{denied:?}");
    assert!(w.sim.received_requests().is_empty(), "nothing asked of zoom");
    let own = mpb::StartMeetingRequest {
        assignment_ids: vec![anna.id.clone()],
        ..by_stage(&scenario_id, "meet-the-team", "own")
    };
    let meeting = w
        .meetings()
        .start_meeting(w.orchestrator.manager(own))
        .await
        .expect("anna is oleg's")
        .into_inner()
        .meeting
        .unwrap();
    assert_eq!(meeting.host.unwrap().email, MANAGER, "oleg is a zoom user and hosts");
    assert!(meeting.start_url.contains("/s/"));
    let emails: Vec<String> = meeting.invitees.iter().map(|i| i.person.as_ref().unwrap().email.clone()).collect();
    assert!(emails.contains(&"anna@example.com".to_string()) && !emails.contains(&"carl@example.com".to_string()));
    assert!(!emails.contains(&OTHER_MANAGER.to_string()), "carl's manager is not invited: {emails:?}");
    w.stop().await;
}

async fn an_employee_never_starts_and_sees_only_their_own_meetings_without_the_start_url(mode: Mode) {
    let w = World::start(mode).await;
    let scenario_id = w.import_example().await;
    let anna = w.assign(&scenario_id, "anna@example.com", MANAGER).await;
    let carl = w.assign(&scenario_id, "carl@example.com", OTHER_MANAGER).await;
    let denied = w
        .meetings()
        .start_meeting(w.orchestrator.employee("anna@example.com", by_stage(&scenario_id, "meet-the-team", "x")))
        .await;
    assert_eq!(denied.expect_err("employees never start").code(), Code::PermissionDenied);
    let for_ = |a: &str, key: &str| mpb::StartMeetingRequest {
        assignment_ids: vec![a.to_string()],
        ..by_stage(&scenario_id, "meet-the-team", key)
    };
    let hers =
        w.meetings().start_meeting(w.orchestrator.hr(for_(&anna.id, "a"))).await.unwrap().into_inner().meeting.unwrap();
    let his =
        w.meetings().start_meeting(w.orchestrator.hr(for_(&carl.id, "c"))).await.unwrap().into_inner().meeting.unwrap();
    let list = w
        .meetings()
        .list_meetings(w.orchestrator.employee("anna@example.com", mpb::ListMeetingsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.meetings.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), [hers.id.as_str()]);
    assert!(list.meetings[0].start_url.is_empty());
    let own = w
        .meetings()
        .get_meeting(w.orchestrator.employee("anna@example.com", mpb::GetMeetingRequest { id: hers.id.clone() }))
        .await
        .unwrap()
        .into_inner();
    assert!(own.start_url.is_empty() && own.join_url.contains("/j/"));
    let other = w
        .meetings()
        .get_meeting(w.orchestrator.employee("anna@example.com", mpb::GetMeetingRequest { id: his.id.clone() }))
        .await;
    assert_eq!(other.expect_err("not hers").code(), Code::NotFound);
    let all =
        w.meetings().list_meetings(w.orchestrator.hr(mpb::ListMeetingsRequest::default())).await.unwrap().into_inner();
    assert_eq!(all.meetings.len(), 2);
    let by_assignment = mpb::ListMeetingsRequest { assignment_id: carl.id.clone(), ..Default::default() };
    let list = w.meetings().list_meetings(w.orchestrator.hr(by_assignment)).await.unwrap().into_inner();
    assert_eq!(list.meetings.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), [his.id.as_str()]);
    w.stop().await;
}

async fn bad_input_is_a_clear_error_naming_the_field_and_creates_nothing_in_zoom(mode: Mode) {
    let w = World::start(mode).await;
    let scenario_id = w.import_example().await;
    let empty_scenario = w.import_example().await;
    w.assign(&scenario_id, "anna@example.com", MANAGER).await;
    let start = |request: mpb::StartMeetingRequest| {
        let mut client = w.meetings();
        let request = w.orchestrator.hr(request);
        async move { client.start_meeting(request).await.expect_err("refused") }
    };
    let unknown = start(by_stage("no-such-scenario", "meet-the-team", "")).await;
    assert_eq!(unknown.code(), Code::NotFound, "{unknown:?}");
    assert!(unknown.message().starts_with("stage:"), "{}", unknown.message());
    let unknown_stage = start(by_stage(&scenario_id, "no-such-stage", "")).await;
    assert_eq!(unknown_stage.code(), Code::NotFound, "{unknown_stage:?}");
    let task = start(by_stage(&scenario_id, "set-up-laptop", "")).await;
    assert_eq!(task.code(), Code::FailedPrecondition, "{task:?}");
    assert!(task.message().contains("stage") && task.message().contains("task"), "{}", task.message());
    let nobody = start(by_stage(&empty_scenario, "meet-the-team", "")).await;
    assert_eq!(nobody.code(), Code::FailedPrecondition, "{nobody:?}");
    assert!(nobody.message().contains("no new employee"), "{}", nobody.message());
    let past = mpb::StartMeetingRequest {
        start_time: Some(at(TEST_EPOCH_MS - 3_600_000)),
        ..by_stage(&scenario_id, "meet-the-team", "")
    };
    assert_eq!(violated_fields(&start(past).await), ["start_time"]);
    for minutes in [0, 1000] {
        let request =
            mpb::StartMeetingRequest { duration_minutes: Some(minutes), ..by_stage(&scenario_id, "meet-the-team", "") };
        assert_eq!(violated_fields(&start(request).await), ["duration_minutes"], "{minutes} minutes");
    }
    let no_target = mpb::StartMeetingRequest { target: None, ..by_stage(&scenario_id, "meet-the-team", "") };
    assert_eq!(violated_fields(&start(no_target).await), ["target"]);
    let blank = by_stage("", " ", "");
    assert_eq!(violated_fields(&start(blank).await), ["stage.scenario_id", "stage.stage_id"]);
    let stranger =
        mpb::StartMeetingRequest { assignment_ids: vec!["nope".into()], ..by_stage(&scenario_id, "meet-the-team", "") };
    assert_eq!(violated_fields(&start(stranger).await), ["assignment_ids[0]"]);
    assert!(w.sim.received_requests().is_empty(), "nothing created or changed in zoom");
    assert!(w.zoom_meetings().is_empty());
    w.stop().await;
}

async fn a_meeting_is_moved_its_invitees_changed_and_cancelled_with_zoom_following(mode: Mode) {
    let w = World::start(mode).await;
    let scenario_id = w.import_example().await;
    w.assign(&scenario_id, "anna@example.com", MANAGER).await;
    let meeting = w
        .meetings()
        .start_meeting(w.orchestrator.hr(by_stage(&scenario_id, "meet-the-team", "m")))
        .await
        .unwrap()
        .into_inner()
        .meeting
        .unwrap();
    let mut watch = w
        .orchestrator
        .watch(&[
            "onboarding.meeting.rescheduled",
            "onboarding.meeting.invitees_changed",
            "onboarding.meeting.cancelled",
        ])
        .await;
    let later = TEST_EPOCH_MS + 48 * 60 * MINUTE;
    let moved = mpb::RescheduleMeetingRequest {
        id: meeting.id.clone(),
        start_time: Some(at(later)),
        duration_minutes: Some(50),
        ..Default::default()
    };
    let moved = w.meetings().reschedule_meeting(w.orchestrator.hr(moved)).await.unwrap().into_inner();
    assert_eq!((moved.start_time.unwrap().seconds * 1000, moved.duration_minutes), (later, 50));
    let patches: Vec<_> = w.sim.received_requests().into_iter().filter(|r| r.method == "PATCH").collect();
    assert_eq!(patches[0].body, json!({"start_time": "2025-03-05T09:00:00Z", "duration": 50}));
    let change = mpb::UpdateInviteesRequest {
        id: meeting.id.clone(),
        add: vec![mpb::Person {
            email: "Sofia@example.com".into(),
            display_name: "Sofia".into(),
            time_zone: String::new(),
        }],
        remove: vec!["maria@example.com".into()],
    };
    let changed = w.meetings().update_invitees(w.orchestrator.hr(change)).await.unwrap().into_inner();
    let emails: Vec<String> = changed.invitees.iter().map(|i| i.person.as_ref().unwrap().email.clone()).collect();
    assert!(
        emails.contains(&"sofia@example.com".into()) && !emails.contains(&"maria@example.com".into()),
        "{emails:?}"
    );
    let patches: Vec<_> = w.sim.received_requests().into_iter().filter(|r| r.method == "PATCH").collect();
    let invited: Vec<&str> = patches[1].body["settings"]["meeting_invitees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["email"].as_str().unwrap())
        .collect();
    assert!(invited.contains(&"sofia@example.com") && !invited.contains(&"maria@example.com"), "{invited:?}");
    let denied =
        w.meetings()
            .cancel_meeting(w.orchestrator.employee(
                "anna@example.com",
                mpb::CancelMeetingRequest { id: meeting.id.clone(), ..Default::default() },
            ))
            .await;
    assert_eq!(denied.expect_err("not hers to cancel").code(), Code::PermissionDenied);
    let cancel =
        mpb::CancelMeetingRequest { id: meeting.id.clone(), reason: "the team is away".into(), ..Default::default() };
    let cancelled = w.meetings().cancel_meeting(w.orchestrator.hr(cancel)).await.unwrap().into_inner();
    assert_eq!(cancelled.status, mpb::MeetingStatus::Cancelled as i32);
    assert!(w.zoom_meetings().is_empty(), "deleted in zoom");
    let events = watch.events(3, Duration::from_secs(20)).await;
    assert!(matches!(&events[0], OnboardingEvent::MeetingRescheduled(r) if r.duration_minutes == 50));
    assert!(
        matches!(&events[1], OnboardingEvent::MeetingInviteesChanged(c) if c.added.len() == 1 && c.removed.len() == 1)
    );
    assert!(matches!(&events[2], OnboardingEvent::MeetingCancelled(c) if c.reason == "the team is away"));
    w.stop().await;
}

butterboard_runtime::in_both_modes!(
    a_manager_starts_meetings_only_for_the_assignments_they_manage,
    an_employee_never_starts_and_sees_only_their_own_meetings_without_the_start_url,
    bad_input_is_a_clear_error_naming_the_field_and_creates_nothing_in_zoom,
    a_meeting_is_moved_its_invitees_changed_and_cancelled_with_zoom_following,
);
