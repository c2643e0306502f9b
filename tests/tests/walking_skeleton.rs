//! The walking skeleton, in both run modes: an event written to one service's outbox reaches a
//! durable consumer of another service through the real bus, redeliveries change nothing twice,
//! and a bus outage loses nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use butterboard_runtime::consumer::{Consumer, Outcome};
use butterboard_runtime::store::{inbox, outbox};
use butterboard_runtime::testing::{self, NatsServer};
use support::{Mode, Skeleton, count_effects, greeting};

async fn an_event_in_one_service_outbox_reaches_another_service_consumer(mode: Mode) {
    let skeleton = Skeleton::start(mode).await;
    let event = greeting("hello anna");
    let id = event.id.clone();
    skeleton.write(vec![event]).await;
    assert!(skeleton.wait_for_effects(1).await, "the consumer applied the event");
    let effects = skeleton.effects().await;
    assert_eq!(effects, vec![(id, "hello anna".to_string())]);
    assert_eq!(outbox::pending(skeleton.producer.pool()).await.unwrap(), 0, "the relay emptied the outbox");
    skeleton.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn distributed_an_event_in_one_service_outbox_reaches_another_service_consumer() {
    an_event_in_one_service_outbox_reaches_another_service_consumer(Mode::distributed().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_an_event_in_one_service_outbox_reaches_another_service_consumer() {
    an_event_in_one_service_outbox_reaches_another_service_consumer(Mode::embedded()).await;
}

/// The consumer applies its effect and commits, then dies before acknowledging: the bus
/// redelivers, and the inbox turns the second delivery into an acknowledgement without effect.
async fn a_consumer_killed_between_effect_and_ack_gets_a_redelivery_that_changes_nothing(mode: Mode) {
    let skeleton = Skeleton::start_without_consumer(mode).await;
    skeleton.write(vec![greeting("once only")]).await;
    let mut spec = skeleton.spec();
    spec.ack_wait = Duration::from_millis(500);
    let mut subscription = skeleton.bus.subscribe(spec.clone()).await.unwrap();
    let first = tokio::time::timeout(Duration::from_secs(10), subscription.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(first.attempt, 1);
    {
        let event = butterboard_runtime::envelope::CloudEvent::from_message(&first.message).unwrap();
        let mut tx = skeleton.consumer_store.begin().await.unwrap();
        assert!(inbox::claim(&mut tx, &spec.name, &event.id).await.unwrap());
        support::apply_effect(&mut tx, &event).await.unwrap();
        tx.commit().await.unwrap();
    }
    drop(first); // the "crash": effect committed, no ack sent
    drop(subscription);

    let consumer = Consumer::new(spec.clone(), skeleton.consumer_store.clone(), skeleton.bus.clone(), support::Greeter);
    let mut subscription = skeleton.bus.subscribe(spec).await.unwrap();
    let again = tokio::time::timeout(Duration::from_secs(10), subscription.next()).await.unwrap().unwrap().unwrap();
    assert!(again.attempt >= 2, "a redelivery, not a new message");
    assert_eq!(consumer.process(again).await, Outcome::Duplicate);
    assert_eq!(count_effects(&skeleton.consumer_store).await, 1, "the effect happened once");
    let quiet = tokio::time::timeout(Duration::from_millis(1500), subscription.next()).await;
    assert!(quiet.is_err(), "the duplicate was acknowledged, so nothing comes back");
    skeleton.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn distributed_a_consumer_killed_between_effect_and_ack_gets_a_redelivery_that_changes_nothing() {
    a_consumer_killed_between_effect_and_ack_gets_a_redelivery_that_changes_nothing(Mode::distributed().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_a_consumer_killed_between_effect_and_ack_gets_a_redelivery_that_changes_nothing() {
    a_consumer_killed_between_effect_and_ack_gets_a_redelivery_that_changes_nothing(Mode::embedded()).await;
}

/// NATS is killed for 10 s while a producer keeps writing events: the relay waits it out and every
/// event reaches the consumer exactly once in effect.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_written_while_nats_is_down_for_ten_seconds_are_all_delivered_once() {
    let mut nats = NatsServer::start().await.expect("a private nats-server (NATS_SERVER_BIN)");
    let mode = Mode::distributed_on(&nats.url()).await;
    let skeleton = Skeleton::start(mode).await;
    let total = 300;
    let writer = {
        let producer = skeleton.producer.clone();
        tokio::spawn(async move {
            for n in 0..total {
                let mut tx = producer.begin().await.unwrap();
                outbox::enqueue(&mut tx, "onboarding.skeleton.greeted", greeting(&format!("greeting {n}")))
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
                producer.outbox_written();
                tokio::time::sleep(Duration::from_millis(40)).await;
            }
        })
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    nats.stop();
    tokio::time::sleep(Duration::from_secs(10)).await;
    let pending_while_down = outbox::pending(skeleton.producer.pool()).await.unwrap();
    assert!(pending_while_down > 0, "events piled up in the outbox while the bus was down");
    nats.restart().await.unwrap();
    writer.await.unwrap();
    assert!(
        testing::eventually(Duration::from_secs(60), || async {
            count_effects(&skeleton.consumer_store).await >= total
        })
        .await,
        "all {total} events arrived after the bus came back (got {})",
        count_effects(&skeleton.consumer_store).await
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let effects = skeleton.effects().await;
    assert_eq!(effects.len(), total, "no event applied twice");
    let distinct: std::collections::BTreeSet<_> = effects.iter().map(|(id, _)| id).collect();
    assert_eq!(distinct.len(), total);
    skeleton.stop().await;
}
