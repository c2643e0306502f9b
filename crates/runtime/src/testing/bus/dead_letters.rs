//! Dead-letter cases: after max_deliver, on the handler's word, listing and replay.

use std::time::Duration;

use super::*;
use crate::bus::{BusError, DLQ_CONSUMER_HEADER, DLQ_ERROR_HEADER, DLQ_SUBJECT_HEADER};

/// A handler that fails on every attempt sends the message to `dlq.<subject>` with its last error
/// and the original headers, and the consumer goes on with the next message.
pub async fn a_message_failing_max_deliver_times_lands_on_the_dead_letter_subject(f: &impl BusFixture) {
    let (bus, n) = (f.bus(), Names::new());
    let subject = n.subject("meeting.ended");
    let mut sent = n.message(&subject, "poison");
    sent.headers.insert("traceparent".into(), "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".into());
    bus.publish(sent.clone()).await.expect("publish");
    let consumer = n.consumer("fails");
    let spec = consumer_spec(consumer.clone(), &[&subject], Duration::from_secs(30), 2, &[Duration::from_millis(50)]);
    let mut sub = bus.subscribe(spec.clone()).await.expect("subscribe");

    let first = next_delivery(&mut sub, "the first attempt").await;
    assert_eq!((first.attempt, first.max_deliver), (1, 2));
    first.fail("handler failed: first", spec.backoff_after(1)).await.expect("fail once");
    let second = next_delivery(&mut sub, "the second attempt").await;
    assert_eq!((second.attempt, text(&second.message.payload).as_str()), (2, "poison"));
    second.fail("handler failed: second", spec.backoff_after(2)).await.expect("fail the last time");

    let letter = wait_for_dead_letter(&bus, &subject, "poison").await;
    assert_eq!(letter.subject, format!("dlq.{subject}"));
    assert_eq!(letter.headers.get(DLQ_ERROR_HEADER).map(String::as_str), Some("handler failed: second"));
    assert_eq!(letter.headers.get(DLQ_CONSUMER_HEADER), Some(&consumer));
    assert_eq!(letter.headers.get(DLQ_SUBJECT_HEADER), Some(&subject));
    assert_headers_kept(&letter.headers, &sent.headers);

    bus.publish(n.message(&subject, "after")).await.expect("publish the next message");
    let next = next_delivery(&mut sub, "the message after the dead letter").await;
    assert_eq!((text(&next.message.payload).as_str(), next.attempt), ("after", 1));
    next.ack().await.expect("ack");
    expect_quiet(&mut sub, ACK_WAIT * 2, "once the poison message is dead-lettered").await;
}

/// Deliveries that simply expire also count: after max_deliver of them the message is
/// dead-lettered with an error saying so, and is not delivered a further time.
pub async fn a_message_never_acknowledged_is_dead_lettered_after_max_deliver_attempts(f: &impl BusFixture) {
    let (bus, n) = (f.bus(), Names::new());
    let subject = n.subject("recording.completed");
    bus.publish(n.message(&subject, "ignored")).await.expect("publish");
    let consumer = n.consumer("expires");
    let spec = consumer_spec(consumer.clone(), &[&subject], Duration::from_millis(300), 2, &[]);
    let mut sub = bus.subscribe(spec).await.expect("subscribe");
    for attempt in 1..=2 {
        let delivery = next_delivery(&mut sub, "an attempt that will expire").await;
        assert_eq!((delivery.attempt, text(&delivery.message.payload).as_str()), (attempt, "ignored"));
        drop(delivery);
    }
    bus.publish(n.message(&subject, "after")).await.expect("publish the next message");
    let next = next_delivery(&mut sub, "the message after the expired one").await;
    assert_eq!((text(&next.message.payload).as_str(), next.attempt), ("after", 1), "no third attempt");
    next.ack().await.expect("ack");

    // The consumer keeps asking for messages meanwhile, as a running one does: JetStream looks
    // at a redelivery that is due, and gives up on it, only when it has a pull to answer.
    let waiting = async {
        let letter = wait_for_dead_letter(&bus, &subject, "ignored").await;
        tokio::time::sleep(Duration::from_millis(800)).await;
        letter
    };
    let letter = tokio::select! {
        letter = waiting => letter,
        () = expect_quiet(&mut sub, STEP * 2, "while it is dead-lettered") => panic!("no dead letter came"),
    };
    let error = letter.headers.get(DLQ_ERROR_HEADER).cloned().unwrap_or_default();
    assert!(!error.is_empty(), "the dead letter says why: {:?}", letter.headers);
    assert_eq!(letter.headers.get(DLQ_CONSUMER_HEADER), Some(&consumer));
    assert_eq!(letter.headers.get(DLQ_SUBJECT_HEADER), Some(&subject));
}

