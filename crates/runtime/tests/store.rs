//! The store conformance suite on PostgreSQL and on SQLite.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use butterboard_runtime::store::Store;
use butterboard_runtime::testing::{self, store::StoreFixture};

struct Postgres;

impl StoreFixture for Postgres {
    async fn store(&self) -> anyhow::Result<Store> {
        testing::postgres_store(&testing::no_service_migrations()).await
    }
}

/// Each store gets its own directory, kept for the life of the process (tests are short-lived).
struct Sqlite;

impl StoreFixture for Sqlite {
    async fn store(&self) -> anyhow::Result<Store> {
        let dir = tempfile::tempdir()?.keep();
        testing::sqlite_store(&dir, &testing::no_service_migrations()).await
    }
}

mod postgres {
    butterboard_runtime::store_conformance_tests!(super::Postgres);
}

mod sqlite {
    butterboard_runtime::store_conformance_tests!(super::Sqlite);
}

/// The publisher lock of PostgreSQL outboxes lives on its holder's own session: when that
/// connection dies, another relay takes over, and the old holder competes again instead of
/// publishing beside it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_whose_lock_connection_dies_hands_the_outbox_to_another() {
    use butterboard_runtime::envelope::{CONTENT_TYPE_JSON, CloudEvent};
    use butterboard_runtime::store::outbox;
    use butterboard_runtime::store::relay::{OutboxRelay, RelayConfig};

    let store = Postgres.store().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bus = testing::embedded_bus(dir.path()).await.unwrap();
    let write = |n: usize| {
        let store = store.clone();
        async move {
            let mut tx = store.begin().await.unwrap();
            for _ in 0..n {
                let event = CloudEvent::new("butterboard/test", "test.event", CONTENT_TYPE_JSON, "{}".into());
                outbox::enqueue(&mut tx, "onboarding.test.happened", event).await.unwrap();
            }
            tx.commit().await.unwrap();
        }
    };
    let relay = || OutboxRelay::new("handover", store.clone(), bus.clone(), RelayConfig::default());
    let (first, second) = (relay(), relay());
    write(5).await;
    assert_eq!(first.relay_once().await.unwrap(), 5, "the first relay takes the lock and publishes");
    write(5).await;
    assert_eq!(second.relay_once().await.unwrap(), 0, "the second waits while the first holds the lock");

    // The first relay's lock session dies, as when its connection breaks.
    let terminated: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_locks \
         WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    assert_eq!(terminated, [true], "one lock session to end");
    let took_over = testing::eventually(std::time::Duration::from_secs(10), || async {
        second.relay_once().await.unwrap_or(0) == 5
    })
    .await;
    assert!(took_over, "the second relay takes the lock and publishes");
    write(5).await;
    assert_eq!(first.relay_once().await.unwrap(), 0, "the first, back, waits for the lock instead of publishing");
    assert_eq!(second.relay_once().await.unwrap(), 5);
}

/// A SQLite store syncs every commit unless opened with the `normal` opt-out (`PRAGMA
/// synchronous`: 2 is FULL, 1 is NORMAL).
#[tokio::test]
async fn a_sqlite_store_syncs_every_commit_unless_told_otherwise() {
    use butterboard_runtime::store::SqliteSync;

    let dir = tempfile::tempdir().unwrap();
    let synchronous = |store: Store| async move {
        let level: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(store.pool()).await.unwrap();
        store.close().await;
        level
    };
    let default = Store::open_sqlite(&dir.path().join("default.sqlite")).await.unwrap();
    assert_eq!(synchronous(default).await, 2, "FULL by default");
    let normal: SqliteSync = "normal".parse().unwrap();
    let relaxed = Store::open_sqlite_with(&dir.path().join("normal.sqlite"), normal).await.unwrap();
    assert_eq!(synchronous(relaxed).await, 1, "NORMAL when asked");
    assert!("sometimes".parse::<SqliteSync>().is_err());
}
