//! The ingest as the binary runs it (the runtime's `TestService`: webhook router, admin gRPC,
//! group-commit writers and the outbox relay on port 0, over SQLite and the embedded bus or
//! PostgreSQL and NATS JetStream); plus the fixtures, a signer and a consumer of `zoom.>`.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use butterboard_runtime::auth::Authenticator;
use butterboard_runtime::bus::{ConsumerSpec, EventBus, Message, Subscription};
use butterboard_runtime::clock::ManualClock;
use butterboard_runtime::service::ServiceName;
use butterboard_runtime::store::Store;
pub use butterboard_runtime::testing::Mode;
use butterboard_runtime::testing::{self, TestService};
use bytes::Bytes;
use serde_json::Value;
use zoom_webhook_ingest::IngestSettings;

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/zoom");
/// The fixtures' secret and signing time (2025-12-01T09:00:12Z).
pub const SECRET: &str = "test-secret-token-0123456789";
pub const TS: i64 = 1_764_579_612;

/// One entry of vectors.json.
#[derive(Debug, Clone)]
pub struct Vector {
    pub file: String,
    pub body: Bytes,
    pub secret: String,
    pub timestamp: String,
    pub signature: String,
    pub expected_response: Option<Value>,
}

impl Vector {
    pub fn event(&self) -> String {
        serde_json::from_slice::<Value>(&self.body).expect("fixture is json")["event"]
            .as_str()
            .expect("event")
            .to_string()
    }
}

pub fn vectors() -> Vec<Vector> {
    let text = std::fs::read_to_string(format!("{FIXTURES}/vectors.json")).expect("vectors.json");
    let doc: Value = serde_json::from_str(&text).expect("vectors parse");
    doc["vectors"]
        .as_array()
        .expect("vectors array")
        .iter()
        .map(|v| {
            let file = v["file"].as_str().expect("file").to_string();
            Vector {
                body: Bytes::from(std::fs::read(format!("{FIXTURES}/{file}")).expect("fixture body")),
                file,
                secret: v["secret"].as_str().expect("secret").to_string(),
                timestamp: v["timestamp"].as_i64().expect("timestamp").to_string(),
                signature: v["signature"].as_str().expect("signature").to_string(),
                expected_response: v.get("expected_response").cloned(),
            }
        })
        .collect()
}

pub fn sign(body: &[u8], ts: i64) -> String {
    zoom::webhook::sign(SECRET.as_bytes(), &ts.to_string(), body)
}

/// A distinct, real-shaped `meeting.participant_joined` body.
pub fn participant_joined(n: usize) -> Bytes {
    let body = serde_json::json!({
        "event": "meeting.participant_joined",
        "event_ts": 1_764_579_700_000_i64 + n as i64,
        "payload": {"account_id": "AcCtId_1a2b3c4d5e", "object": {
            "id": "84512390771", "uuid": "4444AAAiAAAAAiAiAiiAii==", "host_id": "hOsT_UsEr_9z8y7x",
            "topic": "Meet the team", "type": 2,
            "participant": {"user_id": format!("{n}"), "user_name": format!("Person {n}"), "join_time": "2026-12-01T09:01:41Z"}
        }}
    });
    Bytes::from(body.to_string())
}

/// A running ingest.
pub struct Ingest {
    pub url: String,
    pub grpc: String,
    pub store: Store,
    pub bus: Arc<dyn EventBus>,
    pub auth: Authenticator,
    pub clock: ManualClock,
    pub http: reqwest::Client,
    service: TestService,
}

/// Settings for tests: the fixtures' secret and a clock at their signing time.
pub fn settings() -> IngestSettings {
    IngestSettings { secrets: Some(vec![SECRET.to_string()]), ..IngestSettings::default() }
}

pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().pool_max_idle_per_host(256).build().expect("http client")
}

impl Ingest {
    pub async fn start(mode: Mode) -> Ingest {
        let clock = ManualClock::at(TS * 1000);
        Self::start_with(mode, settings(), clock).await
    }

    pub async fn start_with(mode: Mode, settings: IngestSettings, clock: ManualClock) -> Ingest {
        Self::from(Self::builder(clock).mode(mode).start(|ctx| zoom_webhook_ingest::start_with(ctx, settings)).await)
    }

