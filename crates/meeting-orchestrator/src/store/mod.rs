//! The service's tables, one module per aggregate: [`meetings`] (with invitees, stage instances
//! and occurrences), [`sessions`] (Zoom sessions, participant events and chat) and [`auto`] (due
//! stages this service schedules itself). One SQL text serves PostgreSQL and SQLite through sqlx
//! `Any`; times are epoch milliseconds, the plan is JSON text.

pub mod auto;
pub mod meetings;
pub mod sessions;

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AssertSqlSafe};

/// A value bound to a dynamically built statement.
#[derive(Debug, Clone)]
pub enum Arg {
    Text(String),
    Int(i64),
}

/// A statement assembled from optional parts, numbering its placeholders as it goes. The text is
/// built from constants and placeholders only; values never enter it.
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

    pub fn text(&mut self, value: &str) -> String {
        self.arg(Arg::Text(value.to_string()))
    }

    pub fn int(&mut self, value: i64) -> String {
        self.arg(Arg::Int(value))
    }

    pub fn push(&mut self, text: &str) {
        self.text.push_str(text);
    }

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

/// A stored value that does not parse: the store was written by something else.
pub fn corrupt(what: &str, error: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("stored {what} does not parse: {error}")
}
