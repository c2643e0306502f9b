//! The single writer: one task owns the write connection and applies queued commands in groups,
//! one `BEGIN IMMEDIATE` transaction per group (group commit), answering every caller only after
//! the group's commit. Many publishers and consumers thus share one fsync-free WAL append per
//! group instead of paying a transaction each, and nobody is told "accepted" before the data is on
//! disk.
//!
//! The queue is bounded by the bytes of the publishes waiting in it ([`WriterHandle::room`]):
//! publishers faster than the disk wait for room instead of growing the queue without limit. Other
//! commands are not counted: each is small, and their number is bounded by the subscriptions and
//! the deliveries handed out.

use std::sync::Arc;
use std::time::Duration;

use sqlx::Connection;
use sqlx::sqlite::SqliteConnection;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot, watch};
use tokio::time::{Instant, MissedTickBehavior};

use super::append::{Append, append_all};
use super::claim::{self, Claimed};
use super::consume::{self, ConsumerRef, Settle, Target};
use super::publish::{self, Retention, TxState};
use super::{Generations, now_ms};
use crate::bus::{BusError, ConsumerSpec, OutgoingMessage, PublishAck, StreamSpec};

/// Commands applied in one transaction at most; bounds the latency a group adds.
const MAX_GROUP: usize = 1024;

type Reply<T> = oneshot::Sender<Result<T, BusError>>;

/// What callers ask of the writer.
pub(super) enum Command {
    /// `room` is the publish's share of the queue, given back once its group committed.
    Publish {
        stream: StreamSpec,
        message: OutgoingMessage,
        reply: Reply<PublishAck>,
        room: OwnedSemaphorePermit,
    },
    Subscribe {
        spec: ConsumerSpec,
        stream: &'static str,
        reply: Reply<()>,
    },
    Claim {
        consumer: ConsumerRef,
        max: usize,
        reply: Reply<Claimed>,
    },
    Settle {
        target: Target,
        action: Settle,
        reply: Option<Reply<()>>,
    },
    Replay {
        sequence: u64,
        reply: Reply<PublishAck>,
    },
    Shutdown {
        done: oneshot::Sender<()>,
    },
}

/// A caller's answer, sent after the commit; `Some(reason)` replaces it when the commit failed.
type Finish = Box<dyn FnOnce(Option<&str>) + Send>;

fn finish<T: Send + 'static>(reply: Reply<T>, result: Result<T, BusError>) -> Finish {
    Box::new(move |failed| {
        let outcome = match failed {
            Some(reason) => Err(BusError::Unavailable(reason.to_string())),
            None => result,
        };
        // The caller may have stopped waiting (a cancelled future): nothing to tell then.
        let _ = reply.send(outcome);
    })
}

/// Timings of the writer's housekeeping.
#[derive(Debug, Clone, Copy)]
pub(super) struct Housekeeping {
    pub sweep_interval: Duration,
    pub purge_interval: Duration,
    pub retention: Retention,
}

/// The callers' side of the queue.
#[derive(Clone)]
pub(super) struct WriterHandle {
    tx: mpsc::UnboundedSender<Command>,
    room: Arc<Semaphore>,
    capacity: u32,
}

/// The unit of the queue's bound: publishes take one permit per started KiB.
const ROOM_UNIT: usize = 1024;

impl WriterHandle {
    /// Waits until the queue has room for a publish of `size` bytes and takes it. A message larger
    /// than the whole bound takes all of it, so it still goes through, alone.
    pub async fn room(&self, size: usize) -> Result<OwnedSemaphorePermit, BusError> {
        let units = u32::try_from(size / ROOM_UNIT + 1).unwrap_or(u32::MAX).min(self.capacity);
        self.room.clone().acquire_many_owned(units).await.map_err(|_| closed())
    }

    /// Bytes of publishes queued or being committed, to the KiB.
    pub fn queued_bytes(&self) -> usize {
        (self.capacity as usize).saturating_sub(self.room.available_permits()) * ROOM_UNIT
    }

