//! A request that dies between Zoom's 201 and the commit (a failpoint of the `failpoints`
//! feature stands in for the kill) still makes exactly one Zoom meeting: after a restart the
//! recovery finds it by its marker and commits it, or a retry of the same key does. Its own test
//! binary, since a failpoint is process-wide.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use butterboard_runtime::events::OnboardingEvent;
use butterboard_runtime::testing::{Mode, eventually};
use meeting_orchestrator::settings::vars;
use support::*;
use tonic::Code;

const FAILPOINT: &str = "meeting-created-before-commit";

async fn status_of(store: &butterboard_runtime::store::Store) -> Vec<String> {
    sqlx::query_scalar("SELECT status FROM meetings").fetch_all(store.pool()).await.unwrap()
}

async fn a_crash_after_zoom_created_the_meeting_is_recovered_after_a_restart_into_one_meeting(mode: Mode) {
    let w = World::start(mode).await;
    let scenario_id = w.import_example().await;
    w.assign(&scenario_id, "anna@example.com", MANAGER).await;
    fail::cfg(FAILPOINT, "1*return").unwrap();
    let crashed = w
        .meetings()
        .start_meeting(w.orchestrator.hr(by_stage(&scenario_id, "meet-the-team", "k")))
        .await
        .expect_err("crashed");
    assert_eq!(crashed.code(), Code::Internal);
    assert_eq!(w.zoom_meetings().len(), 1, "zoom made the meeting");
    assert_eq!(status_of(&w.orchestrator.store).await, ["creating"], "the store does not know yet");

    let World { mode, sim, sim_clock, scenario, orchestrator } = w;
    let (dir, store) = orchestrator.stop_keeping_data().await;
    let restarted = support::orchestrator(mode, &sim, &scenario)
        .store(store)
        .data_dir(dir)
        .start(meeting_orchestrator::start)
        .await;
    let w = World { mode, sim, sim_clock, scenario, orchestrator: restarted };
    let mut watch = w.orchestrator.watch(&["onboarding.meeting.scheduled"]).await;
    // The dead request's lease runs out; recovery takes the intent over.
    w.orchestrator.clock.advance(61_000);
    let recovered =
        eventually(Duration::from_secs(20), || async { status_of(&w.orchestrator.store).await == ["scheduled"] }).await;
    assert!(recovered, "the meeting was recovered");
    assert_eq!(w.zoom_meetings().len(), 1, "still exactly one meeting in zoom");
    assert_eq!(w.creates().len(), 1, "zoom was asked to create once");
    let events = watch.events(1, Duration::from_secs(20)).await;
    let OnboardingEvent::MeetingScheduled(scheduled) = &events[0] else { panic!("{events:?}") };
    assert_eq!(scheduled.zoom_meeting_id, w.zoom_meetings()[0]["id"].as_i64().unwrap());
    let again = w
        .meetings()
        .start_meeting(w.orchestrator.hr(by_stage(&scenario_id, "meet-the-team", "k")))
        .await
        .unwrap()
        .into_inner();
    assert!(again.replayed);
    assert_eq!(again.meeting.unwrap().id, scheduled.meeting_id);
    assert_eq!(w.zoom_meetings().len(), 1);
    w.stop().await;
}

async fn a_retry_of_the_key_after_a_crash_finds_the_meeting_instead_of_making_another(mode: Mode) {
    // Recovery rounds far apart: the retry does the work.
    let w = World::start_with(mode, false, |b| b.setting(vars::SWEEP_INTERVAL_MS, "3600000")).await;
    let scenario_id = w.import_example().await;
    w.assign(&scenario_id, "anna@example.com", MANAGER).await;
    fail::cfg(FAILPOINT, "1*return").unwrap();
    w.meetings()
        .start_meeting(w.orchestrator.hr(by_stage(&scenario_id, "meet-the-team", "k")))
        .await
        .expect_err("crashed");
    w.orchestrator.clock.advance(61_000);
    let retried = w
        .meetings()
        .start_meeting(w.orchestrator.hr(by_stage(&scenario_id, "meet-the-team", "k")))
        .await
        .expect("finished")
        .into_inner();
    assert!(retried.replayed);
    let meeting = retried.meeting.unwrap();
    assert_eq!(meeting.zoom_meeting_id, w.zoom_meetings()[0]["id"].as_i64().unwrap());
    assert!(meeting.start_url.contains("/s/"), "the host gets a fresh start url");
    assert_eq!((w.zoom_meetings().len(), w.creates().len()), (1, 1));
    w.stop().await;
}

butterboard_runtime::in_both_modes!(
    a_crash_after_zoom_created_the_meeting_is_recovered_after_a_restart_into_one_meeting,
    a_retry_of_the_key_after_a_crash_finds_the_meeting_instead_of_making_another,
);
