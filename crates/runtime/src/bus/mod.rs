//! The event bus: one small trait, two implementations.
//!
//! [`jetstream::JetStreamBus`] talks to NATS JetStream (distributed mode); [`embedded::EmbeddedBus`]
//! keeps the same semantics in a SQLite file of the data directory (embedded mode). Both give
//! at-least-once delivery to durable, named pull consumers with explicit acks, de-duplication by
//! message id, redelivery with backoff, and dead letters on `dlq.<subject>` after `max_deliver`
//! attempts. The conformance suite in `testing::bus` runs against both.

pub mod embedded;
pub mod jetstream;
mod message;
mod subject;

use std::time::Duration;

use async_trait::async_trait;

pub use message::{Headers, Message, OutgoingMessage, PublishAck, StoredMessage};
pub use subject::{SubjectError, subject_matches, validate_filter, validate_subject};

/// The streams of ARCHITECTURE §4 and the subjects each one holds.
pub const STREAMS: [StreamSpec; 3] = [
    StreamSpec { name: "ZOOM", subjects: "zoom.>", max_age: Duration::from_secs(7 * 24 * 3600) },
    StreamSpec { name: "ONBOARDING", subjects: "onboarding.>", max_age: Duration::from_secs(30 * 24 * 3600) },
    StreamSpec { name: "DLQ", subjects: "dlq.>", max_age: Duration::from_secs(30 * 24 * 3600) },
];

/// Zoom resends a failed delivery up to ~85 minutes after the first try; de-duplication must span
/// that, with room to spare.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(2 * 3600);

/// Header naming the error that sent a message to the dead-letter stream.
pub const DLQ_ERROR_HEADER: &str = "butterboard-dlq-error";
/// Header naming the consumer that gave up on a dead-lettered message.
pub const DLQ_CONSUMER_HEADER: &str = "butterboard-dlq-consumer";
/// Header holding the subject a dead-lettered message was published on.
pub const DLQ_SUBJECT_HEADER: &str = "butterboard-dlq-subject";
/// Prefix of the dead-letter subjects: `dlq.<original subject>`.
pub const DLQ_PREFIX: &str = "dlq.";

/// NATS's default `max_payload` (1 MiB), which the embedded bus applies too, so that a message
/// accepted in embedded mode is accepted by a default JetStream deployment.
pub const DEFAULT_MAX_PAYLOAD: usize = 1024 * 1024;

/// Room to leave below [`EventBus::max_payload`] for the headers a body travels with (CloudEvents
/// attributes, `Nats-Msg-Id`, trace context): a body at most `max_payload - HEADER_RESERVE`
/// bytes long always fits in one message.
pub const HEADER_RESERVE: usize = 8 * 1024;

/// Where a tail starts reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TailStart {
    /// Only messages stored after the tail started.
    #[default]
    New,
    /// Everything the stream still holds.
    All,
    /// Messages stored at or after this time (epoch milliseconds), then new ones.
    Since(i64),
}

/// A stream of the bus.
#[derive(Debug, Clone, Copy)]
pub struct StreamSpec {
    pub name: &'static str,
    pub subjects: &'static str,
    pub max_age: Duration,
}

/// A durable consumer: a name owned by one service (`<service>-<purpose>`) and what it reads.
#[derive(Debug, Clone)]
pub struct ConsumerSpec {
    /// Durable name, e.g. `recording-archiver-recordings`.
    pub name: String,
    /// Subject filters (NATS wildcards `*` and `>`); all must lie in one stream.
    pub filters: Vec<String>,
    /// How long a delivery may go without an ack or progress before it is redelivered.
    pub ack_wait: Duration,
    /// Attempts before a message is dead-lettered.
    pub max_deliver: u32,
    /// Delay before each redelivery after a failure; the last entry repeats.
    pub backoff: Vec<Duration>,
    /// How many deliveries the handler works on at once (the consumer runner: one). A
    /// subscription asks the bus for no more than this many at a time: a delivery's ack wait runs
    /// from the moment the bus hands it out, so one waiting in a local buffer behind slow handlers
    /// would expire, be redelivered and spend attempts no handler failed.
    pub concurrency: usize,
}

