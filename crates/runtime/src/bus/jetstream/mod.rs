//! The event bus on NATS JetStream (distributed mode).
//!
//! Streams `ZOOM`, `ONBOARDING` and `DLQ` are created or updated at start-up. A namespace (from
//! `BUTTERBOARD_BUS_NAMESPACE`) prefixes stream names and subjects so that several systems — or
//! tests running in parallel — share one NATS without seeing each other; everything above this
//! module speaks unprefixed subjects.
//!
//! Publishing sets `Nats-Msg-Id` and resolves only on the stream's acknowledgement. Consumers are
//! durable pull consumers with explicit acks ([`subscription`]); messages that run out of attempts
//! are dead-lettered by the consumer itself, or by the [`advisories`] sweeper when a process died
//! during the last attempt.

mod advisories;
mod convert;
mod namespace;
mod subscription;

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, context::Context, stream};
use async_trait::async_trait;
use futures::future::try_join_all;

pub use namespace::Namespace;

use super::*;
use convert::to_nats_headers;

/// How long a publish may wait for its acknowledgement before it counts as failed.
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(10);
/// Acknowledgements in flight while relaying a batch (FACTS: ~120k/s with 256 in flight on 2 cores).
const PIPELINE_DEPTH: usize = 512;

/// The JetStream bus.
#[derive(Clone)]
pub struct JetStreamBus {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) client: async_nats::Client,
    pub(crate) js: Context,
    pub(crate) ns: Namespace,
}

impl JetStreamBus {
    /// Connects to `url`, creates or updates the streams (and the advisory capture stream), and
    /// returns the bus. Connection loss later is retried by the client in the background.
    pub async fn connect(url: &str, namespace: Option<&str>) -> Result<JetStreamBus, BusError> {
        let ns = Namespace::new(namespace)?;
        let client = async_nats::ConnectOptions::new()
            .name("butterboard")
            .retry_on_initial_connect()
            .connection_timeout(Duration::from_secs(5))
            .connect(url)
            .await
            .map_err(|e| BusError::Unavailable(e.to_string()))?;
        // `connect` with retry returns before the first connection: wait for it, bounded.
        wait_connected(&client, Duration::from_secs(10)).await?;
        require_server_version(&client.server_info().version)?;
        let js = jetstream::ContextBuilder::new()
            .timeout(PUBLISH_TIMEOUT)
            .max_ack_inflight(PIPELINE_DEPTH * 2)
            .build(client.clone());
        let bus = JetStreamBus { inner: Arc::new(Inner { client, js, ns }) };
        bus.ensure_streams().await?;
        Ok(bus)
    }

    /// Creates the streams, or brings an existing stream's limits up to date.
    async fn ensure_streams(&self) -> Result<(), BusError> {
        for spec in STREAMS {
            let config = stream::Config {
                name: self.inner.ns.stream(spec.name),
                subjects: vec![self.inner.ns.subject(spec.subjects)],
                max_age: spec.max_age,
                // Zoom resends for ~85 minutes; the window must also never exceed max_age.
                duplicate_window: DUPLICATE_WINDOW.min(spec.max_age),
                storage: stream::StorageType::File,
                retention: stream::RetentionPolicy::Limits,
                allow_direct: true,
                ..Default::default()
            };
            self.inner
                .js
                .create_or_update_stream(config)
                .await
                .map_err(|e| BusError::Unavailable(format!("cannot create or update stream {}: {e}", spec.name)))?;
        }
        advisories::ensure_stream(&self.inner).await
    }

    /// Starts the sweeper that dead-letters messages whose last attempt was never settled (the
    /// consumer died). One per process is enough; it is idempotent across replicas.
    pub fn spawn_dead_letter_sweeper(&self, shutdown: crate::shutdown::Shutdown) -> tokio::task::JoinHandle<()> {
        let inner = self.inner.clone();
        tokio::spawn(async move { advisories::sweep(inner, shutdown).await })
    }

    /// The underlying client (for tests and diagnostics).
    pub fn client(&self) -> &async_nats::Client {
        &self.inner.client
    }

