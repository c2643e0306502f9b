//! StartMeeting against the Zoom simulator, over gRPC and the bus, in both modes: what Zoom is
//! sent field by field, the invitation published, idempotency, a weekly series, Zoom's failures.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use butterboard_proto::meeting::v1 as mpb;
use butterboard_runtime::events::OnboardingEvent;
use butterboard_runtime::testing::{Mode, TEST_EPOCH_MS, eventually};
use serde_json::json;
use support::*;
use tonic::Code;
use zoom_sim::Fault;

async fn hr_starts_a_stage_meeting_and_zoom_gets_everything_the_stage_promises(mode: Mode) {
    let w = World::start(mode).await;
    let scenario_id = w.import_example().await;
    let anna = w.assign(&scenario_id, "anna@example.com", MANAGER).await;
    let boris = w.assign(&scenario_id, "boris@example.com", MANAGER).await;
    let mut watch = w.orchestrator.watch(&["onboarding.meeting.>"]).await;

    let request = by_stage(&scenario_id, "meet-the-team", "k1");
    let response = w.meetings().start_meeting(w.orchestrator.hr(request)).await.expect("started").into_inner();
    let meeting = response.meeting.expect("meeting");
    assert_eq!(meeting.status, mpb::MeetingStatus::Scheduled as i32);
    assert!(meeting.join_url.contains("/j/"), "{}", meeting.join_url);
    assert!(meeting.start_url.contains("/s/"), "helen hosts and gets the start url");
    assert_eq!(meeting.host.as_ref().map(|h| h.email.as_str()), Some(HR));

    let creates = w.creates();
    assert_eq!(creates.len(), 1);
    let body = &creates[0].body;
    assert_eq!(creates[0].path, "/v2/users/helen%40example.com/meetings");
    assert_eq!(body["type"], json!(2));
    let topic = body["topic"].as_str().unwrap();
    assert!(topic == "Meet the team: anna, boris" || topic == "Meet the team: boris, anna", "{topic}");
    assert_eq!(body["duration"], json!(45));
    assert_eq!(body["start_time"], json!("2025-03-04T09:00:00Z"));
    assert_eq!(body["timezone"], json!("Europe/Berlin"));
    let settings = &body["settings"];
    assert_eq!(settings["auto_recording"], json!("cloud"));
    assert_eq!(settings["join_before_host"], json!(false));
    assert_eq!(settings["waiting_room"], json!(false));
    assert_eq!(settings["continuous_meeting_chat"], json!({"enable": true}));
    assert_eq!(settings["alternative_hosts"], json!(MANAGER), "oleg manages both and is a zoom user");
    let mut invitees: Vec<&str> =
        settings["meeting_invitees"].as_array().unwrap().iter().map(|i| i["email"].as_str().unwrap()).collect();
    invitees.sort();
    assert_eq!(invitees, ["anna@example.com", "boris@example.com", "ivan@example.com", "maria@example.com", MANAGER]);
    let agenda = body["agenda"].as_str().unwrap();
    assert!(agenda.starts_with(&format!("[butterboard {}]\n1. Introductions", meeting.id)), "{agenda}");
    assert!(agenda.contains("Goals:\n- The new engineer knows every team member and what they own"), "{agenda}");
    assert!(agenda.contains("Materials:\n- Team handbook: https://wiki.example.com/engineering/handbook"), "{agenda}");

    let events = watch.events(1, Duration::from_secs(20)).await;
    let OnboardingEvent::MeetingScheduled(scheduled) = &events[0] else { panic!("{events:?}") };
    assert_eq!(scheduled.meeting_id, meeting.id);
    assert_eq!(scheduled.join_url, meeting.join_url);
    assert_eq!(scheduled.zoom_meeting_id, meeting.zoom_meeting_id);
    let mut instances = scheduled.stage_instance_ids.clone();
    instances.sort();
    let mut expected: Vec<String> = [&anna, &boris]
        .iter()
        .map(|a| a.stage_instances.iter().find(|i| i.stage_id == "meet-the-team").unwrap().id.clone())
        .collect();
    expected.sort();
    assert_eq!(instances, expected);
    assert_eq!(scheduled.hr_emails, [HR]);
    assert_eq!(scheduled.goals.len(), 3);
    assert!(scheduled.participants.iter().any(|p| p.role == "employee" && p.assignment_id == anna.id));
    let encoded = format!("{scheduled:?}");
    assert!(!encoded.contains("/s/") && !encoded.contains("zak="), "no start url in the invitation");

    // scenario learns the meeting from the invitation.
    let moved = eventually(Duration::from_secs(20), || async {
        w.instance(&anna.id, "meet-the-team", 1).await.status
            == butterboard_proto::scenario::v1::StageStatus::Scheduled as i32
    })
    .await;
    assert!(moved, "anna's instance is scheduled");
    assert_eq!(w.instance(&anna.id, "meet-the-team", 1).await.meeting_id, meeting.id);
    w.stop().await;
}

