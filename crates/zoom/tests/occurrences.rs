//! One occurrence of a recurring meeting: read it, move it, and the occurrences that are over.

mod support;

use support::{HOST, NOV_1_2026_MS, client, sim_at};
use zoom::rest::{CreateMeeting, MeetingType, Recurrence, UpdateOccurrence};
use zoom_sim::ZoomSimConfig;

/// Mondays and Wednesdays at 09:00 Moscow (06:00Z) from Monday 2026-12-07, four times.
fn series() -> CreateMeeting {
    let mut series = support::scheduled("Weekly one-on-one", "2026-12-07T06:00:00Z", "");
    series.kind = MeetingType::RecurringFixedTime;
    series.timezone = Some("Europe/Moscow".into());
    series.recurrence = Some(Recurrence::weekly(1, &[2, 4], 4));
    series
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_occurrence_is_moved_and_read_back_keeping_its_id() {
    let (sim, _clock) = sim_at(NOV_1_2026_MS, ZoomSimConfig::default()).await;
    let client = client(&sim);
    let created = client.create_meeting(HOST, &series()).await.expect("create");
    let ids: Vec<String> = created.occurrences.iter().map(|o| o.occurrence_id.clone()).collect();
    assert_eq!(ids.len(), 4);
    let second = client.get_meeting_occurrence(created.id, &ids[1]).await.expect("occurrence");
    assert_eq!(second.start_time.as_deref(), Some("2026-12-09T06:00:00Z"));

    let update = UpdateOccurrence { start_time: Some("2026-12-09T10:00:00".into()), duration: Some(45), agenda: None };
    client.update_occurrence(created.id, &ids[1], &update).await.expect("moved");
    let moved = client.get_meeting_occurrence(created.id, &ids[1]).await.expect("occurrence");
    assert_eq!((moved.start_time.as_deref(), moved.duration), (Some("2026-12-09T07:00:00Z"), Some(45)));
    let meeting = client.get_meeting(created.id).await.expect("meeting");
    let listed = meeting.occurrences.iter().find(|o| o.occurrence_id == ids[1]).expect("same id");
    assert_eq!((listed.start_time.as_str(), listed.duration), ("2026-12-09T07:00:00Z", Some(45)));
    assert_eq!(meeting.occurrences[0].start_time, "2026-12-07T06:00:00Z", "the others stay");

    let invalid = client.update_occurrence(created.id, "123", &update).await.expect_err("not an occurrence");
    assert_eq!((invalid.status(), invalid.code()), (Some(400), Some(3000)));
    let invalid = client.get_meeting_occurrence(created.id, "123").await.expect_err("not an occurrence");
    assert_eq!(invalid.code(), Some(3000));
    let received = sim.received_requests();
    let patch = received.iter().find(|r| r.occurrence_id.as_deref() == Some(ids[1].as_str())).expect("recorded");
    assert_eq!(patch.body, serde_json::json!({"start_time": "2026-12-09T10:00:00", "duration": 45}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn occurrences_that_are_over_need_show_previous_occurrences() {
    let (sim, clock) = sim_at(NOV_1_2026_MS, ZoomSimConfig::default()).await;
    let client = client(&sim);
    let created = client.create_meeting(HOST, &series()).await.expect("create");
    clock.set(1_796_630_400_000); // 2026-12-07T08:00:00Z, after the first occurrence
    assert_eq!(client.get_meeting(created.id).await.expect("meeting").occurrences.len(), 3);
    let all = client.get_meeting_with_previous_occurrences(created.id).await.expect("meeting");
    assert_eq!(all.occurrences.len(), 4);
    assert_eq!(all.occurrences[0].occurrence_id, created.occurrences[0].occurrence_id);
}