    /// Queues a command and waits for its answer.
    pub async fn call<T>(&self, make: impl FnOnce(Reply<T>) -> Command) -> Result<T, BusError> {
        let (reply, answer) = oneshot::channel();
        self.tx.send(make(reply)).map_err(|_| closed())?;
        answer.await.map_err(|_| closed())?
    }

    /// Queues a command without waiting; `false` if the writer is gone.
    pub fn send(&self, command: Command) -> bool {
        self.tx.send(command).is_ok()
    }

    /// Whether the writer stopped (after `shutdown`, or a fatal error).
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

pub(super) fn closed() -> BusError {
    BusError::Unavailable("embedded bus is closed".into())
}

/// Starts the writer on `conn`; the receiver's generation of a stream changes after each commit
/// that stored messages in it, which is what waiting subscriptions and tails watch.
pub(super) fn spawn(
    conn: SqliteConnection,
    housekeeping: Housekeeping,
    max_queued_bytes: usize,
) -> (WriterHandle, watch::Receiver<Generations>) {
    let capacity =
        u32::try_from(max_queued_bytes / ROOM_UNIT).unwrap_or(u32::MAX).clamp(1, Semaphore::MAX_PERMITS as u32);
    let room = Arc::new(Semaphore::new(capacity as usize));
    let (tx, rx) = mpsc::unbounded_channel();
    let (stored, stored_rx) = watch::channel(Generations::default());
    let writer = Writer { conn, rx, requeue: tx.downgrade(), stored, housekeeping };
    tokio::spawn(writer.run());
    (WriterHandle { tx, room, capacity }, stored_rx)
}

struct Writer {
    conn: SqliteConnection,
    rx: mpsc::UnboundedReceiver<Command>,
    /// Weak, so that the writer stops once every caller's handle is gone.
    requeue: mpsc::WeakUnboundedSender<Command>,
    stored: watch::Sender<Generations>,
    housekeeping: Housekeeping,
}

impl Writer {
    async fn run(mut self) {
        let mut sweep = tokio::time::interval(self.housekeeping.sweep_interval);
        sweep.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut last_purge: Option<Instant> = None;
        let mut shutdown = None;
        while shutdown.is_none() {
            tokio::select! {
                biased;
                _ = sweep.tick() => {
                    let purge = last_purge
                        .is_none_or(|at| at.elapsed() >= self.housekeeping.purge_interval);
                    if purge {
                        last_purge = Some(Instant::now());
                    }
                    self.maintain(purge).await;
                }
                command = self.rx.recv() => {
                    let Some(first) = command else { break };
                    let mut group = vec![first];
                    while group.len() < MAX_GROUP {
                        match self.rx.try_recv() {
                            Ok(command) => group.push(command),
                            Err(_) => break,
                        }
                    }
                    shutdown = self.apply_group(group).await;
                }
            }
        }
        // Refuse what comes after the shutdown; those callers were told nothing yet.
        self.rx.close();
        if let Err(error) = self.conn.close().await {
            tracing::warn!(error = %error, "embedded bus writer closed its connection uncleanly");
        }
        tracing::debug!("embedded bus writer stopped");
        if let Some(done) = shutdown {
            let _ = done.send(());
        }
    }

