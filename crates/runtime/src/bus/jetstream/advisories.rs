//! Dead letters for messages whose last attempt was never settled.
//!
//! When a consumer process dies during a message's last allowed delivery, nobody is left to
//! dead-letter it: JetStream stops redelivering, publishes a `MAX_DELIVERIES` advisory and keeps
//! the message in its stream (FACTS.md). Advisories are lost if nobody listens, so a stream
//! captures them, and a durable consumer on it copies each such message to `dlq.<subject>`. The
//! dead letter's id is the one the consumer itself would have used, so no failure is stored twice.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::consumer::{AckPolicy, pull};
use async_nats::jetstream::stream;
use futures::StreamExt;
use serde::Deserialize;

use super::Inner;
use super::convert::from_nats_headers;
use super::subscription::dead_letter_message;
use crate::bus::{BusError, Message, STREAMS};
use crate::shutdown::Shutdown;

const STREAM: &str = "ADVISORIES";
const SWEEPER: &str = "dlq-sweeper";

fn advisory_subject(stream: &str) -> String {
    format!("$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{stream}.*")
}

pub(super) async fn ensure_stream(inner: &Inner) -> Result<(), BusError> {
    let subjects =
        STREAMS.iter().filter(|s| s.name != "DLQ").map(|s| advisory_subject(&inner.ns.stream(s.name))).collect();
    let config = stream::Config {
        name: inner.ns.stream(STREAM),
        subjects,
        max_age: Duration::from_secs(7 * 24 * 3600),
        ..Default::default()
    };
    inner
        .js
        .create_or_update_stream(config)
        .await
        .map(|_| ())
        .map_err(|e| BusError::Unavailable(format!("cannot create the advisory stream: {e}")))
}

#[derive(Debug, Deserialize)]
struct MaxDeliveries {
    stream: String,
    consumer: String,
    stream_seq: u64,
}

/// Runs until shutdown, restarting its pull after errors.
pub(super) async fn sweep(inner: Arc<Inner>, shutdown: Shutdown) {
    let stopped = shutdown.wait();
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            result = sweep_once(&inner) => {
                if let Err(error) = result {
                    tracing::warn!(%error, "dead-letter sweeper interrupted, restarting");
                }
            }
            _ = &mut stopped => return,
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = &mut stopped => return,
        }
    }
}

async fn sweep_once(inner: &Inner) -> Result<(), BusError> {
    let unavailable = |e: &dyn std::fmt::Display| BusError::Unavailable(e.to_string());
    let stream = inner.js.get_stream(inner.ns.stream(STREAM)).await.map_err(|e| unavailable(&e))?;
    let consumer = stream
        .create_consumer(pull::Config {
            durable_name: Some(inner.ns.durable(SWEEPER)),
            ack_policy: AckPolicy::Explicit,
            ack_wait: Duration::from_secs(30),
            ..Default::default()
        })
        .await
        .map_err(|e| unavailable(&e))?;
    let mut messages = consumer.messages().await.map_err(|e| unavailable(&e))?;
    while let Some(message) = messages.next().await {
        let message = message.map_err(|e| unavailable(&e))?;
        match serde_json::from_slice::<MaxDeliveries>(&message.payload) {
            Ok(advisory) => dead_letter(inner, &advisory).await?,
            Err(error) => tracing::warn!(%error, "ignoring an unreadable max-deliveries advisory"),
        }
        message.ack().await.map_err(|e| unavailable(&e))?;
    }
    Ok(())
}

async fn dead_letter(inner: &Inner, advisory: &MaxDeliveries) -> Result<(), BusError> {
    let stream = inner.js.get_stream(&advisory.stream).await.map_err(|e| BusError::Unavailable(e.to_string()))?;
    let raw = match stream.get_raw_message(advisory.stream_seq).await {
        Ok(raw) => raw,
        Err(error) => {
            tracing::warn!(stream = %advisory.stream, sequence = advisory.stream_seq, %error, "message behind a max-deliveries advisory is gone");
            return Ok(());
        }
    };
    let message = Message {
        subject: inner.ns.strip(raw.subject.as_str()).to_string(),
        headers: from_nats_headers(Some(&raw.headers)),
        payload: raw.payload,
        sequence: raw.sequence,
    };
    let consumer = inner.ns.strip_durable(&advisory.consumer);
    let letter = dead_letter_message(&message, consumer, "max deliveries reached without acknowledgement");
    inner.send(letter).await?.await.map_err(|e| BusError::Unavailable(e.to_string()))?;
    tracing::warn!(consumer, subject = %message.subject, "unsettled message dead-lettered");
    Ok(())
}