    /// Runs the ingest over a given store and bus.
    pub async fn start_on(
        store: Store,
        bus: Arc<dyn EventBus>,
        settings: IngestSettings,
        clock: ManualClock,
    ) -> Ingest {
        let builder = Self::builder(clock).store(store).bus(bus);
        Self::from(builder.start(|ctx| zoom_webhook_ingest::start_with(ctx, settings)).await)
    }

    fn builder(clock: ManualClock) -> testing::service::Builder {
        TestService::builder(ServiceName::ZoomWebhookIngest, zoom_webhook_ingest::migrations()).clock(clock)
    }

    fn from(service: TestService) -> Ingest {
        Ingest {
            url: format!(
                "{}{}",
                service.webhook_url.clone().expect("a webhook router"),
                zoom_webhook_ingest::receive::PATH
            ),
            grpc: format!("http://{}", service.grpc_addr),
            store: service.store.clone(),
            bus: service.bus.clone(),
            auth: service.auth.clone(),
            clock: service.clock.clone(),
            http: http(),
            service,
        }
    }

    /// Posts `body` with the given headers (`None` leaves a header out).
    pub async fn post_raw(&self, body: Bytes, timestamp: Option<&str>, signature: Option<&str>) -> reqwest::Response {
        let mut request = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .header("x-zm-trackingid", "v=2.0;clid=us06;rid=TEST")
            .body(body);
        if let Some(ts) = timestamp {
            request = request.header("x-zm-request-timestamp", ts);
        }
        if let Some(sig) = signature {
            request = request.header("x-zm-signature", sig);
        }
        request.send().await.expect("the ingest answers")
    }

    /// Posts `body` signed with the fixtures' secret at the fixtures' time.
    pub async fn post(&self, body: Bytes) -> reqwest::Response {
        let signature = sign(&body, TS);
        self.post_raw(body, Some(&TS.to_string()), Some(&signature)).await
    }

    pub async fn count(&self, table: &'static str) -> i64 {
        let sql = match table {
            "deliveries" => "SELECT COUNT(*) FROM deliveries",
            "outbox" => "SELECT COUNT(*) FROM outbox",
            _ => panic!("unknown table {table}"),
        };
        sqlx::query_scalar(sql).fetch_one(self.store.pool()).await.expect("count")
    }

    /// A fresh durable consumer of `zoom.>`.
    pub async fn subscribe(&self) -> Box<dyn Subscription> {
        let name = testing::unique_name("ingest-test");
        let mut spec = ConsumerSpec::new(name.replace('_', "-"), &["zoom.>"]);
        spec.ack_wait = Duration::from_secs(30);
        self.bus.subscribe(spec).await.expect("subscribe")
    }

    pub async fn stop(self) {
        self.service.stop().await.expect("every part stops cleanly");
    }
}

/// Acks and returns everything delivered until nothing came for `quiet`.
pub async fn drain(subscription: &mut Box<dyn Subscription>, quiet: Duration) -> Vec<Message> {
    let mut seen = Vec::new();
    while let Ok(next) = tokio::time::timeout(quiet, subscription.next()).await {
        let delivery = next.expect("subscription works").expect("subscription open");
        seen.push(delivery.message.clone());
        delivery.ack().await.expect("ack");
    }
    seen
}

/// Acks and returns `n` messages, failing after `limit`; then checks nothing more comes within
/// `quiet`.
pub async fn expect_messages(
    subscription: &mut Box<dyn Subscription>,
    n: usize,
    limit: Duration,
    quiet: Duration,
) -> Vec<Message> {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + limit;
    while seen.len() < n {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let next = tokio::time::timeout(left, subscription.next()).await;
        let Ok(next) = next else { panic!("only {} of {n} messages within {limit:?}", seen.len()) };
        let delivery = next.expect("subscription works").expect("subscription open");
        seen.push(delivery.message.clone());
        delivery.ack().await.expect("ack");
    }
    let extra = drain(subscription, quiet).await;
    assert!(
        extra.is_empty(),
        "expected exactly {n} messages, got {} more: {:?}",
        extra.len(),
        extra.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );
    seen
}
