//! The service's tables, one module per aggregate, one SQL text for PostgreSQL and SQLite through
//! sqlx `Any` (the only differences are row-lock clauses, which SQLite — a single writer — neither
//! needs nor parses). Functions take a connection: a pooled one for reads, `&mut *tx` inside a
//! transaction.
//!
//! - [`assignments`]: what this service knows of each assignment (the employee, the manager, the
//!   start month, the stage instances), projected from `onboarding.scenario.assigned`.
//! - [`templates`]: the question template of each stage of each scenario version.
//! - [`requests`] and [`responses`]: the requests, created once per stage instance, and answers.
//! - [`notes`]: managers' notes. [`sweep`]: the reminder and expiry claims. [`report`]: the
//!   grouped counts and medians the report is built on.

pub mod assignments;
pub mod notes;
pub mod report;
pub mod requests;
pub mod responses;
pub mod sweep;
pub mod templates;

use butterboard_runtime::store::Backend;

/// `suffix` on PostgreSQL (e.g. `FOR UPDATE SKIP LOCKED`), nothing on SQLite.
pub fn lock_clause(backend: Backend, suffix: &'static str) -> &'static str {
    match backend {
        Backend::Postgres => suffix,
        Backend::Sqlite => "",
    }
}

/// A stored value that does not parse: the store was written by something else.
pub fn corrupt(what: &str, error: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("stored {what} does not parse: {error}")
}

/// A stored count or number as `u32`.
pub fn small(what: &str, value: i64) -> anyhow::Result<u32> {
    u32::try_from(value).map_err(|e| corrupt(what, e))
}

/// `$from, $from+1, …` for `n` values: the placeholders of an `IN (…)` list.
pub fn list(from: usize, n: usize) -> String {
    (from..from + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}