/// `Delivery::dead_letter` moves the message at once, whatever attempts remain.
pub async fn a_delivery_dead_lettered_by_its_handler_is_listed_at_once_and_not_redelivered(f: &impl BusFixture) {
    let (bus, n) = (f.bus(), Names::new());
    let subject = n.subject("scenario.assigned");
    let sent = n.message(&subject, "undecodable");
    bus.publish(sent.clone()).await.expect("publish");
    let consumer = n.consumer("poison");
    let mut sub =
        bus.subscribe(consumer_spec(consumer.clone(), &[&subject], ACK_WAIT, 5, &[])).await.expect("subscribe");
    let delivery = next_delivery(&mut sub, "the poison message").await;
    assert_eq!(delivery.attempt, 1);
    delivery.dead_letter("payload does not decode").await.expect("dead-letter");

    let letter = wait_for_dead_letter(&bus, &subject, "undecodable").await;
    assert_eq!(letter.headers.get(DLQ_ERROR_HEADER).map(String::as_str), Some("payload does not decode"));
    assert_eq!(letter.headers.get(DLQ_CONSUMER_HEADER), Some(&consumer));
    assert_headers_kept(&letter.headers, &sent.headers);
    assert!(letter.stored_at_ms > 0, "the dead letter has a time");
    expect_quiet(&mut sub, ACK_WAIT * 3, "after dead-lettering").await;
}

/// Replay republishes on the original subject without the dead-letter headers, keeps the
/// CloudEvents id, removes the dead letter, and refuses a sequence it does not know.
pub async fn a_replayed_dead_letter_is_delivered_again_to_the_original_consumer(f: &impl BusFixture) {
    let (bus, n) = (f.bus(), Names::new());
    let subject = n.subject("feedback.submitted");
    let sent = n.message(&subject, "replay me");
    bus.publish(sent.clone()).await.expect("publish");
    let spec = consumer_spec(n.consumer("replay"), &[&subject], ACK_WAIT, 5, &[]);
    let mut sub = bus.subscribe(spec).await.expect("subscribe");
    let delivery = next_delivery(&mut sub, "the message").await;
    delivery.dead_letter("downstream was down").await.expect("dead-letter");
    let letter = wait_for_dead_letter(&bus, &subject, "replay me").await;

    let ack = within("replay", STEP, bus.replay_dead_letter(letter.sequence)).await.expect("replay");
    assert!(!ack.duplicate, "a replay is a new message, not a duplicate of the original");
    let again = next_delivery(&mut sub, "the replayed message").await;
    assert_eq!(again.message.subject, subject);
    assert_eq!(text(&again.message.payload), "replay me");
    assert_eq!(again.attempt, 1, "a replay starts its attempts afresh");
    assert_eq!(again.message.headers.get("ce-id"), Some(&sent.id), "the CloudEvents id stays");
    assert_headers_kept(&again.message.headers, &sent.headers);
    let leftovers: Vec<&String> = again.message.headers.keys().filter(|k| k.starts_with("butterboard-dlq-")).collect();
    assert!(leftovers.is_empty(), "dead-letter headers were not removed: {leftovers:?}");
    again.ack().await.expect("ack");

    let letters = bus.dead_letters(10_000).await.expect("list dead letters");
    let dlq = format!("dlq.{subject}");
    assert!(!letters.iter().any(|l| l.subject == dlq), "the replayed dead letter is gone");
    match bus.replay_dead_letter(letter.sequence).await {
        Err(BusError::NotFound(sequence)) => assert_eq!(sequence, letter.sequence),
        other => panic!("replaying twice should be NotFound, got {other:?}"),
    }
    expect_quiet(&mut sub, ACK_WAIT * 2, "after the replayed message was acknowledged").await;
}
