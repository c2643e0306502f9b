//! The store conformance suite on PostgreSQL and on SQLite.

#![allow(clippy::unwrap_used)]

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