    pub fn namespace(&self) -> &Namespace {
        &self.inner.ns
    }
}

async fn wait_connected(client: &async_nats::Client, limit: Duration) -> Result<(), BusError> {
    let deadline = tokio::time::Instant::now() + limit;
    while client.connection_state() != async_nats::connection::State::Connected {
        if tokio::time::Instant::now() >= deadline {
            return Err(BusError::Unavailable("cannot connect to NATS".into()));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// Consumers with several subject filters need nats-server 2.10: older servers ignore the field
/// and deliver the whole stream, so refuse them up front.
fn require_server_version(version: &str) -> Result<(), BusError> {
    let mut parts = version.split(['.', '-']).map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    if (major, minor) < (2, 10) {
        return Err(BusError::Unavailable(format!("nats-server {version} is too old: 2.10 or newer is required")));
    }
    Ok(())
}

impl Inner {
    /// Sends one publish and returns the future of its acknowledgement.
    pub(crate) async fn send(
        &self,
        message: OutgoingMessage,
    ) -> Result<jetstream::context::PublishAckFuture, BusError> {
        validate_subject(&message.subject)?;
        // JetStream answers a subject no stream holds with "no responders", which also means "the
        // server is not answering": refuse ours up front so that one reads as a permanent error.
        if !STREAMS.iter().any(|s| subject_matches(s.subjects, &message.subject)) {
            return Err(BusError::Other(format!("no stream holds subject {:?}", message.subject)));
        }
        let (size, max) = (message_size(&message), self.max_payload());
        if size > max {
            return Err(BusError::TooLarge { size, max });
        }
        let mut headers = to_nats_headers(&message.headers);
        headers.insert(async_nats::header::NATS_MESSAGE_ID, message.id.as_str());
        let publish = jetstream::message::PublishMessage::build().payload(message.payload).headers(headers);
        self.js.send_publish(self.ns.subject(&message.subject), publish).await.map_err(|e| publish_error(e, size, max))
    }

    /// The limit the client checks publishes against: the server INFO's `max_payload`.
    pub(crate) fn max_payload(&self) -> usize {
        self.client.max_payload()
    }
}

/// Sorts a publish failure into what the caller can do about it: `Unavailable` (try again later)
/// for anything that says the server is not answering or is out of room, `TooLarge` for a message
/// that will never fit, `Other` for a refusal of this message.
fn publish_error(error: jetstream::context::PublishError, size: usize, max: usize) -> BusError {
    use jetstream::context::PublishErrorKind as Kind;
    let text = error.to_string();
    match error.kind() {
        Kind::MaxPayloadExceeded => BusError::TooLarge { size, max },
        // The subject lies in one of our streams (checked before sending): the stream not
        // answering is an outage, not a verdict on the message.
        Kind::StreamNotFound | Kind::TimedOut | Kind::BrokenPipe | Kind::MaxAckPending => BusError::Unavailable(text),
        _ if is_transient(&text) => BusError::Unavailable(text),
        _ => BusError::Other(text),
    }
}

/// Server answers that concern the server's state rather than the message: storage or account
/// limits, no leader, no responders, a closed connection.
fn is_transient(text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    [
        "no responders",
        "timed out",
        "disconnected",
        "insufficient resources",
        "resource limits",
        "no suitable peers",
        "leader",
    ]
    .iter()
    .any(|needle| text.contains(needle))
}

fn ack_error(size: usize, max: usize) -> impl Fn(jetstream::context::PublishError) -> BusError {
    move |error| publish_error(error, size, max)
}

fn to_ack(ack: jetstream::publish::PublishAck) -> PublishAck {
    PublishAck { sequence: ack.sequence, duplicate: ack.duplicate }
}

#[async_trait]
impl EventBus for JetStreamBus {
    fn kind(&self) -> &'static str {
        "jetstream"
    }

    /// The server's `max_payload`, as its INFO announced it (1 MiB unless configured).
    fn max_payload(&self) -> usize {
        self.inner.max_payload()
    }

    async fn publish(&self, message: OutgoingMessage) -> Result<PublishAck, BusError> {
        let (size, max) = (message_size(&message), self.inner.max_payload());
        let ack = self.inner.send(message).await?.await.map_err(ack_error(size, max))?;
        Ok(to_ack(ack))
    }

    async fn publish_all(&self, messages: Vec<OutgoingMessage>) -> Result<Vec<PublishAck>, BusError> {
        let mut acks = Vec::with_capacity(messages.len());
        let mut messages = messages.into_iter().peekable();
        while messages.peek().is_some() {
            // Send a window of publishes, then collect their acks: the server stores them in order
            // of arrival, so order is kept while round trips overlap.
            let mut pending = Vec::with_capacity(PIPELINE_DEPTH);
            let max = self.inner.max_payload();
            for message in messages.by_ref().take(PIPELINE_DEPTH) {
                let size = message_size(&message);
                pending.push((self.inner.send(message).await?, size));
            }
            let window =
                try_join_all(pending.into_iter().map(|(f, size)| async move { f.await.map_err(ack_error(size, max)) }))
                    .await?;
            acks.extend(window.into_iter().map(to_ack));
        }
        Ok(acks)
    }

    async fn subscribe(&self, spec: ConsumerSpec) -> Result<Box<dyn Subscription>, BusError> {
        spec.validate()?;
        Ok(Box::new(subscription::JetStreamSubscription::start(self.inner.clone(), spec).await?))
    }

    async fn tail(&self, filter: &str, start: TailStart) -> Result<Box<dyn Tail>, BusError> {
        validate_filter(filter)?;
        Ok(Box::new(subscription::JetStreamTail::start(self.inner.clone(), filter, start).await?))
    }

    async fn dead_letters(&self, limit: usize) -> Result<Vec<StoredMessage>, BusError> {
        subscription::list_stream(&self.inner, "DLQ", limit).await
    }

    async fn replay_dead_letter(&self, sequence: u64) -> Result<PublishAck, BusError> {
        let stream = self
            .inner
            .js
            .get_stream(self.inner.ns.stream("DLQ"))
            .await
            .map_err(|e| BusError::Unavailable(e.to_string()))?;
        let raw = stream.get_raw_message(sequence).await.map_err(|_| BusError::NotFound(sequence))?;
        let stored = convert::stored(&self.inner.ns, raw)?;
        let mut headers = stored.headers.clone();
        let original = headers
            .remove(DLQ_SUBJECT_HEADER)
            .ok_or_else(|| BusError::Other(format!("dead letter {sequence} has no {DLQ_SUBJECT_HEADER} header")))?;
        headers.remove(DLQ_ERROR_HEADER);
        headers.remove(DLQ_CONSUMER_HEADER);
        // A fresh message id, or the stream would drop the replay as a duplicate of the original;
        // `ce-id` stays, so consumers that did handle it still recognise it in their inbox.
        let replay = OutgoingMessage {
            subject: original,
            id: uuid::Uuid::now_v7().to_string(),
            headers,
            payload: stored.payload,
        };
        let ack = self.publish(replay).await?;
        stream.delete_message(sequence).await.map_err(|e| BusError::Other(e.to_string()))?;
        Ok(ack)
    }

    async fn ping(&self) -> Result<(), BusError> {
        self.inner.js.query_account().await.map(|_| ()).map_err(|e| BusError::Unavailable(e.to_string()))
    }

    async fn consumer_lag(&self, spec: &ConsumerSpec) -> Result<u64, BusError> {
        subscription::consumer_lag(&self.inner, spec).await
    }

    async fn dead_letter_count(&self) -> Result<u64, BusError> {
        subscription::stream_messages(&self.inner, "DLQ").await
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn servers_older_than_2_10_are_refused() {
        assert!(super::require_server_version("2.9.10").is_err());
        assert!(super::require_server_version("2.10.0").is_ok());
        assert!(super::require_server_version("2.15.1").is_ok());
        assert!(super::require_server_version("3.0.0-beta").is_ok());
    }
}
