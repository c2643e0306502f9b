//! How a consumer meets bad input and slow work, on both buses: a message that is not a valid
//! CloudEvent goes to the dead letters at once (not into a crash loop), an unknown event type is
//! rejected the same way, and a handler that works longer than the ack wait keeps its delivery
//! (counted where the bus hands deliveries out, before the inbox could hide a second one).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use butterboard_runtime::bus::{DLQ_ERROR_HEADER, EventBus, OutgoingMessage};
use butterboard_runtime::consumer::{Consumer, EventHandler, HandlerError};
use butterboard_runtime::envelope::CloudEvent;
use butterboard_runtime::events::OnboardingEvent;
use butterboard_runtime::shutdown::Shutdown;
use butterboard_runtime::testing;
use butterboard_runtime::testing::bus::CountingBus;
use sqlx::{Any, Transaction};
use support::{Mode, Skeleton, greeting};

async fn wait_for_dead_letter(bus: &Arc<dyn EventBus>) -> butterboard_runtime::bus::StoredMessage {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(letter) = bus.dead_letters(10).await.unwrap().into_iter().next() {
            return letter;
        }
        assert!(tokio::time::Instant::now() < deadline, "a dead letter within 15 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn a_message_that_is_not_a_cloudevent_is_dead_lettered_with_the_reason(mode: Mode) {
    let skeleton = Skeleton::start(mode).await;
    let garbage = OutgoingMessage {
        subject: "onboarding.skeleton.greeted".into(),
        id: uuid_like(),
        headers: [("content-type".to_string(), "application/json".to_string())].into(),
        payload: bytes::Bytes::from_static(b"{\"text\":\"no envelope\"}"),
    };
    skeleton.bus.publish(garbage).await.unwrap();
    let letter = wait_for_dead_letter(&skeleton.bus).await;
    assert_eq!(letter.subject, "dlq.onboarding.skeleton.greeted");
    let error = letter.headers.get(DLQ_ERROR_HEADER).cloned().unwrap_or_default();
    assert!(error.contains("invalid cloudevent") && error.contains("ce-specversion"), "{error}");
    assert_eq!(letter.payload.as_ref(), b"{\"text\":\"no envelope\"}", "the payload is kept for replay");
    // The consumer is still alive: a valid event after the bad one is applied.
    skeleton.write(vec![greeting("after the garbage")]).await;
    assert!(skeleton.wait_for_effects(1).await);
    skeleton.stop().await;
}

fn uuid_like() -> String {
    testing::unique_name("garbage")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn distributed_a_message_that_is_not_a_cloudevent_is_dead_lettered_with_the_reason() {
    a_message_that_is_not_a_cloudevent_is_dead_lettered_with_the_reason(Mode::distributed().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_a_message_that_is_not_a_cloudevent_is_dead_lettered_with_the_reason() {
    a_message_that_is_not_a_cloudevent_is_dead_lettered_with_the_reason(Mode::embedded()).await;
}

/// Decodes onboarding events; anything else is rejected.
struct Strict;

#[async_trait]
impl EventHandler for Strict {
    async fn handle(
        &self,
        _tx: &mut Transaction<'static, Any>,
        _subject: &str,
        event: &CloudEvent,
    ) -> Result<(), HandlerError> {
        OnboardingEvent::decode(event).map(|_| ()).map_err(|e| HandlerError::Reject(e.into()))
    }
}

async fn an_unknown_event_type_is_rejected_to_the_dead_letters(mode: Mode) {
    let skeleton = Skeleton::start_without_consumer(mode).await;
    let consumer = Consumer::new(skeleton.spec(), skeleton.consumer_store.clone(), skeleton.bus.clone(), Strict);
    let shutdown = Shutdown::new();
    let running = tokio::spawn(consumer.run(shutdown.clone()));
    skeleton.write(vec![greeting("a type nobody knows")]).await;
    let letter = wait_for_dead_letter(&skeleton.bus).await;
    let error = letter.headers.get(DLQ_ERROR_HEADER).cloned().unwrap_or_default();
    assert!(error.contains("unknown event type") && error.contains("butterboard.test.greeted.v1"), "{error}");
    shutdown.trigger();
    running.await.unwrap().unwrap();
    skeleton.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn distributed_an_unknown_event_type_is_rejected_to_the_dead_letters() {
    an_unknown_event_type_is_rejected_to_the_dead_letters(Mode::distributed().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_an_unknown_event_type_is_rejected_to_the_dead_letters() {
    an_unknown_event_type_is_rejected_to_the_dead_letters(Mode::embedded()).await;
}

/// Works for three ack-wait periods, counting how often it is called, then records its effect.
struct Slow(Arc<AtomicUsize>);

#[async_trait]
impl EventHandler for Slow {
    async fn handle(
        &self,
        tx: &mut Transaction<'static, Any>,
        _subject: &str,
        event: &CloudEvent,
    ) -> Result<(), HandlerError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(2400)).await;
        support::apply_effect(tx, event).await
    }
}

async fn a_handler_working_longer_than_the_ack_wait_keeps_its_delivery(mode: Mode) {
    let skeleton = Skeleton::start_without_consumer(mode).await;
    let calls = Arc::new(AtomicUsize::new(0));
    let mut spec = skeleton.spec();
    spec.ack_wait = Duration::from_millis(800);
    // A second instance of the same durable consumer would be handed a redelivery if progress
    // acks did not hold the message. Its inbox claim would then find the first instance's entry
    // and skip the handler, so deliveries are counted at the bus, not in the handler.
    let bus = CountingBus::new(skeleton.bus.clone());
    let shutdown = Shutdown::new();
    let mut running = Vec::new();
    for _ in 0..2 {
        let consumer =
            Consumer::new(spec.clone(), skeleton.consumer_store.clone(), Arc::new(bus.clone()), Slow(calls.clone()));
        running.push(tokio::spawn(consumer.run(shutdown.clone())));
    }
    skeleton.write(vec![greeting("slow work")]).await;
    // Done once its effect is committed; a redelivery would have come at the first expired ack
    // wait, long before.
    assert!(skeleton.wait_for_effects(1).await, "the slow handler finishes");
    let deliveries = bus.deliveries();
    assert_eq!(deliveries.len(), 1, "delivered once, never again while in progress: {deliveries:?}");
    assert_eq!(deliveries[0].attempt, 1);
    assert_eq!(calls.load(Ordering::SeqCst), 1, "handled once");
    shutdown.trigger();
    for task in running {
        task.await.unwrap().unwrap();
    }
    skeleton.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn distributed_a_handler_working_longer_than_the_ack_wait_keeps_its_delivery() {
    a_handler_working_longer_than_the_ack_wait_keeps_its_delivery(Mode::distributed().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_a_handler_working_longer_than_the_ack_wait_keeps_its_delivery() {
    a_handler_working_longer_than_the_ack_wait_keeps_its_delivery(Mode::embedded()).await;
}
