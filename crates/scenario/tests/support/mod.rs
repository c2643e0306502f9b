//! Shared by the scenario service's integration tests: fresh stores on PostgreSQL and SQLite,
//! callers of each role, the example scenario, and a reader of the outbox.

#![allow(dead_code)]

use std::future::Future;
use std::sync::Arc;

use butterboard_runtime::auth::{Caller, Role};
use butterboard_runtime::bus::Message;
use butterboard_runtime::clock::ManualClock;
use butterboard_runtime::envelope::CloudEvent;
use butterboard_runtime::events::OnboardingEvent;
use butterboard_runtime::store::Store;
use butterboard_runtime::testing;
use scenario::app::{AssignmentView, ScenarioApp};
use scenario::domain::assignment::AssignmentDraft;
use scenario::domain::draft::ScenarioDraft;
use scenario::domain::people::PersonDraft;
use scenario::store::scenarios::ScenarioRecord;
use sqlx::Row;

/// Makes fresh, migrated stores for a suite.
pub trait Fixture: Send + Sync {
    fn store(&self) -> impl Future<Output = Store> + Send;
    /// Two handles on one fresh database, as two replicas (or a process and its successor after a
    /// restart) hold them.
    fn replicas(&self) -> impl Future<Output = (Store, Store)> + Send;
}

pub struct Postgres;

impl Fixture for Postgres {
    async fn store(&self) -> Store {
        testing::postgres_store(&scenario::migrations()).await.expect("postgres store")
    }

    async fn replicas(&self) -> (Store, Store) {
        let url = testing::fresh_postgres_url().await.expect("database");
        let first = Store::connect(&url, 8).await.expect("connect");
        first.migrate(&scenario::migrations()).await.expect("migrate");
        let second = Store::connect(&url, 8).await.expect("connect");
        second.migrate(&scenario::migrations()).await.expect("a second replica migrates too");
        (first, second)
    }
}

/// Each store in a directory of its own, kept for the life of the process.
pub struct Sqlite;

impl Fixture for Sqlite {
    async fn store(&self) -> Store {
        let dir = tempfile::tempdir().expect("tempdir").keep();
        testing::sqlite_store(&dir, &scenario::migrations()).await.expect("sqlite store")
    }

    async fn replicas(&self) -> (Store, Store) {
        let dir = tempfile::tempdir().expect("tempdir").keep();
        let first = testing::sqlite_store(&dir, &scenario::migrations()).await.expect("sqlite store");
        let second = testing::sqlite_store(&dir, &scenario::migrations()).await.expect("reopened");
        (first, second)
    }
}

/// 2025-03-03T09:00:00Z, a Monday.
pub const T0: i64 = 1_740_992_400_000;
pub const DAY: i64 = 24 * 3600 * 1000;

pub fn app(store: &Store, clock: &ManualClock) -> ScenarioApp {
    ScenarioApp::new(store.clone(), Arc::new(clock.clone()))
}

pub fn caller(subject: &str, roles: &[Role]) -> Caller {
    Caller { subject: subject.into(), roles: roles.to_vec() }
}

pub fn hr() -> Caller {
    caller("helen@example.com", &[Role::Hr])
}

pub fn manager() -> Caller {
    caller("oleg@example.com", &[Role::Manager])
}

pub fn service() -> Caller {
    caller("meeting-orchestrator", &[Role::Service])
}

pub fn employee(email: &str) -> Caller {
    caller(email, &[Role::Employee])
}

pub fn example() -> ScenarioDraft {
    scenario::yaml::parse(scenario::EXAMPLE_SCENARIO_YAML).expect("example parses")
}

pub async fn create_example(app: &ScenarioApp) -> ScenarioRecord {
    app.create_scenario(&hr(), &example()).await.expect("create the example").scenario
}

pub fn person(email: &str, zone: &str) -> PersonDraft {
    PersonDraft {
        email: email.into(),
        name: email.split('@').next().unwrap_or_default().into(),
        time_zone: zone.into(),
    }
}

/// An assignment with Oleg as manager, Ivan and Maria as the team, Tanya as trainer and Helen as
/// HR contact.
pub fn assignment(email: &str, zone: &str, start: &str) -> AssignmentDraft {
    AssignmentDraft {
        employee: person(email, zone),
        start_date: start.into(),
        manager: person("oleg@example.com", ""),
        team: vec![person("ivan@example.com", "Europe/Berlin"), person("maria@example.com", "")],
        trainer: person("tanya@example.com", ""),
        hr: person("helen@example.com", ""),
        buddy: PersonDraft::default(),
    }
}

pub async fn assign(app: &ScenarioApp, scenario_id: &str, email: &str) -> AssignmentView {
    app.assign(&hr(), scenario_id, &assignment(email, "Europe/Berlin", "2025-03-03")).await.expect("assign")
}

/// Every event in the outbox, oldest first.
pub async fn outbox(store: &Store) -> Vec<OnboardingEvent> {
    let rows = sqlx::query("SELECT subject, headers, payload FROM outbox ORDER BY id")
        .fetch_all(store.pool())
        .await
        .expect("outbox");
    rows.iter()
        .map(|row| {
            let headers: String = row.get(1);
            let payload: Vec<u8> = row.get(2);
            let message = Message {
                subject: row.get(0),
                headers: serde_json::from_str(&headers).expect("headers"),
                payload: payload.into(),
                sequence: 0,
            };
            let event = CloudEvent::from_message(&message).expect("a cloudevent");
            OnboardingEvent::decode(&event).expect("an onboarding event")
        })
        .collect()
}

pub async fn count(store: &Store, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(store.pool())
        .await
        .expect("count")
}

/// Row counts of every table a write could touch.
pub async fn footprint(store: &Store) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in ["scenarios", "scenario_versions", "assignments", "stage_instances", "outbox"] {
        counts.push(count(store, table).await);
    }
    counts
}

pub fn utc(text: &str) -> i64 {
    text.parse::<jiff::Timestamp>().expect("timestamp").as_millisecond()
}
