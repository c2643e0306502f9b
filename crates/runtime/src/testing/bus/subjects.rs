//! Subject cases: wildcard filters, tails, invalid subjects, batch publishing.

use std::time::Duration;

use super::*;
use crate::bus::{BusError, TailStart};

/// `*` matches one token and `>` the rest; two consumers with different filters each get theirs.
pub async fn consumers_with_wildcard_filters_receive_only_the_subjects_they_match(f: &impl BusFixture) {
    let (bus, n) = (f.bus(), Names::new());
    let meetings = consumer_spec(n.consumer("meetings"), &[&n.subject("meeting.*")], ACK_WAIT, 3, &[]);
    let stages =
        consumer_spec(n.consumer("stages"), &[&n.subject("stage.>"), &n.subject("feedback.sent")], ACK_WAIT, 3, &[]);
    let mut meetings = bus.subscribe(meetings).await.expect("subscribe meetings");
    let mut stages = bus.subscribe(stages).await.expect("subscribe stages");
    let rests =
        ["meeting.ended", "meeting.ended.late", "stage.due", "stage.due.week1", "feedback.sent", "feedback", "other.x"];
    for rest in rests {
        bus.publish(n.message(&n.subject(rest), rest)).await.expect("publish");
    }
    let quiet = ACK_WAIT * 3;
    let (got_meetings, got_stages) = tokio::join!(drain(&mut meetings, quiet), drain(&mut stages, quiet));
    let payloads = |got: Vec<(String, String, u32)>| {
        let mut payloads: Vec<String> = got.into_iter().map(|(_, payload, _)| payload).collect();
        payloads.sort();
        payloads
    };
    assert_eq!(payloads(got_meetings), ["meeting.ended"]);
    assert_eq!(payloads(got_stages), ["feedback.sent", "stage.due", "stage.due.week1"]);
}

/// A tail starts at the end: it sees what is published after it started, and only what matches.
pub async fn a_tail_sees_only_matching_messages_published_after_it_started(f: &impl BusFixture) {
    let (bus, n) = (f.bus(), Names::new());
    bus.publish(n.message(&n.subject("tail.a"), "before")).await.expect("publish before");
    let mut tail =
        within("the tail to start", STEP, bus.tail(&n.subject("tail.>"), TailStart::New)).await.expect("tail");
    let after = n.message(&n.subject("tail.a"), "after-1");
    bus.publish(after.clone()).await.expect("publish");
    bus.publish(n.message(&n.subject("elsewhere.b"), "not matching")).await.expect("publish");
    bus.publish(n.message(&n.subject("tail.b.c"), "after-2")).await.expect("publish");

    let first = within("the first tailed message", STEP, tail.next()).await.expect("tail next").expect("tail open");
    assert_eq!((first.subject.as_str(), text(&first.payload).as_str()), (n.subject("tail.a").as_str(), "after-1"));
    assert_headers_kept(&first.headers, &after.headers);
    assert!(first.stored_at_ms > 0, "a tailed message has its store time");
    let second = within("the second tailed message", STEP, tail.next()).await.expect("tail next").expect("tail open");
    assert_eq!((second.subject.as_str(), text(&second.payload).as_str()), (n.subject("tail.b.c").as_str(), "after-2"));
    assert!(second.sequence > first.sequence);
    if let Ok(more) = tokio::time::timeout(Duration::from_millis(500), tail.next()).await {
        panic!("the tail saw something it should not: {more:?}");
    }
}

