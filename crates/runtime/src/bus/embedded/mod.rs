//! The embedded bus: JetStream's semantics in one SQLite file of the data directory, for the
//! single-process (embedded) run mode. It is not a mock: a publish returns only after its commit,
//! so a kill -9 loses nothing a publisher was told was accepted, and deliveries that were not
//! acknowledged come back after a restart.
//!
//! - [`schema`]: the tables and the connections (one writer, a read-only pool; WAL).
//! - [`writer`]: the task that owns the write connection and commits queued commands in groups.
//! - [`append`] and [`publish`]: storing with de-duplication; dead letters, replays, retention.
//! - [`consume`] and [`claim`]: durable consumers, settling deliveries; claiming and expiring them.
//! - [`subscription`] and [`tail`]: what callers read from.

mod append;
mod claim;
mod consume;
mod publish;
mod schema;
mod subscription;
mod tail;
mod writer;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use sqlx::sqlite::SqlitePool;
use tokio::sync::watch;

use self::consume::ConsumerRef;
use self::publish::{Retention, route};
use self::writer::{Command, Housekeeping, WriterHandle};
use super::{
    BusError, ConsumerSpec, DEFAULT_MAX_PAYLOAD, EventBus, OutgoingMessage, PublishAck, STREAMS, StoredMessage,
    StreamSpec, Subscription, Tail, TailStart, message_size, validate_filter,
};
pub use crate::store::SqliteSync;

/// The file name used when [`EmbeddedBus::open`] is given a directory.
pub const FILE_NAME: &str = "bus.sqlite";

/// Per stream (in [`STREAMS`] order), a counter the writer bumps after committing messages to it.
type Generations = [u64; STREAMS.len()];

/// Tunables of the embedded bus; the defaults suit production.
#[derive(Debug, Clone)]
pub struct EmbeddedOptions {
    /// How often idle subscriptions and tails look at the file, which is how they see messages
    /// written by another process (in-process writes wake them at once).
    pub poll_interval: Duration,
    /// How often expired deliveries of every consumer are redelivered or dead-lettered even when
    /// no subscription asks.
    pub sweep_interval: Duration,
    /// How often messages older than their stream's age are deleted.
    pub purge_interval: Duration,
    /// Replaces every stream's `max_age` (and caps the duplicate window); for tests of retention.
    pub max_age: Option<Duration>,
    /// Deliveries a subscription claims per round trip to the writer.
    pub claim_batch: usize,
    /// When a claim brought part of a batch (messages trickling in), how long a subscription
    /// waits before its next claim so that claims carry several messages: a little latency for
    /// much less work per message under load. Zero claims again at once.
    pub claim_linger: Duration,
    /// `FULL` (the default) syncs the WAL at every commit group, so that a publish acknowledged
    /// survives an OS crash or power loss; `NORMAL` survives a process crash only, for an fsync
    /// less per group.
    pub synchronous: SqliteSync,
    /// The largest message accepted, counted as NATS counts it ([`message_size`]); NATS's default
    /// unless set, so that both buses refuse the same messages.
    pub max_payload: usize,
    /// How many bytes of publishes may wait for the writer; publishers beyond it wait for room.
    pub max_queued_bytes: usize,
}

impl Default for EmbeddedOptions {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_millis(200),
            sweep_interval: Duration::from_secs(1),
            purge_interval: Duration::from_secs(60),
            max_age: None,
            claim_batch: 16,
            claim_linger: Duration::from_millis(2),
            synchronous: SqliteSync::default(),
            max_payload: DEFAULT_MAX_PAYLOAD,
            max_queued_bytes: 64 * 1024 * 1024,
        }
    }
}

/// The embedded bus; open one per process and share it behind an `Arc`.
pub struct EmbeddedBus {
    path: PathBuf,
    writer: WriterHandle,
    reads: SqlitePool,
    stored: watch::Receiver<Generations>,
    options: EmbeddedOptions,
}

impl EmbeddedBus {
    /// Opens (creating if needed) the bus file at `path`, or `bus.sqlite` inside it if `path` is a
    /// directory, with the default options.
    pub async fn open(path: &Path) -> Result<EmbeddedBus, BusError> {
        Self::open_with(path, EmbeddedOptions::default()).await
    }

