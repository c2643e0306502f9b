//! A host's meeting list and finding a meeting by a marker in its agenda, the way a service finds
//! the meeting it created before losing Zoom's answer.

mod support;

use support::{HOST, NOV_1_2026_MS, client, scheduled, sim_at};
use zoom::rest::MeetingListType;
use zoom_sim::{Fault, ZoomSimConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upcoming_meetings_are_paged_with_next_page_token() {
    let (sim, _clock) = sim_at(NOV_1_2026_MS, ZoomSimConfig::default()).await;
    let client = client(&sim);
    for day in 2..=6 {
        client
            .create_meeting(HOST, &scheduled(&format!("day {day}"), &format!("2026-11-0{day}T09:00:00Z"), ""))
            .await
            .expect("create");
    }
    let mut topics = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client.list_meetings(HOST, MeetingListType::Upcoming, 2, token.as_deref()).await.expect("page");
        assert!(page.meetings.len() <= 2);
        assert_eq!(page.total_records, Some(5));
        topics.extend(page.meetings.into_iter().map(|m| m.topic));
        if page.next_page_token.is_empty() {
            break;
        }
        token = Some(page.next_page_token);
    }
    assert_eq!(topics, ["day 2", "day 3", "day 4", "day 5", "day 6"]);
    let all = client.list_all_meetings(HOST, MeetingListType::Upcoming).await.expect("all");
    assert_eq!(all.len(), 5);
    assert!(all.iter().all(|m| m.join_url.is_some() && m.start_time.is_some() && m.duration == Some(30)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_marker_is_found_at_the_start_of_an_agenda_and_past_the_250_characters_zoom_lists() {
    let (sim, _clock) = sim_at(NOV_1_2026_MS, ZoomSimConfig::default()).await;
    let client = client(&sim);
    let early =
        client.create_meeting(HOST, &scheduled("a", "2026-11-02T09:00:00Z", "[bb:42] Welcome")).await.expect("create");
    let late_agenda = format!("{} [bb:42]", "Agenda. ".repeat(40));
    let late =
        client.create_meeting(HOST, &scheduled("b", "2026-11-03T09:00:00Z", &late_agenda)).await.expect("create");
    client.create_meeting(HOST, &scheduled("c", "2026-11-04T09:00:00Z", "[bb:43] Other")).await.expect("create");
    let listed = client.list_all_meetings(HOST, MeetingListType::Upcoming).await.expect("list");
    let listed_late = listed.iter().find(|m| m.id == late.id).expect("listed");
    assert!(listed_late.agenda_may_be_cut());
    assert!(!listed_late.agenda.as_deref().unwrap_or_default().contains("[bb:42]"), "the list cut it off");

    let found = client.find_meetings_by_agenda_marker(HOST, MeetingListType::Upcoming, "[bb:42]").await.expect("find");
    let mut ids: Vec<i64> = found.iter().map(|m| m.id).collect();
    ids.sort_unstable();
    let mut expected = vec![early.id, late.id];
    expected.sort_unstable();
    assert_eq!(ids, expected);
    assert!(
        client
            .find_meetings_by_agenda_marker(HOST, MeetingListType::Upcoming, "[bb:44]")
            .await
            .expect("find")
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_whose_answer_was_lost_is_found_by_its_marker_and_not_made_twice() {
    let (sim, _clock) = sim_at(NOV_1_2026_MS, ZoomSimConfig::default()).await;
    // Zoom creates the meeting, then the answer is lost.
    sim.inject_fault(Fault { after_processing: true, ..Fault::status("POST", "/v2/users/*/meetings", 502, 1) })
        .expect("fault");
    let client = client(&sim);
    let create = scheduled("Day one", "2026-11-02T09:00:00Z", "[bb:stage-7] Welcome");
    let error = client.create_meeting(HOST, &create).await.expect_err("the answer was lost");
    assert_eq!(error.status(), Some(502));
    let found =
        client.find_meetings_by_agenda_marker(HOST, MeetingListType::Upcoming, "[bb:stage-7]").await.expect("find");
    assert_eq!(found.len(), 1, "the meeting exists once; creating it again would make a twin");
    assert_eq!(sim.meetings().len(), 1);
}