impl ConsumerSpec {
    /// A consumer with the defaults every service starts from: 30 s ack wait, 5 attempts, backoff
    /// 1 s, 5 s, 30 s, 2 min.
    pub fn new(name: impl Into<String>, filters: &[&str]) -> Self {
        Self {
            name: name.into(),
            filters: filters.iter().map(|f| f.to_string()).collect(),
            ack_wait: Duration::from_secs(30),
            max_deliver: 5,
            backoff: [1, 5, 30, 120].map(Duration::from_secs).to_vec(),
            concurrency: 1,
        }
    }

    /// The delay before redelivery after the `attempt`-th delivery failed (1-based).
    pub fn backoff_after(&self, attempt: u32) -> Duration {
        let index = (attempt.max(1) - 1) as usize;
        self.backoff.get(index).or(self.backoff.last()).copied().unwrap_or(Duration::from_secs(1))
    }

    /// Checks the spec before any bus sees it.
    pub fn validate(&self) -> Result<(), BusError> {
        let valid_name =
            !self.name.is_empty() && self.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid_name {
            return Err(BusError::InvalidConsumer(format!("bad durable name {:?}", self.name)));
        }
        if self.filters.is_empty() {
            return Err(BusError::InvalidConsumer(format!("{} has no subject filter", self.name)));
        }
        for filter in &self.filters {
            validate_filter(filter).map_err(|e| BusError::InvalidConsumer(e.to_string()))?;
        }
        if self.concurrency == 0 {
            return Err(BusError::InvalidConsumer(format!("{}: concurrency must be at least 1", self.name)));
        }
        if self.max_deliver == 0 || (self.backoff.len() as u32) >= self.max_deliver {
            return Err(BusError::InvalidConsumer(format!(
                "{}: max_deliver must exceed the number of backoff steps",
                self.name
            )));
        }
        Ok(())
    }
}

/// What can go wrong on the bus. `Unavailable` is the one worth retrying.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("event bus unavailable: {0}")]
    Unavailable(String),
    #[error("invalid subject: {0}")]
    InvalidSubject(#[from] SubjectError),
    #[error("invalid consumer: {0}")]
    InvalidConsumer(String),
    #[error("message {0} not found")]
    NotFound(u64),
    /// The message (headers and payload, as NATS counts them) exceeds the bus's max payload; it
    /// will never be accepted as it is.
    #[error("message of {size} bytes exceeds the bus's max payload of {max} bytes")]
    TooLarge { size: usize, max: usize },
    #[error("event bus error: {0}")]
    Other(String),
}

/// The bus. Implementations are cheap to clone behind an `Arc`.
#[async_trait]
pub trait EventBus: Send + Sync + 'static {
    /// `"jetstream"` or `"embedded"`, for logs and `/readyz`.
    fn kind(&self) -> &'static str;

    /// The largest message (headers and payload, counted as [`message_size`] does) the bus
    /// accepts; a larger one is refused with [`BusError::TooLarge`]. Writers of outside input
    /// (webhook bodies) cap it at this minus [`HEADER_RESERVE`].
    fn max_payload(&self) -> usize;

    /// Publishes one message and returns once the bus has durably accepted it.
    async fn publish(&self, message: OutgoingMessage) -> Result<PublishAck, BusError>;

    /// Publishes many messages with several acknowledgements in flight; returns their acks in the
    /// input order, or the first error (messages before it may have been accepted; publishing again
    /// with the same ids is safe).
    async fn publish_all(&self, messages: Vec<OutgoingMessage>) -> Result<Vec<PublishAck>, BusError> {
        let mut acks = Vec::with_capacity(messages.len());
        for message in messages {
            acks.push(self.publish(message).await?);
        }
        Ok(acks)
    }

    /// Creates the durable consumer if missing (or updates it) and starts pulling from it.
    async fn subscribe(&self, spec: ConsumerSpec) -> Result<Box<dyn Subscription>, BusError>;

    /// Follows the messages matching `filter` without a durable consumer (for `events tail`),
    /// starting where `start` says.
    async fn tail(&self, filter: &str, start: TailStart) -> Result<Box<dyn Tail>, BusError>;

    /// Dead letters, oldest first.
    async fn dead_letters(&self, limit: usize) -> Result<Vec<StoredMessage>, BusError>;

    /// Publishes a dead letter again on its original subject (a fresh message id, the same
    /// CloudEvents id) and removes it from the dead-letter stream.
    async fn replay_dead_letter(&self, sequence: u64) -> Result<PublishAck, BusError>;

    /// Whether the bus answers right now (for `/readyz`).
    async fn ping(&self) -> Result<(), BusError>;

    /// Messages the durable consumer `spec` has not been handed yet (its lag); 0 for a consumer
    /// that does not exist yet.
    async fn consumer_lag(&self, spec: &ConsumerSpec) -> Result<u64, BusError>;

    /// How many dead letters wait in `dlq.>`.
    async fn dead_letter_count(&self) -> Result<u64, BusError>;
}

