//! The service's tables, one module per aggregate. Functions take a connection (a pooled one for
//! reads, `&mut *tx` inside a transaction) and use one SQL text for PostgreSQL and SQLite through
//! sqlx `Any`; the only differences are row-lock clauses, which SQLite (a single writer) does not
//! need and does not parse.

pub mod assignments;
pub mod cancellation;
pub mod cohort;
pub mod due;
pub mod instances;
pub mod recordings;
pub mod scenarios;

use butterboard_runtime::store::Backend;
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AssertSqlSafe};

/// `suffix` on PostgreSQL (e.g. `FOR UPDATE`), nothing on SQLite.
pub fn lock_clause(backend: Backend, suffix: &'static str) -> &'static str {
    match backend {
        Backend::Postgres => suffix,
        Backend::Sqlite => "",
    }
}

/// A value bound to a dynamically built statement.
#[derive(Debug, Clone)]
pub enum Arg {
    Text(String),
    Int(i64),
}

/// A statement assembled from optional parts, numbering its placeholders as it goes.
#[derive(Debug, Default)]
pub struct Sql {
    pub text: String,
    args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Self { text: text.to_string(), args: Vec::new() }
    }

    /// Adds `arg` and returns its placeholder (`$n`).
    pub fn arg(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }

    /// `$a, $b, …` for every value of `values`.
    pub fn list(&mut self, values: &[String]) -> String {
        values.iter().map(|v| self.arg(Arg::Text(v.clone()))).collect::<Vec<_>>().join(", ")
    }

    pub fn push(&mut self, text: &str) {
        self.text.push_str(text);
    }

    /// The query with every argument bound. The text is built from constants and placeholders
    /// only; values never enter it.
    pub fn query(&self) -> Query<'_, Any, AnyArguments> {
        let mut query = sqlx::query(AssertSqlSafe(self.text.clone()));
        for arg in &self.args {
            query = match arg {
                Arg::Text(text) => query.bind(text.clone()),
                Arg::Int(n) => query.bind(*n),
            };
        }
        query
    }
}

/// The `IN (…)` list of the open statuses, as SQL literals (constants, not input).
pub fn open_statuses_sql() -> String {
    crate::domain::instance::StageStatus::OPEN
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A stored value that does not parse: the store was written by something else.
pub fn corrupt(what: &str, error: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("stored {what} does not parse: {error}")
}