async fn the_same_idempotency_key_twice_returns_one_meeting(mode: Mode) {
    let w = World::start(mode).await;
    let scenario_id = w.import_example().await;
    w.assign(&scenario_id, "anna@example.com", MANAGER).await;
    let first = w
        .meetings()
        .start_meeting(w.orchestrator.hr(by_stage(&scenario_id, "meet-the-team", "same")))
        .await
        .unwrap()
        .into_inner();
    let again = w
        .meetings()
        .start_meeting(w.orchestrator.hr(by_stage(&scenario_id, "meet-the-team", "same")))
        .await
        .unwrap()
        .into_inner();
    assert!(!first.replayed && again.replayed);
    assert_eq!(first.meeting.as_ref().unwrap().id, again.meeting.as_ref().unwrap().id);
    assert_eq!(w.creates().len(), 1);
    assert_eq!(w.zoom_meetings().len(), 1);
    let other = w
        .meetings()
        .start_meeting(w.orchestrator.hr(by_stage(&scenario_id, "meet-the-team", "other")))
        .await
        .unwrap()
        .into_inner();
    assert_ne!(other.meeting.unwrap().id, first.meeting.unwrap().id);
    assert_eq!(w.zoom_meetings().len(), 2);
    w.stop().await;
}

async fn a_weekly_stage_becomes_one_recurring_meeting_tied_to_its_instances(mode: Mode) {
    let w = World::start(mode).await;
    let scenario_id = w.import_example().await;
    let anna = w.assign(&scenario_id, "anna@example.com", MANAGER).await;
    let first = w.instance(&anna.id, "one-on-one", 1).await;
    let request = mpb::StartMeetingRequest {
        start_time: Some(at(first.due_at.unwrap().seconds * 1000)),
        ..by_instance(&first.id, "weekly")
    };
    let meeting = w
        .meetings()
        .start_meeting(w.orchestrator.manager(request))
        .await
        .expect("oleg starts it")
        .into_inner()
        .meeting
        .unwrap();
    let body = &w.creates()[0].body;
    assert_eq!(body["type"], json!(8));
    assert_eq!(body["recurrence"], json!({"type": 2, "repeat_interval": 1, "weekly_days": "5", "end_times": 12}));
    assert_eq!(body["duration"], json!(30));
    let invitees: Vec<&str> =
        body["settings"]["meeting_invitees"].as_array().unwrap().iter().map(|i| i["email"].as_str().unwrap()).collect();
    assert_eq!(invitees, ["anna@example.com"], "a one-on-one: oleg hosts, anna is invited");
    assert!(meeting.recurring);
    assert_eq!(meeting.occurrences.len(), 12);
    for (n, occurrence) in meeting.occurrences.iter().enumerate() {
        let instance = w.instance(&anna.id, "one-on-one", n as u32 + 1).await;
        assert_eq!(occurrence.stage_instance_ids, std::slice::from_ref(&instance.id), "occurrence {n}");
    }
    w.stop().await;
}

async fn zoom_failing_then_answering_makes_one_meeting(mode: Mode) {
    let w = World::start(mode).await;
    let scenario_id = w.import_example().await;
    w.assign(&scenario_id, "anna@example.com", MANAGER).await;
    // Zoom makes the meeting but the answer is a 503; then it refuses one create outright.
    let lost = Fault { after_processing: true, ..Fault::status("POST", "/v2/users/*/meetings", 503, 1) };
    w.sim.inject_fault(lost).unwrap();
    let first = w
        .meetings()
        .start_meeting(w.orchestrator.hr(by_stage(&scenario_id, "meet-the-team", "a")))
        .await
        .expect("made")
        .into_inner();
    assert_eq!(w.zoom_meetings().len(), 1, "the meeting zoom made is found by its marker, not made again");
    assert_eq!(first.meeting.unwrap().zoom_meeting_id, w.zoom_meetings()[0]["id"].as_i64().unwrap());
    w.sim.inject_fault(Fault::status("POST", "/v2/users/*/meetings", 500, 2)).unwrap();
    w.meetings()
        .start_meeting(w.orchestrator.hr(by_stage(&scenario_id, "meet-the-team", "b")))
        .await
        .expect("made after the 5xx");
    assert_eq!(w.zoom_meetings().len(), 2);
    // Zoom down for longer than the deadline: UNAVAILABLE, and nothing left behind.
    w.sim.inject_fault(Fault { times: None, ..Fault::status("POST", "/v2/users/*/meetings", 503, 1) }).unwrap();
    let down = w
        .meetings()
        .start_meeting(w.orchestrator.hr(by_stage(&scenario_id, "meet-the-team", "c")))
        .await
        .expect_err("down");
    assert_eq!(down.code(), Code::Unavailable, "{down:?}");
    w.sim.clear_faults();
    assert_eq!(w.zoom_meetings().len(), 2);
    w.stop().await;
}

