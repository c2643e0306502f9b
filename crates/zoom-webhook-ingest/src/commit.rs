//! Group commit: many deliveries, one transaction.
//!
//! A request hands its delivery to a bounded queue and waits. A writer takes the first waiting
//! delivery, then a connection (while it waits for one, more deliveries queue up), then drains
//! everything waiting into one multi-row insert of deliveries plus one of outbox rows, commits,
//! and only then answers each waiter. A burst of a thousand requests costs a handful of commits
//! instead of a thousand. Nothing is answered before its commit, so a 200 is never lost.
//!
//! Load is shed, not queued past Zoom's deadline: a full queue answers 503 at once, and a waiter
//! gives up after its deadline (a writer skips deliveries nobody waits for any more). Zoom retries
//! a 503 later, and the dedupe key makes a retry of something stored after all a duplicate.

use std::collections::HashSet;
use std::sync::Arc;

use butterboard_runtime::shutdown::Shutdown;
use butterboard_runtime::store::Store;
use std::time::Duration;

use tokio::sync::{Notify, Semaphore, mpsc, oneshot};

use crate::metrics::Metrics;
use crate::store::{NewDelivery, insert_deliveries};

/// What became of a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Committed {
    /// Stored with its outbox row.
    Stored,
    /// The same body was stored before (or earlier in the same batch): nothing new.
    Duplicate,
    /// The store failed: nothing of the batch was stored.
    Unavailable,
}

/// Why a delivery was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The queue is full.
    Overloaded,
    /// The writers have stopped (shutdown).
    Closed,
}

struct Waiting {
    delivery: NewDelivery,
    reply: oneshot::Sender<Committed>,
}

/// The request side of the group commit; cheap to clone.
#[derive(Clone)]
pub struct Committer {
    queue: mpsc::Sender<Waiting>,
}

impl Committer {
    /// Queues `delivery`; the receiver resolves after its commit.
    pub fn submit(&self, delivery: NewDelivery) -> Result<oneshot::Receiver<Committed>, Refused> {
        let (reply, answer) = oneshot::channel();
        match self.queue.try_send(Waiting { delivery, reply }) {
            Ok(()) => Ok(answer),
            Err(mpsc::error::TrySendError::Full(_)) => Err(Refused::Overloaded),
            Err(mpsc::error::TrySendError::Closed(_)) => Err(Refused::Closed),
        }
    }
}

/// The writers' side: run [`Writers::run`] as a task.
pub struct Writers {
    queue: mpsc::Receiver<Waiting>,
    store: Store,
    metrics: Metrics,
    count: usize,
    max_batch: usize,
}

/// A committer and its writers, with a queue of `capacity`.
pub fn group_commit(
    store: Store,
    metrics: Metrics,
    capacity: usize,
    writers: usize,
    max_batch: usize,
) -> (Committer, Writers) {
    let (queue, receiver) = mpsc::channel(capacity.max(1));
    let writers = Writers { queue: receiver, store, metrics, count: writers.max(1), max_batch: max_batch.max(1) };
    (Committer { queue }, writers)
}

impl Writers {
    /// Forms batches and commits them, up to `count` at once, until shutdown; deliveries already
    /// queued then are still committed.
    ///
    /// One loop forms every batch: it takes the first waiting delivery, then a free writer slot
    /// and a connection, then everything that queued meanwhile. While every writer is busy the
    /// queue grows, so the next batch is larger: the busier the ingest, the fewer commits per
    /// delivery.
    pub async fn run(mut self, shutdown: Shutdown) -> anyhow::Result<()> {
        let slots = Arc::new(Semaphore::new(self.count));
        let written = Arc::new(Notify::new());
        let waker = tokio::spawn(wake_relay(self.store.clone(), written.clone()));
        let mut commits = tokio::task::JoinSet::new();
        loop {
            let first = if shutdown.is_triggered() {
                // Stop taking requests, but commit what was accepted already.
                self.queue.close();
                self.queue.recv().await
            } else {
                tokio::select! {
                    first = self.queue.recv() => first,
                    _ = shutdown.wait() => continue,
                }
            };
            let Some(first) = first else { break };
            let slot = slots.clone().acquire_owned().await?;
            // The connection first: while a writer waits for it, the queue fills, and the batch grows.
            let tx = self.store.begin().await;
            let mut batch = vec![first];
            while batch.len() < self.max_batch {
                match self.queue.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(_) => break,
                }
            }
            let writer = Writer { metrics: self.metrics.clone(), written: written.clone() };
            commits.spawn(async move {
                writer.commit(tx, batch).await;
                drop(slot);
            });
            while let Some(done) = commits.try_join_next() {
                done?;
            }
        }
        while let Some(done) = commits.join_next().await {
            done?;
        }
        waker.abort();
        self.store.outbox_written();
        Ok(())
    }
}