    /// Applies a group in one transaction; returns the shutdown signal if the group held one.
    async fn apply_group(&mut self, mut group: Vec<Command>) -> Option<oneshot::Sender<()>> {
        let count = group.len();
        let acks = take_acks(&mut group);
        let publishes = take_publishes(&mut group);
        let mut appended = Vec::new();
        let mut finishes: Vec<Finish> = Vec::with_capacity(count);
        let mut shutdown = None;
        let mut st = TxState::default();
        let Writer { conn, requeue, housekeeping, .. } = self;
        let mut commands = group.into_iter();
        let outcome = async {
            let now = now_ms();
            let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
            consume::ack_all(&mut tx, &acks).await?;
            let messages: Vec<Append<'_>> = publishes
                .iter()
                .map(|(stream, m, _, _)| Append {
                    stream,
                    subject: &m.subject,
                    msg_id: &m.id,
                    headers: &m.headers,
                    payload: &m.payload,
                })
                .collect();
            appended = append_all(&mut tx, &mut st, &housekeeping.retention, &messages, now).await?;
            for command in commands.by_ref() {
                if let Command::Shutdown { done } = command {
                    shutdown = Some(done);
                    continue;
                }
                let (finish, error) = apply(&mut tx, &mut st, &housekeeping.retention, requeue, command, now).await;
                finishes.push(finish);
                if let Some(error) = error {
                    return Err(error);
                }
            }
            tx.commit().await
        }
        .await;
        // Commands a failure left unapplied are answered with that failure below.
        finishes.extend(commands.filter_map(|c| abandon(c, &mut shutdown)));
        let mut appended = appended.into_iter();
        // The group is committed or rolled back: the publishes' room is free again.
        for (_, _, reply, _room) in publishes {
            finishes.push(finish(reply, appended.next().ok_or_else(closed)));
        }
        match outcome {
            Ok(()) => {
                finishes.into_iter().for_each(|f| f(None));
                self.wake(st.stored);
            }
            Err(error) => {
                tracing::error!(error = %error, commands = count, "embedded bus write failed and was rolled back");
                let reason = format!("embedded bus database: {error}");
                finishes.into_iter().for_each(|f| f(Some(&reason)));
            }
        }
        shutdown
    }

    /// Tells readers waiting on the streams in `stored` (a bit per stream) that they got messages.
    fn wake(&self, stored: u8) {
        if stored == 0 {
            return;
        }
        self.stored.send_modify(|generations| {
            for (index, generation) in generations.iter_mut().enumerate() {
                if stored & (1 << index) != 0 {
                    *generation = generation.wrapping_add(1);
                }
            }
        });
    }

