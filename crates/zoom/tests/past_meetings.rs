//! Past meetings and their participants, for a meeting whose end never arrived: uuids with slashes,
//! paging, guests without e-mail, rejoins, and Zoom's 3001 while the meeting is still going.

mod support;

use serde_json::json;
use support::{HOST, client, sim};
use zoom::rest::encoding::needs_double_encoding;
use zoom_sim::{PlayScript, ZoomSimConfig};

fn script(duration_secs: u64, time_compression: f64) -> PlayScript {
    serde_json::from_value(json!({
        "duration_secs": duration_secs,
        "time_compression": time_compression,
        "participants": [
            {"name": "Oleg Ivanov", "email": HOST, "join_secs": 0},
            {"name": "iPhone", "join_secs": 60, "leave_secs": 600},
            {"name": "Anna Smirnova", "email": "anna@example.com", "join_secs": 90, "leave_secs": 1200},
            {"name": "Anna Smirnova", "email": "anna@example.com", "join_secs": 1300}
        ]
    }))
    .expect("script")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ended_session_with_a_slash_uuid_gives_its_details_and_every_join() {
    let sim = sim(ZoomSimConfig { uuid_slash_every: 1, ..ZoomSimConfig::default() }).await;
    let client = client(&sim);
    let created =
        client.create_meeting(HOST, &support::scheduled("Day one", "2027-01-10T09:00:00Z", "")).await.expect("create");
    let report = sim.play(created.id, script(1800, 100_000.0)).expect("play").wait().await.expect("played");
    assert!(needs_double_encoding(&report.uuid), "{}", report.uuid);

    let past = client.get_past_meeting(&report.uuid).await.expect("past meeting");
    assert_eq!((past.id, past.uuid.as_str()), (created.id, report.uuid.as_str()));
    assert_eq!((past.duration, past.participants_count), (Some(30), Some(4)));
    assert_eq!(past.user_email.as_deref(), Some(HOST));
    let latest = client.get_past_meeting(&created.id.to_string()).await.expect("by meeting id");
    assert_eq!(latest.uuid, report.uuid);

    let first = client.list_past_participants(&report.uuid, 3, None).await.expect("page");
    assert_eq!((first.participants.len(), first.total_records), (3, Some(4)));
    assert!(!first.next_page_token.is_empty());
    let all = client.all_past_participants(&report.uuid).await.expect("all");
    assert_eq!(all.len(), 4);
    assert_eq!(all[0].email(), Some(HOST));
    assert!(all[0].id.as_deref().is_some_and(|id| !id.is_empty()));
    assert_eq!((all[1].name.as_str(), all[1].email()), ("iPhone", None), "a guest is kept by name");
    let anna: Vec<_> = all.iter().filter(|p| p.email() == Some("anna@example.com")).collect();
    assert_eq!(anna.len(), 2, "a rejoin is a second interval");
    assert_ne!(anna[0].user_id, anna[1].user_id);
    assert_eq!(anna[0].duration, Some(1110));
    assert!(anna.iter().all(|p| p.join_time.is_some() && p.leave_time.is_some()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_still_going_is_not_found_3001_until_it_ends() {
    let sim = sim(ZoomSimConfig::default()).await;
    let client = client(&sim);
    let created =
        client.create_meeting(HOST, &support::scheduled("Day one", "2027-01-10T09:00:00Z", "")).await.expect("create");
    let never = client.get_past_meeting(&created.id.to_string()).await.expect_err("never held");
    assert_eq!((never.status(), never.code()), (Some(404), Some(3001)));
    // An hour of meeting, 1,000 times faster: 3.6 s.
    let playing = sim.play(created.id, script(3600, 1000.0)).expect("play");
    let going = client.get_past_meeting(&playing.uuid).await.expect_err("not ended");
    assert_eq!((going.status(), going.code()), (Some(404), Some(3001)));
    assert!(going.to_string().contains("not end"), "{going}");
    let participants = client.all_past_participants(&playing.uuid).await.expect_err("not ended");
    assert_eq!(participants.code(), Some(3001));
    let uuid = playing.uuid.clone();
    playing.wait().await.expect("played");
    assert_eq!(client.get_past_meeting(&uuid).await.expect("ended").participants_count, Some(4));
}
