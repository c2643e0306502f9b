//! A service's store: sqlx over PostgreSQL (distributed) or SQLite (embedded) through `Any`, with
//! one SQL text for both wherever the dialects agree (ARCHITECTURE §6).
//!
//! [`outbox`] and [`inbox`] are tables every store carries (the runtime's own migrations, applied
//! before the service's); [`relay`] publishes the outbox to the bus.

pub mod inbox;
pub mod outbox;
pub mod relay;
mod relay_lock;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use std::{fmt, str::FromStr};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Connection, Executor};
use tokio::sync::{Mutex, Notify};

/// How long a PostgreSQL connection may sit idle and still be used without a ping first.
const PING_AFTER_IDLE: Duration = Duration::from_millis(500);

/// Splits `rows` into chunks whose sizes are powers of two, at most `max` (itself a power of two).
///
/// A multi-row statement has one text per row count, and each text is parsed, planned and kept in
/// the connection's statement cache. Batches of every size from 1 to 1,000 would make a thousand
/// texts and churn that cache (a parse and a prepare round trip for most batches); powers of two
/// make at most `log2(max) + 1` texts, prepared once per connection.
pub fn statement_chunks<T>(rows: &[T], max: usize) -> Vec<&[T]> {
    let max = max.max(1);
    let mut out = Vec::new();
    let mut rest = rows;
    while !rest.is_empty() {
        let size = 1usize << (usize::BITS - 1 - rest.len().min(max).leading_zeros());
        let (chunk, tail) = rest.split_at(size);
        out.push(chunk);
        rest = tail;
    }
    out
}

/// The `VALUES` rows of a multi-row statement: `rows` groups of `columns` numbered placeholders,
/// `($1,$2),($3,$4)` for two rows of two.
pub fn placeholders(rows: usize, columns: usize) -> String {
    let mut sql = String::with_capacity(rows * columns * 5);
    for row in 0..rows {
        if row > 0 {
            sql.push(',');
        }
        sql.push('(');
        for column in 0..columns {
            if column > 0 {
                sql.push(',');
            }
            sql.push('$');
            sql.push_str(&(row * columns + column + 1).to_string());
        }
        sql.push(')');
    }
    sql
}

/// How hard SQLite works to keep a commit through an OS crash or a power loss (`PRAGMA
/// synchronous`), for SQLite stores and the embedded bus alike.
///
/// Both are safe against a process crash (kill -9) in WAL mode. They differ when the machine
/// itself goes down: a webhook answered 200 or a publish acknowledged was promised to someone
/// outside the process, so the default syncs every commit. Parsed from `full` or `normal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SqliteSync {
    /// The WAL is synced at every commit: an acknowledged commit survives a power loss.
    #[default]
    Full,
    /// The WAL is synced only at checkpoints: an fsync less per commit, but an OS crash or a
    /// power loss can take back the last commits after they were acknowledged. An opt-out for
    /// machines whose storage survives power loss on its own, or data that can be lost.
    Normal,
}

impl SqliteSync {
    fn pragma(self) -> &'static str {
        match self {
            SqliteSync::Full => "PRAGMA synchronous = FULL;",
            SqliteSync::Normal => "PRAGMA synchronous = NORMAL;",
        }
    }
}

impl fmt::Display for SqliteSync {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SqliteSync::Full => "full",
            SqliteSync::Normal => "normal",
        })
    }
}

impl FromStr for SqliteSync {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.trim().to_ascii_lowercase().as_str() {
            "full" => Ok(SqliteSync::Full),
            "normal" => Ok(SqliteSync::Normal),
            other => Err(format!("unknown SQLite synchronous mode {other:?} (expected full or normal)")),
        }
    }
}

/// Which database is behind a store; statements differ only where the dialects do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// The migrations of one service, one directory per backend (`migrations/postgres`,
/// `migrations/sqlite`), embedded with `sqlx::migrate!`. Service versions start at 100: versions
/// below are the runtime's (outbox, inbox), which share the `_sqlx_migrations` table.
pub struct Migrations {
    pub postgres: Migrator,
    pub sqlite: Migrator,
}

static PLATFORM_POSTGRES: Migrator = sqlx::migrate!("migrations/postgres");
static PLATFORM_SQLITE: Migrator = sqlx::migrate!("migrations/sqlite");

/// A handle on a service's database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    outbox_written: Arc<Notify>,
    /// Taken by a relay for its round, so that relays of one process over one store take turns
    /// (across processes, PostgreSQL's advisory lock does the same; see [`relay`]).
    relay_turn: Arc<Mutex<()>>,
}

impl Store {
    /// Connects to `url` (`postgres://…` or `sqlite://…`); `max_connections` applies to PostgreSQL.
    /// A SQLite store syncs every commit ([`SqliteSync::Full`]).
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Store> {
        Self::connect_with(url, max_connections, SqliteSync::default()).await
    }

