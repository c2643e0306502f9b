//! A meeting's life from Zoom's webhooks, in both modes: the simulator plays a session (joins, a
//! late join, an early leave, a rejoin, a guest, chat, the end); its webhook bodies are published
//! on the bus as the ingest publishes them — in order, and again twice over and shuffled — and
//! `onboarding.meeting.ended` and GetMeeting show the same attendance and chat either way. A
//! session whose end never came is reconciled from Zoom's past meetings.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use butterboard_proto::events::v1 as epb;
use butterboard_proto::meeting::v1 as mpb;
use butterboard_runtime::events::OnboardingEvent;
use butterboard_runtime::testing::{Mode, eventually};
use meeting_orchestrator::settings::vars;
use rand::seq::SliceRandom;
use serde_json::json;
use support::*;

/// 45 minutes: Helen hosts throughout; Anna leaves at 20 and rejoins at 25; Boris comes 10
/// minutes late and leaves 11 minutes early; a guest without an e-mail drops in; Oleg, Ivan and
/// Maria never come.
fn script() -> zoom_sim::PlayScript {
    serde_json::from_value(json!({
        "duration_secs": 2700,
        "participants": [
            {"name": "Helen", "email": HR, "join_secs": 0},
            {"name": "anna", "email": "anna@example.com", "join_secs": 0, "leave_secs": 1200},
            {"name": "anna", "email": "anna@example.com", "join_secs": 1500},
            {"name": "boris", "email": "boris@example.com", "join_secs": 600, "leave_secs": 2040},
            {"name": "Visitor", "join_secs": 300, "leave_secs": 900}
        ],
        "chat": [
            {"at_secs": 100, "sender": "anna@example.com", "text": "Hello everyone"},
            {"at_secs": 400, "sender": "Visitor", "text": "Hi, I am from the design team"}
        ]
    }))
    .expect("script")
}

/// A started meeting of meet-the-team for Anna and Boris, and its played session's webhook bodies.
async fn played(w: &World) -> (mpb::Meeting, Vec<String>) {
    let scenario_id = w.import_example().await;
    w.assign(&scenario_id, "anna@example.com", MANAGER).await;
    w.assign(&scenario_id, "boris@example.com", MANAGER).await;
    let request = by_stage(&scenario_id, "meet-the-team", "m");
    let meeting = w.meetings().start_meeting(w.orchestrator.hr(request)).await.unwrap().into_inner().meeting.unwrap();
    let report = w.sim.play(meeting.zoom_meeting_id, script()).unwrap().wait().await.unwrap();
    assert!(report.completed);
    let bodies = w
        .sim
        .deliveries()
        .into_iter()
        .filter(|d| d.meeting_id == Some(meeting.zoom_meeting_id) && d.event.starts_with("meeting."))
        .map(|d| d.body)
        .collect();
    (meeting, bodies)
}

/// Waits until the orchestrator handled `n` distinct Zoom events.
async fn handled(w: &World, n: i64) {
    let done = eventually(Duration::from_secs(30), || async {
        count(&w.orchestrator.store, "SELECT COUNT(*) FROM inbox WHERE consumer = 'meeting-orchestrator-zoom'").await
            >= n
    })
    .await;
    assert!(done, "the orchestrator handled {n} zoom events");
}

fn by_email<'a>(list: &'a [epb::Attendance], who: &str) -> &'a epb::Attendance {
    list.iter()
        .find(|a| a.person.as_ref().is_some_and(|p| p.email == who || (p.email.is_empty() && p.display_name == who)))
        .expect(who)
}

fn check_ended(ended: &epb::MeetingEnded, meeting: &mpb::Meeting) {
    assert_eq!(ended.meeting_id, meeting.id);
    assert_eq!(ended.stage_instance_ids.len(), 2);
    assert!(!ended.reconciled);
    let a = &ended.attendance;
    let anna = by_email(a, "anna@example.com");
    assert_eq!(
        (anna.attended, anna.seconds_present, anna.sessions, anna.joined_late, anna.left_early),
        (true, 2400, 2, false, false)
    );
    assert_eq!(anna.role, "employee");
    assert!(!anna.stage_instance_id.is_empty());
    let boris = by_email(a, "boris@example.com");
    assert_eq!((boris.attended, boris.seconds_present, boris.joined_late, boris.left_early), (true, 1440, true, true));
    assert_eq!(by_email(a, HR).seconds_present, 2700);
    for absent in [MANAGER, "ivan@example.com", "maria@example.com"] {
        let who = by_email(a, absent);
        assert!(!who.attended && who.seconds_present == 0, "{absent} did not come");
    }
    let guest = by_email(a, "Visitor");
    assert_eq!((guest.role.as_str(), guest.seconds_present), ("guest", 600));
    assert_eq!(a.len(), 7, "five invitees, the host and one guest: {a:?}");
}

