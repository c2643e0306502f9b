//! The scenario service's store suite on PostgreSQL and on SQLite.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod suite;
mod support;

mod postgres {
    crate::scenario_store_suite!(crate::support::Postgres);
}

mod sqlite {
    crate::scenario_store_suite!(crate::support::Sqlite);
}
