//! Delivery cases: acks, duplicates, restarts, redelivery timing, ordering, shared consumers.

use std::collections::BTreeSet;
use std::time::Duration;

use tokio::time::Instant;

use super::*;

/// Publish, consume, ack: the message arrives intact, once, and never again.
pub async fn a_published_message_is_consumed_once_and_not_redelivered_after_its_ack(f: &impl BusFixture) {
    let (bus, n) = (f.bus(), Names::new());
    let subject = n.subject("meeting.ended");
    let sent = n.message(&subject, "hello");
    let ack = within("publish", STEP, bus.publish(sent.clone())).await.expect("publish");
    assert!(!ack.duplicate, "a first publish is not a duplicate");
    let spec = consumer_spec(n.consumer("once"), &[&subject], ACK_WAIT, 3, &[]);
    let mut sub = bus.subscribe(spec).await.expect("subscribe");

    let delivery = next_delivery(&mut sub, "the published message").await;
    assert_eq!(delivery.message.subject, subject);
    assert_eq!(delivery.message.payload, sent.payload);
    assert_eq!(delivery.message.sequence, ack.sequence);
    assert_headers_kept(&delivery.message.headers, &sent.headers);
    assert_eq!((delivery.attempt, delivery.max_deliver), (1, 3));
    delivery.ack().await.expect("ack");
    expect_quiet(&mut sub, ACK_WAIT * 3, "after the ack").await;
}

/// A second publish with the same id stores nothing and answers with the first one's sequence.
pub async fn a_duplicate_id_is_acknowledged_as_a_duplicate_and_delivered_once(f: &impl BusFixture) {
    let (bus, n) = (f.bus(), Names::new());
    let subject = n.subject("zoom.relay");
    let original = n.message(&subject, "original");
    let first = bus.publish(original.clone()).await.expect("publish");
    let again = OutgoingMessage { payload: "changed".into(), ..original.clone() };
    let repeat = bus.publish(again).await.expect("publish the duplicate");
    assert!(repeat.duplicate, "the repeated id is reported as a duplicate");
    assert_eq!(repeat.sequence, first.sequence, "a duplicate answers with the original sequence");
    let next = bus.publish(n.message(&subject, "next")).await.expect("publish another");
    assert!(!next.duplicate && next.sequence > first.sequence);

    let mut sub =
        bus.subscribe(consumer_spec(n.consumer("dedupe"), &[&subject], ACK_WAIT, 3, &[])).await.expect("subscribe");
    let got = drain(&mut sub, ACK_WAIT * 3).await;
    let payloads: Vec<&str> = got.iter().map(|(_, payload, _)| payload.as_str()).collect();
    assert_eq!(payloads, ["original", "next"], "the duplicate is delivered once, as first published");
}

/// After a restart an acknowledged message stays done and an unsettled one comes back.
pub async fn a_durable_consumer_resumes_where_it_left_off_after_a_reopen(f: &impl BusFixture) {
    let (bus, n) = (f.bus(), Names::new());
    let subject = n.subject("stage.due");
    for payload in ["a", "b", "c"] {
        bus.publish(n.message(&subject, payload)).await.expect("publish");
    }
    let spec = consumer_spec(n.consumer("resume"), &[&subject], ACK_WAIT, 5, &[]);
    let mut sub = bus.subscribe(spec.clone()).await.expect("subscribe");
    let a = next_delivery(&mut sub, "a").await;
    assert_eq!(text(&a.message.payload), "a");
    a.ack().await.expect("ack a");
    let b = next_delivery(&mut sub, "b").await;
    assert_eq!(text(&b.message.payload), "b");
    // b is left unsettled, as a process killed mid-work leaves it.
    drop((b, sub, bus));

    let bus = f.reopen().await;
    let mut sub = bus.subscribe(spec).await.expect("subscribe after the reopen");
    let mut attempts = std::collections::BTreeMap::new();
    while attempts.len() < 2 {
        let delivery = next_delivery(&mut sub, "b and c after the reopen").await;
        let payload = text(&delivery.message.payload);
        assert_ne!(payload, "a", "an acknowledged message came back after the reopen");
        attempts.insert(payload, delivery.attempt);
        delivery.ack().await.expect("ack");
    }
    assert!(attempts["b"] >= 2, "b was delivered before the reopen, so this is a redelivery: {attempts:?}");
    expect_quiet(&mut sub, ACK_WAIT * 3, "once b and c are acknowledged").await;
}

