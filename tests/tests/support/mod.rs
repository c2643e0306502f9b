//! Two "services" wired as the binary wires them: a producer store with its outbox relay, a
//! consumer store with a durable consumer, and the bus between them — JetStream and PostgreSQL
//! (distributed) or the embedded bus and SQLite (embedded).

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use butterboard_runtime::bus::jetstream::JetStreamBus;
use butterboard_runtime::bus::{ConsumerSpec, EventBus};
use butterboard_runtime::consumer::{Consumer, EventHandler, HandlerError};
use butterboard_runtime::envelope::{CONTENT_TYPE_JSON, CloudEvent};
use butterboard_runtime::shutdown::Shutdown;
use butterboard_runtime::store::relay::{OutboxRelay, RelayConfig};
use butterboard_runtime::store::{Store, outbox};
use butterboard_runtime::testing;
use sqlx::{Any, Row, Transaction};

pub enum Mode {
    Distributed { nats_url: String },
    Embedded { dir: tempfile::TempDir },
}

impl Mode {
    pub async fn distributed() -> Mode {
        Mode::Distributed { nats_url: testing::nats_url() }
    }
    pub async fn distributed_on(url: &str) -> Mode {
        Mode::Distributed { nats_url: url.to_string() }
    }
    pub fn embedded() -> Mode {
        Mode::Embedded { dir: tempfile::tempdir().expect("tempdir") }
    }
}

pub struct Skeleton {
    pub producer: Store,
    pub consumer_store: Store,
    pub bus: Arc<dyn EventBus>,
    shutdown: Shutdown,
    tasks: Vec<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _mode: Mode,
}

const EFFECTS_DDL: &str = "CREATE TABLE IF NOT EXISTS greetings_received (event_id TEXT NOT NULL, text TEXT NOT NULL)";

impl Skeleton {
    pub async fn start(mode: Mode) -> Skeleton {
        let mut skeleton = Self::start_without_consumer(mode).await;
        let consumer = Consumer::new(skeleton.spec(), skeleton.consumer_store.clone(), skeleton.bus.clone(), Greeter);
        skeleton.tasks.push(tokio::spawn(consumer.run(skeleton.shutdown.clone())));
        skeleton
    }

    pub async fn start_without_consumer(mode: Mode) -> Skeleton {
        let none = testing::no_service_migrations();
        let (producer, consumer_store, bus): (Store, Store, Arc<dyn EventBus>) = match &mode {
            Mode::Distributed { nats_url } => {
                let namespace = testing::unique_name("t");
                let bus = JetStreamBus::connect(nats_url, Some(&namespace)).await.expect("jetstream");
                (
                    testing::postgres_store(&none).await.expect("pg"),
                    testing::postgres_store(&none).await.expect("pg"),
                    Arc::new(bus),
                )
            }
            Mode::Embedded { dir } => (
                testing::sqlite_store(&dir.path().join("producer"), &none).await.expect("sqlite"),
                testing::sqlite_store(&dir.path().join("consumer"), &none).await.expect("sqlite"),
                testing::embedded_bus(dir.path()).await.expect("embedded bus"),
            ),
        };
        sqlx::query(EFFECTS_DDL).execute(consumer_store.pool()).await.expect("effects table");
        let shutdown = Shutdown::new();
        let relay_config = RelayConfig { poll_interval: Duration::from_millis(100), ..RelayConfig::default() };
        let relay = OutboxRelay::new("producer", producer.clone(), bus.clone(), relay_config);
        let tasks = vec![tokio::spawn(relay.run(shutdown.clone()))];
        Skeleton { producer, consumer_store, bus, shutdown, tasks, _mode: mode }
    }

    pub fn spec(&self) -> ConsumerSpec {
        let mut spec = ConsumerSpec::new("consumer-greetings", &["onboarding.skeleton.>"]);
        spec.ack_wait = Duration::from_secs(2);
        spec.backoff = vec![Duration::from_millis(100), Duration::from_millis(200)];
        spec
    }

    /// Writes events to the producer's outbox in one transaction.
    pub async fn write(&self, events: Vec<CloudEvent>) {
        let mut tx = self.producer.begin().await.expect("begin");
        for event in events {
            outbox::enqueue(&mut tx, "onboarding.skeleton.greeted", event).await.expect("enqueue");
        }
        tx.commit().await.expect("commit");
        self.producer.outbox_written();
    }

    pub async fn wait_for_effects(&self, n: usize) -> bool {
        testing::eventually(Duration::from_secs(15), || async { count_effects(&self.consumer_store).await >= n }).await
    }

    pub async fn effects(&self) -> Vec<(String, String)> {
        let rows = sqlx::query("SELECT event_id, text FROM greetings_received ORDER BY event_id")
            .fetch_all(self.consumer_store.pool())
            .await
            .expect("effects");
        rows.iter().map(|r| (r.get(0), r.get(1))).collect()
    }

    /// Stops the relay and consumer; each must return cleanly on shutdown.
    pub async fn stop(self) {
        self.shutdown.trigger();
        for task in self.tasks {
            let result = tokio::time::timeout(Duration::from_secs(15), task).await.expect("stops within 15 s");
            result.expect("no panic").expect("no error");
        }
    }
}

pub fn greeting(text: &str) -> CloudEvent {
    let body = serde_json::json!({ "text": text }).to_string();
    CloudEvent::new("butterboard/producer", "butterboard.test.greeted.v1", CONTENT_TYPE_JSON, body.into_bytes().into())
}

pub async fn count_effects(store: &Store) -> usize {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM greetings_received").fetch_one(store.pool()).await.expect("count");
    n as usize
}

pub async fn apply_effect(tx: &mut Transaction<'static, Any>, event: &CloudEvent) -> Result<(), HandlerError> {
    let body: serde_json::Value = serde_json::from_slice(&event.data).map_err(|e| HandlerError::Reject(e.into()))?;
    let text = body["text"].as_str().unwrap_or_default().to_string();
    sqlx::query("INSERT INTO greetings_received (event_id, text) VALUES ($1, $2)")
        .bind(&event.id)
        .bind(text)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The consumer's effect: one row per greeting.
pub struct Greeter;

#[async_trait]
impl EventHandler for Greeter {
    async fn handle(
        &self,
        tx: &mut Transaction<'static, Any>,
        _subject: &str,
        event: &CloudEvent,
    ) -> Result<(), HandlerError> {
        apply_effect(tx, event).await
    }
}