async fn check_get_meeting(w: &World, meeting: &mpb::Meeting) {
    let got = w
        .meetings()
        .get_meeting(w.orchestrator.hr(mpb::GetMeetingRequest { id: meeting.id.clone() }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.status, mpb::MeetingStatus::Ended as i32);
    let invitee = |email: &str| {
        got.invitees.iter().find(|i| i.person.as_ref().unwrap().email == email).unwrap().attendance.unwrap()
    };
    assert_eq!((invitee("anna@example.com").minutes_present, invitee("anna@example.com").sessions), (40, 2));
    assert!(invitee(MANAGER).absent && !invitee(MANAGER).joined);
    assert_eq!(got.guests.len(), 1);
    assert_eq!(got.guests[0].person.as_ref().unwrap().display_name, "Visitor");
    let chat: Vec<(&str, &str)> = got.chat_messages.iter().map(|c| (c.sender_name.as_str(), c.text.as_str())).collect();
    assert_eq!(chat, [("anna", "Hello everyone"), ("Visitor", "Hi, I am from the design team")]);
    assert_eq!(got.sessions.len(), 1);
}

async fn ended_event(w: &World, watch: &mut butterboard_runtime::testing::Watch) -> Vec<OnboardingEvent> {
    // The end is published a settle window after Zoom's meeting.ended was seen.
    w.orchestrator.clock.advance(31_000);
    watch.events(2, Duration::from_secs(30)).await
}

async fn a_played_meeting_yields_attendance_and_chat_in_its_end_and_in_get_meeting(mode: Mode) {
    let w = World::start(mode).await;
    let (meeting, bodies) = played(&w).await;
    let mut watch = w.orchestrator.watch(&["onboarding.meeting.started", "onboarding.meeting.ended"]).await;
    for (i, body) in bodies.iter().enumerate() {
        w.publish_zoom(&format!("z{i}"), body).await;
    }
    handled(&w, bodies.len() as i64).await;
    let events = ended_event(&w, &mut watch).await;
    let OnboardingEvent::MeetingStarted(started) = &events[0] else { panic!("{events:?}") };
    assert_eq!((started.meeting_id.as_str(), started.stage_instance_ids.len()), (meeting.id.as_str(), 2));
    let OnboardingEvent::MeetingEnded(ended) = &events[1] else { panic!("{events:?}") };
    check_ended(ended, &meeting);
    check_get_meeting(&w, &meeting).await;
    w.stop().await;
}

async fn the_same_webhooks_twice_and_shuffled_give_the_same_result(mode: Mode) {
    let w = World::start(mode).await;
    let (meeting, bodies) = played(&w).await;
    let mut watch = w.orchestrator.watch(&["onboarding.meeting.started", "onboarding.meeting.ended"]).await;
    // Each body twice: once redelivered under its own event id, once as Zoom's retry that the
    // ingest stored as a new delivery.
    let mut sends: Vec<(String, &String)> = Vec::new();
    for (i, body) in bodies.iter().enumerate() {
        sends.push((format!("z{i}"), body));
        sends.push((format!("z{i}"), body));
        sends.push((format!("retry{i}"), body));
    }
    sends.shuffle(&mut rand::rng());
    for (n, (id, body)) in sends.iter().enumerate() {
        let mut message = zoom_message(id, body);
        message.id = format!("{id}-{n}");
        w.orchestrator.bus.publish(message).await.unwrap();
    }
    handled(&w, 2 * bodies.len() as i64).await;
    let events = ended_event(&w, &mut watch).await;
    let OnboardingEvent::MeetingEnded(ended) = &events[1] else { panic!("{events:?}") };
    check_ended(ended, &meeting);
    check_get_meeting(&w, &meeting).await;
    w.stop().await;
}

async fn events_of_meetings_butterboard_did_not_create_are_ignored(mode: Mode) {
    let w = World::start(mode).await;
    let mut watch = w.orchestrator.watch(&["onboarding.meeting.>"]).await;
    let body = json!({"event": "meeting.started", "event_ts": 1, "payload": {"account_id": "a", "object": {"id": "99999999999", "uuid": "x==", "start_time": "2025-03-03T09:00:00Z"}}});
    w.publish_zoom("foreign", &body.to_string()).await;
    handled(&w, 1).await;
    assert_eq!(count(&w.orchestrator.store, "SELECT COUNT(*) FROM sessions").await, 0);
    assert!(watch.next(Duration::from_secs(1)).await.is_none(), "nothing published");
    w.stop().await;
}

async fn a_session_whose_end_never_came_is_reconciled_from_zoom(mode: Mode) {
    let w = World::start_with(mode, false, |b| b.setting(vars::RECONCILE_AFTER_SECS, "600")).await;
    let (meeting, bodies) = played(&w).await;
    let mut watch = w.orchestrator.watch(&["onboarding.meeting.ended"]).await;
    // Only the start and the joins arrive.
    let kept: Vec<&String> =
        bodies.iter().filter(|b| b.contains("meeting.started") || b.contains("participant_joined")).collect();
    for (i, body) in kept.iter().enumerate() {
        w.publish_zoom(&format!("z{i}"), body).await;
    }
    handled(&w, kept.len() as i64).await;
    w.orchestrator.clock.advance(601_000);
    let events = watch.events(1, Duration::from_secs(30)).await;
    let OnboardingEvent::MeetingEnded(ended) = &events[0] else { panic!("{events:?}") };
    assert!(ended.reconciled);
    assert_eq!(ended.meeting_id, meeting.id);
    let a = &ended.attendance;
    assert_eq!(by_email(a, "anna@example.com").seconds_present, 2400, "from the past meeting's participants");
    assert_eq!(by_email(a, "boris@example.com").seconds_present, 1440);
    assert!(!by_email(a, MANAGER).attended);
    w.stop().await;
}

butterboard_runtime::in_both_modes!(
    a_played_meeting_yields_attendance_and_chat_in_its_end_and_in_get_meeting,
    the_same_webhooks_twice_and_shuffled_give_the_same_result,
    events_of_meetings_butterboard_did_not_create_are_ignored,
    a_session_whose_end_never_came_is_reconciled_from_zoom,
);
