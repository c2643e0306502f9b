//! Helpers for tests against the real things: a service started as the binary starts it, in
//! either mode ([`TestService`], [`in_both_modes!`](crate::in_both_modes)), a fresh PostgreSQL
//! database per test, a private namespace on a shared NATS, a private `nats-server` that a test
//! may stop and start, and the conformance suites that every bus and store implementation must
//! pass.
//!
//! Where the servers are comes from the environment `make test` prepares (scripts/test-env.sh):
//! `TEST_DATABASE_URL` (a PostgreSQL URL allowed to create databases), `TEST_NATS_URL`, and
//! `NATS_SERVER_BIN` (a nats-server binary for private servers).

pub mod bus;
mod nats_server;
mod private_postgres;
pub mod service;
pub mod store;
pub mod watch;

use std::sync::Arc;

pub use nats_server::NatsServer;
pub use private_postgres::PrivatePostgres;
pub use service::{Mode, TEST_EPOCH_MS, TEST_JWT_KEY, TestService};
pub use watch::Watch;

use crate::bus::EventBus;
use crate::bus::embedded::EmbeddedBus;
use crate::bus::jetstream::JetStreamBus;
use crate::store::Store;

/// The PostgreSQL server tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable".into())
}

/// The NATS server tests share (each in its own namespace).
pub fn nats_url() -> String {
    std::env::var("TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into())
}

/// A short unique name, usable as a database name or bus namespace.
pub fn unique_name(prefix: &str) -> String {
    let id = uuid::Uuid::now_v7().simple().to_string();
    // The tail of a v7 uuid is random; its head is the time and would collide within a millisecond.
    format!("{prefix}_{}", &id[id.len() - 16..])
}

/// Test databases are named `bbtest_<creation unix seconds>_<random>` so that later runs can drop
/// the ones left behind.
const TEST_DATABASE_PREFIX: &str = "bbtest_";
/// Databases older than this are from earlier runs; no test runs for an hour.
const TEST_DATABASE_MAX_AGE_S: u64 = 3600;

/// Creates an empty database on the test server and returns its URL.
pub async fn fresh_postgres_url() -> anyhow::Result<String> {
    sqlx::any::install_default_drivers();
    let admin = postgres_admin_url();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs();
    let name = unique_name(&format!("{TEST_DATABASE_PREFIX}{now}"));
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin).await?;
    drop_stale_databases(&mut conn, now).await;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut conn).await?;
    Ok(with_database(&admin, &name))
}

/// `url` naming database `name` instead of its own, its query (`?sslmode=…`) kept.
fn with_database(url: &str, name: &str) -> String {
    let (path, query) = url.split_once('?').map_or((url, None), |(p, q)| (p, Some(q)));
    let base = path.rsplit_once('/').map_or(path, |(b, _)| b);
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

/// Drops test databases of earlier runs; best effort (another process may be dropping them too).
async fn drop_stale_databases(conn: &mut sqlx::AnyConnection, now: u64) {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname::text FROM pg_database WHERE datname LIKE 'bbtest\\_%'")
            .fetch_all(&mut *conn)
            .await
            .unwrap_or_default();
    for name in names {
        let created = name
            .strip_prefix(TEST_DATABASE_PREFIX)
            .and_then(|rest| rest.split('_').next())
            .and_then(|s| s.parse::<u64>().ok());
        if created.is_some_and(|created| created + TEST_DATABASE_MAX_AGE_S < now) {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                .execute(&mut *conn)
                .await;
        }
    }
}

/// A migrated PostgreSQL store on a fresh database.
pub async fn postgres_store(migrations: &crate::store::Migrations) -> anyhow::Result<Store> {
    let store = Store::connect(&fresh_postgres_url().await?, 8).await?;
    store.migrate(migrations).await?;
    Ok(store)
}

/// A migrated SQLite store in `dir`.
pub async fn sqlite_store(dir: &std::path::Path, migrations: &crate::store::Migrations) -> anyhow::Result<Store> {
    let store = Store::open_sqlite(&dir.join("store.sqlite")).await?;
    store.migrate(migrations).await?;
    Ok(store)
}

/// A JetStream bus in a namespace of its own on the shared test server.
pub async fn jetstream_bus() -> anyhow::Result<(Arc<dyn EventBus>, String)> {
    let namespace = unique_name("t");
    let bus = JetStreamBus::connect(&nats_url(), Some(&namespace)).await?;
    Ok((Arc::new(bus), namespace))
}

/// An embedded bus in `dir`.
pub async fn embedded_bus(dir: &std::path::Path) -> anyhow::Result<Arc<dyn EventBus>> {
    Ok(Arc::new(EmbeddedBus::open(&dir.join("bus.sqlite")).await?))
}

/// Migrations with no service tables, for testing the runtime's own (outbox, inbox).
pub fn no_service_migrations() -> crate::store::Migrations {
    crate::store::Migrations { postgres: sqlx::migrate::Migrator::DEFAULT, sqlite: sqlx::migrate::Migrator::DEFAULT }
}

/// Waits up to `limit` for `check` to hold, polling every 20 ms.
pub async fn eventually<F, Fut>(limit: std::time::Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn a_fresh_database_url_keeps_the_query_of_the_admin_url() {
        assert_eq!(with_database("postgres://u@h:5432/postgres", "db1"), "postgres://u@h:5432/db1");
        assert_eq!(
            with_database("postgres://u@h:5432/postgres?sslmode=disable", "db1"),
            "postgres://u@h:5432/db1?sslmode=disable"
        );
    }
}