    /// Like [`open`](Self::open), with explicit options.
    pub async fn open_with(path: &Path, options: EmbeddedOptions) -> Result<EmbeddedBus, BusError> {
        // Zero intervals would spin (or make tokio's interval panic): keep a floor.
        let floor = Duration::from_millis(5);
        let options = EmbeddedOptions {
            poll_interval: options.poll_interval.max(floor),
            sweep_interval: options.sweep_interval.max(floor),
            purge_interval: options.purge_interval.max(floor),
            ..options
        };
        let path = if path.is_dir() { path.join(FILE_NAME) } else { path.to_path_buf() };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| BusError::Unavailable(format!("cannot create {}: {e}", parent.display())))?;
        }
        let conn = schema::open_writer(&path, options.synchronous).await?;
        let reads = schema::open_readers(&path).await?;
        let housekeeping = Housekeeping {
            sweep_interval: options.sweep_interval,
            purge_interval: options.purge_interval,
            retention: Retention { max_age: options.max_age },
        };
        let (writer, stored) = writer::spawn(conn, housekeeping, options.max_queued_bytes);
        tracing::info!(path = %path.display(), synchronous = %options.synchronous, "embedded bus opened");
        Ok(EmbeddedBus { path, writer, reads, stored, options })
    }

    /// The bus file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes of publishes waiting for the writer or in its current commit (to the KiB); never
    /// much above [`EmbeddedOptions::max_queued_bytes`].
    pub fn queued_publish_bytes(&self) -> usize {
        self.writer.queued_bytes()
    }

    /// Checks a message before it takes room in the queue.
    fn admit(&self, message: &OutgoingMessage) -> Result<(StreamSpec, usize), BusError> {
        let stream = route(&message.subject)?;
        let (size, max) = (message_size(message), self.options.max_payload);
        if size > max {
            return Err(BusError::TooLarge { size, max });
        }
        Ok((stream, size))
    }

    /// Commits everything queued so far and stops the writer; later calls fail as unavailable.
    /// Dropping the bus instead lets the writer finish the queue once every subscription is gone.
    pub async fn close(&self) {
        let (done, stopped) = tokio::sync::oneshot::channel();
        if self.writer.send(Command::Shutdown { done }) {
            let _ = stopped.await;
        }
        self.reads.close().await;
        tracing::info!(path = %self.path.display(), "embedded bus closed");
    }
}

#[async_trait]
impl EventBus for EmbeddedBus {
    fn kind(&self) -> &'static str {
        "embedded"
    }

    fn max_payload(&self) -> usize {
        self.options.max_payload
    }

    async fn publish(&self, message: OutgoingMessage) -> Result<PublishAck, BusError> {
        let (stream, size) = self.admit(&message)?;
        let room = self.writer.room(size).await?;
        self.writer.call(|reply| Command::Publish { stream, message, reply, room }).await
    }

    /// Queues every message before waiting (as far as the queue has room), so they share commit
    /// groups.
    async fn publish_all(&self, messages: Vec<OutgoingMessage>) -> Result<Vec<PublishAck>, BusError> {
        let mut answers = Vec::with_capacity(messages.len());
        for message in messages {
            let (stream, size) = self.admit(&message)?;
            let room = self.writer.room(size).await?;
            let (reply, answer) = tokio::sync::oneshot::channel();
            if !self.writer.send(Command::Publish { stream, message, reply, room }) {
                return Err(writer::closed());
            }
            answers.push(answer);
        }
        let mut acks = Vec::with_capacity(answers.len());
        for answer in answers {
            acks.push(answer.await.map_err(|_| writer::closed())??);
        }
        Ok(acks)
    }

    async fn subscribe(&self, spec: ConsumerSpec) -> Result<Box<dyn Subscription>, BusError> {
        spec.validate()?;
        let stream = stream_of_filters(&spec)?;
        let consumer = ConsumerRef {
            name: spec.name.as_str().into(),
            stream,
            filters: spec.filters.clone().into(),
            ack_wait_ms: millis(spec.ack_wait),
            max_deliver: spec.max_deliver,
            backoff_ms: spec.backoff.iter().copied().map(millis).collect(),
        };
        self.writer.call(|reply| Command::Subscribe { spec, stream, reply }).await?;
        tracing::debug!(consumer = %consumer.name, stream, "embedded bus subscription started");
        Ok(Box::new(subscription::EmbeddedSubscription::new(
            self.writer.clone(),
            consumer,
            subscription::Pacing {
                batch: self.options.claim_batch,
                poll_interval: self.options.poll_interval,
                linger: self.options.claim_linger,
            },
            self.stored.clone(),
        )))
    }

    async fn tail(&self, filter: &str, start: TailStart) -> Result<Box<dyn Tail>, BusError> {
        validate_filter(filter)?;
        let tail = tail::EmbeddedTail::start(
            self.reads.clone(),
            filter.to_string(),
            start,
            self.stored.clone(),
            self.options.poll_interval,
        )
        .await?;
        Ok(Box::new(tail))
    }

    async fn dead_letters(&self, limit: usize) -> Result<Vec<StoredMessage>, BusError> {
        tail::dead_letters(&self.reads, limit).await
    }

    async fn replay_dead_letter(&self, sequence: u64) -> Result<PublishAck, BusError> {
        self.writer.call(|reply| Command::Replay { sequence, reply }).await
    }

    async fn ping(&self) -> Result<(), BusError> {
        if self.writer.is_closed() {
            return Err(writer::closed());
        }
        sqlx::query("SELECT 1").execute(&self.reads).await.map_err(schema::unavailable)?;
        Ok(())
    }

    async fn consumer_lag(&self, spec: &ConsumerSpec) -> Result<u64, BusError> {
        tail::consumer_lag(&self.reads, spec).await
    }

    async fn dead_letter_count(&self) -> Result<u64, BusError> {
        tail::stream_messages(&self.reads, "DLQ").await
    }
}