async fn the_daily_limit_is_resource_exhausted_with_its_reset_time(mode: Mode) {
    let w = World::start(mode).await;
    let scenario_id = w.import_example().await;
    w.assign(&scenario_id, "anna@example.com", MANAGER).await;
    w.sim.inject_fault(Fault::status("POST", "/v2/users/*/meetings", 429, 1)).unwrap();
    // An injected 429 is a per-second limit: waited out within the deadline.
    w.meetings()
        .start_meeting(w.orchestrator.hr(by_stage(&scenario_id, "meet-the-team", "a")))
        .await
        .expect("after the 429");
    // A simulator allowing one meeting a day per host refuses Helen's second.
    let (sim, _clock) = {
        let clock = zoom_sim::ManualClock::at(TEST_EPOCH_MS);
        let config = zoom_sim::ZoomSimConfig {
            clock: std::sync::Arc::new(clock.clone()),
            token_ttl: Duration::from_secs(86_400),
            users: vec![HR.into(), DEFAULT_HOST.into()],
            auto_provision_users: false,
            rate_limits: zoom_sim::RateLimits { daily_meeting_writes_per_user: 1, ..zoom_sim::RateLimits::default() },
            ..zoom_sim::ZoomSimConfig::default()
        };
        (zoom_sim::start(config, None).await.unwrap(), clock)
    };
    let limited = orchestrator(mode, &sim, &w.scenario).start(meeting_orchestrator::start).await;
    let client =
        || butterboard_proto::meeting::v1::meeting_service_client::MeetingServiceClient::new(limited.channel.clone());
    client()
        .start_meeting(limited.hr(by_stage(&scenario_id, "meet-the-team", "b")))
        .await
        .expect("the first of the day");
    let status =
        client().start_meeting(limited.hr(by_stage(&scenario_id, "meet-the-team", "c"))).await.expect_err("limited");
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert!(status.message().contains("2025-03-04T00:00:00Z"), "{}", status.message());
    use tonic_types::StatusExt;
    let retry = status.get_details_retry_info().and_then(|r| r.retry_delay).expect("retry info");
    assert_eq!(retry, Duration::from_secs(15 * 3600), "from 09:00 to midnight UTC");
    assert_eq!(sim.meetings().len(), 1);
    limited.stop().await.unwrap();
    sim.stop().await.unwrap();
    w.stop().await;
}

async fn a_host_whose_settings_do_not_record_gets_warnings_and_the_meeting(mode: Mode) {
    let w = World::start(mode).await;
    let scenario_id = w.import_example().await;
    w.assign(&scenario_id, "anna@example.com", MANAGER).await;
    w.sim.set_user_settings(HR, json!({"recording": {"cloud_recording": false, "save_chat_text": false}})).unwrap();
    let response = w
        .meetings()
        .start_meeting(w.orchestrator.hr(by_stage(&scenario_id, "meet-the-team", "a")))
        .await
        .unwrap()
        .into_inner();
    let messages: Vec<&str> = response.warnings.iter().map(|w| w.message.as_str()).collect();
    assert!(messages.iter().any(|m| m.contains("cloud recording")), "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("saving the chat")), "{messages:?}");
    assert!(response.meeting.is_some());
    assert_eq!(w.zoom_meetings().len(), 1);
    w.stop().await;
}

butterboard_runtime::in_both_modes!(
    hr_starts_a_stage_meeting_and_zoom_gets_everything_the_stage_promises,
    the_same_idempotency_key_twice_returns_one_meeting,
    a_weekly_stage_becomes_one_recurring_meeting_tied_to_its_instances,
    zoom_failing_then_answering_makes_one_meeting,
    the_daily_limit_is_resource_exhausted_with_its_reset_time,
    a_host_whose_settings_do_not_record_gets_warnings_and_the_meeting,
);
