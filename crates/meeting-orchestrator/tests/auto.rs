//! Stages marked `schedule_automatically` get their meeting when `onboarding.stage.due` comes
//! from scenario's scheduler: one per stage instance (a weekly series covers its later
//! occurrences), however often the event is delivered and with two orchestrator replicas
//! consuming, in both modes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use butterboard_runtime::events::OnboardingEvent;
use butterboard_runtime::testing::{Mode, TEST_EPOCH_MS, watch};
use support::*;

async fn a_due_stage_gets_one_meeting_per_instance_across_redeliveries_and_replicas(mode: Mode) {
    let w = World::start_with(mode, true, |b| b).await;
    let replica = orchestrator(mode, &w.sim, &w.scenario)
        .store(w.orchestrator.store.clone())
        .start(meeting_orchestrator::start)
        .await;
    let scenario_id = w.import_example().await;
    let anna = w.assign(&scenario_id, "anna@example.com", MANAGER).await;
    let boris = w.assign(&scenario_id, "boris@example.com", MANAGER).await;
    let mut due = w.scenario.watch(&["onboarding.stage.due"]).await;
    let mut scheduled = w.orchestrator.watch(&["onboarding.meeting.scheduled"]).await;

    // Thursday 2025-03-06 16:00 UTC: meet-the-team (Wednesday 11:00) and the first one-on-one
    // (Thursday 15:00 Berlin) are due, and the laptop task, which is no meeting.
    w.scenario.clock.advance(3 * 86_400_000 + 7 * 3_600_000);
    let mut seen = Vec::new();
    while let Some(message) = due.next(Duration::from_secs(5)).await {
        seen.push(message);
    }
    assert_eq!(seen.len(), 6, "three due stages for each of two employees");
    // Every due event again, and again under a new event id, as a replayed dead letter would be.
    for (n, message) in seen.iter().enumerate() {
        let again = butterboard_runtime::bus::OutgoingMessage {
            subject: message.subject.clone(),
            id: format!("again-{n}"),
            headers: message.headers.clone(),
            payload: message.payload.clone(),
        };
        w.orchestrator.bus.publish(again).await.unwrap();
        let event = watch::decode(message);
        w.orchestrator
            .bus
            .publish(event.into_cloud_event("scenario", "again").into_message("onboarding.stage.due"))
            .await
            .unwrap();
    }
    let events = scheduled.events(4, Duration::from_secs(30)).await;
    let zoom = w.zoom_meetings();
    assert_eq!(zoom.len(), 4, "meet-the-team and the one-on-one series for each");
    assert_eq!(w.creates().len(), 4);
    let mut series = 0;
    for event in &events {
        let OnboardingEvent::MeetingScheduled(m) = event else { panic!("{event:?}") };
        assert_eq!(m.host.as_ref().unwrap().email, DEFAULT_HOST);
        let employees: Vec<&str> =
            m.participants.iter().filter(|p| p.role == "employee").map(|p| p.assignment_id.as_str()).collect();
        assert_eq!(employees.len(), 1, "a meeting per instance: {employees:?}");
        assert!(employees[0] == anna.id || employees[0] == boris.id);
        if m.stage_id == "one-on-one" {
            series += 1;
            assert_eq!(m.occurrences.len(), 12);
        }
        let start = m.start_time.as_ref().unwrap().seconds * 1000;
        assert!(start > TEST_EPOCH_MS, "at the instance's due time");
    }
    assert_eq!(series, 2);

    // A week later the second one-on-one needs nothing: scenario has it scheduled by the series.
    w.scenario.clock.advance(7 * 86_400_000);
    let second = w.instance(&anna.id, "one-on-one", 2).await;
    assert_eq!(second.status, butterboard_proto::scenario::v1::StageStatus::Scheduled as i32);
    let series_ids: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            OnboardingEvent::MeetingScheduled(m) if m.stage_id == "one-on-one" => Some(m.meeting_id.clone()),
            _ => None,
        })
        .collect();
    assert!(series_ids.contains(&second.meeting_id), "{:?} {}", series_ids, second.meeting_id);
    assert!(scheduled.next(Duration::from_secs(2)).await.is_none(), "no meeting more");
    assert_eq!(w.zoom_meetings().len(), 4);
    assert_eq!(count(&w.orchestrator.store, "SELECT COUNT(*) FROM auto_schedules WHERE status = 'done'").await, 4);
    replica.stop().await.unwrap();
    w.stop().await;
}

butterboard_runtime::in_both_modes!(a_due_stage_gets_one_meeting_per_instance_across_redeliveries_and_replicas);