/// A running durable consumer.
#[async_trait]
pub trait Subscription: Send {
    /// The next delivery, waiting for one; `None` once the subscription is closed.
    async fn next(&mut self) -> Result<Option<Delivery>, BusError>;
}

/// A non-durable follower of new messages.
#[async_trait]
pub trait Tail: Send {
    async fn next(&mut self) -> Result<Option<StoredMessage>, BusError>;
}

/// One delivery of a message to a consumer, to be settled exactly once.
pub struct Delivery {
    pub message: Message,
    /// 1 for the first delivery, 2 for the first redelivery, …
    pub attempt: u32,
    /// The consumer's `max_deliver`.
    pub max_deliver: u32,
    acker: Box<dyn Acker>,
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery")
            .field("subject", &self.message.subject)
            .field("attempt", &self.attempt)
            .finish_non_exhaustive()
    }
}

/// How a delivery is settled; implemented by each bus.
#[async_trait]
pub trait Acker: Send + Sync {
    async fn ack(&self) -> Result<(), BusError>;
    async fn nak(&self, delay: Duration) -> Result<(), BusError>;
    async fn in_progress(&self) -> Result<(), BusError>;
    /// Publishes the message to `dlq.<subject>` with `error`, then stops its redelivery.
    async fn dead_letter(&self, message: &Message, error: &str) -> Result<(), BusError>;
}

impl Delivery {
    pub fn new(message: Message, attempt: u32, max_deliver: u32, acker: Box<dyn Acker>) -> Self {
        Self { message, attempt, max_deliver, acker }
    }

    /// The work is done: never deliver this message to this consumer again.
    pub async fn ack(self) -> Result<(), BusError> {
        self.acker.ack().await
    }

    /// Deliver again after `delay`.
    pub async fn nak(self, delay: Duration) -> Result<(), BusError> {
        self.acker.nak(delay).await
    }

    /// Still working: restart the ack-wait clock (long handlers call this periodically).
    pub async fn in_progress(&self) -> Result<(), BusError> {
        self.acker.in_progress().await
    }

    /// Give up now: dead-letter the message with `error`.
    pub async fn dead_letter(self, error: &str) -> Result<(), BusError> {
        self.acker.dead_letter(&self.message, error).await
    }

    /// The handler failed with `error`: redeliver after the backoff, or dead-letter the message if
    /// this was the last attempt.
    pub async fn fail(self, error: &str, backoff: Duration) -> Result<(), BusError> {
        if self.attempt >= self.max_deliver { self.dead_letter(error).await } else { self.nak(backoff).await }
    }
}

/// The size NATS counts against `max_payload`: the payload plus the headers as they travel
/// (`NATS/1.0\r\n`, one `name: value\r\n` line each, a blank line), `Nats-Msg-Id` included.
pub fn message_size(message: &OutgoingMessage) -> usize {
    const VERSION_LINE: usize = "NATS/1.0\r\n".len();
    let line = |name: &str, value: &str| name.len() + 2 + value.len() + 2;
    let headers: usize = message.headers.iter().map(|(name, value)| line(name, value)).sum();
    VERSION_LINE + headers + line("Nats-Msg-Id", &message.id) + 2 + message.payload.len()
}

/// The dead-letter subject of a message published on `subject`.
pub fn dead_letter_subject(subject: &str) -> String {
    format!("{DLQ_PREFIX}{subject}")
}
