//! The bus file: its tables and the two kinds of connection opened on it.
//!
//! `messages.id` is a global, never reused position (AUTOINCREMENT: a purge that empties a stream
//! must not let new messages take old ids, or cursors would skip them); `messages.seq` is the
//! per-stream sequence callers see, handed out from `streams.last_seq`. Consumer cursors and tails
//! follow `id`.

use std::path::Path;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection, Row};

use crate::bus::{BusError, STREAMS};
use crate::store::SqliteSync;

/// Bumped when the tables change; a file written by a newer version is refused.
const SCHEMA_VERSION: i64 = 1;

const TABLES: &str = "
CREATE TABLE IF NOT EXISTS streams (
    name TEXT PRIMARY KEY NOT NULL,
    last_seq INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    stream TEXT NOT NULL,
    seq INTEGER NOT NULL,
    subject TEXT NOT NULL,
    headers TEXT NOT NULL,
    payload BLOB NOT NULL,
    stored_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS messages_by_stream_seq ON messages (stream, seq);
CREATE INDEX IF NOT EXISTS messages_by_stream_id ON messages (stream, id);
CREATE INDEX IF NOT EXISTS messages_by_stream_age ON messages (stream, stored_at);
CREATE TABLE IF NOT EXISTS dedupe (
    stream TEXT NOT NULL,
    msg_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    stored_at INTEGER NOT NULL,
    PRIMARY KEY (stream, msg_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS dedupe_by_age ON dedupe (stored_at);
CREATE TABLE IF NOT EXISTS consumers (
    name TEXT PRIMARY KEY NOT NULL,
    stream TEXT NOT NULL,
    filters TEXT NOT NULL,
    ack_wait_ms INTEGER NOT NULL,
    max_deliver INTEGER NOT NULL,
    backoff_ms TEXT NOT NULL,
    cursor INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pending (
    consumer TEXT NOT NULL,
    message INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    inflight INTEGER NOT NULL,
    visible_at INTEGER NOT NULL,
    last_error TEXT,
    PRIMARY KEY (consumer, message)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS pending_by_due ON pending (consumer, inflight, visible_at);
CREATE INDEX IF NOT EXISTS pending_by_expiry ON pending (inflight, visible_at);
";

fn base_options(path: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        // Another process (the CLI's `events tail`) may hold the file briefly; wait, don't fail.
        .busy_timeout(Duration::from_secs(10))
        .disable_statement_logging()
}

/// Opens the one write connection, creating the file and its tables if needed.
///
/// WAL lets readers (tails, dead-letter listings, other processes) run beside the writer.
/// `synchronous = FULL` syncs the WAL before a commit returns, so a publish acknowledged survives
/// an OS crash or power loss; `NORMAL` loses nothing on a process crash (kill -9) but a power loss
/// can take back the last commits.
pub(super) async fn open_writer(path: &Path, synchronous: SqliteSync) -> Result<SqliteConnection, BusError> {
    let synchronous = match synchronous {
        SqliteSync::Full => SqliteSynchronous::Full,
        SqliteSync::Normal => SqliteSynchronous::Normal,
    };
    let options =
        base_options(path).create_if_missing(true).journal_mode(SqliteJournalMode::Wal).synchronous(synchronous);
    let mut conn = options.connect().await.map_err(unavailable)?;
    let version: i64 = sqlx::query("PRAGMA user_version").fetch_one(&mut conn).await.map_err(unavailable)?.get(0);
    if version > SCHEMA_VERSION {
        return Err(BusError::Other(format!(
            "bus file {} has schema version {version}, newer than this binary's {SCHEMA_VERSION}",
            path.display()
        )));
    }
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await.map_err(unavailable)?;
    sqlx::raw_sql(TABLES).execute(&mut *tx).await.map_err(unavailable)?;
    for stream in STREAMS {
        sqlx::query("INSERT OR IGNORE INTO streams (name, last_seq) VALUES (?, 0)")
            .bind(stream.name)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
    }
    sqlx::raw_sql("PRAGMA user_version = 1").execute(&mut *tx).await.map_err(unavailable)?;
    tx.commit().await.map_err(unavailable)?;
    Ok(conn)
}

/// A small pool of read-only connections for tails and listings, so reading never waits behind
/// the writer's queue.
pub(super) async fn open_readers(path: &Path) -> Result<SqlitePool, BusError> {
    let options = base_options(path).pragma("query_only", "ON");
    SqlitePoolOptions::new()
        .max_connections(4)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .map_err(unavailable)
}

/// A database failure: the bus may answer again later.
pub(super) fn unavailable(error: sqlx::Error) -> BusError {
    BusError::Unavailable(format!("embedded bus database: {error}"))
}