    /// Like [`connect`](Self::connect), with the SQLite durability given (ignored for PostgreSQL).
    pub async fn connect_with(url: &str, max_connections: u32, synchronous: SqliteSync) -> anyhow::Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            anyhow::bail!("unsupported database URL scheme (expected postgres:// or sqlite://)");
        };
        let options: AnyConnectOptions = url.parse()?;
        let pool_options = match backend {
            // A connection is pinged before use only after it sat idle for `PING_AFTER_IDLE`: one
            // in use a moment ago is as alive as a ping would show, and pinging every acquire
            // costs each request a round trip. A connection that fails its ping is closed and
            // another one taken, so the first requests after a PostgreSQL restart still succeed.
            Backend::Postgres => AnyPoolOptions::new()
                .max_connections(max_connections)
                .test_before_acquire(false)
                .before_acquire(|conn, meta| {
                    Box::pin(async move {
                        if meta.idle_for < PING_AFTER_IDLE {
                            return Ok(true);
                        }
                        match conn.ping().await {
                            Ok(()) => Ok(true),
                            Err(error) => {
                                tracing::debug!(%error, "an idle store connection failed its ping; replacing it");
                                Ok(false)
                            }
                        }
                    })
                }),
            // One connection: SQLite has a single writer, and a deferred transaction that reads
            // before writing fails with SQLITE_BUSY instead of waiting when another connection
            // writes. One connection turns that into queueing inside the pool.
            Backend::Sqlite => AnyPoolOptions::new().max_connections(1).after_connect(move |conn, _| {
                Box::pin(async move {
                    conn.execute("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;")
                        .await?;
                    conn.execute(synchronous.pragma()).await?;
                    Ok(())
                })
            }),
        };
        let pool = pool_options.acquire_timeout(Duration::from_secs(10)).connect_with(options).await?;
        if backend == Backend::Sqlite {
            tracing::debug!(%synchronous, "sqlite store opened");
        }
        Ok(Store { pool, backend, outbox_written: Arc::new(Notify::new()), relay_turn: Arc::new(Mutex::new(())) })
    }

    /// Opens (creating if needed) the SQLite file `path`, syncing every commit.
    pub async fn open_sqlite(path: &Path) -> anyhow::Result<Store> {
        Self::open_sqlite_with(path, SqliteSync::default()).await
    }

    /// Opens (creating if needed) the SQLite file `path` with the durability given.
    pub async fn open_sqlite_with(path: &Path, synchronous: SqliteSync) -> anyhow::Result<Store> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        Self::connect_with(&format!("sqlite://{}?mode=rwc", path.display()), 1, synchronous).await
    }

    /// Applies the runtime's migrations, then the service's.
    pub async fn migrate(&self, service: &Migrations) -> anyhow::Result<()> {
        let (platform, own) = match self.backend {
            Backend::Postgres => (&PLATFORM_POSTGRES, &service.postgres),
            Backend::Sqlite => (&PLATFORM_SQLITE, &service.sqlite),
        };
        for migrator in [platform, own] {
            // Both sets share one history table, so each must tolerate the other's versions.
            let mut migrator = Migrator { migrations: migrator.migrations.clone(), ..Migrator::DEFAULT };
            migrator.set_ignore_missing(true);
            migrator.run(&self.pool).await?;
        }
        Ok(())
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Starts a transaction.
    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        self.pool.begin().await
    }

    /// Wakes the outbox relay; call after committing a transaction that wrote outbox rows.
    pub fn outbox_written(&self) {
        self.outbox_written.notify_one();
    }

    pub(crate) fn outbox_signal(&self) -> &Notify {
        &self.outbox_written
    }

    pub(crate) fn relay_turn(&self) -> &Mutex<()> {
        &self.relay_turn
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map(|_| ())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// True when `error` means the database cannot be reached or cannot take the work now (the pool
/// ran dry, the connection broke, the server is shutting down or out of resources, SQLite is
/// locked): worth a retry later, answered `UNAVAILABLE`, never `INTERNAL`.
pub fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::BeginFailed => true,
        sqlx::Error::Database(db) => {
            let Some(code) = db.code() else { return false };
            if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                // SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes.
                return matches!(code.parse::<i32>(), Ok(n) if n & 0xff == 5 || n & 0xff == 6);
            }
            // PostgreSQL: class 08 connection exceptions, 53 insufficient resources, 57P0x
            // shutdown and crash recovery, 40001/40P01 serialization failure and deadlock.
            code.starts_with("08")
                || code.starts_with("53")
                || code.starts_with("57P0")
                || code == "40001"
                || code == "40P01"
        }
        _ => false,
    }
}

/// True when `error` is a unique-constraint violation (the "already there" of an idempotent write).
pub fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

#[cfg(test)]
mod tests {
    use super::{placeholders, statement_chunks};

    #[test]
    fn placeholders_number_rows_and_columns_in_order() {
        assert_eq!(placeholders(2, 3), "($1,$2,$3),($4,$5,$6)");
        assert_eq!(placeholders(1, 1), "($1)");
    }

    #[test]
    fn batches_are_cut_into_power_of_two_chunks() {
        let rows: Vec<u32> = (0..300).collect();
        let sizes: Vec<usize> = statement_chunks(&rows, 256).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, [256, 32, 8, 4]);
        let sizes: Vec<usize> = statement_chunks(&rows, 64).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, [64, 64, 64, 64, 32, 8, 4]);
        assert_eq!(statement_chunks(&rows[..1], 256).len(), 1);
        assert!(statement_chunks::<u32>(&[], 256).is_empty());
    }
}
