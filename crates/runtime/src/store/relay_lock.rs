//! One publisher at a time over a PostgreSQL outbox, across replicas: a *session* advisory lock,
//! held on a connection of the relay's own for as long as the relay publishes.
//!
//! The lock lives as long as its session, not as long as a transaction, so no transaction stays
//! open while the relay waits on the bus. When the holding process dies, or its connection
//! breaks, PostgreSQL ends the session and frees the lock, and another replica takes it on its
//! next round. The holder finds out at its next round (the ping on its lock connection fails) and
//! competes again like any other replica.
//!
//! Between the connection breaking and the holder's next round, the old holder may still be
//! publishing the batch it read while the new one publishes from the same first row. That cannot
//! reorder events: both publish the same rows in id order with the same message ids, the bus keeps
//! the first copy of each id and drops the other (inside its duplicate window), so each event is
//! stored at the earlier of its two arrivals, which keeps their order. The new holder reaches rows
//! past the old batch only after the bus acknowledged every row before them.

use sqlx::{AnyConnection, ConnectOptions, Connection};
use tokio::sync::Mutex;

use super::{Backend, Store};

/// The relay's lock connection, and whether the lock is held on it.
pub(super) struct PublisherLock {
    key: i64,
    session: Mutex<Option<Session>>,
}

struct Session {
    conn: AnyConnection,
    held: bool,
}

impl PublisherLock {
    /// A lock keyed by the relay's service name (FNV-1a), the same in every replica.
    pub fn new(service: &str) -> Self {
        let hash =
            service.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
        Self { key: hash as i64, session: Mutex::new(None) }
    }

    /// Whether this relay may publish now: it holds the lock, or took it. Always true on SQLite,
    /// whose store belongs to one process (relays inside it take turns on the store's own mutex).
    pub async fn hold(&self, store: &Store) -> Result<bool, sqlx::Error> {
        if store.backend() != Backend::Postgres {
            return Ok(true);
        }
        let mut session = self.session.lock().await;
        if let Some(current) = session.as_mut() {
            let alive = if current.held {
                current.conn.ping().await.map(|()| true)
            } else {
                try_lock(&mut current.conn, self.key).await
            };
            match alive {
                Ok(held) => {
                    if held && !current.held {
                        tracing::info!("outbox relay took the publisher lock");
                    }
                    current.held = held;
                    return Ok(held);
                }
                Err(error) => {
                    if current.held {
                        tracing::warn!(%error, "outbox relay lost its lock connection; competing for the lock again");
                    }
                    *session = None;
                }
            }
        }
        // A connection outside the pool: the lock must outlive every pooled checkout, and a busy
        // pool must not keep the relay from learning whether it leads.
        let mut conn = store.pool().connect_options().connect().await?;
        let held = try_lock(&mut conn, self.key).await?;
        if held {
            tracing::info!("outbox relay took the publisher lock");
        }
        *session = Some(Session { conn, held });
        Ok(held)
    }

    /// Frees the lock (by ending its session) so another replica can take over at once.
    pub async fn release(&self) {
        if let Some(session) = self.session.lock().await.take()
            && let Err(error) = session.conn.close().await
        {
            tracing::debug!(%error, "closing the outbox relay's lock connection failed");
        }
    }
}

async fn try_lock(conn: &mut AnyConnection, key: i64) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT pg_try_advisory_lock($1)").bind(key).fetch_one(conn).await
}