/// A nak with a delay brings the message back no earlier than the delay.
pub async fn a_nak_with_a_delay_redelivers_after_the_delay_not_before(f: &impl BusFixture) {
    let (bus, n) = (f.bus(), Names::new());
    let subject = n.subject("feedback.requested");
    let ack = bus.publish(n.message(&subject, "retry me")).await.expect("publish");
    // A long ack wait, so that only the nak can cause the redelivery.
    let spec = consumer_spec(n.consumer("nak"), &[&subject], Duration::from_secs(30), 5, &[]);
    let mut sub = bus.subscribe(spec).await.expect("subscribe");
    let first = next_delivery(&mut sub, "the first delivery").await;
    assert_eq!(first.attempt, 1);
    let delay = Duration::from_millis(700);
    let naked = Instant::now();
    first.nak(delay).await.expect("nak");

    let again = next_delivery(&mut sub, "the redelivery after the nak").await;
    let elapsed = naked.elapsed();
    assert!(elapsed + SLACK >= delay, "redelivered {elapsed:?} after a nak of {delay:?}");
    assert_eq!((again.attempt, again.message.sequence), (2, ack.sequence));
    assert_eq!(text(&again.message.payload), "retry me");
    again.ack().await.expect("ack");
    expect_quiet(&mut sub, ACK_WAIT * 2, "after the ack").await;
}

/// Without an ack, the message comes back once the ack wait ran out.
pub async fn an_unacknowledged_delivery_is_redelivered_after_the_ack_wait(f: &impl BusFixture) {
    let (bus, n) = (f.bus(), Names::new());
    let subject = n.subject("meeting.scheduled");
    let ack = bus.publish(n.message(&subject, "slow")).await.expect("publish");
    let mut sub =
        bus.subscribe(consumer_spec(n.consumer("expiry"), &[&subject], ACK_WAIT, 5, &[])).await.expect("subscribe");
    let asked = Instant::now();
    let first = next_delivery(&mut sub, "the first delivery").await;
    assert_eq!(first.attempt, 1);
    drop(first);

    let again = next_delivery(&mut sub, "the redelivery after the ack wait").await;
    let elapsed = asked.elapsed();
    assert!(elapsed + SLACK >= ACK_WAIT, "redelivered {elapsed:?} after delivery, ack wait {ACK_WAIT:?}");
    assert_eq!((again.attempt, again.message.sequence), (2, ack.sequence));
    again.ack().await.expect("ack");
    expect_quiet(&mut sub, ACK_WAIT * 3, "after the ack").await;
}

/// A handler that keeps reporting progress keeps its delivery past several ack waits.
pub async fn in_progress_keeps_a_delivery_from_being_redelivered(f: &impl BusFixture) {
    let (bus, n) = (f.bus(), Names::new());
    let subject = n.subject("recording.archiving");
    bus.publish(n.message(&subject, "long job")).await.expect("publish");
    let ack_wait = Duration::from_millis(500);
    let mut sub =
        bus.subscribe(consumer_spec(n.consumer("progress"), &[&subject], ack_wait, 5, &[])).await.expect("subscribe");
    let delivery = next_delivery(&mut sub, "the delivery").await;
    let worker = tokio::spawn(async move {
        for _ in 0..8 {
            tokio::time::sleep(Duration::from_millis(150)).await;
            delivery.in_progress().await.expect("in progress");
        }
        delivery.ack().await.expect("ack");
    });
    expect_quiet(&mut sub, Duration::from_millis(1100), "while the handler reports progress").await;
    within("the worker", STEP, worker).await.expect("worker task");
    expect_quiet(&mut sub, ack_wait * 2, "after the ack").await;
}

/// One subscriber sees each subject's messages in the order they were published.
pub async fn one_subscriber_sees_the_messages_of_a_subject_in_publish_order(f: &impl BusFixture) {
    let (bus, n) = (f.bus(), Names::new());
    let (a, b) = (n.subject("order.a"), n.subject("order.b"));
    for i in 0..40 {
        let subject = if i % 3 == 0 { &b } else { &a };
        bus.publish(n.message(subject, &i.to_string())).await.expect("publish");
    }
    let filter = n.subject("order.*");
    let mut sub =
        bus.subscribe(consumer_spec(n.consumer("order"), &[&filter], ACK_WAIT * 5, 3, &[])).await.expect("subscribe");
    let mut last = std::collections::HashMap::new();
    for _ in 0..40 {
        let delivery = next_delivery(&mut sub, "the next message in order").await;
        let index: i32 = text(&delivery.message.payload).parse().expect("numeric payload");
        let previous = last.insert(delivery.message.subject.clone(), index).unwrap_or(-1);
        assert!(index > previous, "{} delivered {index} after {previous}", delivery.message.subject);
        delivery.ack().await.expect("ack");
    }
    assert_eq!((last.get(&a), last.get(&b)), (Some(&38), Some(&39)), "every message arrived");
    expect_quiet(&mut sub, ACK_WAIT * 2, "after all 40").await;
}

