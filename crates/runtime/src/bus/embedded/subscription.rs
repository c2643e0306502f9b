//! A subscription on a durable consumer and the acker of its deliveries.
//!
//! A subscription claims deliveries from the writer in small batches (like a JetStream pull
//! client fetching a batch) and hands them out one by one. Between claims it sleeps until the
//! writer stored something, the earliest redelivery is due, or the poll interval passed — the poll
//! is what notices messages published by another process on the same file.

use std::collections::VecDeque;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::watch;

use super::claim::Claim;
use super::consume::{ConsumerRef, Settle, Target};
use super::writer::{Command, WriterHandle, closed};
use super::{Generations, now_ms, stream_index};
use crate::bus::{Acker, BusError, Delivery, Message, Subscription};

/// How a subscription paces its claims.
#[derive(Debug, Clone, Copy)]
pub(super) struct Pacing {
    pub batch: usize,
    pub poll_interval: Duration,
    pub linger: Duration,
}

pub(super) struct EmbeddedSubscription {
    writer: WriterHandle,
    consumer: ConsumerRef,
    pacing: Pacing,
    /// The last claim came back with part of a batch: wait `linger` before the next one.
    linger: bool,
    stored: watch::Receiver<Generations>,
    /// The consumer's stream in the generations, and the generation last looked at.
    stream: usize,
    seen: u64,
    buffer: VecDeque<Claim>,
}

impl EmbeddedSubscription {
    pub fn new(
        writer: WriterHandle,
        consumer: ConsumerRef,
        pacing: Pacing,
        stored: watch::Receiver<Generations>,
    ) -> Self {
        let stream = stream_index(consumer.stream);
        let pacing = Pacing { batch: pacing.batch.max(1), ..pacing };
        Self { writer, consumer, pacing, linger: false, stored, stream, seen: 0, buffer: VecDeque::new() }
    }

    fn release(&self, claim: &Claim) {
        let target = Target { consumer: self.consumer.clone(), id: claim.id, attempt: claim.attempt };
        self.writer.send(Command::Settle { target, action: Settle::Release, reply: None });
    }

    fn delivery(&self, claim: Claim) -> Delivery {
        let acker = EmbeddedAcker {
            writer: self.writer.clone(),
            target: Target { consumer: self.consumer.clone(), id: claim.id, attempt: claim.attempt },
        };
        Delivery::new(claim.message, claim.attempt, self.consumer.max_deliver, Box::new(acker))
    }

    /// Sleeps until something may have changed for this consumer.
    async fn wait(&mut self, next_due: Option<i64>) {
        let poll = self.pacing.poll_interval;
        let wait = match next_due {
            Some(due) => Duration::from_millis(due.saturating_sub(now_ms()).max(1) as u64).min(poll),
            None => poll,
        };
        let (stream, seen) = (self.stream, self.seen);
        tokio::select! {
            closed = async { self.stored.wait_for(|g| g[stream] != seen).await.is_err() } => {
                if closed {
                    // The writer is gone; the next claim reports it.
                    tokio::time::sleep(wait).await;
                }
            }
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

#[async_trait]
impl Subscription for EmbeddedSubscription {
    async fn next(&mut self) -> Result<Option<Delivery>, BusError> {
        loop {
            while let Some(claim) = self.buffer.pop_front() {
                // Slow handlers kept part of a batch in the buffer for half its ack wait: give it
                // back rather than hand out a delivery with little time left, which would expire
                // while handled and come back as a redelivery no handler failed. Releasing before
                // the deadline also keeps the writer's sweep from counting it as an expired attempt.
                if claim.deadline - now_ms() < self.consumer.ack_wait_ms / 2 {
                    self.release(&claim);
                    continue;
                }
                return Ok(Some(self.delivery(claim)));
            }
            if self.linger {
                // Messages are trickling in: let a few more arrive so that one claim takes them
                // together, rather than one claim (two round trips) per message.
                tokio::time::sleep(self.pacing.linger).await;
            }
            // Marks the current generation seen first, so a commit racing this claim still wakes
            // the wait below.
            self.seen = self.stored.borrow_and_update()[self.stream];
            let (consumer, max) = (self.consumer.clone(), self.pacing.batch);
            let claimed = match self.writer.call(|reply| Command::Claim { consumer, max, reply }).await {
                Ok(claimed) => claimed,
                Err(_) if self.writer.is_closed() => return Ok(None),
                Err(error) => return Err(error),
            };
            self.linger = !claimed.more && (1..max).contains(&claimed.deliveries.len());
            if !claimed.deliveries.is_empty() {
                self.buffer.extend(claimed.deliveries);
                continue;
            }
            if !claimed.more {
                self.wait(claimed.next_due).await;
            }
        }
    }
}

impl Drop for EmbeddedSubscription {
    fn drop(&mut self) {
        for claim in &self.buffer {
            self.release(claim);
        }
    }
}

/// Settles one delivery through the writer.
///
/// `ack`, `nak` and `in_progress` return once the settlement is queued, as a JetStream ack returns
/// once sent, without waiting for the server: the queue is applied in order, so this
/// subscription's next claim already sees it, and if the process dies before the commit the
/// message is simply delivered again (at-least-once; consumers de-duplicate with their inbox).
/// Not waiting lets a handler's acks share commits instead of paying one each. A dead letter
/// waits for its commit: the caller is told the message is safe in the dead-letter stream.
struct EmbeddedAcker {
    writer: WriterHandle,
    target: Target,
}

impl EmbeddedAcker {
    fn queue(&self, action: Settle) -> Result<(), BusError> {
        let command = Command::Settle { target: self.target.clone(), action, reply: None };
        if self.writer.send(command) { Ok(()) } else { Err(closed()) }
    }
}

#[async_trait]
impl Acker for EmbeddedAcker {
    async fn ack(&self) -> Result<(), BusError> {
        self.queue(Settle::Ack)
    }

    async fn nak(&self, delay: Duration) -> Result<(), BusError> {
        self.queue(Settle::Nak(delay))
    }

    async fn in_progress(&self) -> Result<(), BusError> {
        self.queue(Settle::Progress)
    }

    async fn dead_letter(&self, message: &Message, error: &str) -> Result<(), BusError> {
        let action = Settle::DeadLetter { message: message.clone(), error: error.to_string() };
        let target = self.target.clone();
        self.writer.call(|reply| Command::Settle { target, action, reply: Some(reply) }).await
    }
}
