//! Durable pull consumers, tails and stream listings on JetStream.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::consumer::{self, AckPolicy, DeliverPolicy, pull};
use async_nats::jetstream::message::{AckKind, Acker as NatsAcker};
use async_trait::async_trait;
use futures::StreamExt;

use super::Inner;
use super::convert::{from_nats_headers, stored};
use crate::bus::*;

/// The stream whose subjects a filter falls into.
pub(crate) fn stream_for(filter: &str) -> Result<&'static StreamSpec, BusError> {
    let first = filter.split('.').next().unwrap_or_default();
    STREAMS.iter().find(|s| s.subjects.split('.').next() == Some(first)).ok_or_else(|| {
        BusError::InvalidConsumer(format!("filter {filter:?} lies in no stream (zoom.>, onboarding.>, dlq.>)"))
    })
}

fn unavailable(error: impl std::fmt::Display) -> BusError {
    BusError::Unavailable(error.to_string())
}

pub(crate) struct JetStreamSubscription {
    inner: Arc<Inner>,
    spec: ConsumerSpec,
    consumer: consumer::Consumer<pull::Config>,
    messages: Option<pull::Stream>,
}

impl JetStreamSubscription {
    pub(crate) async fn start(inner: Arc<Inner>, spec: ConsumerSpec) -> Result<Self, BusError> {
        let stream_spec = stream_for(&spec.filters[0])?;
        for filter in &spec.filters[1..] {
            if stream_for(filter)?.name != stream_spec.name {
                return Err(BusError::InvalidConsumer(format!("{}: all filters must lie in one stream", spec.name)));
            }
        }
        let stream = inner.js.get_stream(inner.ns.stream(stream_spec.name)).await.map_err(unavailable)?;
        let mut filters: Vec<String> = spec.filters.iter().map(|f| inner.ns.subject(f)).collect();
        let (filter_subject, filter_subjects) =
            if filters.len() == 1 { (filters.remove(0), Vec::new()) } else { (String::new(), filters) };
        let config = pull::Config {
            durable_name: Some(inner.ns.durable(&spec.name)),
            filter_subject,
            filter_subjects,
            ack_policy: AckPolicy::Explicit,
            ack_wait: spec.ack_wait,
            max_deliver: i64::from(spec.max_deliver),
            // Redelivery pacing comes from our naks (which carry the backoff); the server's
            // backoff list would also replace ack_wait for deliveries that simply time out.
            max_ack_pending: 1000,
            ..Default::default()
        };
        let consumer = stream
            .create_consumer(config)
            .await
            .map_err(|e| BusError::InvalidConsumer(format!("cannot create consumer {}: {e}", spec.name)))?;
        Ok(Self { inner, spec, consumer, messages: None })
    }

    fn delivery(&self, message: async_nats::jetstream::Message) -> Result<Delivery, BusError> {
        let info = message.info().map_err(|e| BusError::Other(e.to_string()))?;
        let attempt = u32::try_from(info.delivered).unwrap_or(u32::MAX);
        let sequence = info.stream_sequence;
        let (message, acker) = message.split();
        let delivered = Message {
            subject: self.inner.ns.strip(message.subject.as_str()).to_string(),
            headers: from_nats_headers(message.headers.as_ref()),
            payload: message.payload,
            sequence,
        };
        let acker = JetStreamAcker { inner: self.inner.clone(), acker, consumer: self.spec.name.clone() };
        Ok(Delivery::new(delivered, attempt, self.spec.max_deliver, Box::new(acker)))
    }
}

#[async_trait]
impl Subscription for JetStreamSubscription {
    async fn next(&mut self) -> Result<Option<Delivery>, BusError> {
        if self.messages.is_none() {
            // Pulls as many as the handler works on at once, no more: the client asks for the
            // next batch only when half of this one was taken, so a larger batch would sit in the
            // client's buffer behind slow handlers while its ack wait runs out, come back as
            // redeliveries and reach max_deliver without any handler failing.
            let stream = self
                .consumer
                .stream()
                .max_messages_per_batch(self.spec.concurrency.max(1))
                .heartbeat(Duration::from_secs(5))
                .messages()
                .await
                .map_err(unavailable)?;
            self.messages = Some(stream);
        }
        let Some(messages) = self.messages.as_mut() else { return Ok(None) };
        match messages.next().await {
            Some(Ok(message)) => self.delivery(message).map(Some),
            Some(Err(error)) => {
                // A missed heartbeat or a broken connection: start a fresh pull next time.
                self.messages = None;
                Err(unavailable(error))
            }
            None => {
                self.messages = None;
                Err(BusError::Unavailable("consumer message stream ended".into()))
            }
        }
    }
}

struct JetStreamAcker {
    inner: Arc<Inner>,
    acker: NatsAcker,
    consumer: String,
}

impl JetStreamAcker {
    async fn send(&self, kind: AckKind) -> Result<(), BusError> {
        self.acker.ack_with(kind).await.map_err(unavailable)
    }
}

#[async_trait]
impl Acker for JetStreamAcker {
    async fn ack(&self) -> Result<(), BusError> {
        self.send(AckKind::Ack).await
    }

    async fn nak(&self, delay: Duration) -> Result<(), BusError> {
        self.send(AckKind::Nak(Some(delay))).await
    }