/// Two subscriptions on the same durable name split its messages: each is handled exactly once.
pub async fn two_subscriptions_on_one_durable_consumer_share_its_messages(f: &impl BusFixture) {
    let (bus, n) = (f.bus(), Names::new());
    let subject = n.subject("shared.work");
    let spec = consumer_spec(n.consumer("shared"), &[&subject], ACK_WAIT * 5, 3, &[]);
    let mut first = bus.subscribe(spec.clone()).await.expect("subscribe");
    let mut second = bus.subscribe(spec).await.expect("subscribe again");
    let sent: Vec<OutgoingMessage> = (0..30).map(|i| n.message(&subject, &i.to_string())).collect();
    for message in sent {
        bus.publish(message).await.expect("publish");
    }
    let quiet = ACK_WAIT * 3;
    let (one, two) = tokio::join!(drain(&mut first, quiet), drain(&mut second, quiet));
    let all: Vec<u32> = one.iter().chain(&two).map(|(_, p, _)| p.parse().expect("numeric payload")).collect();
    let distinct: BTreeSet<u32> = all.iter().copied().collect();
    assert_eq!(all.len(), 30, "each message handled once: {} by one, {} by the other", one.len(), two.len());
    assert_eq!(distinct, (0..30).collect(), "every message handled");
}

/// A backlog worked through by a slow handler, one message at a time, is delivered once per
/// message: nothing waits in the subscription's hands while its ack wait runs out, so nothing is
/// redelivered or dead-lettered although no handler ever failed. (The backlog takes ten ack waits
/// to work through.)
pub async fn a_backlog_behind_a_slow_handler_is_delivered_once_and_nothing_is_dead_lettered(f: &impl BusFixture) {
    const COUNT: usize = 100;
    const HANDLER: Duration = Duration::from_millis(100);
    let ack_wait = Duration::from_secs(1);
    let (bus, n) = (f.bus(), Names::new());
    let subject = n.subject("backlog");
    let messages: Vec<OutgoingMessage> = (0..COUNT).map(|i| n.message(&subject, &i.to_string())).collect();
    within("publishing the backlog", STEP, bus.publish_all(messages)).await.expect("publish_all");
    let spec = consumer_spec(n.consumer("backlog"), &[&subject], ack_wait, 3, &[Duration::from_millis(100)]);
    let mut sub = bus.subscribe(spec).await.expect("subscribe");

    let mut deliveries: Vec<(String, u32)> = Vec::new();
    let mut handled = BTreeSet::new();
    // Until nothing came for two ack waits: redeliveries queue up behind the first copies, and a
    // message dead-lettered by the bus never comes at all.
    loop {
        let Ok(next) = tokio::time::timeout(ack_wait * 2, sub.next()).await else { break };
        let delivery = next.expect("next delivery").expect("open subscription");
        let payload = text(&delivery.message.payload);
        deliveries.push((payload.clone(), delivery.attempt));
        tokio::time::sleep(HANDLER).await;
        delivery.ack().await.expect("ack");
        handled.insert(payload);
    }
    let redelivered: Vec<&(String, u32)> = deliveries.iter().filter(|(_, attempt)| *attempt > 1).collect();
    assert!(
        redelivered.is_empty(),
        "{} redeliveries, e.g. {:?}",
        redelivered.len(),
        &redelivered[..redelivered.len().min(5)]
    );
    assert_eq!(handled.len(), COUNT, "every message handled");
    assert_eq!(deliveries.len(), COUNT, "each delivered once");
    let dlq = dead_letter_subject(&subject);
    let letters = bus.dead_letters(10_000).await.expect("list dead letters");
    assert!(!letters.iter().any(|l| l.subject == dlq), "no message of the backlog was dead-lettered");
}