/// A tail from the start sees what the stream holds; one from a time sees what was stored since.
pub async fn a_tail_from_the_start_or_a_time_sees_what_was_stored_before_it_started(f: &impl BusFixture) {
    let (bus, n) = (f.bus(), Names::new());
    let filter = n.subject("history.>");
    bus.publish(n.message(&n.subject("history.a"), "old")).await.expect("publish old");
    tokio::time::sleep(Duration::from_millis(20)).await;
    let between = crate::clock::now_ms();
    tokio::time::sleep(Duration::from_millis(20)).await;
    bus.publish(n.message(&n.subject("history.b"), "recent")).await.expect("publish recent");
    bus.publish(n.message(&n.subject("elsewhere.c"), "not matching")).await.expect("publish elsewhere");

    let mut everything = within("a tail from the start", STEP, bus.tail(&filter, TailStart::All)).await.expect("tail");
    let first = within("the oldest message", STEP, everything.next()).await.expect("next").expect("open");
    let second = within("the next message", STEP, everything.next()).await.expect("next").expect("open");
    assert_eq!([text(&first.payload), text(&second.payload)], ["old", "recent"]);

    let mut since =
        within("a tail since a time", STEP, bus.tail(&filter, TailStart::Since(between))).await.expect("tail");
    let recent = within("the recent message", STEP, since.next()).await.expect("next").expect("open");
    assert_eq!(text(&recent.payload), "recent");
    bus.publish(n.message(&n.subject("history.c"), "new")).await.expect("publish new");
    let new =
        within("a message published after the tail started", STEP, since.next()).await.expect("next").expect("open");
    assert_eq!(text(&new.payload), "new", "a tail since a time goes on with new messages");
}

/// Malformed subjects, subjects no stream holds and bad consumer specs are refused, not accepted.
pub async fn publishing_to_an_invalid_subject_is_refused_with_a_clear_error(f: &impl BusFixture) {
    let (bus, n) = (f.bus(), Names::new());
    let base = n.message(&n.subject("valid"), "x");
    for bad in ["", "onboarding..x", "onboarding.a b", "onboarding.*", "onboarding.>"] {
        let message = OutgoingMessage { subject: bad.into(), ..base.clone() };
        match within("publish to an invalid subject", STEP, bus.publish(message)).await {
            Err(BusError::InvalidSubject(_)) => {}
            other => panic!("publishing to {bad:?} should be InvalidSubject, got {other:?}"),
        }
    }
    let nowhere = OutgoingMessage { subject: format!("nowhere.{}", n.consumer("x")), ..base.clone() };
    match within("publish outside every stream", STEP, bus.publish(nowhere)).await {
        Err(BusError::Other(reason)) => assert!(!reason.is_empty()),
        other => panic!("a subject no stream holds should be refused, got {other:?}"),
    }
    let bad_filter = consumer_spec(n.consumer("bad"), &["onboarding.>.x"], ACK_WAIT, 3, &[]);
    assert!(matches!(bus.subscribe(bad_filter).await, Err(BusError::InvalidConsumer(_))));
    let bad_name = consumer_spec("has a space".into(), &[&n.subject("x")], ACK_WAIT, 3, &[]);
    assert!(matches!(bus.subscribe(bad_name).await, Err(BusError::InvalidConsumer(_))));
    // The bus still works after refusals.
    within("publish", STEP, bus.publish(base)).await.expect("a valid publish still succeeds");
}

/// `publish_all` answers in input order, including a duplicate inside the batch.
pub async fn publish_all_returns_the_acks_in_input_order(f: &impl BusFixture) {
    let (bus, n) = (f.bus(), Names::new());
    let subject = n.subject("batch");
    let mut messages: Vec<OutgoingMessage> = (0..20).map(|i| n.message(&subject, &i.to_string())).collect();
    messages.push(messages[0].clone());
    let acks = within("publish_all", STEP, bus.publish_all(messages)).await.expect("publish_all");
    assert_eq!(acks.len(), 21);
    assert!(acks[..20].iter().all(|a| !a.duplicate), "the first twenty are new");
    assert!(acks[..20].windows(2).all(|w| w[0].sequence < w[1].sequence), "sequences follow the input order: {acks:?}");
    assert!(acks[20].duplicate && acks[20].sequence == acks[0].sequence, "the repeat is the first one's duplicate");

    let mut sub =
        bus.subscribe(consumer_spec(n.consumer("batch"), &[&subject], ACK_WAIT * 5, 3, &[])).await.expect("subscribe");
    let got = drain(&mut sub, ACK_WAIT * 2).await;
    let payloads: Vec<String> = got.into_iter().map(|(_, payload, _)| payload).collect();
    let expected: Vec<String> = (0..20).map(|i: i32| i.to_string()).collect();
    assert_eq!(payloads, expected);
}