    async fn in_progress(&self) -> Result<(), BusError> {
        self.send(AckKind::Progress).await
    }

    async fn dead_letter(&self, message: &Message, error: &str) -> Result<(), BusError> {
        let letter = dead_letter_message(message, &self.consumer, error);
        let ack = self.inner.send(letter).await?.await.map_err(unavailable)?;
        tracing::warn!(consumer = %self.consumer, subject = %message.subject, dlq_sequence = ack.sequence, error, "message dead-lettered");
        // Term: the server stops redelivering; the message stays in its stream for other consumers.
        self.send(AckKind::Term).await
    }
}

/// The dead letter of `message`: same payload and headers plus why it failed and where it was.
/// Its id is derived from the stream position and the consumer, so the consumer's own
/// dead-lettering and the advisory sweeper never store the same failure twice.
pub(crate) fn dead_letter_message(message: &Message, consumer: &str, error: &str) -> OutgoingMessage {
    let mut headers = message.headers.clone();
    headers.insert(DLQ_ERROR_HEADER.into(), error.chars().take(1000).collect());
    headers.insert(DLQ_CONSUMER_HEADER.into(), consumer.into());
    headers.insert(DLQ_SUBJECT_HEADER.into(), message.subject.clone());
    OutgoingMessage {
        subject: dead_letter_subject(&message.subject),
        id: format!("dlq-{}-{}-{consumer}", message.subject, message.sequence),
        headers,
        payload: message.payload.clone(),
    }
}

/// An ordered, ephemeral consumer from the end of a stream.
pub(crate) struct JetStreamTail {
    inner: Arc<Inner>,
    messages: consumer::pull::Ordered,
}

impl JetStreamTail {
    pub(crate) async fn start(inner: Arc<Inner>, filter: &str, start: TailStart) -> Result<Self, BusError> {
        let spec = stream_for(filter)?;
        let stream = inner.js.get_stream(inner.ns.stream(spec.name)).await.map_err(unavailable)?;
        let deliver_policy = match start {
            TailStart::New => DeliverPolicy::New,
            TailStart::All => DeliverPolicy::All,
            TailStart::Since(ms) => DeliverPolicy::ByStartTime {
                start_time: time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
                    .map_err(|e| BusError::Other(format!("tail start: {e}")))?,
            },
        };
        let consumer = stream
            .create_consumer(pull::OrderedConfig {
                filter_subject: inner.ns.subject(filter),
                deliver_policy,
                ..Default::default()
            })
            .await
            .map_err(unavailable)?;
        let messages = consumer.messages().await.map_err(unavailable)?;
        Ok(Self { inner, messages })
    }
}

#[async_trait]
impl Tail for JetStreamTail {
    async fn next(&mut self) -> Result<Option<StoredMessage>, BusError> {
        match self.messages.next().await {
            None => Ok(None),
            Some(Err(error)) => Err(unavailable(error)),
            Some(Ok(message)) => {
                let info = message.info().map_err(|e| BusError::Other(e.to_string()))?;
                let stored_at_ms = i64::try_from(info.published.unix_timestamp_nanos() / 1_000_000).unwrap_or_default();
                let sequence = info.stream_sequence;
                Ok(Some(StoredMessage {
                    sequence,
                    subject: self.inner.ns.strip(message.subject.as_str()).to_string(),
                    headers: from_nats_headers(message.headers.as_ref()),
                    payload: message.payload.clone(),
                    stored_at_ms,
                }))
            }
        }
    }
}

/// Up to `limit` messages of a stream, oldest first, skipping deleted ones.
pub(crate) async fn list_stream(inner: &Inner, name: &str, limit: usize) -> Result<Vec<StoredMessage>, BusError> {
    let mut stream = inner.js.get_stream(inner.ns.stream(name)).await.map_err(unavailable)?;
    let state = stream.info().await.map_err(unavailable)?.state.clone();
    let mut out = Vec::new();
    if state.messages == 0 {
        return Ok(out);
    }
    for sequence in state.first_sequence..=state.last_sequence {
        if out.len() >= limit {
            break;
        }
        if let Ok(raw) = stream.get_raw_message(sequence).await {
            out.push(stored(&inner.ns, raw)?);
        }
    }
    Ok(out)
}

/// Messages the durable consumer of `spec` has not delivered yet (`num_pending`); 0 when the
/// consumer does not exist yet.
pub(crate) async fn consumer_lag(inner: &Inner, spec: &ConsumerSpec) -> Result<u64, BusError> {
    let stream_spec = stream_for(spec.filters.first().map(String::as_str).unwrap_or_default())?;
    let stream = inner.js.get_stream(inner.ns.stream(stream_spec.name)).await.map_err(unavailable)?;
    match stream.consumer_info(inner.ns.durable(&spec.name)).await {
        Ok(info) => Ok(info.num_pending),
        Err(error) if error.kind() == async_nats::jetstream::context::ConsumerInfoErrorKind::NotFound => Ok(0),
        Err(error) => Err(unavailable(error)),
    }
}

/// How many messages the stream `name` holds.
pub(crate) async fn stream_messages(inner: &Inner, name: &str) -> Result<u64, BusError> {
    let mut stream = inner.js.get_stream(inner.ns.stream(name)).await.map_err(unavailable)?;
    let info = stream.info().await.map_err(unavailable)?;
    Ok(info.state.messages)
}