/// The one stream every filter of `spec` lies in, as JetStream requires of a consumer.
fn stream_of_filters(spec: &ConsumerSpec) -> Result<&'static str, BusError> {
    let mut found: Option<&'static str> = None;
    for filter in &spec.filters {
        let stream = STREAMS.into_iter().find(|s| filter_within(s.subjects, filter)).ok_or_else(|| {
            BusError::InvalidConsumer(format!("{}: filter {filter:?} lies in no single stream", spec.name))
        })?;
        match found {
            Some(name) if name != stream.name => {
                return Err(BusError::InvalidConsumer(format!(
                    "{}: filters span streams {name} and {}",
                    spec.name, stream.name
                )));
            }
            _ => found = Some(stream.name),
        }
    }
    found.ok_or_else(|| BusError::InvalidConsumer(format!("{} has no subject filter", spec.name)))
}

/// Whether every subject `filter` matches also matches the stream pattern `stream`.
fn filter_within(stream: &str, filter: &str) -> bool {
    let mut tokens = filter.split('.');
    for pattern in stream.split('.') {
        match (pattern, tokens.next()) {
            (">", Some(_)) => return true,
            ("*", Some(token)) if token != ">" => {}
            (pattern, Some(token)) if pattern == token => {}
            _ => return false,
        }
    }
    tokens.next().is_none()
}

/// The position of stream `name` in [`STREAMS`] (0 for an unknown name, which cannot occur).
fn stream_index(name: &str) -> usize {
    STREAMS.iter().position(|s| s.name == name).unwrap_or(0)
}

/// Milliseconds since the epoch; the bus stores every time this way.
fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(millis).unwrap_or(0)
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_belongs_to_the_stream_whose_subjects_contain_it() {
        assert!(filter_within("zoom.>", "zoom.>"));
        assert!(filter_within("zoom.>", "zoom.recording.*"));
        assert!(!filter_within("zoom.>", "zoom"));
        assert!(!filter_within("zoom.>", "*.recording"));
        assert!(!filter_within("zoom.>", ">"));
        assert!(!filter_within("zoom.>", "onboarding.>"));
    }

    #[test]
    fn a_consumer_reading_two_streams_is_refused() {
        let spec = ConsumerSpec::new("both", &["zoom.>", "onboarding.>"]);
        assert!(matches!(stream_of_filters(&spec), Err(BusError::InvalidConsumer(_))));
        let spec = ConsumerSpec::new("one", &["zoom.meeting.*", "zoom.recording.>"]);
        assert_eq!(stream_of_filters(&spec).ok(), Some("ZOOM"));
    }
}