/// How long commits are gathered before the relay is woken once for all of them.
const RELAY_WAKE_DELAY: Duration = Duration::from_millis(10);

/// Wakes the outbox relay once per [`RELAY_WAKE_DELAY`] at most. Waking it after every commit
/// would make it run a round (and a commit of its own) per small batch at moderate rates, doubling
/// the store's commits; gathering costs at most that delay in publish latency.
async fn wake_relay(store: Store, written: Arc<Notify>) {
    loop {
        written.notified().await;
        tokio::time::sleep(RELAY_WAKE_DELAY).await;
        store.outbox_written();
    }
}

struct Writer {
    metrics: Metrics,
    /// Commits that wrote outbox rows say so here (see [`wake_relay`]).
    written: Arc<Notify>,
}

impl Writer {
    async fn commit(&self, tx: Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error>, mut batch: Vec<Waiting>) {
        // A waiter that gave up has been answered 503; Zoom will retry, so do not store it now.
        batch.retain(|w| !w.reply.is_closed());
        if batch.is_empty() {
            return;
        }
        let result = match tx {
            Ok(tx) => self.write(tx, &batch).await,
            Err(error) => Err(error),
        };
        match result {
            Ok(fresh) => {
                self.metrics.committed(batch.len());
                // Only the first of several identical bodies in one batch is the stored one.
                let mut fresh = fresh;
                let mut wrote_outbox = false;
                for waiting in batch {
                    let outcome = if fresh.remove(&waiting.delivery.dedupe_key) {
                        Committed::Stored
                    } else {
                        Committed::Duplicate
                    };
                    wrote_outbox |= outcome == Committed::Stored;
                    // A waiter that left now still has its delivery stored: nothing is lost.
                    let _ = waiting.reply.send(outcome);
                }
                if wrote_outbox {
                    self.written.notify_one();
                }
            }
            Err(error) => {
                tracing::warn!(error = %error, deliveries = batch.len(), "group commit failed, answering 503");
                for waiting in batch {
                    let _ = waiting.reply.send(Committed::Unavailable);
                }
            }
        }
    }

    /// Inserts the batch and the outbox rows of what is new; returns the dedupe keys stored.
    async fn write(
        &self,
        mut tx: sqlx::Transaction<'static, sqlx::Any>,
        batch: &[Waiting],
    ) -> Result<HashSet<String>, sqlx::Error> {
        let mut seen = HashSet::with_capacity(batch.len());
        let unique: Vec<&NewDelivery> =
            batch.iter().map(|w| &w.delivery).filter(|d| seen.insert(d.dedupe_key.as_str())).collect();
        let fresh = insert_deliveries(&mut tx, &unique).await?;
        let messages: Vec<_> = unique.iter().filter(|d| fresh.contains(&d.dedupe_key)).map(|d| &d.message).collect();
        if !messages.is_empty() {
            // Wall-clock time, as the runtime's outbox writes it: the relay's lag metric counts from it.
            butterboard_runtime::store::outbox::enqueue_messages(&mut tx, &messages).await?;
        }
        tx.commit().await?;
        Ok(fresh)
    }
}