    /// Redelivers or dead-letters expired deliveries of every consumer, and purges old messages.
    async fn maintain(&mut self, purge: bool) {
        let retention = self.housekeeping.retention;
        let mut st = TxState::default();
        let outcome: sqlx::Result<(usize, u64)> = async {
            let now = now_ms();
            let mut tx = self.conn.begin_with("BEGIN IMMEDIATE").await?;
            let expired = claim::sweep(&mut tx, &mut st, &retention, now).await?;
            let purged = if purge { publish::purge(&mut tx, &retention, now).await? } else { 0 };
            tx.commit().await?;
            Ok((expired, purged))
        }
        .await;
        match outcome {
            Ok((expired, purged)) => {
                if expired > 0 || purged > 0 {
                    tracing::debug!(expired, purged, "embedded bus housekeeping");
                }
                self.wake(st.stored);
            }
            Err(error) => tracing::warn!(error = %error, "embedded bus housekeeping failed"),
        }
    }
}

/// Takes the plain acks out of `group`, to be applied together in one statement per consumer.
///
/// Applying them ahead of the rest of the group is safe: a delivery exists only once the claim
/// that made it committed in an earlier group, and an ack only ends what it names.
fn take_acks(group: &mut Vec<Command>) -> Vec<(std::sync::Arc<str>, i64)> {
    let mut acks = Vec::new();
    group.retain(|command| match command {
        Command::Settle { target, action: Settle::Ack, reply: None } => {
            acks.push((target.consumer.name.clone(), target.id));
            false
        }
        _ => true,
    });
    acks
}

/// Takes the publishes out of `group`, to be appended together in chunks.
///
/// Appending them ahead of the rest of the group changes nothing anyone can observe: every answer
/// comes after the same commit, and a claim in the group merely sees a little more.
type QueuedPublish = (StreamSpec, OutgoingMessage, Reply<PublishAck>, OwnedSemaphorePermit);

fn take_publishes(group: &mut Vec<Command>) -> Vec<QueuedPublish> {
    let mut publishes = Vec::new();
    let mut rest = Vec::with_capacity(group.len());
    for command in group.drain(..) {
        match command {
            Command::Publish { stream, message, reply, room } => publishes.push((stream, message, reply, room)),
            other => rest.push(other),
        }
    }
    *group = rest;
    publishes
}

/// Runs one command; the error is a database failure that dooms the whole group.
async fn apply(
    conn: &mut SqliteConnection,
    st: &mut TxState,
    retention: &Retention,
    requeue: &mpsc::WeakUnboundedSender<Command>,
    command: Command,
    now: i64,
) -> (Finish, Option<sqlx::Error>) {
    fn split<T: Send + 'static>(
        reply: Reply<T>,
        result: sqlx::Result<Result<T, BusError>>,
    ) -> (Finish, Option<sqlx::Error>) {
        match result {
            Ok(inner) => (finish(reply, inner), None),
            Err(error) => (finish(reply, Err(closed())), Some(error)),
        }
    }
    match command {
        Command::Publish { stream, message, reply, .. } => {
            let stored = publish::store(
                conn,
                st,
                retention,
                &stream,
                &message.subject,
                &message.id,
                &message.headers,
                &message.payload,
                now,
            )
            .await;
            split(reply, stored.map(Ok))
        }
        Command::Subscribe { spec, stream, reply } => split(reply, consume::upsert(conn, &spec, stream).await),
        Command::Claim { consumer, max, reply } => {
            if reply.is_closed() {
                // The subscription stopped waiting: claim nothing rather than strand deliveries.
                return (Box::new(|_| {}), None);
            }
            match claim::claim(conn, st, retention, &consumer, max, now).await {
                Ok(claimed) => (claim_finish(reply, Ok(claimed), consumer, requeue.clone()), None),
                Err(error) => (finish(reply, Err(closed())), Some(error)),
            }
        }
        Command::Settle { target, action, reply } => {
            let settled = consume::settle(conn, st, retention, &target, action, now).await;
            match reply {
                Some(reply) => split(reply, settled.map(Ok)),
                None => (Box::new(|_| {}), settled.err()),
            }
        }
        Command::Replay { sequence, reply } => split(reply, publish::replay(conn, st, retention, sequence, now).await),
        Command::Shutdown { .. } => (Box::new(|_| {}), None),
    }
}

/// Like [`finish`], but deliveries that nobody received any more (the subscription's `next` was
/// cancelled meanwhile) are released at once instead of waiting out their ack deadline.
fn claim_finish(
    reply: Reply<Claimed>,
    result: Result<Claimed, BusError>,
    consumer: ConsumerRef,
    requeue: mpsc::WeakUnboundedSender<Command>,
) -> Finish {
    Box::new(move |failed| {
        let outcome = match failed {
            Some(reason) => Err(BusError::Unavailable(reason.to_string())),
            None => result,
        };
        if let Err(Ok(claimed)) = reply.send(outcome)
            && let Some(queue) = requeue.upgrade()
        {
            for claim in claimed.deliveries {
                let target = Target { consumer: consumer.clone(), id: claim.id, attempt: claim.attempt };
                let _ = queue.send(Command::Settle { target, action: Settle::Release, reply: None });
            }
        }
    })
}

/// The answer for a command that was never applied because an earlier one failed.
fn abandon(command: Command, shutdown: &mut Option<oneshot::Sender<()>>) -> Option<Finish> {
    Some(match command {
        Command::Publish { reply, .. } | Command::Replay { reply, .. } => finish(reply, Err(closed())),
        Command::Subscribe { reply, .. } => finish(reply, Err(closed())),
        Command::Claim { reply, .. } => finish(reply, Err(closed())),
        Command::Settle { reply, .. } => finish(reply?, Err(closed())),
        Command::Shutdown { done } => {
            *shutdown = Some(done);
            return None;
        }
    })
}
